//! # Compute price
//!
//! An EIP-1559-style base price per device class and compute-hour, in planck. Whoever redeems
//! compute-hours (the compute pools) pays it on top of the pool price and burns it; this pallet
//! only keeps the price and moves it with demand.
//!
//! - Once per period (`PeriodBlocks`, an hour in the runtime) each class's price moves by the
//!   smoothed EIP-1559 rule of [`rule`] from the hours redeemed in the period
//!   ([`Pallet::note_redeemed`]) against the class's target.
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

/// A class's price and what moves it.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct ClassPrice {
	/// The base price per compute-hour.
	pub price: Price,
	/// The least the rule lets it fall to (at least [`Pallet::min_floor`]).
	pub floor: Price,
	/// Compute-hours redeemed per period at which the price holds still.
	pub target: u64,
	/// Compute-hours redeemed so far this period.
	pub used: u64,
	/// The last prices, oldest first, the current one last: the band's window.
	pub window: BoundedVec<Price, ConstU32<MAX_WINDOW>>,
}

// FRAME's macro expansions call `expect()` on values they construct.
#[allow(clippy::expect_used)]
#[frame_support::pallet]
pub mod pallet {
	use super::*;

	#[pallet::pallet]
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
		/// The floor is below [`Pallet::min_floor`], or the price is below the floor.
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

		/// Changes `class`'s floor and target. The price itself only moves by the rule, so the
		/// 24-hour band holds through governance changes too.
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
				state.floor = floor;
				state.target = target;
				Ok::<_, Error<T>>(())
			})?;
			Self::deposit_event(Event::ParametersChanged { class, floor, target });
			Ok(())
		}

		/// Removes `class`'s price.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::remove_price())]
		pub fn remove_price(origin: OriginFor<T>, class: ClassId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			ensure!(Prices::<T>::contains_key(class), Error::<T>::NotPriced);
			Prices::<T>::remove(class);
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
		let window = BoundedVec::truncate_from(alloc::vec![price]);
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

	/// Records `hours` redeemed in `class` this period (demand for the next move). Called by
	/// whoever sells compute-hours; returns what the base price of those hours is.
	pub fn note_redeemed(class: ClassId, hours: u64) -> Result<Price, DispatchError> {
		Prices::<T>::try_mutate(class, |entry| {
			let state = entry.as_mut().ok_or(Error::<T>::NotPriced)?;
			state.used = state.used.saturating_add(hours);
			let paid = state.price.saturating_mul(Price::from(hours));
			<T::OnPayment as ember_primitives::OnComputePayment>::on_compute_payment(paid);
			Ok(paid)
		})
	}

	/// Moves every class's price by the rule and starts a new period; returns how many moved.
	fn end_period() -> u32 {
		let window_len = T::WindowPeriods::get() as usize;
		// At most `MaxClasses` keys.
		let classes: alloc::vec::Vec<ClassId> = Prices::<T>::iter_keys().collect();
		let mut updated = 0u32;
		for class in classes {
			let moved = Prices::<T>::mutate(class, |entry| {
				let state = entry.as_mut()?;
				let price = rule::next_price(
					state.price,
					Price::from(state.used),
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
				let used = core::mem::take(&mut state.used);
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
	/// above its floor (the band's lower bound never exceeds it); windows no longer than `WindowPeriods`, ending with
	/// the current price, and within the band.
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
		Ok(())
	}
}

impl<T: Config> ember_primitives::BasePrice for Pallet<T> {
	fn note_redeemed(class: ClassId, hours: u64) -> Result<u128, DispatchError> {
		Pallet::<T>::note_redeemed(class, hours)
	}

	fn quote(class: ClassId, hours: u64) -> Option<u128> {
		Pallet::<T>::quote(class, hours)
	}
}
