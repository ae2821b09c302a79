//! Benchmarks (frame-benchmarking v2) for the call and both handlers.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::Pallet as Reputation;
use frame_benchmarking::v2::*;

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn prune() {
		// A device id no registry knows, with a score.
		let device = DeviceId::MAX;
		Reputation::<T>::write(device, Perbill::from_percent(70));
		let caller: T::AccountId = whitelisted_caller();
		#[extrinsic_call]
		_(frame_system::RawOrigin::Signed(caller), device);
		assert!(!Scores::<T>::contains_key(device));
	}

	#[benchmark]
	fn on_challenge_outcome() {
		let device = DeviceId::MAX;
		Reputation::<T>::write(device, Perbill::from_percent(70));
		let owner: T::AccountId = whitelisted_caller();
		#[block]
		{
			Reputation::<T>::on_challenge_outcome(device, &owner, 0, ChallengeOutcome::Fault);
		}
		assert!(Scores::<T>::contains_key(device));
	}

	#[benchmark]
	fn on_slash() {
		let device = DeviceId::MAX;
		Reputation::<T>::write(device, Perbill::from_percent(70));
		#[block]
		{
			Reputation::<T>::on_slash(device, Offence::Byzantine);
		}
		assert!(Scores::<T>::get(device).is_some_and(|r| r.score <= Perbill::from_percent(35)));
	}

	impl_benchmark_test_suite!(Reputation, crate::mock::new_bench_ext(), crate::mock::Test);
}
