//! # Slashing
//!
//! Takes part of a device's bond for misbehaviour, after a dispute window (DePX §3.6, with its
//! flaws fixed: nobody can slash a device by saying so).
//!
//! - **Offences** ([`Offence`]) and the share of the bond each costs ([`offence_fraction`]):
//!   result mismatch 10 %, invalid signature 5 %, downtime 2 % per point below 95 % uptime,
//!   performance 8 %, byzantine 100 %.
//! - **What the chain saw** ([`Standing::Seen`]): PoCPS tells this pallet of every challenge
//!   outcome. An invalid proof is a result mismatch; a missed challenge is downtime, multiplied
//!   by the number of challenges missed in a row (escalation), and after
//!   `MaxConsecutiveMisses` in a row the device is forced out of the registry. These apply at
//!   the end of the dispute window unless `DisputeOrigin` cancels them. When a block's slots are
//!   full they move to the next block with room, up to `DEFER_BLOCKS` later (past that,
//!   `OffenceNotScheduled`).
//! - **Reports** ([`Pallet::report`]) hold a deposit that grows with what they claim
//!   (`ReportDepositShare` of the claimed amount, at least `ReportDeposit`), and apply only on
//!   evidence:
//!   - [`Standing::Evidence`]: the client of a lease running on the device (before its end)
//!     reports that lease for at most a result mismatch (10 %), and no other evidence against
//!     the device is pending. The runtime checked the lease, so it applies unless cancelled: at
//!     most 10 % of a bond per dispute window without governance;
//!   - [`Standing::Accusation`]: anything else. It applies only if `AdminOrigin`
//!     [`Pallet::uphold`]s it inside the window; otherwise it lapses and its deposit is burned.
//!
//!   A reporter is paid only for a slash `DisputeOrigin` upheld, and never its own device's.
//! - **One slash per incident, every report kept**: each report is its own pending slash;
//!   cancelling one never touches another. When several apply, the incident is slashed for the
//!   largest: each takes only what it adds to what the incident already lost.
//! - **Split**: the slashed amount is burned, paid to the reporter and to the treasury in the
//!   shares of [`SlashSplit`] (50 / 30 / 20 by default, the paper's), the reporter's share capped
//!   at `reporter_cap` (2 % by default, at most `MaxReporterCap`) and the rest of it burned: a
//!   30 % reporter share would let an offender report itself through a second account and lose
//!   70 % instead of 100 %.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod migrations;
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
	LeaseInspect, Offence, OnChallengeOutcome, OnSlash,
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
	traits::{AccountIdConversion, One, Saturating, Zero},
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
		Offence::Undelivered => Perbill::from_percent(5),
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

/// A pending slash's number.
pub type SlashId = u64;

/// Why a pending slash may apply.
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
pub enum Standing {
	/// The chain saw the offence itself: it applies unless cancelled.
	Seen,
	/// A report the runtime checked (a running lease's client, at most a result mismatch): it
	/// applies unless cancelled; the reporter is paid only if upheld.
	Evidence,
	/// A report nothing on chain backs: it applies only if upheld.
	Accusation,
}

/// A slash waiting out its dispute window.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct PendingSlash<AccountId, BlockNumber> {
	/// The device to slash.
	pub device: DeviceId,
	/// Where the offence was seen.
	pub incident: Incident,
	/// What the device did.
	pub offence: Offence,
	/// The share of its bond to take (escalation included).
	pub fraction: Perbill,
	/// Who reported it and the deposit held from them; `None` when the chain saw it.
	pub reporter: Option<(AccountId, Balance)>,
	/// What backs it.
	pub standing: Standing,
	/// Whether `DisputeOrigin` upheld it.
	pub upheld: bool,
	/// The block it applies (or lapses) in.
	pub apply_at: BlockNumber,
}

/// A pending slash of the runtime.
pub type PendingSlashOf<T> =
	PendingSlash<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;

/// Blocks after its window's end a slash the chain saw may move to when slots are full.
pub const DEFER_BLOCKS: u32 = 64;

// FRAME's macro expansions call `expect()` on values they construct.
#[allow(clippy::expect_used)]
#[frame_support::pallet]
pub mod pallet {
	use super::*;

	/// 1: pending slashes by id, several per incident, each with its standing.
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
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

		/// The compute leases a client's report is checked against.
		type Leases: LeaseInspect<Self::AccountId>;

		/// Told of each applied slash (reputation).
		type OnSlash: OnSlash;

		/// Who sets the split.
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Who decides disputes: cancels pending slashes and upholds reports. It must be able to
		/// act inside `DisputeWindow`.
		type DisputeOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The account slashed funds pass through.
		#[pallet::constant]
		type PalletId: Get<PalletId>;

		/// Where the treasury share goes.
		type Treasury: Get<Self::AccountId>;

		/// Blocks a slash waits before it applies.
		#[pallet::constant]
		type DisputeWindow: Get<BlockNumberFor<Self>>;

		/// Most slashes that may fall due in one block. Reports may take half of them; the
		/// rest are kept for what the chain sees.
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

		/// The least a report holds as deposit.
		#[pallet::constant]
		type ReportDeposit: Get<Balance>;

		/// The share of the amount a report claims that it holds as deposit (if more than
		/// `ReportDeposit`): a false claim on a whole bond risks more than one on a tenth.
		#[pallet::constant]
		type ReportDepositShare: Get<Perbill>;

		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;

		/// Creates bonded devices for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A report's deposit, until it applies, lapses or is cancelled.
		ReportDeposit,
	}

	/// How slashes are shared out.
	#[pallet::storage]
	pub type Split<T: Config> = StorageValue<_, SlashSplit, ValueQuery>;

	/// Slashes in their dispute window.
	#[pallet::storage]
	pub type Pending<T: Config> = StorageMap<_, Twox64Concat, SlashId, PendingSlashOf<T>>;

	/// The split each pending slash was scheduled under (one per pending slash, removed with
	/// it): a later `set_split` does not change what a standing report pays. A slash scheduled
	/// before this record existed is shared out by the split of the day.
	#[pallet::storage]
	pub type PendingSplits<T: Config> = StorageMap<_, Twox64Concat, SlashId, SlashSplit>;

	/// The next pending slash's id.
	#[pallet::storage]
	pub type NextSlashId<T: Config> = StorageValue<_, SlashId, ValueQuery>;

	/// The slashes falling due at each block.
	#[pallet::storage]
	pub type Due<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<SlashId, T::MaxSlashesPerBlock>,
		ValueQuery,
	>;

	/// The largest share applied for each slashed incident (no double slashing).
	#[pallet::storage]
	pub type Applied<T: Config> =
		StorageDoubleMap<_, Twox64Concat, DeviceId, Twox64Concat, Incident, Perbill>;

	/// Challenges each device has missed in a row.
	#[pallet::storage]
	pub type Misses<T: Config> = StorageMap<_, Twox64Concat, DeviceId, u32, ValueQuery>;

	/// The evidence report pending against each device: one at a time, so a client cannot
	/// compound 10 % slashes lease after lease without governance. Covered by its deposit.
	#[pallet::storage]
	pub type PendingEvidence<T: Config> = StorageMap<_, Twox64Concat, DeviceId, SlashId>;

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
		/// A slash was scheduled; it applies at `apply_at` unless cancelled (an accusation: only
		/// if upheld).
		SlashScheduled {
			id: SlashId,
			device: DeviceId,
			incident: Incident,
			offence: Offence,
			fraction: Perbill,
			reporter: Option<T::AccountId>,
			standing: Standing,
			deposit: Balance,
			apply_at: BlockNumberFor<T>,
		},
		/// `DisputeOrigin` upheld a report: it applies and pays its reporter.
		ReportUpheld { id: SlashId },
		/// A pending slash was cancelled; a reporter's deposit was burned.
		SlashCancelled { id: SlashId, device: DeviceId, deposit_burned: Balance },
		/// An accusation nobody upheld reached its window's end; its deposit was burned.
		ReportLapsed { id: SlashId, device: DeviceId, deposit_burned: Balance },
		/// A slash applied: `amount` of the bond was taken and shared out (nothing when the
		/// incident had already lost as much).
		Slashed {
			id: SlashId,
			device: DeviceId,
			incident: Incident,
			offence: Offence,
			amount: Balance,
			burned: Balance,
			to_reporter: Balance,
			to_treasury: Balance,
		},
		/// A slash could not apply (e.g. the device left meanwhile); nothing changed.
		SlashFailed { id: SlashId, device: DeviceId, error: DispatchError },
		/// An offence the chain saw found no free slot within `DEFER_BLOCKS` of its window's
		/// end.
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
		/// Downtime is measured by the chain and a lease's delivery decided by the pools'
		/// delivery rules: neither is reported here.
		NotReportable,
		/// The incident already lost as much as this report claims.
		AlreadySlashed,
		/// The block at the end of the window has no slot left for reports; try next block.
		TooManySlashes,
		/// No such pending slash.
		NotPending,
		/// The split's shares do not sum to 100 %, or the reporter cap is above
		/// `MaxReporterCap`.
		InvalidSplit,
		/// The device is still registered.
		StillRegistered,
		/// Nothing is recorded for that device and incident.
		NotApplied,
		/// The reporter cannot cover the report's deposit.
		CannotCoverDeposit,
		/// Only reports can be upheld, and only once.
		NotUpholdable,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let due = Due::<T>::take(now);
			let count = due.len() as u32;
			for id in due {
				Self::apply(id);
			}
			T::WeightInfo::on_initialize(count)
		}

		fn integrity_test() {
			assert!(!T::DisputeWindow::get().is_zero(), "DisputeWindow must be positive");
			assert!(
				T::MaxSlashesPerBlock::get() >= 2,
				"MaxSlashesPerBlock must leave a slot to reports and one to the chain"
			);
			assert!(T::MaxConsecutiveMisses::get() > 0, "MaxConsecutiveMisses must be positive");
			assert!(!T::ReportDeposit::get().is_zero(), "ReportDeposit must be positive");
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
		/// Reports `offence` by `device` in `incident`, holding a deposit from the caller
		/// (`ReportDepositShare` of the amount claimed, at least `ReportDeposit`).
		///
		/// The client of a lease running on `device` reporting that lease for at most a result
		/// mismatch is evidence: it applies after the window unless cancelled. Any other report
		/// is an accusation: it applies only if `DisputeOrigin` upholds it inside the window, and
		/// otherwise lapses with its deposit burned. The deposit comes back when the slash
		/// applies; the reporter is paid only if the report was upheld.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::report())]
		pub fn report(
			origin: OriginFor<T>,
			device: DeviceId,
			offence: Offence,
			incident: Incident,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			// Downtime is measured by the chain; a lease not delivered is decided by the
			// delivery rules of the compute pools (the provider may answer with a heartbeat).
			ensure!(
				!matches!(offence, Offence::Downtime { .. } | Offence::Undelivered),
				Error::<T>::NotReportable
			);
			ensure!(T::Devices::owner(device).is_some(), Error::<T>::UnknownDevice);
			let fraction = offence_fraction(offence);
			let deposit = Self::report_deposit(device, fraction);
			ensure!(
				T::Currency::can_hold(&HoldReason::ReportDeposit.into(), &who, deposit),
				Error::<T>::CannotCoverDeposit
			);
			let standing = match incident {
				Incident::Lease(lease)
					if T::Leases::lease(lease) == Some((device, who.clone()))
						&& fraction <= offence_fraction(Offence::ResultMismatch)
						&& !PendingEvidence::<T>::contains_key(device) =>
				{
					Standing::Evidence
				}
				_ => Standing::Accusation,
			};
			T::Currency::hold(&HoldReason::ReportDeposit.into(), &who, deposit)?;
			Self::schedule(device, incident, offence, fraction, Some((who, deposit)), standing)
		}

		/// Cancels a pending slash (a dispute upheld, or a report rejected). A reporter's
		/// deposit is burned. Other slashes of the same incident stay.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::cancel())]
		pub fn cancel(origin: OriginFor<T>, id: SlashId) -> DispatchResult {
			T::DisputeOrigin::ensure_origin(origin)?;
			let pending = Pending::<T>::take(id).ok_or(Error::<T>::NotPending)?;
			PendingSplits::<T>::remove(id);
			Self::unschedule(pending.apply_at, id);
			Self::forget_evidence(&pending, id);
			let deposit_burned = Self::burn_deposit(&pending)?;
			Self::deposit_event(Event::SlashCancelled {
				id,
				device: pending.device,
				deposit_burned,
			});
			Ok(())
		}

		/// Sets how slashes scheduled from now on are shared out (pending ones keep theirs).
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

		/// Upholds a pending report inside its window: an accusation will apply, and the
		/// reporter is paid its share when it does.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::uphold())]
		pub fn uphold(origin: OriginFor<T>, id: SlashId) -> DispatchResult {
			T::DisputeOrigin::ensure_origin(origin)?;
			Pending::<T>::try_mutate(id, |pending| {
				let pending = pending.as_mut().ok_or(Error::<T>::NotPending)?;
				ensure!(pending.reporter.is_some() && !pending.upheld, Error::<T>::NotUpholdable);
				pending.upheld = true;
				Ok::<_, DispatchError>(())
			})?;
			Self::deposit_event(Event::ReportUpheld { id });
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
	/// Makes `client` the client of a running lease `lease` on `device`.
	fn lease(device: DeviceId, client: &AccountId, lease: u64);
}

impl<T: Config> Pallet<T> {
	/// The account slashed funds pass through.
	pub fn account_id() -> T::AccountId {
		T::PalletId::get().into_account_truncating()
	}

	/// What a report claiming `fraction` of `device`'s bond holds.
	pub fn report_deposit(device: DeviceId, fraction: Perbill) -> Balance {
		let claimed = fraction.mul_ceil(T::Bonds::bond(device));
		T::ReportDepositShare::get().mul_ceil(claimed).max(T::ReportDeposit::get())
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

	/// Puts a slash of `fraction` for `offence` in `incident` in its dispute window, beside
	/// any other of the same incident. A report takes a slot at the window's end or fails; what
	/// the chain saw takes the first block with room within `DEFER_BLOCKS` after it.
	fn schedule(
		device: DeviceId,
		incident: Incident,
		offence: Offence,
		fraction: Perbill,
		reporter: Option<(T::AccountId, Balance)>,
		standing: Standing,
	) -> DispatchResult {
		let applied = Applied::<T>::get(device, incident).unwrap_or_default();
		ensure!(fraction > applied, Error::<T>::AlreadySlashed);
		let id = NextSlashId::<T>::get();
		let end = frame_system::Pallet::<T>::block_number().saturating_add(T::DisputeWindow::get());
		let (slots, tries) = match standing {
			Standing::Seen => (T::MaxSlashesPerBlock::get(), DEFER_BLOCKS),
			Standing::Evidence | Standing::Accusation => (T::MaxSlashesPerBlock::get() / 2, 0),
		};
		let mut apply_at = end;
		let mut placed = false;
		for _ in 0..=tries {
			// `try_mutate` writes only where the slash is placed.
			placed = Due::<T>::try_mutate(apply_at, |due| {
				if (due.len() as u32) < slots {
					due.try_push(id)
				} else {
					Err(id)
				}
			})
			.is_ok();
			if placed {
				break;
			}
			apply_at = apply_at.saturating_add(One::one());
		}
		ensure!(placed, Error::<T>::TooManySlashes);
		NextSlashId::<T>::put(id.saturating_add(1));
		if standing == Standing::Evidence {
			PendingEvidence::<T>::insert(device, id);
		}
		let deposit = reporter.as_ref().map_or(0, |(_, deposit)| *deposit);
		let reporter_id = reporter.as_ref().map(|(who, _)| who.clone());
		Pending::<T>::insert(
			id,
			PendingSlash {
				device,
				incident,
				offence,
				fraction,
				reporter,
				standing,
				upheld: false,
				apply_at,
			},
		);
		PendingSplits::<T>::insert(id, Split::<T>::get());
		Self::deposit_event(Event::SlashScheduled {
			id,
			device,
			incident,
			offence,
			fraction,
			reporter: reporter_id,
			standing,
			deposit,
			apply_at,
		});
		Ok(())
	}

	fn unschedule(apply_at: BlockNumberFor<T>, id: SlashId) {
		Due::<T>::mutate_exists(apply_at, |due| {
			if let Some(list) = due {
				list.retain(|entry| *entry != id);
				if list.is_empty() {
					*due = None;
				}
			}
		});
	}

	/// Burns a report's held deposit; returns what was burned.
	fn burn_deposit(pending: &PendingSlashOf<T>) -> Result<Balance, DispatchError> {
		let Some((reporter, deposit)) = &pending.reporter else { return Ok(0) };
		T::Currency::burn_held(
			&HoldReason::ReportDeposit.into(),
			reporter,
			*deposit,
			Precision::BestEffort,
			Fortitude::Force,
		)
	}

	/// Drops the record of `pending` (slash `id`) as its device's pending evidence.
	fn forget_evidence(pending: &PendingSlashOf<T>, id: SlashId) {
		if pending.standing == Standing::Evidence
			&& PendingEvidence::<T>::get(pending.device) == Some(id)
		{
			PendingEvidence::<T>::remove(pending.device);
		}
	}

	/// Applies (or lets lapse) pending slash `id`, all or nothing.
	fn apply(id: SlashId) {
		let Some(pending) = Pending::<T>::take(id) else { return };
		let split = PendingSplits::<T>::take(id).unwrap_or_else(Split::<T>::get);
		Self::forget_evidence(&pending, id);
		if pending.standing == Standing::Accusation && !pending.upheld {
			let deposit_burned = Self::burn_deposit(&pending).unwrap_or_default();
			Self::deposit_event(Event::ReportLapsed { id, device: pending.device, deposit_burned });
			return;
		}
		let result =
			frame_support::storage::with_storage_layer(|| Self::try_apply(id, &pending, &split));
		if let Err(error) = result {
			// Rolled back: drop the slash, and give a reporter its deposit back.
			if let Some((reporter, deposit)) = &pending.reporter {
				let _ = T::Currency::release(
					&HoldReason::ReportDeposit.into(),
					reporter,
					*deposit,
					Precision::BestEffort,
				);
			}
			Self::deposit_event(Event::SlashFailed { id, device: pending.device, error });
		}
	}

	fn try_apply(id: SlashId, pending: &PendingSlashOf<T>, split: &SlashSplit) -> DispatchResult {
		let (device, incident) = (pending.device, pending.incident);
		let owner = T::Devices::owner(device).ok_or(Error::<T>::UnknownDevice)?;
		let account = Self::account_id();
		let applied = Applied::<T>::get(device, incident).unwrap_or_default();
		// What is left of the bond after `applied` was taken: reach `pending.fraction` of the
		// original in all (nothing if the incident already lost as much).
		let bond = T::Bonds::bond(device);
		let take = sp_runtime::helpers_128bit::multiply_by_rational_with_rounding(
			bond,
			pending.fraction.saturating_sub(applied).deconstruct().into(),
			applied.left_from_one().deconstruct().max(1).into(),
			sp_runtime::Rounding::Up,
		)
		.unwrap_or(bond)
		.min(bond);
		let amount = match take {
			0 => 0,
			take => T::Bonds::slash_bond(device, take, &account)?,
		};

		let (mut to_reporter, to_treasury) = (0, split.treasury.mul_floor(amount));
		if let Some((reporter, deposit)) = &pending.reporter {
			T::Currency::release(
				&HoldReason::ReportDeposit.into(),
				reporter,
				*deposit,
				Precision::BestEffort,
			)?;
			// Paid only for what governance upheld, and never for one's own device.
			if pending.upheld && owner != *reporter {
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
		if !amount.is_zero() {
			Applied::<T>::insert(device, incident, pending.fraction.max(applied));
			T::OnSlash::on_slash(device, pending.offence);
		}
		Self::deposit_event(Event::Slashed {
			id,
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
		if let Err(error) =
			Self::schedule(device, incident, offence, fraction, None, Standing::Seen)
		{
			Self::deposit_event(Event::OffenceNotScheduled { device, incident, error });
		}
	}

	/// Checks the pallet's invariants.
	///
	/// # Invariants
	///
	/// - No pending slash outlives its window: each applies after now, and is listed in `Due` at
	///   the block it applies in; `Due` lists only pending slashes, and none in the past.
	/// - Ids are below `NextSlashId`; a slash has a reporter exactly when it is a report, and
	///   only reports are upheld; reports take at most half of a block's slots; each device's
	///   `PendingEvidence` is a pending evidence report of it.
	/// - Each account's held report deposits equal the deposits of its pending reports.
	/// - The split is valid.
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let now = frame_system::Pallet::<T>::block_number();
		let next = NextSlashId::<T>::get();
		let mut deposits = alloc::collections::BTreeMap::<T::AccountId, Balance>::new();
		let mut pending_count = 0usize;
		for (id, pending) in Pending::<T>::iter() {
			pending_count = pending_count.saturating_add(1);
			ensure!(id < next, "a pending slash with an unissued id");
			ensure!(pending.apply_at > now, "a pending slash outlived its window");
			ensure!(Due::<T>::get(pending.apply_at).contains(&id), "a pending slash is not due");
			ensure!(
				pending.reporter.is_some() == (pending.standing != Standing::Seen),
				"a slash's reporter disagrees with its standing"
			);
			ensure!(pending.reporter.is_some() || !pending.upheld, "a seen slash is upheld");
			if let Some((reporter, deposit)) = pending.reporter {
				let held = deposits.entry(reporter).or_default();
				*held = held.saturating_add(deposit);
			}
		}
		let mut due_count = 0usize;
		for (at, due) in Due::<T>::iter() {
			ensure!(at > now, "a due list in the past");
			let mut reports = 0u32;
			for id in due {
				due_count = due_count.saturating_add(1);
				let pending = Pending::<T>::get(id).ok_or("a due slash that is not pending")?;
				ensure!(pending.apply_at == at, "a due slash pending at another block");
				if pending.reporter.is_some() {
					reports = reports.saturating_add(1);
				}
			}
			ensure!(reports <= T::MaxSlashesPerBlock::get() / 2, "reports took the chain's slots");
		}
		ensure!(due_count == pending_count, "Due and Pending disagree");
		for (device, id) in PendingEvidence::<T>::iter() {
			ensure!(
				Pending::<T>::get(id)
					.is_some_and(|p| p.device == device && p.standing == Standing::Evidence),
				"pending evidence that is not pending"
			);
		}
		for (who, deposit) in deposits {
			let held = T::Currency::balance_on_hold(&HoldReason::ReportDeposit.into(), &who);
			ensure!(held == deposit, "report deposits held disagree with pending reports");
		}
		Self::check_split(&Split::<T>::get()).map_err(|_| "invalid split")?;
		for (id, split) in PendingSplits::<T>::iter() {
			ensure!(Pending::<T>::contains_key(id), "the split of no pending slash");
			Self::check_split(&split).map_err(|_| "invalid pending split")?;
		}
		Ok(())
	}
}

impl<T: Config> ember_primitives::OnDeliveryFailed for Pallet<T> {
	fn on_delivery_failed(device: DeviceId, lease: u64) {
		let offence = Offence::Undelivered;
		Self::schedule_seen(device, Incident::Lease(lease), offence, offence_fraction(offence));
	}

	fn delivery_failed_weight() -> Weight {
		// Scheduling a seen offence, as for an invalid proof.
		T::WeightInfo::on_challenge_outcome()
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
