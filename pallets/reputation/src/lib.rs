//! # Reputation
//!
//! A score in [0, 1] per device, from what PoCPS and the compute pools see of it (DePX §3.6):
//!
//! - At each challenge outcome the device is observed as
//!   `0.3 · success + 0.4 · uptime + 0.2 · speed + 0.1 · staked`, where `success` is its share of
//!   answers that verified, `uptime` its share of challenges answered in time, `speed` one minus
//!   the share of the deadline its last answer took, and `staked` whether it has a live stake. The
//!   score moves a fraction `Smoothing` of the way to the observation.
//! - Between outcomes the score decays `WeeklyDecay` (5 %) a week toward the neutral 0.5, so an
//!   idle device neither keeps an old good score nor an old bad one.
//! - A byzantine slash halves it.
//!
//! A newcomer starts at 0.5. The score costs no work per block: it is stored with the block it was
//! written at and decayed when read. The compute pools turn it into a reward multiplier (0.8× at
//! 0 to 1.2× at 1) and rank offers by it.

#![cfg_attr(not(feature = "std"), no_std)]

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
pub mod score;
#[cfg(test)]
mod tests;
pub mod weights;

pub use pallet::*;
pub use weights::WeightInfo;

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use ember_primitives::{
	ChallengeHistory, ChallengeId, ChallengeOutcome, DeviceId, DeviceInspect, Offence,
	OnChallengeOutcome, OnSlash, ReputationInspect, StakeInspect,
};
use frame_support::pallet_prelude::*;
use frame_system::pallet_prelude::*;
use scale_info::TypeInfo;
use sp_runtime::{
	traits::{SaturatedConversion, Saturating},
	Perbill,
};

/// A device's score and when it was written.
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
pub struct ScoreRecord<BlockNumber> {
	/// The score when written.
	pub score: Perbill,
	/// The block it was written at (decay runs from here).
	pub updated: BlockNumber,
}

// FRAME's macro expansions call `expect()` on values they construct.
#[allow(clippy::expect_used)]
#[frame_support::pallet]
pub mod pallet {
	use super::*;

	/// The layout as first released (additions since start empty and need no migration); a
	/// change to an existing item bumps this with a `migrations` module beside it.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The device registry (whether a device still exists).
		type Devices: DeviceInspect<Self::AccountId>;

		/// PoCPS's record of each device's challenges.
		type History: ChallengeHistory;

		/// Whether a device has a live stake.
		type Stakes: StakeInspect;

		/// Blocks in a decay period (a week in the runtime).
		#[pallet::constant]
		type DecayPeriod: Get<BlockNumberFor<Self>>;

		/// How much of its distance from 0.5 a score loses each decay period.
		#[pallet::constant]
		type WeeklyDecay: Get<Perbill>;

		/// How far a score moves toward each new observation.
		#[pallet::constant]
		type Smoothing: Get<Perbill>;

		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;
	}

	/// The scores of devices that have been observed.
	#[pallet::storage]
	pub type Scores<T: Config> =
		StorageMap<_, Twox64Concat, DeviceId, ScoreRecord<BlockNumberFor<T>>>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A byzantine slash halved a device's score.
		ScoreHalved { device: DeviceId, score: Perbill },
		/// A device that left the registry had its score removed.
		ScorePruned { device: DeviceId },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The device has no score.
		NoScore,
		/// The device is still registered; its score is in use.
		StillRegistered,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(!T::DecayPeriod::get().is_zero(), "DecayPeriod must be positive");
			assert!(
				!T::Smoothing::get().is_zero(),
				"Smoothing must be positive or scores never move"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Removes the score of a device that has left the registry. Anyone may call it.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::prune())]
		pub fn prune(origin: OriginFor<T>, device: DeviceId) -> DispatchResult {
			ensure_signed(origin)?;
			ensure!(Scores::<T>::contains_key(device), Error::<T>::NoScore);
			ensure!(T::Devices::owner(device).is_none(), Error::<T>::StillRegistered);
			Scores::<T>::remove(device);
			Self::deposit_event(Event::ScorePruned { device });
			Ok(())
		}
	}
}

impl<T: Config> Pallet<T> {
	/// `device`'s score now, decayed since it was written.
	pub fn score_of(device: DeviceId) -> Perbill {
		let Some(record) = Scores::<T>::get(device) else { return score::NEUTRAL };
		let now = frame_system::Pallet::<T>::block_number();
		let elapsed: u64 = now.saturating_sub(record.updated).saturated_into();
		score::decay(
			record.score,
			elapsed,
			T::DecayPeriod::get().saturated_into(),
			T::WeeklyDecay::get(),
		)
	}

	fn write(device: DeviceId, score: Perbill) {
		let updated = frame_system::Pallet::<T>::block_number();
		Scores::<T>::insert(device, ScoreRecord { score, updated });
	}

	/// Checks the pallet's invariants.
	///
	/// # Invariants
	///
	/// - No score was written in the future.
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let now = frame_system::Pallet::<T>::block_number();
		for (_, record) in Scores::<T>::iter() {
			ensure!(record.updated <= now, "a score written in the future");
		}
		Ok(())
	}
}

impl<T: Config> OnChallengeOutcome<T::AccountId> for Pallet<T> {
	fn on_challenge_outcome(
		device: DeviceId,
		_owner: &T::AccountId,
		_challenge: ChallengeId,
		outcome: ChallengeOutcome,
	) {
		let record = T::History::record(device);
		// PoCPS counts the outcome before telling us; `record` already includes it.
		let observed = score::observe(&record, outcome, T::Stakes::is_staked(device));
		let smoothed = score::towards(Self::score_of(device), observed, T::Smoothing::get());
		Self::write(device, smoothed);
	}

	fn outcome_weight() -> Weight {
		T::WeightInfo::on_challenge_outcome()
	}
}

impl<T: Config> OnSlash for Pallet<T> {
	fn on_slash(device: DeviceId, offence: Offence) {
		if offence != Offence::Byzantine {
			return;
		}
		let halved = Self::score_of(device).saturating_mul(Perbill::from_percent(50));
		Self::write(device, halved);
		Self::deposit_event(Event::ScoreHalved { device, score: halved });
	}
}

impl<T: Config> ReputationInspect for Pallet<T> {
	fn score(device: DeviceId) -> Perbill {
		Self::score_of(device)
	}
}
