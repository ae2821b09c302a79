//! The records the verifiers pallet keeps.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use ember_pocps::round::RoundParams;
use ember_primitives::{DeviceId, SealedDataset};
use frame_support::{pallet_prelude::ConstU32, BoundedVec};
use scale_info::TypeInfo;

/// A round, numbered from 1. A re-test of round `r` is numbered `r | RETEST`.
pub type RoundIndex = u32;

/// The bit that marks a re-test's round number.
pub const RETEST: RoundIndex = 1 << 31;

/// Most verifiers on a committee.
pub const MAX_COMMITTEE: u32 = 16;

/// A committee's members, or its voters.
pub type Members<AccountId> = BoundedVec<AccountId, ConstU32<MAX_COMMITTEE>>;

/// Why a verifier failed a device.
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
pub enum FailReason {
	/// The signed result came after the class's deadline.
	Late,
	/// The segments opened off chain do not verify.
	BadAudit,
	/// The result's device signature does not verify.
	BadSignature,
	/// The device's endpoint did not answer.
	Unreachable,
}

/// One verifier's verdict on one device in one round.
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
pub enum Verdict {
	/// The device answered in time and its audit verified: the verifier's nonce, the result
	/// `R` and the device key's signature over it, which an on-chain audit re-opens.
	Pass { nonce: [u8; 32], result: [u8; 32], signature: [u8; 64] },
	/// The device failed.
	Fail(FailReason),
}

/// A pass as recorded: who posted it and what the device signed.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct PassRecord<AccountId> {
	/// The verifier that posted it.
	pub verifier: AccountId,
	/// Its nonce.
	pub nonce: [u8; 32],
	/// The round result `R` the device signed.
	pub result: [u8; 32],
	/// The device key's sr25519 signature over `round_message(challenge, R)`.
	pub signature: [u8; 64],
}

/// How a device's round was decided.
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
pub enum Decision {
	/// A majority of the committee passed it.
	Passed,
	/// A majority of the committee failed it.
	Failed,
	/// It failed and the fault landed (no re-test can cancel it any more).
	Faulted,
}

/// The verdicts on one device in one round so far.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Tally<AccountId> {
	/// The round's seed (a re-test's own).
	pub seed: [u8; 32],
	/// The dataset the round read (the device's seal when the first verdict came).
	pub dataset: SealedDataset,
	/// The class's round parameters then.
	pub round: RoundParams,
	/// The committee's size: a majority is more than half of it.
	pub committee: u32,
	/// The passes.
	pub passes: BoundedVec<PassRecord<AccountId>, ConstU32<MAX_COMMITTEE>>,
	/// The verifiers that failed it.
	pub fails: Members<AccountId>,
	/// Set when a majority is reached.
	pub decided: Option<Decision>,
}

/// The round now open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct RoundInfo<BlockNumber> {
	/// Its number (0 before the first).
	pub index: RoundIndex,
	/// Its seed, the VRF output of its first block's parent.
	pub seed: [u8; 32],
	/// The block it began in.
	pub started: BlockNumber,
}

/// A verifier's bond and state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct VerifierInfo<Balance, BlockNumber> {
	/// What is held.
	pub bond: Balance,
	/// Set once it leaves: the block from which its bond may be withdrawn.
	pub unbonds_at: Option<BlockNumber>,
}

/// A device's round endpoint, with the deposit its owner paid for storing it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct Endpoint<AccountId, Balance, Url> {
	/// Where verifiers connect (a `ws://` or `http://` URL).
	pub url: Url,
	/// Who paid the deposit (the owner at the time).
	pub depositor: AccountId,
	/// The deposit held.
	pub deposit: Balance,
}

/// A pass chosen for an on-chain audit.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct Audit<AccountId, BlockNumber> {
	/// The round's seed.
	pub seed: [u8; 32],
	/// The pass re-opened (one of the passers', at random).
	pub record: PassRecord<AccountId>,
	/// Every verifier that passed the device: slashed if the audit fails.
	pub passers: Members<AccountId>,
	/// The dataset and round parameters of the round.
	pub dataset: SealedDataset,
	/// The class's round parameters.
	pub round: RoundParams,
	/// Chooses the segments (with `R`): a VRF output from after the pass.
	pub selector: [u8; 32],
	/// The block by which the device must answer.
	pub deadline: BlockNumber,
}

/// A re-test a device demanded after failing a round.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct Retest<AccountId> {
	/// The failed round (without the [`RETEST`] bit).
	pub round: RoundIndex,
	/// The re-test's seed.
	pub seed: [u8; 32],
	/// Its committee, drawn fresh (the verifiers that failed the device are left out).
	pub committee: Members<AccountId>,
}

/// One device a verifier must test: what the runtime API gives a verifier.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub struct Assignment {
	/// The round (a re-test has the [`RETEST`] bit).
	pub round: RoundIndex,
	/// The round's seed.
	pub seed: [u8; 32],
	/// The device.
	pub device: DeviceId,
	/// Its device key (signs `R`).
	pub device_key: [u8; 32],
	/// Its endpoint URL.
	pub endpoint: alloc::vec::Vec<u8>,
	/// Its dataset.
	pub dataset: SealedDataset,
	/// Its class's round parameters.
	pub params: RoundParams,
}

/// An open on-chain audit as a device answers it: what the runtime API gives its miner.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub struct AuditRequest {
	/// The round's seed.
	pub seed: [u8; 32],
	/// The audited verifier's identity ([`crate::verifier_id`]).
	pub verifier: [u8; 32],
	/// The audited verifier's nonce.
	pub nonce: [u8; 32],
	/// The audited result `R`.
	pub result: [u8; 32],
	/// The round's parameters (the class's then).
	pub round: RoundParams,
	/// The segments to open, in order.
	pub segments: alloc::vec::Vec<ember_pocps::round::SegmentId>,
	/// The block by which the answer must be in.
	pub deadline: u32,
}

/// A round a device may be challenged in now: what its miner's endpoint accepts requests for.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub struct OpenRound<AccountId> {
	/// The round (a re-test has the [`RETEST`] bit).
	pub round: RoundIndex,
	/// Its seed.
	pub seed: [u8; 32],
	/// The class's round parameters.
	pub params: RoundParams,
	/// The verifiers drawn to test the device.
	pub committee: alloc::vec::Vec<AccountId>,
}
