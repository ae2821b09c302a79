//! Types stored by the PoCPS pallet.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use ember_primitives::{ClassId, DeviceId};
use scale_info::TypeInfo;

/// Challenges per block are counted in millionths, so that a class whose devices are each
/// challenged once every 7 blocks adds 142,857 per device.
pub const RATE_UNIT: u64 = 1_000_000;

/// A device's committed dataset.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct SealInfo<BlockNumber> {
	/// Merkle root over the dataset's labels.
	pub root: [u8; 32],
	/// The seal nonce (part of the encoding key); strictly increases with each re-seal.
	pub nonce: u64,
	/// The parameters the dataset was sealed under, named by the miner and checked against its
	/// class at commitment. A later class update does not touch them: the seal stays valid
	/// until the device re-seals.
	pub params: ember_pocps::Params,
	/// Blocks the device has to answer a challenge (the class's, at commitment).
	pub response_deadline: u32,
	/// The class the device was sealed in.
	pub class: ClassId,
	/// The device's challenge rate, in [`RATE_UNIT`]s of a challenge per block.
	pub rate: u64,
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
	/// The block whose initialization (or whose `commit_seal`) opened it. Its seed mixes the VRF
	/// outputs of this block and the next, so it is answerable from `opened_at + 2` on.
	pub opened_at: BlockNumber,
	/// The block at whose start an unanswered challenge becomes a fault; answers must be in an
	/// earlier block.
	pub deadline: BlockNumber,
	/// `true` for the seal check (labels recomputed from their parents), `false` for a storage
	/// challenge (leaves only).
	pub seal_check: bool,
}

/// An open challenge as a miner sees it: its record and, once both VRF outputs it needs are on
/// chain, its seed.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct OpenChallengeView<BlockNumber> {
	/// The challenge.
	pub info: ChallengeInfo<BlockNumber>,
	/// The seed, or `None` while the VRF output of `opened_at + 1` is not yet on chain.
	pub seed: Option<[u8; 32]>,
}

/// A device's place in its class's dense index of challengeable devices.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct Membership {
	/// The class.
	pub class: ClassId,
	/// The position in `Members`.
	pub index: u32,
	/// The device's challenge rate, in [`RATE_UNIT`]s per block (counted in its class's load).
	pub rate: u64,
}

/// A class's challengeable devices and their total challenge rate.
#[derive(
	Clone,
	Copy,
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
pub struct ClassDraws {
	/// Devices in the class's index.
	pub members: u32,
	/// Sum of their rates, in [`RATE_UNIT`]s per block.
	pub load: u64,
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

/// How much of the block space reserved for answers the admitted devices use.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Capacity {
	/// Answers per block the chain admits devices for (`AnswersPerBlock`).
	pub answers_per_block: u32,
	/// The admitted devices' challenge rates summed, in [`RATE_UNIT`]s per block.
	pub load: u64,
	/// Devices in the challenge indexes.
	pub devices: u32,
}
