//! Benchmarks (frame-benchmarking v2) for every call and each hook path.

#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

use super::*;
use crate::Pallet as Issuance;
use frame_benchmarking::v2::*;
use frame_support::traits::{EnsureOrigin, Hooks};

fn parameters<T: Config>() -> IssuanceParameters {
	IssuanceParameters {
		period_budget: MAX_PERIOD_BUDGET.mul_floor(T::MaxSupply::get()),
		burn_benchmark: 1,
		burn_margin: Perbill::from_percent(20),
		reserve_release: Perbill::from_rational(1u32, 1000u32),
	}
}

/// `r` recipients: validators first, then treasury-like accounts (the four a self-dealer can
/// reach at a tenth each at most, within `MAX_MARKET_SHARE`).
fn recipients<T: Config>(r: u32) -> alloc::vec::Vec<(Recipient<T::AccountId>, Perbill)> {
	let share = Perbill::from_rational(1, r.max(1));
	let reachable = share.min(Perbill::from_percent(10));
	(0..r)
		.map(|i| match i {
			0 => (Recipient::Validators, reachable),
			1 => (Recipient::LiquidityProviders, reachable),
			2 => (Recipient::Miners, Perbill::zero()),
			3 => (Recipient::Reserve, reachable),
			_ => (Recipient::Account(account("recipient", i, 0)), share),
		})
		.collect()
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn set_parameters() {
		let origin = T::AdminOrigin::try_successful_origin().unwrap();
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, parameters::<T>());
		assert_eq!(NextParameters::<T>::get(), Some(parameters::<T>()));
	}

	#[benchmark]
	fn set_recipients(r: Linear<0, { T::MaxRecipients::get() }>) {
		let origin = T::RecipientsOrigin::try_successful_origin().unwrap();
		let list = recipients::<T>(r);
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, list);
		assert_eq!(NextRecipients::<T>::get().map(|next| next.len() as u32), Some(r));
	}

	#[benchmark]
	fn on_initialize_idle() {
		let now: BlockNumberFor<T> = 1u32.into();
		#[block]
		{
			Issuance::<T>::on_initialize(now);
		}
	}

	// A period end paying `r` recipients, one of them `v` validators (the pools' credit to
	// providers is weighed by the pools and added on top).
	#[benchmark]
	fn on_initialize_period(
		r: Linear<1, { T::MaxRecipients::get() }>,
		v: Linear<1, { T::MaxValidators::get() }>,
	) {
		Parameters::<T>::put(parameters::<T>());
		Recipients::<T>::put(BoundedVec::truncate_from(recipients::<T>(r)));
		T::BenchmarkHelper::set_validators(v);
		// Enough that every validator's part is well above the existential deposit.
		Paid::<T>::put(T::Currency::minimum_balance().saturating_mul(1_000_000));
		let before = TotalMinted::<T>::get();
		#[block]
		{
			Issuance::<T>::end_period(T::PeriodBlocks::get());
		}
		assert!(TotalMinted::<T>::get() > before);
	}

	// A day end where the reserve catches an excess and releases its subsidy.
	#[benchmark]
	fn on_initialize_day() {
		Parameters::<T>::put(parameters::<T>());
		DailyBurns::<T>::put(BoundedVec::truncate_from(alloc::vec![u128::MAX; BURN_DAYS as usize]));
		let amount = T::Currency::minimum_balance().saturating_mul(1_000_000);
		T::Currency::mint_into(&Issuance::<T>::reserve_account(), amount).unwrap();
		// As if a day burned `amount`.
		let issuance = T::Currency::total_issuance();
		Day::<T>::put(DayMark { issuance: issuance.saturating_add(amount), minted: 0 });
		#[block]
		{
			Issuance::<T>::end_day();
		}
		assert!(TotalMinted::<T>::get() > 0);
	}

	impl_benchmark_test_suite!(Issuance, crate::mock::new_test_ext(), crate::mock::Test);
}
