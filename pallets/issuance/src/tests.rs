#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use crate::{mock::*, *};
use frame_support::{assert_noop, assert_ok};
use proptest::prelude::*;
use sp_runtime::DispatchError;

#[test]
fn the_subsidy_falls_linearly_to_zero_over_24_periods() {
	build_and_execute(|| {
		assert_eq!(Issuance::subsidy(0), Perbill::one());
		assert_eq!(Issuance::subsidy(12), Perbill::from_percent(50));
		assert_eq!(Issuance::subsidy(24), Perbill::zero());
		assert_eq!(Issuance::subsidy(100), Perbill::zero());
	});
}

#[test]
fn a_period_mints_payments_times_one_plus_subsidy_to_the_recipients_in_order() {
	build_and_execute(|| {
		Issuance::on_compute_payment(40_000);
		Issuance::on_compute_payment(10_000);
		let (pot, treasury) = (Balances::free_balance(POT), Balances::free_balance(TREASURY));
		run_to(PERIOD);
		// Period 0: subsidy 100 %, so 2 × 50,000.
		System::assert_has_event(
			Event::PeriodEnded {
				period: 0,
				paid: 50_000,
				subsidy: Perbill::one(),
				minted: 100_000,
			}
			.into(),
		);
		assert_eq!(Balances::free_balance(POT) - pot, 30_000 + 10_000);
		assert_eq!(CREDITED.with(|c| *c.borrow()), 10_000);
		assert_eq!(MINERS.with(|c| *c.borrow()), 30_000);
		assert_eq!(Balances::free_balance(11), 10_000);
		assert_eq!(Balances::free_balance(12), 10_000);
		assert_eq!(Balances::free_balance(TREASURY) - treasury, 40_000);
		assert_eq!(Paid::<Test>::get(), 0);
		assert_eq!(TotalMinted::<Test>::get(), 100_000);

		// Period 1: subsidy 23/24: 47,000 wanted, less a few planck of rounding down.
		Issuance::on_compute_payment(24_000);
		run_to(2 * PERIOD);
		let minted = System::events().into_iter().find_map(|r| match r.event {
			RuntimeEvent::Issuance(Event::PeriodEnded {
				period: 1,
				paid: 24_000,
				subsidy,
				minted,
			}) => {
				assert_eq!(subsidy, Perbill::from_rational(23u32, 24u32));
				Some(minted)
			}
			_ => None,
		});
		let minted = minted.unwrap();
		assert!((46_990..=47_000).contains(&minted), "{minted}");
	});
}

#[test]
fn the_budget_and_the_maximum_supply_cap_the_mint() {
	build_and_execute(|| {
		Issuance::on_compute_payment(900_000);
		run_to(PERIOD);
		// 1,800,000 wanted, 1,000,000 budget.
		System::assert_has_event(
			Event::PeriodEnded {
				period: 0,
				paid: 900_000,
				subsidy: Perbill::one(),
				minted: 1_000_000,
			}
			.into(),
		);
		// Close to the maximum supply: only the headroom is minted.
		let headroom = 1_000;
		let mint = MAX_SUPPLY - Balances::total_issuance() - headroom;
		<Balances as Mutate<AccountId>>::mint_into(&2, mint).unwrap();
		Issuance::on_compute_payment(900_000);
		run_to(2 * PERIOD);
		assert_eq!(Balances::total_issuance(), MAX_SUPPLY);
	});
}

#[test]
fn nothing_is_minted_without_payments() {
	build_and_execute(|| {
		let issuance = Balances::total_issuance();
		run_to(3 * PERIOD);
		assert_eq!(Balances::total_issuance(), issuance);
	});
}

#[test]
fn recipients_are_validated() {
	build_and_execute(|| {
		let set = |list| Issuance::set_recipients(RuntimeOrigin::root(), list);
		assert_noop!(
			set(vec![
				(Recipient::Miners, Perbill::from_percent(60)),
				(Recipient::Reserve, Perbill::from_percent(50))
			]),
			Error::<Test>::SharesAboveOne
		);
		// Miners and providers over 40 %: a self-dealer could recover what it burns.
		assert_noop!(
			set(vec![
				(Recipient::Miners, Perbill::from_percent(30)),
				(Recipient::LiquidityProviders, Perbill::from_percent(11)),
			]),
			Error::<Test>::WashTradingProfitable
		);
		assert_noop!(
			set(vec![(Recipient::Reserve, Perbill::from_percent(1)); 6]),
			Error::<Test>::TooManyRecipients
		);
		assert_noop!(
			Issuance::set_recipients(RuntimeOrigin::signed(1), vec![]),
			DispatchError::BadOrigin
		);
		assert_ok!(set(vec![
			(Recipient::Miners, Perbill::from_percent(40)),
			(Recipient::Reserve, Perbill::from_percent(60)),
		]));
		System::assert_last_event(Event::RecipientsChanged.into());
		assert_noop!(
			Issuance::set_parameters(RuntimeOrigin::signed(1), parameters()),
			DispatchError::BadOrigin
		);
		let changed = IssuanceParameters { period_budget: 5, ..parameters() };
		assert_ok!(Issuance::set_parameters(RuntimeOrigin::root(), changed));
		assert_eq!(Parameters::<Test>::get(), Some(changed));
	});
}

#[test]
fn sustained_excess_burn_feeds_the_reserve_which_releases_a_tenth_of_a_percent_a_day() {
	build_and_execute(|| {
		// Six days above 1.2 × the benchmark (1,200): not yet.
		for day in 1..=6 {
			burn(2_000);
			run_to(day * DAY);
			System::assert_has_event(Event::DayEnded { burned: 2_000, to_reserve: 0 }.into());
		}
		// The seventh: the day's excess over 1,200 is caught.
		burn(2_000);
		run_to(7 * DAY);
		System::assert_has_event(Event::DayEnded { burned: 2_000, to_reserve: 800 }.into());
		assert_eq!(Issuance::reserve(), 800);
		// A day below the threshold breaks the run.
		burn(1_000);
		let pot = Balances::free_balance(POT);
		run_to(8 * DAY);
		System::assert_has_event(Event::DayEnded { burned: 1_000, to_reserve: 0 }.into());
		// 0.1 % of 800 rounds down to nothing; with more in the reserve it shows.
		assert_eq!(Balances::free_balance(POT), pot);
		<Balances as Mutate<AccountId>>::mint_into(&Issuance::reserve_account(), 1_000_000)
			.unwrap();
		let reserve = Issuance::reserve();
		run_to(9 * DAY);
		let released = reserve / 1_000;
		assert_eq!(Balances::free_balance(POT), pot + released);
		System::assert_has_event(Event::ReserveReleased { amount: released }.into());
	});
}

#[test]
fn the_days_burn_does_not_count_the_pallets_own_mints() {
	build_and_execute(|| {
		Issuance::on_compute_payment(1_000);
		burn(300);
		// Day and period end together at block 30; the mint of 2,000 is not a negative burn.
		run_to(3 * DAY);
		System::assert_has_event(Event::DayEnded { burned: 300, to_reserve: 0 }.into());
	});
}

#[test]
fn integrity_test_passes() {
	build_and_execute(Issuance::integrity_test);
}

proptest! {
	#![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

	/// Whatever is paid and burned, total issuance never exceeds the maximum supply and no
	/// period mints more than its budget.
	#[test]
	fn supply_and_budget_are_never_exceeded(
		steps in prop::collection::vec((0u128..2_000_000, 0u128..5_000, 1u64..40), 1..40),
	) {
		build_and_execute(|| {
			for (paid, burned, blocks) in steps {
				Issuance::on_compute_payment(paid);
				if Balances::free_balance(1) > burned + 1 {
					burn(burned);
				}
				let before = TotalMinted::<Test>::get();
				run_to(System::block_number() + blocks);
				let periods = blocks.div_ceil(PERIOD) as u128 + 1;
				let minted = TotalMinted::<Test>::get() - before;
				// Period mints, plus reserve catches bounded by the day's burn.
				assert!(minted <= periods * parameters().period_budget + 40 * 5_000);
				assert!(Balances::total_issuance() <= MAX_SUPPLY);
			}
		});
	}
}
