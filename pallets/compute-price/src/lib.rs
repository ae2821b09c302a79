//! # Compute price
//!
//! An EIP-1559-style base price per device class and compute-hour, in planck. Whoever redeems
//! compute-hours (the compute pools) pays it on top of the pool price and burns it; this pallet
//! only keeps the price and moves it with demand.
//!
//! - Once per period (`PeriodBlocks`, an hour in the runtime) each class's price moves by the
//!   smoothed EIP-1559 rule of [`rule`] from the compute-hours **in use** in the period against
//!   the class's target. A lease of `h` hours ([`Pallet::note_lease`]) counts one hour in each
//!   of the `h` periods it runs, not `h` in the hour it starts; a lease that ends early
//!   ([`Pallet::note_lease_ended`]) stops counting.
//! - The ±1 clamp of the demand signal applies to the accumulated signal: what a period's
//!   signal exceeds ±1 by is carried into the next periods (at most `2 · WindowPeriods`
//!   targets), so demand that arrives in lumps moves the price as the same demand spread evenly
//!   does, instead of reading as a spike followed by falling demand.
//! - The move is bounded three ways: at most `(1 − Inertia) · MaxStep` per period; never below
//!   the class's floor (a price above zero can always rise again: the stuck-at-zero multiplier
//!   of old `pallet-transaction-payment` and Frontier's base fee); and within a factor
//!   `1 + Band` of each of the last `WindowPeriods` prices, so that over any `WindowPeriods`
//!   periods (24 hours in the runtime) max/min ≤ 1 + Band.
//! - Work per block is O(1) except at period boundaries, where it is O(classes), bounded by
//!   `MaxClasses` and benchmarked.
//!
//! Governance (`AdminOrigin`) adds a class's price, changes its floor and target, or removes it.
//! docs/economics.md has the rule with worked numbers.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
pub mod rule;
pub mod runtime_api;
#[cfg(test)]
mod tests;
pub mod weights;

pub use pallet::*;
pub use weights::WeightInfo;

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use ember_primitives::ClassId;
use frame_support::{pallet_prelude::*, BoundedVec};
use frame_system::pallet_prelude::*;
use scale_info::TypeInfo;
use sp_runtime::{
	traits::{SaturatedConversion, Zero},
	PerThing, Perbill, Permill,
};

/// A price in planck per compute-hour.
pub type Price = u128;

/// Most periods a band window may span.
pub const MAX_WINDOW: u32 = 64;

/// A period: `PeriodBlocks` blocks; period `p` starts at block `p · PeriodBlocks`.
pub type PeriodIndex = u64;

/// A class's price and what moves it.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct ClassPrice {
	/// The base price per compute-hour.
	pub price: Price,
	/// The least the rule lets it fall to (at least [`Pallet::min_floor`]).
	pub floor: Price,
	/// Compute-hours in use per period at which the price holds still.
	pub target: u64,
	/// Compute-hours in use so far this period (each running lease counts one).
	pub used: u64,
	/// The last prices, oldest first, the current one last: the band's window.
	pub window: BoundedVec<Price, ConstU32<MAX_WINDOW>>,
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
		/// Who adds, changes and removes class prices.
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Blocks per period: how often prices move.
		#[pallet::constant]
		type PeriodBlocks: Get<BlockNumberFor<Self>>;

		/// Periods in the band window (24 periods of an hour: the 24-hour band).
		#[pallet::constant]
		type WindowPeriods: Get<u32>;

		/// The EIP-1559 step: the relative move at twice (or zero) the target demand.
		#[pallet::constant]
		type MaxStep: Get<Perbill>;

		/// The inertia γ: the share of the old price kept at each move.
		#[pallet::constant]
		type Inertia: Get<Perbill>;

		/// The band: over any window, max/min of the price ≤ 1 + Band.
		#[pallet::constant]
		type Band: Get<Permill>;

		/// Most classes with a price.
		#[pallet::constant]
		type MaxClasses: Get<u32>;

		/// Told of every base price paid (issuance mints from their sum).
		type OnPayment: ember_primitives::OnComputePayment;

		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;
	}

	/// Each priced class.
	#[pallet::storage]
	pub type Prices<T: Config> = CountedStorageMap<_, Twox64Concat, ClassId, ClassPrice>;

	/// Leases running in each class: the hours in use per period.
	#[pallet::storage]
	pub type Running<T: Config> = StorageMap<_, Twox64Concat, ClassId, u64, ValueQuery>;

	/// Leases of each class that stop running at the start of a period.
	#[pallet::storage]
	pub type Ending<T: Config> =
		StorageDoubleMap<_, Twox64Concat, ClassId, Twox64Concat, PeriodIndex, u64, ValueQuery>;

	/// Demand signal beyond ±1 each class carries into the next periods, in compute-hours
	/// (within ±`2 · WindowPeriods` targets).
	#[pallet::storage]
	pub type Carry<T: Config> = StorageMap<_, Twox64Concat, ClassId, i128, ValueQuery>;

	/// The band window of each class whose price was removed: a price added again must fit it.
	#[pallet::storage]
	pub type RemovedWindows<T: Config> =
		StorageMap<_, Twox64Concat, ClassId, BoundedVec<Price, ConstU32<MAX_WINDOW>>>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Classes priced from genesis: `(class, price, floor, target)`, as `add_price` takes
		/// them.
		pub prices: alloc::vec::Vec<(ClassId, Price, Price, u64)>,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		// An invalid genesis must not produce a chain: panicking here is the way to refuse it.
		#[allow(clippy::panic)]
		fn build(&self) {
			for &(class, price, floor, target) in &self.prices {
				if let Err(error) = Pallet::<T>::do_add_price(class, price, floor, target) {
					panic!("genesis price for class {class}: {error:?}");
				}
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A class got a price.
		PriceAdded { class: ClassId, price: Price, floor: Price, target: u64 },
		/// A class's floor and target changed (the price moves by the rule from the next period).
		ParametersChanged { class: ClassId, floor: Price, target: u64 },
		/// A class's price was removed.
		PriceRemoved { class: ClassId },
		/// A period ended: `used` hours were redeemed and the price moved to `price`.
		PriceUpdated { class: ClassId, price: Price, used: u64 },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The floor is below [`Pallet::min_floor`], the price is below the floor, or a class
		/// priced before is added again at another price than its last.
		InvalidPrice,
		/// The target is zero.
		InvalidTarget,
		/// The class already has a price (change it with `set_parameters`).
		AlreadyPriced,
		/// The class has no price.
		NotPriced,
		/// `MaxClasses` classes already have a price.
		TooManyClasses,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let period = T::PeriodBlocks::get();
			let (now, period) = (now.saturated_into::<u64>(), period.saturated_into::<u64>());
			let boundary = now.checked_rem(period) == Some(0);
			if !boundary {
				return T::WeightInfo::on_initialize_idle();
			}
			let updated = Self::end_period();
			T::WeightInfo::on_initialize_period(updated)
		}

		fn integrity_test() {
			assert!(!T::PeriodBlocks::get().is_zero(), "PeriodBlocks must be positive");
			assert!(
				T::WindowPeriods::get() >= 1 && T::WindowPeriods::get() <= MAX_WINDOW,
				"WindowPeriods must be within 1..=MAX_WINDOW"
			);
			assert!(!T::MaxStep::get().is_zero(), "MaxStep must be positive");
			assert!(T::Inertia::get() < Perbill::one(), "Inertia below 100% or prices never move");
			assert!(!T::Band::get().is_zero(), "Band must be positive");
			assert!(T::MaxClasses::get() > 0, "MaxClasses must be positive");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Gives `class` a base price of `price` per compute-hour, a `floor` and a `target` of
		/// compute-hours per period.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::add_price())]
		pub fn add_price(
			origin: OriginFor<T>,
			class: ClassId,
			price: Price,
			floor: Price,
			target: u64,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_add_price(class, price, floor, target)?;
			Self::deposit_event(Event::PriceAdded { class, price, floor, target });
			Ok(())
		}

		/// Changes `class`'s floor (at most the current price) and target. The price itself only
		/// moves by the rule, so the 24-hour band holds through governance changes too.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::set_parameters())]
		pub fn set_parameters(
			origin: OriginFor<T>,
			class: ClassId,
			floor: Price,
			target: u64,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			ensure!(floor >= Self::min_floor(), Error::<T>::InvalidPrice);
			ensure!(target > 0, Error::<T>::InvalidTarget);
			Prices::<T>::try_mutate(class, |entry| {
				let state = entry.as_mut().ok_or(Error::<T>::NotPriced)?;
				// A floor above the price would move the price outside the rule (and the band).
				ensure!(floor <= state.price, Error::<T>::InvalidPrice);
				state.floor = floor;
				state.target = target;
				Ok::<_, Error<T>>(())
			})?;
			Self::deposit_event(Event::ParametersChanged { class, floor, target });
			Ok(())
		}

		/// Removes `class`'s price. Its last prices are kept: the class can only be priced again
		/// at its last price.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::remove_price())]
		pub fn remove_price(origin: OriginFor<T>, class: ClassId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			let state = Prices::<T>::take(class).ok_or(Error::<T>::NotPriced)?;
			// Kept so that adding the class again cannot jump out of the band.
			RemovedWindows::<T>::insert(class, state.window);
			// Demand is counted only for priced classes (at most the longest lease's hours of
			// ends; governance calls this rarely).
			Running::<T>::remove(class);
			Carry::<T>::remove(class);
			let _ = Ending::<T>::clear_prefix(class, u32::MAX, None);
			Self::deposit_event(Event::PriceRemoved { class });
			Ok(())
		}
	}
}

impl<T: Config> Pallet<T> {
	/// The lowest floor a class may have: the price at which a 1-planck rise still fits in the
	/// band (⌈1 / Band⌉, 10 planck for 10 %). Below it the band would forbid every rise and the
	/// price could never recover.
	pub fn min_floor() -> Price {
		let band = Price::from(T::Band::get().deconstruct()).max(1);
		Price::from(Permill::ACCURACY).div_ceil(band)
	}

	/// Gives `class` a price, after checking it as `add_price` documents.
	fn do_add_price(class: ClassId, price: Price, floor: Price, target: u64) -> DispatchResult {
		ensure!(floor >= Self::min_floor() && price >= floor, Error::<T>::InvalidPrice);
		ensure!(target > 0, Error::<T>::InvalidTarget);
		ensure!(!Prices::<T>::contains_key(class), Error::<T>::AlreadyPriced);
		ensure!(Prices::<T>::count() < T::MaxClasses::get(), Error::<T>::TooManyClasses);
		// A class priced before resumes at its last price and window: re-adding it must not move
		// the price (repeated removals would otherwise ratchet it a band at a time).
		let window = match RemovedWindows::<T>::get(class) {
			Some(window) => {
				ensure!(window.last() == Some(&price), Error::<T>::InvalidPrice);
				RemovedWindows::<T>::remove(class);
				window
			}
			None => BoundedVec::truncate_from(alloc::vec![price]),
		};
		Prices::<T>::insert(class, ClassPrice { price, floor, target, used: 0, window });
		Ok(())
	}

	/// The base price per compute-hour of `class`.
	pub fn base_price(class: ClassId) -> Option<Price> {
		Prices::<T>::get(class).map(|state| state.price)
	}

	/// The base price of `hours` compute-hours of `class`.
	pub fn quote(class: ClassId, hours: u64) -> Option<Price> {
		Self::base_price(class).map(|price| price.saturating_mul(Price::from(hours)))
	}

	/// The current period.
	pub fn current_period() -> PeriodIndex {
		let now: u64 = frame_system::Pallet::<T>::block_number().saturated_into();
		now.checked_div(T::PeriodBlocks::get().saturated_into()).unwrap_or(0)
	}

	/// A lease of `hours` compute-hours of `class` starts now: it counts one hour of demand in
	/// this period and in each of the next `hours − 1`. Returns the base price per hour.
	pub fn note_lease(class: ClassId, hours: u64) -> Result<Price, DispatchError> {
		ensure!(hours > 0, Error::<T>::InvalidTarget);
		let price = Prices::<T>::try_mutate(class, |entry| {
			let state = entry.as_mut().ok_or(Error::<T>::NotPriced)?;
			state.used = state.used.saturating_add(1);
			Ok::<_, DispatchError>(state.price)
		})?;
		Running::<T>::mutate(class, |running| *running = running.saturating_add(1));
		let ends = Self::current_period().saturating_add(hours);
		Ending::<T>::mutate(class, ends, |ending| *ending = ending.saturating_add(1));
		Ok(price)
	}

	/// A lease of `hours` of `class` noted at block `start` ends now, before its term: it stops
	/// counting from the next period (this one it was in use).
	pub fn note_lease_ended(class: ClassId, start: u64, hours: u64) {
		let started = start.checked_div(T::PeriodBlocks::get().saturated_into()).unwrap_or(0);
		let ends = started.saturating_add(hours);
		if ends <= Self::current_period().saturating_add(1) {
			// It stops counting at the next boundary anyway.
			return;
		}
		let removed = Ending::<T>::mutate_exists(class, ends, |ending| {
			let removed = ending.is_some_and(|count| count > 0);
			*ending = ending.map(|count| count.saturating_sub(1)).filter(|count| *count > 0);
			removed
		});
		if removed {
			Running::<T>::mutate(class, |running| *running = running.saturating_sub(1));
		}
	}

	/// Tells issuance that `amount` of base price was paid (and burned) for compute.
	pub fn note_paid(amount: Price) {
		<T::OnPayment as ember_primitives::OnComputePayment>::on_compute_payment(amount);
	}

	/// The most demand signal a class carries: `2 · WindowPeriods` targets, enough for a
	/// window's worth of periods at the clamp while each also sees no demand of its own (a day's
	/// demand arriving in its first hour).
	fn carry_cap(target: i128) -> i128 {
		target.saturating_mul(i128::from(T::WindowPeriods::get()).saturating_mul(2))
	}

	/// The demand the rule sees for a period with `used` hours in use against `target`, given
	/// the signal carried so far: `(seen, carry)` for the rule and the next period. The rule's
	/// signal `(used − target) / target` is clamped to ±1; what the accumulated signal exceeds
	/// that by is carried, at most `2 · WindowPeriods` targets' worth.
	pub fn carried_demand(used: u64, target: u64, carry: i128) -> (u64, i128) {
		let (used, target) = (i128::from(used), i128::from(target));
		let signal = used.saturating_sub(target).saturating_add(carry);
		let applied = signal.clamp(target.saturating_neg(), target);
		let cap = Self::carry_cap(target);
		let carry = signal.saturating_sub(applied).clamp(cap.saturating_neg(), cap);
		let seen = u64::try_from(target.saturating_add(applied)).unwrap_or(0);
		(seen, carry)
	}

	/// Moves every class's price by the rule and starts a new period; returns how many moved.
	fn end_period() -> u32 {
		let window_len = T::WindowPeriods::get() as usize;
		// At most `MaxClasses` keys.
		let classes: alloc::vec::Vec<ClassId> = Prices::<T>::iter_keys().collect();
		let period = Self::current_period();
		let mut updated = 0u32;
		for class in classes {
			let moved = Prices::<T>::mutate(class, |entry| {
				let state = entry.as_mut()?;
				let (seen, carry) =
					Self::carried_demand(state.used, state.target, Carry::<T>::get(class));
				Carry::<T>::insert(class, carry);
				let price = rule::next_price(
					state.price,
					Price::from(seen),
					Price::from(state.target),
					state.floor,
					&state.window,
					T::MaxStep::get(),
					T::Inertia::get(),
					T::Band::get(),
				);
				let mut window = core::mem::take(&mut state.window).into_inner();
				window.push(price);
				let excess = window.len().saturating_sub(window_len);
				window.drain(..excess);
				state.window = BoundedVec::truncate_from(window);
				state.price = price;
				// The leases still running count in the new period.
				let ended = Ending::<T>::take(class, period);
				let running = Running::<T>::mutate(class, |running| {
					*running = running.saturating_sub(ended);
					*running
				});
				let used = core::mem::replace(&mut state.used, running);
				Some((price, used))
			});
			if let Some((price, used)) = moved {
				updated = updated.saturating_add(1);
				Self::deposit_event(Event::PriceUpdated { class, price, used });
			}
		}
		updated
	}

	/// Invariants: at most `MaxClasses` classes; floors at least `min_floor`; every price at or
	/// above its floor (the band's lower bound never exceeds it); windows no longer than
	/// `WindowPeriods`, ending with the current price, and within the band; each class's running
	/// leases are the sum of its scheduled lease ends, all in the future; carried demand within
	/// its cap.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		ensure!(Prices::<T>::count() <= T::MaxClasses::get(), "more classes than MaxClasses");
		for (_, state) in Prices::<T>::iter() {
			ensure!(state.floor >= Self::min_floor(), "a floor below min_floor");
			ensure!(state.price >= state.floor, "a price below its floor");
			ensure!(
				state.window.len() <= T::WindowPeriods::get() as usize,
				"window longer than WindowPeriods"
			);
			ensure!(state.window.last() == Some(&state.price), "window does not end at the price");
			ensure!(rule::within_band(&state.window, T::Band::get()), "window outside the band");
		}
		let period = Self::current_period();
		for (class, running) in Running::<T>::iter() {
			let ending = Ending::<T>::iter_prefix(class)
				.fold(0u64, |sum, (_, count)| sum.saturating_add(count));
			ensure!(ending == running, "running leases disagree with their ends");
		}
		for (class, at, count) in Ending::<T>::iter() {
			ensure!(at > period && count > 0, "a lease end in the past, or an empty one");
			ensure!(Prices::<T>::contains_key(class), "lease ends of an unpriced class");
		}
		for (class, carry) in Carry::<T>::iter() {
			let target = Prices::<T>::get(class).map_or(0, |state| i128::from(state.target));
			ensure!(carry.abs() <= Self::carry_cap(target), "carried demand beyond its cap");
		}
		Ok(())
	}
}

impl<T: Config> ember_primitives::BasePrice for Pallet<T> {
	fn price(class: ClassId) -> Option<u128> {
		Pallet::<T>::base_price(class)
	}

	fn note_lease(class: ClassId, hours: u64) -> Result<u128, DispatchError> {
		Pallet::<T>::note_lease(class, hours)
	}

	fn note_lease_ended(class: ClassId, start: u64, hours: u64) {
		Pallet::<T>::note_lease_ended(class, start, hours)
	}

	fn note_paid(amount: u128) {
		Pallet::<T>::note_paid(amount)
	}
}
