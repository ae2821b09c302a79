//! # Verifiers
//!
//! A PoCPS storage proof shows that someone reaches a device's labels within blocks; it cannot
//! tell HBM from an SSD. Residency rounds ([`ember_pocps::round`]) can, but need a clock held
//! off chain at millisecond precision: that is the verifiers' job, and this pallet organises it.
//!
//! - **Verifiers** bond ([`Pallet::register_verifier`]) and leave with an unbonding delay.
//! - **Rounds**: every `RoundPeriod` blocks a round opens with a seed from BABE's VRF and a
//!   snapshot of the verifier set. Every device that is `Active`, in a class with round
//!   parameters ([`Pallet::set_round_params`]), with a round endpoint
//!   ([`Pallet::set_endpoint`]) and not serving a lease is tested in every round, all devices of
//!   a class in the same window, so one GPU cannot serve several identities in turn.
//! - **Committees**: per device and round, `CommitteeSize` verifiers drawn from the snapshot by
//!   the round seed, never the device's owner ([`Pallet::committee`]). Each runs the round with
//!   its own nonce, times it, audits segments off chain and posts its verdicts
//!   ([`Pallet::post_verdicts`], one extrinsic per verifier per round, up to `MaxVerdicts`
//!   entries). A device passes or fails on a majority of its committee.
//! - **On-chain audits**: two blocks after a pass (a VRF output nobody knew when the verdicts
//!   were posted), an `AuditShare` of passes is chosen; the device must re-open
//!   `chain_audits` segments of one passer's `R` ([`Pallet::answer_audit`]) before
//!   `AuditWindow` blocks. If it cannot, the device is faulted and every verifier that passed it
//!   loses `AuditSlash` of its bond; a forged `R` (the device's signature does not verify)
//!   costs the verifier that posted it `ForgerySlash` and the device nothing.
//! - **Faults and re-tests**: a failed round becomes a PoCPS fault (through
//!   [`ResidencyFaults::round_fault`], so pools, slashing and reputation react as to a failed
//!   challenge) `RetestWindow` blocks later, unless the device demanded a re-test
//!   ([`Pallet::demand_retest`], once per `RetestEvery` rounds, for `RetestFee`) and a fresh
//!   committee passed it: timing fails honest devices too.
//! - **Pay and penalties**: each verdict earns `VerdictReward` from the pot (an issuance
//!   recipient); a verifier of a round's snapshot that posts nothing in that round loses
//!   `MissedRoundSlash` of its bond. Slashes go to the pot. A verifier whose bond falls below
//!   `MinBond` leaves the set.
//!
//! The trust this rests on: an honest majority in each committee for timing (a verifier could
//! pass a slow device; only its committee's majority decides), on-chain audits for data (a
//! passed round whose segments do not verify costs its passers). docs/pocps.md has the
//! parameters, their arithmetic, and what a pass does not prove.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
pub mod runtime_api;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

use alloc::vec::Vec;
use codec::Encode;
use ember_pocps::{
	round::{
		audit_segments, round_message, verify_round, RoundChallenge, RoundOpening, RoundParams,
	},
	Hash, Hasher,
};
use ember_primitives::{
	ChallengeOutcome, ClassId, DeviceId, DeviceInspect, DeviceStatus, LeaseStatus, ResidencyFaults,
};
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{Inspect, InspectHold, Mutate, MutateHold},
		tokens::{Fortitude, Precision, Preservation, Restriction},
		Randomness,
	},
	PalletId,
};
use frame_system::pallet_prelude::*;
use sp_runtime::{
	traits::{AccountIdConversion, SaturatedConversion, Saturating, Zero},
	Perbill,
};

/// Balance type of the currency.
pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
/// An endpoint as stored.
pub type EndpointOf<T> = Endpoint<
	<T as frame_system::Config>::AccountId,
	BalanceOf<T>,
	BoundedVec<u8, <T as Config>::MaxEndpointLen>,
>;
/// A verifier as stored.
pub type VerifierInfoOf<T> = VerifierInfo<BalanceOf<T>, BlockNumberFor<T>>;
/// A device's verdicts as stored.
pub type TallyOf<T> = Tally<<T as frame_system::Config>::AccountId>;
/// An audit as stored.
pub type AuditOf<T> = Audit<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;
/// A verdict list as submitted.
pub type VerdictsOf<T> = BoundedVec<(DeviceId, Verdict), <T as Config>::MaxVerdicts>;

/// SHA-256 through the runtime's host function.
pub struct HostSha256;

impl Hasher for HostSha256 {
	fn sha256(data: &[u8]) -> Hash {
		sp_io::hashing::sha2_256(data)
	}
}

/// Blocks between a pass and the roll that decides whether it is audited: the roll uses that
/// block's parent VRF output, which nobody knew when the verdicts were posted.
pub const AUDIT_ROLL_DELAY: u32 = 2;
/// Most dataset reads an on-chain audit may open (`chain_audits × segment`): what
/// `answer_audit` is benchmarked up to.
pub const MAX_CHAIN_AUDIT_READS: u32 = 4 * ember_pocps::round::MAX_SEGMENT_STEPS;
/// Blocks after the first a full queue entry is tried in (audit rolls, deadlines, faults).
const QUEUE_SPILL: u32 = 4;

#[allow(clippy::expect_used)]
#[frame_support::pallet]
pub mod pallet {
	use super::*;

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The currency bonds, deposits and pay are in.
		type Currency: Mutate<Self::AccountId>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// Devices, their owners, keys, classes and status.
		type Devices: DeviceInspect<Self::AccountId>;

		/// Seals, and where failed rounds become faults (the PoCPS pallet).
		type Pocps: ResidencyFaults<Self::AccountId>;

		/// Which devices serve a lease (the compute pools).
		type Leases: LeaseStatus;

		/// The parent block's VRF output (BABE's in the runtime).
		type Randomness: Randomness<Option<Self::Hash>, BlockNumberFor<Self>>;

		/// Who sets a class's round parameters.
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The pot verdicts are paid from and slashes go to (an issuance recipient).
		#[pallet::constant]
		type PalletId: Get<PalletId>;

		/// The least a verifier bonds.
		#[pallet::constant]
		type MinBond: Get<BalanceOf<Self>>;

		/// Blocks per round.
		#[pallet::constant]
		type RoundPeriod: Get<BlockNumberFor<Self>>;

		/// Verifiers per committee (at most [`MAX_COMMITTEE`]).
		#[pallet::constant]
		type CommitteeSize: Get<u32>;

		/// Most verifiers at once.
		#[pallet::constant]
		type MaxVerifiers: Get<u32>;

		/// Most verdicts in one `post_verdicts`.
		#[pallet::constant]
		type MaxVerdicts: Get<u32>;

		/// Most passes rolled for an audit per block.
		#[pallet::constant]
		type MaxQueue: Get<u32>;

		/// Most audit deadlines, and most failed rounds' faults, per block: the heaviest hook
		/// work (a fault and its listeners, three slashes), bounded per block.
		#[pallet::constant]
		type MaxFaultsPerBlock: Get<u32>;

		/// The share of passes audited on chain until governance sets another
		/// ([`Pallet::set_audit_share`]).
		#[pallet::constant]
		type AuditShare: Get<Perbill>;

		/// Blocks a device has to answer an on-chain audit.
		#[pallet::constant]
		type AuditWindow: Get<BlockNumberFor<Self>>;

		/// Blocks between a failed round and its fault, in which a re-test may cancel it.
		#[pallet::constant]
		type RetestWindow: Get<BlockNumberFor<Self>>;

		/// Rounds between two re-tests of a device.
		#[pallet::constant]
		type RetestEvery: Get<u32>;

		/// What a re-test costs (to the pot, which pays its verdicts).
		#[pallet::constant]
		type RetestFee: Get<BalanceOf<Self>>;

		/// What one verdict earns.
		#[pallet::constant]
		type VerdictReward: Get<BalanceOf<Self>>;

		/// The share of its bond a verifier loses for each passer of a failed audit.
		#[pallet::constant]
		type AuditSlash: Get<Perbill>;

		/// The share of its bond a verifier loses for a forged result.
		#[pallet::constant]
		type ForgerySlash: Get<Perbill>;

		/// The share of its bond a verifier loses for a round it posted nothing in.
		#[pallet::constant]
		type MissedRoundSlash: Get<Perbill>;

		/// Blocks between leaving and withdrawing the bond: past every audit of its passes.
		#[pallet::constant]
		type UnbondingPeriod: Get<BlockNumberFor<Self>>;

		/// Longest endpoint URL.
		#[pallet::constant]
		type MaxEndpointLen: Get<u32>;

		/// The deposit for storing an endpoint.
		#[pallet::constant]
		type EndpointDeposit: Get<BalanceOf<Self>>;

		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;

		/// Creates active, sealed devices for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A verifier's bond.
		VerifierBond,
		/// The deposit for a device's endpoint.
		EndpointDeposit,
	}

	/// Bonded verifiers.
	#[pallet::storage]
	pub type Registered<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, VerifierInfoOf<T>>;

	/// The verifiers taking part (not leaving), sorted: the next round's snapshot.
	#[pallet::storage]
	pub type VerifierSet<T: Config> =
		StorageValue<_, BoundedVec<T::AccountId, T::MaxVerifiers>, ValueQuery>;

	/// The round now open.
	#[pallet::storage]
	pub type CurrentRound<T: Config> = StorageValue<_, RoundInfo<BlockNumberFor<T>>, ValueQuery>;

	/// The verifier set each open round drew its committees from (the current round's, and the
	/// previous one's until its missed-round check).
	#[pallet::storage]
	pub type RoundVerifiers<T: Config> =
		StorageMap<_, Twox64Concat, RoundIndex, BoundedVec<T::AccountId, T::MaxVerifiers>>;

	/// The verifiers that posted in a round.
	#[pallet::storage]
	pub type Posted<T: Config> =
		StorageDoubleMap<_, Twox64Concat, RoundIndex, Blake2_128Concat, T::AccountId, ()>;

	/// Each class's round parameters; a class without them has no rounds.
	#[pallet::storage]
	pub type RoundPolicy<T: Config> = StorageMap<_, Twox64Concat, ClassId, RoundParams>;

	/// The share of passes audited on chain.
	#[pallet::storage]
	pub type AuditShareNow<T: Config> = StorageValue<_, Perbill, ValueQuery, T::AuditShare>;

	/// Each device's round endpoint.
	#[pallet::storage]
	pub type Endpoints<T: Config> = StorageMap<_, Twox64Concat, DeviceId, EndpointOf<T>>;

	/// The verdicts on each device in each round (cleared two rounds later).
	#[pallet::storage]
	pub type Tallies<T: Config> =
		StorageDoubleMap<_, Twox64Concat, RoundIndex, Twox64Concat, DeviceId, TallyOf<T>>;

	/// Passes to roll for an on-chain audit, by the block that rolls them.
	#[pallet::storage]
	pub type AuditRolls<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<(RoundIndex, DeviceId), T::MaxQueue>,
		ValueQuery,
	>;

	/// Audits awaiting the device's answer.
	#[pallet::storage]
	pub type Audits<T: Config> =
		StorageDoubleMap<_, Twox64Concat, RoundIndex, Twox64Concat, DeviceId, AuditOf<T>>;

	/// Audits by the block their deadline passes in.
	#[pallet::storage]
	pub type AuditDeadlines<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<(RoundIndex, DeviceId), T::MaxFaultsPerBlock>,
		ValueQuery,
	>;

	/// Failed rounds by the block they become faults in (unless a re-test passes first).
	#[pallet::storage]
	pub type PendingFaults<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<(RoundIndex, DeviceId), T::MaxFaultsPerBlock>,
		ValueQuery,
	>;

	/// Re-tests under way.
	#[pallet::storage]
	pub type Retests<T: Config> = StorageMap<_, Twox64Concat, DeviceId, Retest<T::AccountId>>;

	/// The round each device last demanded a re-test in.
	#[pallet::storage]
	pub type LastRetest<T: Config> = StorageMap<_, Twox64Concat, DeviceId, RoundIndex>;

	/// A round whose tallies are still being cleared, a bounded number per block.
	#[pallet::storage]
	pub type Clearing<T: Config> =
		StorageValue<_, BoundedVec<RoundIndex, ConstU32<16>>, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A verifier bonded and joins from the next round.
		VerifierRegistered { who: T::AccountId, bond: BalanceOf<T> },
		/// A verifier left; its bond unlocks at `unbonds_at`.
		VerifierLeft { who: T::AccountId, unbonds_at: BlockNumberFor<T> },
		/// A verifier's bond was released.
		BondWithdrawn { who: T::AccountId, amount: BalanceOf<T> },
		/// A verifier lost part of its bond to the pot.
		VerifierSlashed { who: T::AccountId, amount: BalanceOf<T>, reason: SlashReason },
		/// A verifier's bond fell below the minimum: it leaves the set.
		VerifierExpelled { who: T::AccountId },
		/// A round opened.
		RoundStarted { round: RoundIndex, seed: [u8; 32], verifiers: u32 },
		/// The share of passes audited on chain was set.
		AuditShareSet { share: Perbill },
		/// A class's round parameters were set (or removed).
		RoundParamsSet { class: ClassId, params: Option<RoundParams> },
		/// A device's endpoint was set.
		EndpointSet { device: DeviceId },
		/// A device's endpoint was removed and its deposit returned.
		EndpointCleared { device: DeviceId },
		/// A verifier posted its verdicts of a round.
		VerdictsPosted { round: RoundIndex, verifier: T::AccountId, passes: u32, fails: u32 },
		/// A device passed a round.
		RoundPassed { round: RoundIndex, device: DeviceId },
		/// A device failed a round: a fault at `fault_at` unless a re-test passes first.
		RoundFailed { round: RoundIndex, device: DeviceId, fault_at: BlockNumberFor<T> },
		/// A pass is audited on chain: the device opens `record`'s result by `deadline`.
		AuditRequested {
			round: RoundIndex,
			device: DeviceId,
			verifier: T::AccountId,
			deadline: BlockNumberFor<T>,
		},
		/// An audit verified.
		AuditPassed { round: RoundIndex, device: DeviceId },
		/// An audit failed (not answered, or did not verify): the device is faulted and its
		/// passers slashed.
		AuditFailed { round: RoundIndex, device: DeviceId },
		/// A re-test was demanded and its committee drawn.
		RetestStarted { round: RoundIndex, device: DeviceId },
		/// A re-test passed: the failed round's fault is cancelled.
		FaultCancelled { round: RoundIndex, device: DeviceId },
		/// A failed round became a PoCPS fault.
		DeviceFaulted { round: RoundIndex, device: DeviceId },
	}

	/// Why a verifier was slashed.
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
	pub enum SlashReason {
		/// It passed a device that then failed its on-chain audit.
		PassedFailedAudit,
		/// It posted a result the device's key did not sign.
		ForgedResult,
		/// It posted nothing in a round it was drawn for.
		MissedRound,
	}

	#[pallet::error]
	pub enum Error<T> {
		/// Below `MinBond`.
		BondTooLow,
		/// Already a verifier (or still unbonding).
		AlreadyVerifier,
		/// Not a verifier.
		NotVerifier,
		/// The verifier set is full.
		TooManyVerifiers,
		/// Still in the set: leave first.
		StillVerifying,
		/// The unbonding period has not passed.
		StillUnbonding,
		/// No such device.
		UnknownDevice,
		/// The caller does not own the device.
		NotOwner,
		/// The endpoint URL is empty or does not start with `ws://`, `wss://`, `http://` or
		/// `https://`.
		BadEndpoint,
		/// The device has no endpoint.
		NoEndpoint,
		/// The endpoint's device still exists and the caller does not own it.
		EndpointInUse,
		/// The round parameters do not validate.
		InvalidRoundParams,
		/// Not the open round (or an open re-test).
		RoundClosed,
		/// The verifier is not in this round's snapshot.
		NotInRound,
		/// The verifier is not on the device's committee.
		NotOnCommittee,
		/// The verifier already gave a verdict on the device in this round.
		DuplicateVerdict,
		/// No audit of that device in that round is open.
		NoAudit,
		/// The audit answer opens a different number of segments than asked.
		WrongAuditSize,
		/// The device did not fail a round, or its fault already landed.
		NothingToRetest,
		/// The device had a re-test fewer than `RetestEvery` rounds ago.
		RetestTooSoon,
		/// Not enough verifiers for a fresh committee.
		NoCommittee,
		/// A queue of the block is full; try again next block.
		QueueFull,
	}

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Round parameters per class.
		pub round_params: Vec<(ClassId, RoundParams)>,
		#[serde(skip)]
		pub _marker: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			for (class, params) in &self.round_params {
				RoundPolicy::<T>::insert(class, params);
			}
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let mut weight = Weight::zero();
			let period = T::RoundPeriod::get();
			let (block, every): (u64, u64) = (now.saturated_into(), period.saturated_into());
			if block != 0 && block.checked_rem(every) == Some(0) {
				let verifiers = Self::start_round(now);
				weight.saturating_accrue(T::WeightInfo::start_round(verifiers));
			}
			let rolled = Self::roll_audits(now);
			weight.saturating_accrue(T::WeightInfo::roll_audits(rolled));
			let expired = Self::sweep_audits(now);
			weight.saturating_accrue(T::WeightInfo::sweep_audits(expired));
			let faulted = Self::sweep_faults(now);
			weight.saturating_accrue(T::WeightInfo::sweep_faults(faulted));
			let cleared = Self::clear_tallies();
			weight.saturating_accrue(T::WeightInfo::clear_tallies(cleared));
			weight
		}

		fn integrity_test() {
			assert!(
				T::CommitteeSize::get() >= 1 && T::CommitteeSize::get() <= MAX_COMMITTEE,
				"CommitteeSize must be 1..=MAX_COMMITTEE"
			);
			assert!(!T::RoundPeriod::get().is_zero(), "RoundPeriod must be positive");
			assert!(
				T::RetestWindow::get() < T::RoundPeriod::get(),
				"a failed round's fault must land before its tallies are cleared"
			);
			assert!(
				BlockNumberFor::<T>::from(AUDIT_ROLL_DELAY.saturating_add(QUEUE_SPILL))
					< T::RoundPeriod::get(),
				"audit rolls must come before a round's tallies are cleared"
			);
			assert!(
				T::UnbondingPeriod::get()
					>= T::RoundPeriod::get()
						.saturating_mul(2u32.into())
						.saturating_add(T::AuditWindow::get()),
				"a leaving verifier must stay slashable for the audits of its last passes"
			);
			assert!(T::MaxVerdicts::get() >= 1 && T::MaxQueue::get() >= 1);
			assert!(T::MaxFaultsPerBlock::get() >= 1);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Bonds `bond` (at least `MinBond`) and joins the verifier set from the next round.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_verifier())]
		pub fn register_verifier(origin: OriginFor<T>, bond: BalanceOf<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(bond >= T::MinBond::get(), Error::<T>::BondTooLow);
			ensure!(!Registered::<T>::contains_key(&who), Error::<T>::AlreadyVerifier);
			let mut set = VerifierSet::<T>::get();
			let at = set.binary_search(&who).err().ok_or(Error::<T>::AlreadyVerifier)?;
			set.try_insert(at, who.clone()).map_err(|_| Error::<T>::TooManyVerifiers)?;
			T::Currency::hold(&HoldReason::VerifierBond.into(), &who, bond)?;
			VerifierSet::<T>::put(set);
			Registered::<T>::insert(&who, VerifierInfo { bond, unbonds_at: None });
			Self::deposit_event(Event::VerifierRegistered { who, bond });
			Ok(())
		}

		/// Leaves the verifier set; the bond stays slashable until `UnbondingPeriod` has
		/// passed (audits of its last passes), then [`Self::withdraw_bond`] releases it.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::unregister_verifier())]
		pub fn unregister_verifier(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut info = Registered::<T>::get(&who).ok_or(Error::<T>::NotVerifier)?;
			ensure!(info.unbonds_at.is_none(), Error::<T>::NotVerifier);
			let unbonds_at =
				frame_system::Pallet::<T>::block_number().saturating_add(T::UnbondingPeriod::get());
			info.unbonds_at = Some(unbonds_at);
			Registered::<T>::insert(&who, info);
			VerifierSet::<T>::mutate(|set| set.retain(|v| v != &who));
			Self::deposit_event(Event::VerifierLeft { who, unbonds_at });
			Ok(())
		}

		/// Releases a departed verifier's bond after its unbonding period.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::withdraw_bond())]
		pub fn withdraw_bond(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let info = Registered::<T>::get(&who).ok_or(Error::<T>::NotVerifier)?;
			let unbonds_at = info.unbonds_at.ok_or(Error::<T>::StillVerifying)?;
			ensure!(
				frame_system::Pallet::<T>::block_number() >= unbonds_at,
				Error::<T>::StillUnbonding
			);
			let amount = T::Currency::release_all(
				&HoldReason::VerifierBond.into(),
				&who,
				Precision::BestEffort,
			)?;
			Registered::<T>::remove(&who);
			Self::deposit_event(Event::BondWithdrawn { who, amount });
			Ok(())
		}

		/// Sets the URL verifiers reach `device`'s miner at (its owner only), holding
		/// `EndpointDeposit` the first time. The miner's answers are signed with the device key
		/// the registry holds, which is what binds the endpoint to the device.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::set_endpoint())]
		pub fn set_endpoint(
			origin: OriginFor<T>,
			device: DeviceId,
			url: BoundedVec<u8, T::MaxEndpointLen>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let owner = T::Devices::owner(device).ok_or(Error::<T>::UnknownDevice)?;
			ensure!(owner == who, Error::<T>::NotOwner);
			let schemes: [&[u8]; 4] = [b"ws://", b"wss://", b"http://", b"https://"];
			ensure!(
				schemes.iter().any(|s| url.starts_with(s) && url.len() > s.len()),
				Error::<T>::BadEndpoint
			);
			let endpoint = match Endpoints::<T>::take(device) {
				Some(old) if old.depositor == who => Endpoint { url, ..old },
				old => {
					if let Some(old) = old {
						Self::release_endpoint_deposit(&old);
					}
					let deposit = T::EndpointDeposit::get();
					T::Currency::hold(&HoldReason::EndpointDeposit.into(), &who, deposit)?;
					Endpoint { url, depositor: who, deposit }
				}
			};
			Endpoints::<T>::insert(device, endpoint);
			Self::deposit_event(Event::EndpointSet { device });
			Ok(())
		}

		/// Removes `device`'s endpoint and returns the deposit: by its owner, or by anyone once
		/// the device is retired or gone (so storage does not outlive its device).
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::clear_endpoint())]
		pub fn clear_endpoint(origin: OriginFor<T>, device: DeviceId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let endpoint = Endpoints::<T>::get(device).ok_or(Error::<T>::NoEndpoint)?;
			// While the device is `Active` it is tested, and removing its endpoint mid-round
			// would let it dodge a round it is failing: only a device that is not tested (being
			// re-sealed, suspended) may drop it, by its owner, and a retired or gone one by anyone.
			let status = T::Devices::status(device);
			let gone = matches!(status, None | Some(DeviceStatus::Retired));
			let owner = T::Devices::owner(device) == Some(who);
			ensure!(
				gone || (owner && status != Some(DeviceStatus::Active)),
				Error::<T>::EndpointInUse
			);
			Endpoints::<T>::remove(device);
			Self::release_endpoint_deposit(&endpoint);
			Self::deposit_event(Event::EndpointCleared { device });
			Ok(())
		}

		/// Posts the caller's verdicts of `round` (the open round, or an open re-test): each
		/// device must be eligible and the caller on its committee, once. A `Pass` carries the
		/// nonce, the result and the device's signature; they are checked only if the pass is
		/// audited (a forged one is then slashed). Each verdict earns `VerdictReward`. Any bad
		/// entry refuses the whole call.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::post_verdicts(verdicts.len() as u32))]
		pub fn post_verdicts(
			origin: OriginFor<T>,
			round: RoundIndex,
			verdicts: VerdictsOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let now = frame_system::Pallet::<T>::block_number();
			let current = CurrentRound::<T>::get();
			let retest = round & RETEST != 0;
			// Read once per call, not per verdict: the snapshot is up to `MaxVerifiers` ids.
			let snapshot = if retest {
				Default::default()
			} else {
				ensure!(round == current.index && round != 0, Error::<T>::RoundClosed);
				let snapshot = RoundVerifiers::<T>::get(round).unwrap_or_default();
				ensure!(snapshot.binary_search(&who).is_ok(), Error::<T>::NotInRound);
				snapshot
			};
			let (mut passes, mut fails) = (0u32, 0u32);
			let (mut passed, mut failed) = (Vec::new(), Vec::new());
			for (device, verdict) in verdicts.iter() {
				// A device that stopped being tested since the verifier ran its round (re-sealed,
				// leased, retired) is skipped, not a reason to refuse the verifier's other verdicts.
				let Some((dataset, params)) = Self::eligible(*device) else { continue };
				let (committee, seed) = if retest {
					let open = Retests::<T>::get(device)
						.filter(|r| r.round | RETEST == round)
						.ok_or(Error::<T>::RoundClosed)?;
					(open.committee.into_inner(), open.seed)
				} else {
					let owner = T::Devices::owner(*device).ok_or(Error::<T>::UnknownDevice)?;
					(Self::draw(&current.seed, *device, &snapshot, &[owner]), current.seed)
				};
				ensure!(committee.contains(&who), Error::<T>::NotOnCommittee);
				let mut tally = Tallies::<T>::get(round, device).unwrap_or_else(|| Tally {
					seed,
					dataset,
					round: params,
					committee: committee.len() as u32,
					passes: Default::default(),
					fails: Default::default(),
					decided: None,
				});
				let voted =
					tally.fails.contains(&who) || tally.passes.iter().any(|p| p.verifier == who);
				ensure!(!voted, Error::<T>::DuplicateVerdict);
				match verdict {
					Verdict::Pass { nonce, result, signature } => {
						passes = passes.saturating_add(1);
						let record = PassRecord {
							verifier: who.clone(),
							nonce: *nonce,
							result: *result,
							signature: *signature,
						};
						tally.passes.try_push(record).map_err(|_| Error::<T>::DuplicateVerdict)?;
					}
					Verdict::Fail(_) => {
						fails = fails.saturating_add(1);
						tally
							.fails
							.try_push(who.clone())
							.map_err(|_| Error::<T>::DuplicateVerdict)?;
					}
				}
				if tally.decided.is_none() {
					let majority = tally.committee.saturating_div(2).saturating_add(1);
					if tally.passes.len() as u32 >= majority {
						tally.decided = Some(Decision::Passed);
						passed.push(*device);
					} else if tally.fails.len() as u32 >= majority {
						tally.decided = Some(Decision::Failed);
						failed.push(*device);
					}
				}
				Tallies::<T>::insert(round, device, tally);
			}
			// Each queue is read and written once per call, whatever the number of decisions.
			Self::on_passed(round, &passed, now)?;
			Self::on_failed(round, &failed, now)?;
			if !retest {
				Posted::<T>::insert(round, &who, ());
			}
			Self::pay(&who, passes.saturating_add(fails));
			Self::deposit_event(Event::VerdictsPosted { round, verifier: who, passes, fails });
			Ok(())
		}

		/// Answers the on-chain audit of `device`'s pass in `round`: the segments the audit's
		/// selector and `R` name, opened against the dataset the round read. Only the device's
		/// owner may answer (anyone else could fault it, and slash its verifiers, with a bad
		/// opening). A valid opening closes the audit; an invalid one faults the device and
		/// slashes its passers at once.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::answer_audit(opening_reads(opening).min(MAX_CHAIN_AUDIT_READS))
			.saturating_add(T::WeightInfo::sweep_audits(1)))]
		pub fn answer_audit(
			origin: OriginFor<T>,
			round: RoundIndex,
			device: DeviceId,
			opening: RoundOpening,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(T::Devices::owner(device) == Some(who), Error::<T>::NotOwner);
			let audit = Audits::<T>::get(round, device).ok_or(Error::<T>::NoAudit)?;
			let asked = audit_segments::<HostSha256>(
				&audit.round,
				&Self::audit_selector(&audit),
				audit.round.chain_audits,
			);
			ensure!(opening.segments.len() == asked.len(), Error::<T>::WrongAuditSize);
			Audits::<T>::remove(round, device);
			if !Self::signed_by_device(device, &audit) {
				Self::slash(
					&audit.record.verifier,
					T::ForgerySlash::get(),
					SlashReason::ForgedResult,
				);
				return Ok(());
			}
			let challenge = Self::audit_challenge(device, &audit);
			let verified = verify_round::<HostSha256>(
				&audit.dataset.params,
				&audit.round,
				&audit.dataset.root,
				&challenge,
				&audit.record.result,
				&asked,
				&opening,
			);
			match verified {
				Ok(()) => Self::deposit_event(Event::AuditPassed { round, device }),
				Err(_) => Self::fail_audit(round, device, &audit, ChallengeOutcome::InvalidProof),
			}
			Ok(())
		}

		/// Demands a re-test of `device`'s failed round (its owner, before the fault lands,
		/// once per `RetestEvery` rounds, paying `RetestFee` to the pot): a fresh committee,
		/// without the verifiers that failed it, tests it at once; if it passes, the fault is
		/// cancelled.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::demand_retest())]
		pub fn demand_retest(origin: OriginFor<T>, device: DeviceId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let owner = T::Devices::owner(device).ok_or(Error::<T>::UnknownDevice)?;
			ensure!(owner == who, Error::<T>::NotOwner);
			let current = CurrentRound::<T>::get();
			// `Failed`, not `Faulted`: the fault has not landed yet.
			let failed = [current.index, current.index.saturating_sub(1)].into_iter().find(|r| {
				Tallies::<T>::get(r, device).is_some_and(|t| t.decided == Some(Decision::Failed))
			});
			let round = failed.ok_or(Error::<T>::NothingToRetest)?;
			ensure!(!Retests::<T>::contains_key(device), Error::<T>::NothingToRetest);
			if let Some(last) = LastRetest::<T>::get(device) {
				ensure!(
					round.saturating_sub(last) >= T::RetestEvery::get(),
					Error::<T>::RetestTooSoon
				);
			}
			let tally = Tallies::<T>::get(round, device).ok_or(Error::<T>::NothingToRetest)?;
			// Fixed by the failed round alone: the owner cannot grind the committee by choosing
			// the block it asks in.
			let seed =
				sp_io::hashing::blake2_256(&(b"EMBRETST", tally.seed, round, device).encode());
			let snapshot = RoundVerifiers::<T>::get(current.index).unwrap_or_default();
			let mut excluded = tally.fails.into_inner();
			excluded.push(owner.clone());
			let committee = Self::draw(&seed, device, &snapshot, &excluded);
			ensure!(!committee.is_empty(), Error::<T>::NoCommittee);
			T::Currency::transfer(&who, &Self::pot(), T::RetestFee::get(), Preservation::Preserve)?;
			let committee: Members<T::AccountId> =
				committee.try_into().map_err(|_| Error::<T>::NoCommittee)?;
			Retests::<T>::insert(device, Retest { round, seed, committee });
			LastRetest::<T>::insert(device, round);
			Self::deposit_event(Event::RetestStarted { round: round | RETEST, device });
			Ok(())
		}

		/// Sets (or with `None` removes) `class`'s round parameters.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::set_round_params())]
		pub fn set_round_params(
			origin: OriginFor<T>,
			class: ClassId,
			params: Option<RoundParams>,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			match params {
				Some(p) => {
					// The dataset-dependent limit (at least two blocks) is checked per device,
					// against its seal, when it is tested.
					p.validate_shape().map_err(|_| Error::<T>::InvalidRoundParams)?;
					// An answer must fit a block: its reads bound `answer_audit`'s weight.
					ensure!(
						p.chain_audits.saturating_mul(p.segment) <= MAX_CHAIN_AUDIT_READS,
						Error::<T>::InvalidRoundParams
					);
					RoundPolicy::<T>::insert(class, p);
				}
				None => RoundPolicy::<T>::remove(class),
			}
			Self::deposit_event(Event::RoundParamsSet { class, params });
			Ok(())
		}

		/// Sets the share of passes audited on chain (a network raises it when it suspects
		/// verifiers; tests set 100 %).
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::set_audit_share())]
		pub fn set_audit_share(origin: OriginFor<T>, share: Perbill) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			AuditShareNow::<T>::put(share);
			Self::deposit_event(Event::AuditShareSet { share });
			Ok(())
		}
	}
}

/// The dataset reads an audit answer makes the verifier check: what its weight grows with. A
/// longer answer is refused before any of it is verified (every segment must have exactly
/// `segment` reads and there are at most `chain_audits` of them), so the work is at most
/// [`MAX_CHAIN_AUDIT_READS`].
pub fn opening_reads(opening: &RoundOpening) -> u32 {
	opening.segments.iter().map(|s| s.blocks.len() as u32).fold(0u32, |a, b| a.saturating_add(b))
}

/// A verifier's identity in a [`RoundChallenge`]: BLAKE2-256 of its SCALE-encoded account id.
pub fn verifier_id<AccountId: Encode>(who: &AccountId) -> [u8; 32] {
	sp_io::hashing::blake2_256(&who.encode())
}

/// A 32-byte digest's first eight bytes as a number.
fn word(digest: &[u8; 32]) -> u64 {
	let mut bytes = [0u8; 8];
	bytes.copy_from_slice(digest.get(..8).unwrap_or(&[0u8; 8]));
	u64::from_le_bytes(bytes)
}

impl<T: Config> Pallet<T> {
	/// The pot: pays verdicts, receives fees and slashes.
	pub fn pot() -> T::AccountId {
		T::PalletId::get().into_account_truncating()
	}

	/// Whether `device` is tested in rounds now; its dataset and round parameters if so.
	pub fn eligible(device: DeviceId) -> Option<(ember_primitives::SealedDataset, RoundParams)> {
		if T::Devices::status(device) != Some(DeviceStatus::Active)
			|| !Endpoints::<T>::contains_key(device)
			|| T::Leases::is_leased(device)
		{
			return None;
		}
		let dataset = T::Pocps::sealed(device)?;
		let params = RoundPolicy::<T>::get(dataset.class)?;
		params.validate(&dataset.params).is_ok().then_some((dataset, params))
	}

	/// `device`'s committee in `round` (not a re-test), drawn from the round's snapshot by its
	/// seed, without its owner.
	pub fn committee(
		round: RoundIndex,
		seed: &[u8; 32],
		device: DeviceId,
		owner: &T::AccountId,
		excluded: &[T::AccountId],
	) -> Vec<T::AccountId> {
		let snapshot = RoundVerifiers::<T>::get(round).unwrap_or_default();
		let mut excluded = excluded.to_vec();
		excluded.push(owner.clone());
		Self::draw(seed, device, &snapshot, &excluded)
	}

	/// Draws up to `CommitteeSize` distinct members of `set`, none in `excluded`, from `seed`
	/// and `device`: a uniformly random subset (rejection of repeats, bounded draws).
	fn draw(
		seed: &[u8; 32],
		device: DeviceId,
		set: &[T::AccountId],
		excluded: &[T::AccountId],
	) -> Vec<T::AccountId> {
		let available = set.iter().filter(|v| !excluded.contains(v)).count();
		let size = (T::CommitteeSize::get() as usize).min(available);
		let mut members: Vec<T::AccountId> = Vec::with_capacity(size);
		let len = set.len() as u64;
		let mut draw = 0u32;
		while members.len() < size && draw < MAX_COMMITTEE.saturating_mul(16) {
			let digest = sp_io::hashing::blake2_256(&(b"EMBCOMMT", seed, device, draw).encode());
			draw = draw.saturating_add(1);
			let index = word(&digest).checked_rem(len).unwrap_or(0) as usize;
			if let Some(candidate) = set.get(index) {
				if !excluded.contains(candidate) && !members.contains(candidate) {
					members.push(candidate.clone());
				}
			}
		}
		// A set where most members are excluded could exhaust the draws: fill in order.
		for candidate in set {
			if members.len() >= size {
				break;
			}
			if !excluded.contains(candidate) && !members.contains(candidate) {
				members.push(candidate.clone());
			}
		}
		members
	}

	/// What a verifier must test now: every eligible device whose committee it is on in the
	/// open round, and every open re-test it was drawn for (the runtime API; off chain only).
	pub fn assignments(
		verifier: &T::AccountId,
		devices: impl Iterator<Item = DeviceId>,
	) -> Vec<Assignment> {
		let current = CurrentRound::<T>::get();
		let mut out = Vec::new();
		let mut push = |round: RoundIndex, seed: [u8; 32], device: DeviceId| {
			let Some((dataset, params)) = Self::eligible(device) else { return };
			let (Some(device_key), Some(endpoint)) =
				(T::Devices::device_key(device), Endpoints::<T>::get(device))
			else {
				return;
			};
			let voted = Tallies::<T>::get(round, device).is_some_and(|t| {
				t.fails.contains(verifier) || t.passes.iter().any(|p| &p.verifier == verifier)
			});
			if !voted {
				out.push(Assignment {
					round,
					seed,
					device,
					device_key,
					endpoint: endpoint.url.into_inner(),
					dataset,
					params,
				});
			}
		};
		if current.index != 0 {
			for device in devices {
				let Some(owner) = T::Devices::owner(device) else { continue };
				if Self::committee(current.index, &current.seed, device, &owner, &[])
					.contains(verifier)
				{
					push(current.index, current.seed, device);
				}
			}
		}
		for (device, retest) in Retests::<T>::iter() {
			if retest.committee.contains(verifier) {
				push(retest.round | RETEST, retest.seed, device);
			}
		}
		out
	}

	/// The rounds `device` may be challenged in now, with their committees (the runtime API).
	pub fn device_rounds(device: DeviceId) -> Vec<OpenRound<T::AccountId>> {
		let mut rounds = Vec::new();
		let Some((_, params)) = Self::eligible(device) else { return rounds };
		let current = CurrentRound::<T>::get();
		if let (true, Some(owner)) = (current.index != 0, T::Devices::owner(device)) {
			let committee = Self::committee(current.index, &current.seed, device, &owner, &[]);
			rounds.push(OpenRound { round: current.index, seed: current.seed, params, committee });
		}
		if let Some(retest) = Retests::<T>::get(device) {
			rounds.push(OpenRound {
				round: retest.round | RETEST,
				seed: retest.seed,
				params,
				committee: retest.committee.into_inner(),
			});
		}
		rounds
	}

	/// Opens the next round: its seed, its verifier snapshot; checks who missed the round
	/// before last closed (the previous round's verifiers had until now) and schedules the
	/// clearing of old tallies. Returns the verifiers looked at.
	fn start_round(now: BlockNumberFor<T>) -> u32 {
		let previous = CurrentRound::<T>::get();
		let (vrf, _) = T::Randomness::random(b"EMBROUND");
		let seed = sp_io::hashing::blake2_256(&(b"EMBROUND", previous.seed, vrf, now).encode());
		let index = previous.index.saturating_add(1);
		let set = VerifierSet::<T>::get();
		let count = set.len() as u32;
		RoundVerifiers::<T>::insert(index, set);
		CurrentRound::<T>::put(RoundInfo { index, seed, started: now });
		let mut looked = count;
		if previous.index != 0 {
			let snapshot = RoundVerifiers::<T>::take(previous.index).unwrap_or_default();
			looked = looked.saturating_add(snapshot.len() as u32);
			for verifier in snapshot {
				if !Posted::<T>::contains_key(previous.index, &verifier) {
					Self::slash(&verifier, T::MissedRoundSlash::get(), SlashReason::MissedRound);
				}
			}
			let _ = Posted::<T>::clear_prefix(previous.index, T::MaxVerifiers::get(), None);
		}
		// The round before the previous one is past its audits and faults.
		if index > 2 {
			let old = index.saturating_sub(2);
			Clearing::<T>::mutate(|c| {
				let _ = c.try_push(old);
				let _ = c.try_push(old | RETEST);
			});
		}
		Self::deposit_event(Event::RoundStarted { round: index, seed, verifiers: count });
		looked
	}

	/// Passes that reached a majority are queued for their audit roll; a re-test's pass
	/// cancels its round's fault instead (re-tests settle timing; the data question of the
	/// failed round was not what failed it).
	fn on_passed(
		round: RoundIndex,
		devices: &[DeviceId],
		now: BlockNumberFor<T>,
	) -> DispatchResult {
		for device in devices {
			Self::deposit_event(Event::RoundPassed { round, device: *device });
		}
		if round & RETEST != 0 {
			for device in devices {
				Retests::<T>::remove(device);
				Self::deposit_event(Event::FaultCancelled {
					round: round & !RETEST,
					device: *device,
				});
			}
			return Ok(());
		}
		let at = now.saturating_add(AUDIT_ROLL_DELAY.into());
		Self::enqueue::<AuditRolls<T>, T::MaxQueue>(at, devices.iter().map(|d| (round, *d)))
	}

	/// Fails that reached a majority land as faults after the re-test window. A failed
	/// re-test changes nothing: the original fault lands at its time.
	fn on_failed(
		round: RoundIndex,
		devices: &[DeviceId],
		now: BlockNumberFor<T>,
	) -> DispatchResult {
		if round & RETEST != 0 {
			for device in devices {
				Retests::<T>::remove(device);
			}
			return Ok(());
		}
		let fault_at = now.saturating_add(T::RetestWindow::get());
		Self::enqueue::<PendingFaults<T>, T::MaxFaultsPerBlock>(
			fault_at,
			devices.iter().map(|d| (round, *d)),
		)?;
		for device in devices {
			Self::deposit_event(Event::RoundFailed { round, device: *device, fault_at });
		}
		Ok(())
	}

	/// Appends `entries` to the queue of block `at`, spilling into the next [`QUEUE_SPILL`]
	/// blocks' queues when one is full. Each queue is read and written once.
	fn enqueue<Q, S: Get<u32>>(
		at: BlockNumberFor<T>,
		entries: impl Iterator<Item = (RoundIndex, DeviceId)>,
	) -> DispatchResult
	where
		Q: frame_support::storage::StorageMap<
			BlockNumberFor<T>,
			BoundedVec<(RoundIndex, DeviceId), S>,
			Query = BoundedVec<(RoundIndex, DeviceId), S>,
		>,
	{
		let mut entries = entries.peekable();
		for spill in 0..=QUEUE_SPILL {
			if entries.peek().is_none() {
				return Ok(());
			}
			let block = at.saturating_add(spill.into());
			let mut queue = Q::get(block);
			while queue.len() < S::get() as usize {
				let Some(entry) = entries.next() else { break };
				if queue.try_push(entry).is_err() {
					break;
				}
			}
			Q::insert(block, queue);
		}
		match entries.peek() {
			None => Ok(()),
			Some(_) => Err(Error::<T>::QueueFull.into()),
		}
	}

	/// Rolls this block's queued passes: each is audited with probability `AuditShare`, by the
	/// parent's VRF output. Returns the passes rolled.
	fn roll_audits(now: BlockNumberFor<T>) -> u32 {
		let queue = AuditRolls::<T>::take(now);
		if queue.is_empty() {
			return 0;
		}
		let (vrf, _) = T::Randomness::random(b"EMBAUDIT");
		let share = AuditShareNow::<T>::get();
		let rolled = queue.len() as u32;
		for (round, device) in queue {
			let roll = sp_io::hashing::blake2_256(&(b"EMBAUROL", vrf, round, device).encode());
			if u64::from(share.deconstruct()) <= word(&roll).checked_rem(1_000_000_000).unwrap_or(0)
			{
				continue;
			}
			let Some(tally) = Tallies::<T>::get(round, device) else { continue };
			let passers: Vec<T::AccountId> =
				tally.passes.iter().map(|p| p.verifier.clone()).collect();
			let pick = sp_io::hashing::blake2_256(&(b"EMBAUPIK", vrf, round, device).encode());
			let count = tally.passes.len() as u64;
			let index = word(&pick).checked_rem(count).unwrap_or(0) as usize;
			let Some(record) = tally.passes.get(index).cloned() else { continue };
			let seed = tally.seed;
			let deadline = now.saturating_add(T::AuditWindow::get());
			let selector = sp_io::hashing::blake2_256(&(b"EMBAUSEL", vrf, round, device).encode());
			let verifier = record.verifier.clone();
			let audit = Audit {
				seed,
				record,
				passers: BoundedVec::truncate_from(passers),
				dataset: tally.dataset,
				round: tally.round,
				selector,
				deadline,
			};
			if Self::enqueue::<AuditDeadlines<T>, T::MaxFaultsPerBlock>(
				deadline,
				core::iter::once((round, device)),
			)
			.is_err()
			{
				continue;
			}
			Audits::<T>::insert(round, device, audit);
			Self::deposit_event(Event::AuditRequested { round, device, verifier, deadline });
		}
		rolled
	}

	/// Faults every device whose audit deadline is now and that did not answer. Returns the
	/// audits looked at.
	fn sweep_audits(now: BlockNumberFor<T>) -> u32 {
		let queue = AuditDeadlines::<T>::take(now);
		let count = queue.len() as u32;
		for (round, device) in queue {
			let Some(audit) = Audits::<T>::take(round, device) else { continue };
			if Self::signed_by_device(device, &audit) {
				Self::fail_audit(round, device, &audit, ChallengeOutcome::Fault);
			} else {
				Self::slash(
					&audit.record.verifier,
					T::ForgerySlash::get(),
					SlashReason::ForgedResult,
				);
			}
		}
		count
	}

	/// Lands the faults of failed rounds whose re-test window ends now, unless a re-test
	/// passed. Returns the entries looked at.
	fn sweep_faults(now: BlockNumberFor<T>) -> u32 {
		let queue = PendingFaults::<T>::take(now);
		let count = queue.len() as u32;
		for (round, device) in queue {
			let retest = Tallies::<T>::get(round | RETEST, device);
			if retest.is_some_and(|t| t.decided == Some(Decision::Passed)) {
				continue;
			}
			if Retests::<T>::get(device).is_some_and(|r| r.round == round) {
				Retests::<T>::remove(device);
			}
			Tallies::<T>::mutate(round, device, |tally| {
				if let Some(tally) = tally {
					tally.decided = Some(Decision::Faulted);
				}
			});
			if T::Pocps::round_fault(device, ChallengeOutcome::Fault).is_ok() {
				Self::deposit_event(Event::DeviceFaulted { round, device });
			}
		}
		count
	}

	/// Clears up to a block's share of old rounds' tallies. Returns the entries removed.
	fn clear_tallies() -> u32 {
		let mut clearing = Clearing::<T>::get();
		let Some(round) = clearing.first().copied() else { return 0 };
		let result = Tallies::<T>::clear_prefix(round, T::MaxVerdicts::get(), None);
		if result.maybe_cursor.is_none() {
			clearing.remove(0);
			Clearing::<T>::put(clearing);
		}
		result.unique
	}

	fn fail_audit(
		round: RoundIndex,
		device: DeviceId,
		audit: &AuditOf<T>,
		outcome: ChallengeOutcome,
	) {
		let _ = T::Pocps::round_fault(device, outcome);
		for passer in audit.passers.iter() {
			Self::slash(passer, T::AuditSlash::get(), SlashReason::PassedFailedAudit);
		}
		Self::deposit_event(Event::AuditFailed { round, device });
	}

	/// Whether the audited result carries the device key's signature.
	fn signed_by_device(device: DeviceId, audit: &AuditOf<T>) -> bool {
		let Some(key) = T::Devices::device_key(device) else { return false };
		let challenge = Self::audit_challenge(device, audit);
		let message = round_message(&challenge, &audit.record.result);
		sp_io::crypto::sr25519_verify(
			&sp_core::sr25519::Signature::from_raw(audit.record.signature),
			&message,
			&sp_core::sr25519::Public::from_raw(key),
		)
	}

	/// The challenge the audited pass answered.
	pub fn audit_challenge(device: DeviceId, audit: &AuditOf<T>) -> RoundChallenge {
		RoundChallenge {
			device,
			seed: audit.seed,
			verifier: verifier_id(&audit.record.verifier),
			nonce: audit.record.nonce,
		}
	}

	/// The segments an on-chain audit asks for: its selector with the audited result.
	pub fn audit_selector(audit: &AuditOf<T>) -> [u8; 32] {
		sp_io::hashing::blake2_256(&(audit.selector, audit.record.result).encode())
	}

	/// The segments `device` must open for its audit in `round`, if one is open.
	pub fn audit_request(
		round: RoundIndex,
		device: DeviceId,
	) -> Option<(AuditOf<T>, Vec<ember_pocps::round::SegmentId>)> {
		let audit = Audits::<T>::get(round, device)?;
		let asked = audit_segments::<HostSha256>(
			&audit.round,
			&Self::audit_selector(&audit),
			audit.round.chain_audits,
		);
		Some((audit, asked))
	}

	/// Moves `share` of `who`'s bond to the pot; expels it below `MinBond`.
	fn slash(who: &T::AccountId, share: Perbill, reason: SlashReason) {
		let Some(mut info) = Registered::<T>::get(who) else { return };
		let amount = share.mul_floor(info.bond);
		let moved = T::Currency::transfer_on_hold(
			&HoldReason::VerifierBond.into(),
			who,
			&Self::pot(),
			amount,
			Precision::BestEffort,
			Restriction::Free,
			Fortitude::Force,
		)
		.unwrap_or_default();
		info.bond = info.bond.saturating_sub(moved);
		if info.bond < T::MinBond::get() && info.unbonds_at.is_none() {
			let unbonds_at =
				frame_system::Pallet::<T>::block_number().saturating_add(T::UnbondingPeriod::get());
			info.unbonds_at = Some(unbonds_at);
			VerifierSet::<T>::mutate(|set| set.retain(|v| v != who));
			Self::deposit_event(Event::VerifierExpelled { who: who.clone() });
		}
		Registered::<T>::insert(who, info);
		Self::deposit_event(Event::VerifierSlashed { who: who.clone(), amount: moved, reason });
	}

	/// Pays `verdicts × VerdictReward` from the pot, or what it has above its existential
	/// deposit.
	fn pay(who: &T::AccountId, verdicts: u32) {
		let pot = Self::pot();
		let owed = T::VerdictReward::get().saturating_mul(verdicts.into());
		let available =
			T::Currency::reducible_balance(&pot, Preservation::Preserve, Fortitude::Polite);
		let amount = owed.min(available);
		if !amount.is_zero() {
			let _ = T::Currency::transfer(&pot, who, amount, Preservation::Preserve);
		}
	}

	fn release_endpoint_deposit(endpoint: &EndpointOf<T>) {
		let _ = T::Currency::release(
			&HoldReason::EndpointDeposit.into(),
			&endpoint.depositor,
			endpoint.deposit,
			Precision::BestEffort,
		);
	}

	/// Invariants: the set is sorted and every member a bonded, non-leaving verifier with at
	/// least `MinBond` held; every held bond is its record's; tallies never exceed their
	/// committee; every open audit is in a deadline queue.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let set = VerifierSet::<T>::get();
		ensure!(set.windows(2).all(|w| matches!(w, [a, b] if a < b)), "set not sorted");
		for who in set.iter() {
			let info = Registered::<T>::get(who).ok_or("set member without a record")?;
			ensure!(info.unbonds_at.is_none(), "leaving verifier in the set");
			ensure!(info.bond >= T::MinBond::get(), "set member below the minimum bond");
		}
		for (who, info) in Registered::<T>::iter() {
			let held = T::Currency::balance_on_hold(&HoldReason::VerifierBond.into(), &who);
			ensure!(held == info.bond, "verifier bond differs from its hold");
		}
		for (_, _, tally) in Tallies::<T>::iter() {
			ensure!(
				(tally.passes.len() as u32).saturating_add(tally.fails.len() as u32)
					<= tally.committee,
				"more verdicts than committee members"
			);
		}
		for (round, device, audit) in Audits::<T>::iter() {
			ensure!(
				AuditDeadlines::<T>::get(audit.deadline).contains(&(round, device)),
				"open audit without its deadline"
			);
		}
		Ok(())
	}
}

/// A device with a pass not yet rolled or audited, an open audit, or a failed round whose fault
/// has not landed, may not retire: retiring would dodge the fault (and leave its verifiers
/// slashed for nothing). So a device retires at most two rounds after its last verdict.
impl<T: Config> ember_primitives::ChallengeInspect for Pallet<T> {
	fn has_open_challenge(device: DeviceId) -> bool {
		let current = CurrentRound::<T>::get().index;
		[current, current.saturating_sub(1)].into_iter().any(|round| {
			Audits::<T>::contains_key(round, device)
				|| Tallies::<T>::get(round, device).is_some_and(|t| {
					matches!(t.decided, Some(Decision::Failed) | Some(Decision::Passed))
				})
		})
	}
}

/// Creates what the benchmarks need.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// A new `Active` device owned by `owner` whose device key is `device_key`, sealed as
	/// `root` under `params` in class `class`.
	fn active_device(
		owner: AccountId,
		class: ClassId,
		params: ember_pocps::Params,
		root: [u8; 32],
		device_key: [u8; 32],
	) -> DeviceId;
}
