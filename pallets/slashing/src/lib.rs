//! # Slashing
//!
//! Takes part of a device's bond for misbehaviour, after a dispute window (DePX §3.6, with its
//! two flaws fixed).
//!
//! - **Offences** ([`Offence`]) and the share of the bond each costs ([`offence_fraction`]):
//!   result mismatch 10 %, invalid signature 5 %, downtime 2 % per point below 95 % uptime,
//!   performance 8 %, byzantine 100 %.
//! - **Sources**: PoCPS tells this pallet of every challenge outcome. An invalid proof is a
//!   result mismatch; a missed challenge is downtime, multiplied by the number of challenges
//!   missed in a row (escalation), and after `MaxConsecutiveMisses` in a row the device is
//!   forced out of the registry. Anyone may [`Pallet::report`] other offences (e.g. a lease
//!   client with a wrong result) against a `ReportDeposit`.
//! - **Dispute window**: nothing is taken at once. A slash waits `DisputeWindow` blocks (24 hours
//!   in the runtime), during which `AdminOrigin` may [`Pallet::cancel`] it (a cancelled report's
//!   deposit is burned); then it applies in `on_initialize`.
//! - **One slash per incident**: an incident (a challenge, a lease) is slashed for its largest
//!   offence only. A larger report replaces a smaller pending one; after a slash applied, only
//!   the difference to a larger offence can still be taken.
//! - **Split**: the slashed amount is burned, paid to the reporter and to the treasury in the
//!   shares of [`SlashSplit`] (50 / 30 / 20 by default, the paper's). The reporter share is paid
//!   only for third-party reports (not to the device's owner, and never for what the chain saw
//!   itself) and only up to `reporter_cap` of the slash (2 % by default, at most
//!   `MaxReporterCap`); the rest of it is burned. A 30 % reporter share would let an offender
//!   report itself through a second account and lose 70 % instead of 100 %; with the cap,
//!   self-reporting saves at most `reporter_cap`.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

pub use pallet::*;
pub use weights::WeightInfo;

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use ember_primitives::{
	ChallengeHistory, ChallengeId, ChallengeOutcome, DeviceBond, DeviceId, DeviceInspect, Incident,
	Offence, OnChallengeOutcome, OnSlash,
};
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{Inspect, InspectHold, Mutate, MutateHold},
		tokens::{Fortitude, Precision, Preservation},
	},
	PalletId,
};
use frame_system::pallet_prelude::*;
use scale_info::TypeInfo;
use sp_runtime::{
	traits::{AccountIdConversion, Saturating, Zero},
	PerThing, Perbill,
};

/// Planck.
pub type Balance = u128;

/// Uptime below which downtime is slashed.
pub const UPTIME_TARGET: Perbill = Perbill::from_percent(95);

/// The share of the bond `offence` costs, before escalation.
pub fn offence_fraction(offence: Offence) -> Perbill {
	match offence {
		Offence::ResultMismatch => Perbill::from_percent(10),
		Offence::InvalidSignature => Perbill::from_percent(5),
		// 2 % per point below 95 %: twice the shortfall.
		Offence::Downtime { uptime } => Perbill::from_parts(
			UPTIME_TARGET.saturating_sub(uptime).deconstruct().saturating_mul(2),
		),
		Offence::Performance => Perbill::from_percent(8),
		Offence::Byzantine => Perbill::one(),
	}
}

/// How a slash is shared out.
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
pub struct SlashSplit {
	/// Burned.
	pub burn: Perbill,
	/// To a third-party reporter, up to `reporter_cap`; the rest of it is burned.
	pub reporter: Perbill,
	/// To the treasury.
	pub treasury: Perbill,
	/// The most of a slash a reporter is paid.
	pub reporter_cap: Perbill,
}

impl SlashSplit {
	/// What a reporter is paid of a slash.
	pub fn reporter_share(&self) -> Perbill {
		self.reporter.min(self.reporter_cap)
	}
}

impl Default for SlashSplit {
	fn default() -> Self {
		Self {
			burn: Perbill::from_percent(50),
			reporter: Perbill::from_percent(30),
			treasury: Perbill::from_percent(20),
			reporter_cap: Perbill::from_percent(2),
		}
	}
}

/// A slash waiting out its dispute window.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct PendingSlash<AccountId, BlockNumber> {
	/// What the device did.
	pub offence: Offence,
	/// The share of its bond to take (escalation included).
	pub fraction: Perbill,
	/// Who reported it and the deposit held from them; `None` when the chain saw it.
	pub reporter: Option<(AccountId, Balance)>,
	/// The block it applies in.
	pub apply_at: BlockNumber,
}

/// A pending slash of the runtime.
pub type PendingSlashOf<T> =
	PendingSlash<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;

// FRAME's macro expansions call `expect()` on values they construct.
#[allow(clippy::expect_used)]
#[frame_support::pallet]
pub mod pallet {
	use super::*;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The currency bonds and report deposits are in.
		type Currency: Mutate<Self::AccountId, Balance = Balance>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// The device registry.
		type Devices: DeviceInspect<Self::AccountId>;

		/// The device bonds slashes take from (the registry).
		type Bonds: DeviceBond<Self::AccountId>;

		/// PoCPS's record of each device's challenges (uptime).
		type History: ChallengeHistory;

		/// Told of each applied slash (reputation).
		type OnSlash: OnSlash;

		/// Who cancels pending slashes and sets the split.
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The account slashed funds pass through.
		#[pallet::constant]
		type PalletId: Get<PalletId>;

		/// Where the treasury share goes.
		type Treasury: Get<Self::AccountId>;

		/// Blocks a slash waits before it applies.
		#[pallet::constant]
		type DisputeWindow: Get<BlockNumberFor<Self>>;

		/// Most slashes that may fall due in one block (and so be reported in one block).
		#[pallet::constant]
		type MaxSlashesPerBlock: Get<u32>;

		/// Challenges missed in a row after which a device is forced out.
		#[pallet::constant]
		type MaxConsecutiveMisses: Get<u32>;

		/// Challenges a device must have had before its uptime counts (a newcomer's first miss
		/// would otherwise read as 0 % uptime).
		#[pallet::constant]
		type MinUptimeSamples: Get<u32>;

		/// The most governance may set `reporter_cap` to.
		#[pallet::constant]
		type MaxReporterCap: Get<Perbill>;

		/// Held from a reporter until its report applies (returned) or is cancelled (burned).
		#[pallet::constant]
		type ReportDeposit: Get<Balance>;

		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;

		/// Creates bonded devices for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A report's deposit, until it applies or is cancelled.
		ReportDeposit,
	}

	/// How slashes are shared out.
	#[pallet::storage]
	pub type Split<T: Config> = StorageValue<_, SlashSplit, ValueQuery>;

	/// Slashes in their dispute window, by device and incident.
	#[pallet::storage]
	pub type Pending<T: Config> =
		StorageDoubleMap<_, Twox64Concat, DeviceId, Twox64Concat, Incident, PendingSlashOf<T>>;

	/// The slashes falling due at each block.
	#[pallet::storage]
	pub type Due<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<(DeviceId, Incident), T::MaxSlashesPerBlock>,
		ValueQuery,
	>;

	/// The largest share applied for each slashed incident (no double slashing).
	#[pallet::storage]
	pub type Applied<T: Config> =
		StorageDoubleMap<_, Twox64Concat, DeviceId, Twox64Concat, Incident, Perbill>;

	/// Challenges each device has missed in a row.
	#[pallet::storage]
	pub type Misses<T: Config> = StorageMap<_, Twox64Concat, DeviceId, u32, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			// Slashed funds pass through the pallet account: it must exist to receive a slash
			// smaller than the existential deposit.
			let account = Pallet::<T>::account_id();
			if T::Currency::balance(&account).is_zero() {
				let _ = T::Currency::mint_into(&account, T::Currency::minimum_balance());
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A slash was scheduled; it applies at `apply_at` unless cancelled.
		SlashScheduled {
			device: DeviceId,
			incident: Incident,
			offence: Offence,
			fraction: Perbill,
			reporter: Option<T::AccountId>,
			apply_at: BlockNumberFor<T>,
		},
		/// A pending slash was cancelled; a reporter's deposit was burned.
		SlashCancelled { device: DeviceId, incident: Incident, deposit_burned: Balance },
		/// A slash applied: `amount` of the bond was taken and shared out.
		Slashed {
			device: DeviceId,
			incident: Incident,
			offence: Offence,
			amount: Balance,
			burned: Balance,
			to_reporter: Balance,
			to_treasury: Balance,
		},
		/// A slash could not apply (e.g. the device left meanwhile); nothing changed.
		SlashFailed { device: DeviceId, incident: Incident, error: DispatchError },
		/// An offence the chain saw could not be scheduled (the block's slots are full).
		OffenceNotScheduled { device: DeviceId, incident: Incident, error: DispatchError },
		/// A device missed `misses` challenges in a row and was forced out.
		ForcedOut { device: DeviceId, misses: u32 },
		/// The split changed.
		SplitChanged { split: SlashSplit },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The device is not registered.
		UnknownDevice,
		/// Downtime is measured by the chain, not reported.
		NotReportable,
		/// The incident already has an equal or larger pending or applied slash.
		AlreadySlashed,
		/// `MaxSlashesPerBlock` slashes already fall due at that block; try next block.
		TooManySlashes,
		/// No slash is pending for that device and incident.
		NotPending,
		/// The split's shares do not sum to 100 %, or the reporter cap is above
		/// `MaxReporterCap`.
		InvalidSplit,
		/// The device is still registered.
		StillRegistered,
		/// Nothing is recorded for that device and incident.
		NotApplied,
		/// The reporter cannot cover `ReportDeposit`.
		CannotCoverDeposit,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let due = Due::<T>::take(now);
			let count = due.len() as u32;
			for (device, incident) in due {
				Self::apply(device, incident);
			}
			T::WeightInfo::on_initialize(count)
		}

		fn integrity_test() {
			assert!(!T::DisputeWindow::get().is_zero(), "DisputeWindow must be positive");
			assert!(T::MaxSlashesPerBlock::get() > 0, "MaxSlashesPerBlock must be positive");
			assert!(T::MaxConsecutiveMisses::get() > 0, "MaxConsecutiveMisses must be positive");
			assert!(
				Self::check_split(&SlashSplit::default()).is_ok(),
				"the default split must be valid under MaxReporterCap"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Reports `offence` by `device` in `incident`, holding `ReportDeposit` from the caller
		/// until it applies (returned, with the reporter share if the caller does not own the
		/// device) or is cancelled (burned).
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::report())]
		pub fn report(
			origin: OriginFor<T>,
			device: DeviceId,
			offence: Offence,
			incident: Incident,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!matches!(offence, Offence::Downtime { .. }), Error::<T>::NotReportable);
			ensure!(T::Devices::owner(device).is_some(), Error::<T>::UnknownDevice);
			let deposit = T::ReportDeposit::get();
			ensure!(
				T::Currency::can_hold(&HoldReason::ReportDeposit.into(), &who, deposit),
				Error::<T>::CannotCoverDeposit
			);
			let fraction = offence_fraction(offence);
			Self::schedule(device, incident, offence, fraction, Some((who.clone(), deposit)))?;
			T::Currency::hold(&HoldReason::ReportDeposit.into(), &who, deposit)?;
			Ok(())
		}

		/// Cancels a pending slash (governance upholds a dispute). A reporter's deposit is
		/// burned.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::cancel())]
		pub fn cancel(
			origin: OriginFor<T>,
			device: DeviceId,
			incident: Incident,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			let pending = Pending::<T>::take(device, incident).ok_or(Error::<T>::NotPending)?;
			Self::unschedule(pending.apply_at, device, incident);
			let mut deposit_burned = 0;
			if let Some((reporter, deposit)) = pending.reporter {
				deposit_burned = T::Currency::burn_held(
					&HoldReason::ReportDeposit.into(),
					&reporter,
					deposit,
					Precision::BestEffort,
					Fortitude::Force,
				)?;
			}
			Self::deposit_event(Event::SlashCancelled { device, incident, deposit_burned });
			Ok(())
		}

		/// Sets how slashes are shared out.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::set_split())]
		pub fn set_split(origin: OriginFor<T>, split: SlashSplit) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::check_split(&split)?;
			Split::<T>::put(split);
			Self::deposit_event(Event::SplitChanged { split });
			Ok(())
		}

		/// Removes the record of an applied slash on a device that has left the registry.
		/// Anyone may call it.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::prune())]
		pub fn prune(origin: OriginFor<T>, device: DeviceId, incident: Incident) -> DispatchResult {
			ensure_signed(origin)?;
			ensure!(T::Devices::owner(device).is_none(), Error::<T>::StillRegistered);
			ensure!(Applied::<T>::contains_key(device, incident), Error::<T>::NotApplied);
			Applied::<T>::remove(device, incident);
			Misses::<T>::remove(device);
			Ok(())
		}
	}
}

/// Creates what the benchmarks need from other pallets.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// A new registered device owned by `owner` with `bond` held (`owner` is funded).
	fn bonded_device(owner: &AccountId, bond: Balance) -> DeviceId;
	/// Makes PoCPS's record of `device` show `answered` answers and `missed` misses.
	fn set_record(device: DeviceId, answered: u32, missed: u32);
}

impl<T: Config> Pallet<T> {
	/// The account slashed funds pass through.
	pub fn account_id() -> T::AccountId {
		T::PalletId::get().into_account_truncating()
	}

	fn check_split(split: &SlashSplit) -> DispatchResult {
		let total = split
			.burn
			.deconstruct()
			.checked_add(split.reporter.deconstruct())
			.and_then(|sum| sum.checked_add(split.treasury.deconstruct()));
		ensure!(total == Some(Perbill::one().deconstruct()), Error::<T>::InvalidSplit);
		ensure!(split.reporter_cap <= T::MaxReporterCap::get(), Error::<T>::InvalidSplit);
		Ok(())
	}

	/// Puts a slash of `fraction` for `offence` in `incident` in its dispute window, replacing
	/// a smaller pending one.
	fn schedule(
		device: DeviceId,
		incident: Incident,
		offence: Offence,
		fraction: Perbill,
		reporter: Option<(T::AccountId, Balance)>,
	) -> DispatchResult {
		let applied = Applied::<T>::get(device, incident).unwrap_or_default();
		ensure!(fraction > applied, Error::<T>::AlreadySlashed);
		let apply_at =
			frame_system::Pallet::<T>::block_number().saturating_add(T::DisputeWindow::get());
		if let Some(previous) = Pending::<T>::get(device, incident) {
			ensure!(fraction > previous.fraction, Error::<T>::AlreadySlashed);
			// The larger evidence gets a full window of its own.
			Self::unschedule(previous.apply_at, device, incident);
			if let Some((reporter, deposit)) = previous.reporter {
				T::Currency::release(
					&HoldReason::ReportDeposit.into(),
					&reporter,
					deposit,
					Precision::BestEffort,
				)?;
			}
		}
		Due::<T>::try_mutate(apply_at, |due| due.try_push((device, incident)))
			.map_err(|_| Error::<T>::TooManySlashes)?;
		let reporter_id = reporter.as_ref().map(|(who, _)| who.clone());
		Pending::<T>::insert(
			device,
			incident,
			PendingSlash { offence, fraction, reporter, apply_at },
		);
		Self::deposit_event(Event::SlashScheduled {
			device,
			incident,
			offence,
			fraction,
			reporter: reporter_id,
			apply_at,
		});
		Ok(())
	}

	fn unschedule(apply_at: BlockNumberFor<T>, device: DeviceId, incident: Incident) {
		Due::<T>::mutate_exists(apply_at, |due| {
			if let Some(list) = due {
				list.retain(|entry| *entry != (device, incident));
				if list.is_empty() {
					*due = None;
				}
			}
		});
	}

	/// Applies the pending slash of `device` in `incident`, all or nothing.
	fn apply(device: DeviceId, incident: Incident) {
		let result =
			frame_support::storage::with_storage_layer(|| Self::try_apply(device, incident));
		if let Err(error) = result {
			// Rolled back: drop the slash, and give a reporter its deposit back.
			if let Some(PendingSlash { reporter: Some((reporter, deposit)), .. }) =
				Pending::<T>::take(device, incident)
			{
				let _ = T::Currency::release(
					&HoldReason::ReportDeposit.into(),
					&reporter,
					deposit,
					Precision::BestEffort,
				);
			}
			Self::deposit_event(Event::SlashFailed { device, incident, error });
		}
	}

	fn try_apply(device: DeviceId, incident: Incident) -> DispatchResult {
		let pending = Pending::<T>::take(device, incident).ok_or(Error::<T>::NotPending)?;
		let owner = T::Devices::owner(device);
		let account = Self::account_id();
		let applied = Applied::<T>::get(device, incident).unwrap_or_default();
		// What is left of the bond after `applied` was taken: reach `pending.fraction` of the
		// original in all.
		let fraction = Perbill::from_rational(
			pending.fraction.saturating_sub(applied).deconstruct(),
			applied.left_from_one().deconstruct(),
		);
		let amount =
			T::Bonds::slash_bond(device, fraction.mul_floor(T::Bonds::bond(device)), &account)?;

		let split = Split::<T>::get();
		let (mut to_reporter, to_treasury) = (0, split.treasury.mul_floor(amount));
		if let Some((reporter, deposit)) = &pending.reporter {
			T::Currency::release(
				&HoldReason::ReportDeposit.into(),
				reporter,
				*deposit,
				Precision::BestEffort,
			)?;
			// Third-party evidence only: an owner reporting itself is paid nothing.
			if owner.as_ref() != Some(reporter) {
				to_reporter = split.reporter_share().mul_floor(amount);
				Self::pay(reporter, to_reporter)?;
			}
		}
		Self::pay(&T::Treasury::get(), to_treasury)?;
		let burned = amount.saturating_sub(to_reporter).saturating_sub(to_treasury);
		if !burned.is_zero() {
			T::Currency::burn_from(
				&account,
				burned,
				Preservation::Preserve,
				Precision::Exact,
				Fortitude::Polite,
			)?;
		}
		Applied::<T>::insert(device, incident, pending.fraction.max(applied));
		T::OnSlash::on_slash(device, pending.offence);
		Self::deposit_event(Event::Slashed {
			device,
			incident,
			offence: pending.offence,
			amount,
			burned,
			to_reporter,
			to_treasury,
		});
		Ok(())
	}

	fn pay(to: &T::AccountId, amount: Balance) -> DispatchResult {
		if amount.is_zero() {
			return Ok(());
		}
		T::Currency::transfer(&Self::account_id(), to, amount, Preservation::Preserve)?;
		Ok(())
	}

	/// A missed challenge: downtime if uptime is below target, escalated by the misses in a
	/// row; forced out after `MaxConsecutiveMisses`.
	fn note_missed(device: DeviceId, challenge: ChallengeId) {
		let misses = Misses::<T>::mutate(device, |misses| {
			*misses = misses.saturating_add(1);
			*misses
		});
		let record = T::History::record(device);
		let answered = record.answered.saturating_add(record.invalid);
		let total = answered.saturating_add(record.missed);
		let uptime = if total < T::MinUptimeSamples::get() {
			Perbill::one()
		} else {
			Perbill::from_rational(answered, total)
		};
		let downtime = Offence::Downtime { uptime };
		let escalated =
			Perbill::from_parts(offence_fraction(downtime).deconstruct().saturating_mul(misses));
		// A miss costs at least what an invalid proof costs: otherwise a prover whose faked or
		// dropped labels are challenged would stay silent rather than answer.
		let floor = offence_fraction(Offence::ResultMismatch);
		let (offence, fraction) = if escalated >= floor {
			(downtime, escalated)
		} else {
			(Offence::ResultMismatch, floor)
		};
		Self::schedule_seen(device, Incident::Challenge(challenge), offence, fraction);
		if misses >= T::MaxConsecutiveMisses::get() {
			// A device retired meanwhile is already out.
			let _ = T::Bonds::force_out(device);
			Misses::<T>::remove(device);
			Self::deposit_event(Event::ForcedOut { device, misses });
		}
	}

	/// Schedules an offence the chain saw itself (no reporter), reporting failure as an event.
	fn schedule_seen(device: DeviceId, incident: Incident, offence: Offence, fraction: Perbill) {
		if let Err(error) = Self::schedule(device, incident, offence, fraction, None) {
			Self::deposit_event(Event::OffenceNotScheduled { device, incident, error });
		}
	}

	/// Checks the pallet's invariants.
	///
	/// # Invariants
	///
	/// - No pending slash outlives its window: each applies after now, and is listed in `Due` at
	///   the block it applies in; `Due` lists only pending slashes, and none in the past.
	/// - Each account's held report deposits equal the deposits of its pending reports.
	/// - The split is valid.
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let now = frame_system::Pallet::<T>::block_number();
		let mut deposits = alloc::collections::BTreeMap::<T::AccountId, Balance>::new();
		let mut pending_count = 0usize;
		for (device, incident, pending) in Pending::<T>::iter() {
			pending_count = pending_count.saturating_add(1);
			ensure!(pending.apply_at > now, "a pending slash outlived its window");
			ensure!(
				Due::<T>::get(pending.apply_at).contains(&(device, incident)),
				"a pending slash is not due anywhere"
			);
			if let Some((reporter, deposit)) = pending.reporter {
				let held = deposits.entry(reporter).or_default();
				*held = held.saturating_add(deposit);
			}
		}
		let mut due_count = 0usize;
		for (at, due) in Due::<T>::iter() {
			ensure!(at > now, "a due list in the past");
			for (device, incident) in due {
				due_count = due_count.saturating_add(1);
				ensure!(
					Pending::<T>::get(device, incident).is_some_and(|p| p.apply_at == at),
					"a due slash that is not pending then"
				);
			}
		}
		ensure!(due_count == pending_count, "Due and Pending disagree");
		for (who, deposit) in deposits {
			let held = T::Currency::balance_on_hold(&HoldReason::ReportDeposit.into(), &who);
			ensure!(held == deposit, "report deposits held disagree with pending reports");
		}
		Self::check_split(&Split::<T>::get()).map_err(|_| "invalid split")?;
		Ok(())
	}
}

impl<T: Config> OnChallengeOutcome<T::AccountId> for Pallet<T> {
	fn on_challenge_outcome(
		device: DeviceId,
		_owner: &T::AccountId,
		challenge: ChallengeId,
		outcome: ChallengeOutcome,
	) {
		match outcome {
			ChallengeOutcome::Success => Misses::<T>::remove(device),
			ChallengeOutcome::Fault => Self::note_missed(device, challenge),
			ChallengeOutcome::InvalidProof => {
				let offence = Offence::ResultMismatch;
				let incident = Incident::Challenge(challenge);
				Self::schedule_seen(device, incident, offence, offence_fraction(offence));
			}
		}
	}

	fn outcome_weight() -> Weight {
		T::WeightInfo::on_challenge_outcome()
	}
}
