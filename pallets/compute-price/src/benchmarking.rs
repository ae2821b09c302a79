//! Benchmarks (frame-benchmarking v2) for every call and both hook paths.

#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

use super::*;
use crate::Pallet as ComputePrice;
use frame_benchmarking::v2::*;
use frame_support::traits::{EnsureOrigin, Hooks};
use sp_runtime::traits::Saturating;

/// A class with a full band window and demand above target (the heaviest update).
fn priced<T: Config>(class: ClassId) {
	let window =
		BoundedVec::truncate_from(alloc::vec![1_000_000; T::WindowPeriods::get() as usize]);
	Prices::<T>::insert(
		class,
		ClassPrice { price: 1_000_000, floor: 10, target: 10, used: 15, window },
	);
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn add_price() {
		let origin = T::AdminOrigin::try_successful_origin().unwrap();
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, 7, 1_000, 100, 100);
		assert_eq!(ComputePrice::<T>::base_price(7), Some(1_000));
	}

	#[benchmark]
	fn set_parameters() {
		priced::<T>(7);
		let origin = T::AdminOrigin::try_successful_origin().unwrap();
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, 7, 50, 50);
		assert_eq!(Prices::<T>::get(7).map(|s| s.target), Some(50));
	}

	#[benchmark]
	fn remove_price() {
		priced::<T>(7);
		let origin = T::AdminOrigin::try_successful_origin().unwrap();
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, 7);
		assert!(ComputePrice::<T>::base_price(7).is_none());
	}

	#[benchmark]
	fn on_initialize_idle() {
		priced::<T>(0);
		// One block past a period boundary.
		let now = T::PeriodBlocks::get().saturating_add(1u32.into());
		#[block]
		{
			ComputePrice::<T>::on_initialize(now);
		}
	}

	#[benchmark]
	fn on_initialize_period(c: Linear<0, { T::MaxClasses::get() }>) {
		for class in 0..c {
			priced::<T>(class);
		}
		let now = T::PeriodBlocks::get();
		#[block]
		{
			ComputePrice::<T>::on_initialize(now);
		}
		if c > 0 {
			assert_eq!(Prices::<T>::get(0).map(|s| s.used), Some(0));
		}
	}

	impl_benchmark_test_suite!(ComputePrice, crate::mock::new_test_ext(), crate::mock::Test);
}
