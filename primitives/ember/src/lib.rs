//! # Ember primitives
//!
//! The small vocabulary Ember's pallets use to talk to each other. Each pallet depends on these
//! traits rather than on another pallet, so its tests mock its neighbours and the runtime wires
//! the real ones.

#![cfg_attr(not(feature = "std"), no_std)]

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::{DispatchError, DispatchResult, FixedU128, Perbill, Saturating};
use sp_weights::Weight;

/// A registered device, numbered in order of registration.
pub type DeviceId = u64;
/// A device class (e.g. "H100 80GB"), numbered in order of creation.
pub type ClassId = u32;
/// A PoCPS challenge, numbered in order of opening.
pub type ChallengeId = u64;

/// Where a device is in its life.
///
/// `Registered` (bonded, no dataset) → `Sealed` (dataset committed, on probation until its first
/// challenge is answered) → `Active` (proven; may stake) → `Suspended` (missed or failed a
/// challenge; must re-seal) → `Retired` (unbonding; the bond is released after the delay).
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
pub enum DeviceStatus {
	/// Bonded and known, no dataset committed yet.
	Registered,
	/// Dataset committed; its first challenge (probation) is pending.
	Sealed,
	/// Proven: answers its challenges.
	Active,
	/// Missed or failed a challenge; re-sealing brings it back.
	Suspended,
	/// Leaving: the bond unlocks after the unbonding delay.
	Retired,
}

impl DeviceStatus {
	/// Whether PoCPS challenges this device (probation counts).
	pub fn is_challengeable(&self) -> bool {
		matches!(self, DeviceStatus::Sealed | DeviceStatus::Active)
	}
}

/// How a challenge ended.
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
pub enum ChallengeOutcome {
	/// Answered in time with a valid proof.
	Success,
	/// Not answered before the deadline.
	Fault,
	/// Answered with a proof that does not verify (evidence of a wrong or missing dataset).
	InvalidProof,
}

/// How a device class is challenged: the dataset shape, the time to answer, and the gap between
/// challenges. Each class sets its own, so a small development class can be challenged every few
/// blocks while a large GPU class is challenged at a pace the chain's block space allows.
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
pub struct ChallengePolicy {
	/// The dataset and challenge parameters.
	pub params: ember_pocps::Params,
	/// Blocks a device has to answer a challenge.
	pub response_deadline: u32,
	/// Fewest blocks between a challenge closing and the device's next one.
	pub min_interval: u32,
	/// Most blocks between a challenge closing and the device's next one.
	pub max_interval: u32,
}

/// The fewest blocks a class's response deadline may have: a PoCPS challenge opened at block
/// `n` becomes answerable at `n + 2` (its seed needs block `n + 1`'s VRF output), and its
/// deadline block must come after that.
pub const MIN_RESPONSE_DEADLINE: u32 = 3;

/// What PoCPS needs to know about a device.
pub trait DeviceInspect<AccountId> {
	/// The device's owner, if it exists.
	fn owner(device: DeviceId) -> Option<AccountId>;
	/// The device's class.
	fn class(device: DeviceId) -> Option<ClassId>;
	/// The device's status.
	fn status(device: DeviceId) -> Option<DeviceStatus>;
	/// The device's public key (part of its PoCPS encoding key).
	fn device_key(device: DeviceId) -> Option<[u8; 32]>;
	/// The challenge policy of the device's class.
	fn challenge_policy(device: DeviceId) -> Option<ChallengePolicy>;
}

/// Status changes PoCPS makes on the registry.
pub trait DeviceLifecycle {
	/// A dataset was committed: the device goes on probation (`Sealed`).
	fn note_sealed(device: DeviceId) -> DispatchResult;
	/// A challenge was answered: a device on probation becomes `Active`.
	fn note_proven(device: DeviceId) -> DispatchResult;
	/// A challenge was missed or failed: the device is `Suspended`.
	fn note_faulted(device: DeviceId) -> DispatchResult;
}

/// Whether a device has a challenge in flight (a device may not retire while it does, so it
/// cannot dodge a fault).
pub trait ChallengeInspect {
	/// True while `device` has an open challenge.
	fn has_open_challenge(device: DeviceId) -> bool;
}

impl ChallengeInspect for () {
	fn has_open_challenge(_: DeviceId) -> bool {
		false
	}
}

/// Open if either says so (PoCPS's challenges, the verifiers' audits and pending faults).
impl<A: ChallengeInspect, B: ChallengeInspect> ChallengeInspect for (A, B) {
	fn has_open_challenge(device: DeviceId) -> bool {
		A::has_open_challenge(device) || B::has_open_challenge(device)
	}
}

/// Told of every challenge outcome (the compute pools, and later slashing and reputation).
pub trait OnChallengeOutcome<AccountId> {
	/// `device`, owned by `owner`, ended `challenge` with `outcome`.
	fn on_challenge_outcome(
		device: DeviceId,
		owner: &AccountId,
		challenge: ChallengeId,
		outcome: ChallengeOutcome,
	);

	/// The most one call of [`Self::on_challenge_outcome`] may weigh; the caller adds it to its
	/// own weight.
	fn outcome_weight() -> Weight;
}

impl<AccountId> OnChallengeOutcome<AccountId> for () {
	fn on_challenge_outcome(_: DeviceId, _: &AccountId, _: ChallengeId, _: ChallengeOutcome) {}

	fn outcome_weight() -> Weight {
		Weight::zero()
	}
}

/// Tells each listener in order; the weight is the sum.
macro_rules! impl_outcome_for_tuple {
	($($listener:ident),+) => {
		impl<AccountId, $($listener: OnChallengeOutcome<AccountId>),+> OnChallengeOutcome<AccountId>
			for ($($listener,)+)
		{
			fn on_challenge_outcome(
				device: DeviceId,
				owner: &AccountId,
				challenge: ChallengeId,
				outcome: ChallengeOutcome,
			) {
				$($listener::on_challenge_outcome(device, owner, challenge, outcome);)+
			}

			fn outcome_weight() -> Weight {
				Weight::zero()$(.saturating_add($listener::outcome_weight()))+
			}
		}
	};
}

impl_outcome_for_tuple!(A, B);
impl_outcome_for_tuple!(A, B, C);

/// The base price of compute-hours (the compute price pallet), for whoever leases them.
pub trait BasePrice {
	/// The base price per compute-hour of `class`, if the class has one.
	fn price(class: ClassId) -> Option<u128>;

	/// A lease of `hours` of `class` starts now (its hours count as demand while it runs);
	/// returns the base price per hour. Fails if the class has no price.
	fn note_lease(class: ClassId, hours: u64) -> Result<u128, DispatchError>;

	/// A lease of `hours` of `class` that started at block `start` ended early now.
	fn note_lease_ended(class: ClassId, start: u64, hours: u64);

	/// `amount` planck of base price was paid and burned now (issuance mints from the sum).
	fn note_paid(amount: u128);
}

/// What a device's challenges have shown so far (PoCPS's running counts).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChallengeRecord {
	/// Challenges answered with a valid proof.
	pub answered: u32,
	/// Challenges missed.
	pub missed: u32,
	/// Challenges answered with an invalid proof.
	pub invalid: u32,
	/// How much of its deadline the last answer took.
	pub last_latency: Perbill,
}

/// A device's challenge history, for reputation and slashing.
pub trait ChallengeHistory {
	/// The device's record; all zeros for a device never challenged.
	fn record(device: DeviceId) -> ChallengeRecord;
}

impl ChallengeHistory for () {
	fn record(_: DeviceId) -> ChallengeRecord {
		ChallengeRecord::default()
	}
}

/// A misbehaviour a device can be slashed for, from the most to the least severe as
/// [`Offence::severity`] orders them.
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
pub enum Offence {
	/// A result that disagrees with the verified one (a PoCPS proof that does not verify).
	ResultMismatch,
	/// A result signed with a wrong or invalid device signature.
	InvalidSignature,
	/// Missed challenges: `uptime` is the device's share of challenges answered.
	Downtime { uptime: Perbill },
	/// Hardware below its class's benchmark.
	Performance,
	/// Deliberate attack (e.g. equivocation, a forged dataset): the whole bond.
	Byzantine,
	/// A lease not delivered: its client acknowledged no hand-off in time, or reported a failure
	/// the provider could not answer with a heartbeat the client signed.
	Undelivered,
}

/// Where an offence was seen.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum Incident {
	/// A PoCPS challenge.
	Challenge(ChallengeId),
	/// A compute lease.
	Lease(u64),
}

/// Told when a slash for `offence` is applied to `device` (reputation halves on byzantine).
pub trait OnSlash {
	/// `device` was slashed for `offence`.
	fn on_slash(device: DeviceId, offence: Offence);
}

impl OnSlash for () {
	fn on_slash(_: DeviceId, _: Offence) {}
}

/// A device's reputation, a score in [0, 1] (0.5 for a newcomer).
pub trait ReputationInspect {
	/// The device's score now.
	fn score(device: DeviceId) -> Perbill;

	/// The reward multiplier the score earns: 0.8× at score 0 to 1.2× at score 1, linear.
	fn reward_multiplier(device: DeviceId) -> FixedU128 {
		let score = FixedU128::from_perbill(Self::score(device));
		FixedU128::from_rational(4, 5)
			.saturating_add(FixedU128::from_rational(2, 5).saturating_mul(score))
	}
}

impl ReputationInspect for () {
	fn score(_: DeviceId) -> Perbill {
		Perbill::from_percent(50)
	}
}

/// The device bond the registry holds, which slashing takes from.
pub trait DeviceBond<AccountId> {
	/// The bond `device` still has held.
	fn bond(device: DeviceId) -> u128;

	/// Moves up to `amount` of `device`'s bond from its owner's hold to `to`'s free balance.
	/// Returns how much moved.
	fn slash_bond(device: DeviceId, amount: u128, to: &AccountId) -> Result<u128, DispatchError>;

	/// Retires `device` against its owner's will (repeated faults): it stops being challenged
	/// and its bond unlocks after the unbonding period.
	fn force_out(device: DeviceId) -> DispatchResult;
}

/// Told of each base-price payment for compute (the issuance pallet mints from their sum).
pub trait OnComputePayment {
	/// `amount` planck was paid (and burned) for compute now.
	fn on_compute_payment(amount: u128);
}

impl OnComputePayment for () {
	fn on_compute_payment(_: u128) {}
}

/// The compute pools, as issuance pays miners and liquidity providers through them.
pub trait PoolRewards<AccountId> {
	/// The account whose unowned balance is the miners' reward pot (paid per proven hour).
	fn pot_account() -> AccountId;

	/// Credits `amount`, already in [`Self::pot_account`], to the pools' liquidity providers:
	/// split by each pool's EMB accrued epoch by epoch since the last credit, then paid to the
	/// live shares over the next epochs. Returns what was credited; the rest stays in the pot.
	fn credit_providers(amount: u128) -> u128;

	/// Credits `amount`, already in [`Self::pot_account`], to the miners: split by each pool's
	/// stake rate × base price accrued epoch by epoch since the last credit, then paid to the
	/// live stakes by rate over the next epochs. Returns what was credited; the rest stays in
	/// the pot.
	fn credit_miners(amount: u128) -> u128;

	/// The most [`Self::credit_providers`] or [`Self::credit_miners`] may weigh.
	fn credit_weight() -> Weight;
}

/// Whether a device has compute-hours staked (reputation's stake component).
pub trait StakeInspect {
	/// True while `device` has a live stake.
	fn is_staked(device: DeviceId) -> bool;
}

impl StakeInspect for () {
	fn is_staked(_: DeviceId) -> bool {
		false
	}
}

/// The compute leases, as slashing checks a client's report against them.
pub trait LeaseInspect<AccountId> {
	/// The device and client of lease `lease` while its record exists (from its start until it
	/// is closed).
	fn lease(lease: u64) -> Option<(DeviceId, AccountId)>;
}

impl<AccountId> LeaseInspect<AccountId> for () {
	fn lease(_: u64) -> Option<(DeviceId, AccountId)> {
		None
	}
}

/// Told when a lease's delivery failed (no hand-off acknowledged in time, or a client's report
/// the provider could not answer): slashing schedules the provider's penalty.
pub trait OnDeliveryFailed {
	/// `device` failed to deliver lease `lease`.
	fn on_delivery_failed(device: DeviceId, lease: u64);

	/// The most [`Self::on_delivery_failed`] may weigh.
	fn delivery_failed_weight() -> Weight;
}

impl OnDeliveryFailed for () {
	fn on_delivery_failed(_: DeviceId, _: u64) {}

	fn delivery_failed_weight() -> Weight {
		Weight::zero()
	}
}

/// Told when a device retires, by its owner or forced out (the pools end its stake and lease as
/// on a fault: a retired device is no longer challenged).
pub trait OnDeviceRetired {
	/// `device` retires now; an error refuses the retirement.
	fn on_device_retired(device: DeviceId) -> DispatchResult;

	/// The most [`Self::on_device_retired`] may weigh.
	fn retired_weight() -> Weight;
}

impl OnDeviceRetired for () {
	fn on_device_retired(_: DeviceId) -> DispatchResult {
		Ok(())
	}

	fn retired_weight() -> Weight {
		Weight::zero()
	}
}

/// A device's committed dataset, as residency rounds read it.
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
pub struct SealedDataset {
	/// The Merkle root over its labels.
	pub root: [u8; 32],
	/// The parameters it was sealed under.
	pub params: ember_pocps::Params,
	/// The class it was sealed in.
	pub class: ClassId,
}

/// The PoCPS pallet, as the verifiers pallet reads seals and reports failed rounds.
pub trait ResidencyFaults<AccountId> {
	/// The dataset `device` has committed, if any.
	fn sealed(device: DeviceId) -> Option<SealedDataset>;

	/// `device` failed a residency round or its audit: a PoCPS fault with `outcome` (`Fault`
	/// for a round failed on time or an audit not answered, `InvalidProof` for an audit that
	/// does not verify), told to [`OnChallengeOutcome`] like a missed or failed challenge.
	/// Its weight is part of the benchmarks of the verifiers pallet's calls that fault.
	fn round_fault(device: DeviceId, outcome: ChallengeOutcome) -> DispatchResult;
}

/// Whether a device is serving a lease now (residency rounds skip it: its memory is the
/// client's).
pub trait LeaseStatus {
	/// True while `device` serves a lease.
	fn is_leased(device: DeviceId) -> bool;
}

impl LeaseStatus for () {
	fn is_leased(_: DeviceId) -> bool {
		false
	}
}
