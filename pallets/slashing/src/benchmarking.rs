//! Benchmarks (frame-benchmarking v2) for every call, the hook and the outcome handler.

#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

use super::*;
use crate::Pallet as Slashing;
use frame_benchmarking::v2::*;
use frame_support::traits::{EnsureOrigin, Hooks};
use frame_system::RawOrigin;

const BOND: Balance = 1_000_000_000_000_000;

/// A funded account that can cover a report deposit.
fn reporter<T: Config>(index: u32) -> T::AccountId {
	let who: T::AccountId = account("reporter", index, 0);
	T::Currency::mint_into(&who, T::ReportDeposit::get().saturating_mul(10).saturating_add(BOND))
		.unwrap();
	who
}

fn bonded<T: Config>() -> DeviceId {
	let owner: T::AccountId = account("owner", 0, 0);
	T::BenchmarkHelper::bonded_device(&owner, BOND)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	// Worst case: the reporter is the client of a lease on the device (an evidence check), and
	// the block at the window's end already holds other reports.
	#[benchmark]
	fn report() {
		let device = bonded::<T>();
		let incident = Incident::Lease(1);
		Slashing::<T>::report(
			RawOrigin::Signed(reporter::<T>(1)).into(),
			device,
			Offence::InvalidSignature,
			incident,
		)
		.unwrap();
		let caller = reporter::<T>(2);
		T::BenchmarkHelper::lease(device, &caller, 1);
		#[extrinsic_call]
		_(RawOrigin::Signed(caller), device, Offence::ResultMismatch, incident);
		let pending = Pending::<T>::get(1).unwrap();
		assert_eq!(pending.standing, Standing::Evidence);
	}

	#[benchmark]
	fn cancel() {
		let device = bonded::<T>();
		let incident = Incident::Lease(1);
		Slashing::<T>::report(
			RawOrigin::Signed(reporter::<T>(1)).into(),
			device,
			Offence::Byzantine,
			incident,
		)
		.unwrap();
		let origin = T::DisputeOrigin::try_successful_origin().unwrap();
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, 0);
		assert!(Pending::<T>::get(0).is_none());
	}

	#[benchmark]
	fn uphold() {
		let device = bonded::<T>();
		Slashing::<T>::report(
			RawOrigin::Signed(reporter::<T>(1)).into(),
			device,
			Offence::Byzantine,
			Incident::Lease(1),
		)
		.unwrap();
		let origin = T::DisputeOrigin::try_successful_origin().unwrap();
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, 0);
		assert!(Pending::<T>::get(0).unwrap().upheld);
	}

	#[benchmark]
	fn set_split() {
		let origin = T::AdminOrigin::try_successful_origin().unwrap();
		let split = SlashSplit { burn: Perbill::from_percent(60), ..SlashSplit::default() };
		let split = SlashSplit { reporter: Perbill::from_percent(20), ..split };
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, split);
		assert_eq!(Split::<T>::get(), split);
	}

	#[benchmark]
	fn prune() {
		let device = DeviceId::MAX;
		let incident = Incident::Lease(1);
		Applied::<T>::insert(device, incident, Perbill::one());
		#[extrinsic_call]
		_(RawOrigin::Signed(reporter::<T>(1)), device, incident);
		assert!(Applied::<T>::get(device, incident).is_none());
	}

	// `n` upheld third-party slashes fall due, each paying a reporter, the treasury and a
	// burn (reports take at most half of a block's slots; the other half are filled the same
	// way, as the worst case).
	#[benchmark]
	fn on_initialize(n: Linear<0, { T::MaxSlashesPerBlock::get() }>) {
		let device = bonded::<T>();
		let at = frame_system::Pallet::<T>::block_number() + T::DisputeWindow::get();
		for i in 0..n {
			let who = reporter::<T>(i);
			let deposit = Slashing::<T>::report_deposit(device, Perbill::from_percent(10));
			T::Currency::hold(&HoldReason::ReportDeposit.into(), &who, deposit).unwrap();
			Pending::<T>::insert(
				SlashId::from(i),
				PendingSlash {
					device,
					incident: Incident::Lease(i.into()),
					offence: Offence::ResultMismatch,
					fraction: Perbill::from_percent(10),
					reporter: Some((who, deposit)),
					standing: Standing::Accusation,
					upheld: true,
					apply_at: at,
				},
			);
			Due::<T>::mutate(at, |due| due.try_push(SlashId::from(i)).unwrap());
		}
		frame_system::Pallet::<T>::set_block_number(at);
		#[block]
		{
			Slashing::<T>::on_initialize(at);
		}
		assert_eq!(Pending::<T>::iter().count(), 0);
	}

	// Worst case: a miss that schedules an escalated downtime slash and forces the device out.
	#[benchmark]
	fn on_challenge_outcome() {
		let device = bonded::<T>();
		T::BenchmarkHelper::set_record(device, 50, 50);
		Misses::<T>::insert(device, T::MaxConsecutiveMisses::get().saturating_sub(1));
		let owner: T::AccountId = account("owner", 0, 0);
		#[block]
		{
			Slashing::<T>::on_challenge_outcome(device, &owner, 9, ChallengeOutcome::Fault);
		}
		assert!(Pending::<T>::iter_values().any(|p| p.incident == Incident::Challenge(9)));
	}

	impl_benchmark_test_suite!(Slashing, crate::mock::new_test_ext(), crate::mock::Test);
}
