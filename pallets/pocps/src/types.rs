//! Types stored by the PoCPS pallet.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use ember_primitives::DeviceId;
use scale_info::TypeInfo;

/// A device's committed dataset.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct SealInfo<BlockNumber> {
	/// Merkle root over the dataset's labels.
	pub root: [u8; 32],
	/// The seal nonce (part of the encoding key); strictly increases with each re-seal.
	pub nonce: u64,
	/// The class parameters at sealing time (later class changes apply at the next seal).
	pub params: ember_pocps::Params,
	/// Blocks the device has to answer a challenge.
	pub response_deadline: u32,
	/// Fewest blocks between an answer and the next challenge.
	pub min_interval: u32,
	/// Most blocks between an answer and the next challenge.
	pub max_interval: u32,
	/// When the seal was committed.
	pub sealed_at: BlockNumber,
}

/// An open challenge.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct ChallengeInfo<BlockNumber> {
	/// The challenged device.
	pub device: DeviceId,
	/// The seed the challenged labels derive from.
	pub seed: [u8; 32],
	/// The block whose initialization opened it.
	pub opened_at: BlockNumber,
	/// The block at whose start an unanswered challenge becomes a fault; answers must be in an
	/// earlier block.
	pub deadline: BlockNumber,
}

/// A device's challenge record.
#[derive(
	Clone,
	Debug,
	Default,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct DeviceStats {
	/// Challenges answered with a valid proof.
	pub answered: u32,
	/// Challenges missed.
	pub missed: u32,
	/// Challenges answered with an invalid proof.
	pub invalid: u32,
	/// Blocks between opening and answer, for the last answered challenge.
	pub last_latency: u32,
}
