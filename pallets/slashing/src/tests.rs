#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use crate::{mock::*, *};
use frame_support::{assert_noop, assert_ok};
use sp_runtime::DispatchError;

const OWNER: AccountId = 1;
const OTHER: AccountId = 2;
const PUPPET: AccountId = 3;

fn invalid_proof(device: DeviceId, challenge: ChallengeId) {
	Slashing::on_challenge_outcome(device, &OWNER, challenge, ChallengeOutcome::InvalidProof);
}

fn miss(device: DeviceId, challenge: ChallengeId) {
	Slashing::on_challenge_outcome(device, &OWNER, challenge, ChallengeOutcome::Fault);
}

#[test]
fn offence_table_matches_the_paper() {
	assert_eq!(offence_fraction(Offence::ResultMismatch), Perbill::from_percent(10));
	assert_eq!(offence_fraction(Offence::InvalidSignature), Perbill::from_percent(5));
	assert_eq!(offence_fraction(Offence::Performance), Perbill::from_percent(8));
	assert_eq!(offence_fraction(Offence::Byzantine), Perbill::one());
	let downtime =
		|uptime| offence_fraction(Offence::Downtime { uptime: Perbill::from_percent(uptime) });
	assert_eq!(downtime(99), Perbill::zero());
	assert_eq!(downtime(95), Perbill::zero());
	assert_eq!(downtime(90), Perbill::from_percent(10));
	assert_eq!(downtime(0), Perbill::one());
}

#[test]
fn an_invalid_proof_is_slashed_after_the_window_and_the_reporter_share_is_burned() {
	build_and_execute(|| {
		register(0, OWNER);
		invalid_proof(0, 7);
		let incident = Incident::Challenge(7);
		assert_eq!(Pending::<Test>::get(0, incident).unwrap().apply_at, 1 + WINDOW);
		// Nothing is taken during the window.
		run_to(WINDOW);
		assert_eq!(device(0).unwrap().bond, BOND);
		let treasury = balance(TREASURY);
		run_to(1 + WINDOW);
		// 10 % of the bond: 20 % of it to the treasury, the rest (no third party) burned.
		assert_eq!(device(0).unwrap().bond, BOND - 1_000);
		assert_eq!(balance(TREASURY), treasury + 200);
		System::assert_has_event(
			Event::Slashed {
				device: 0,
				incident,
				offence: Offence::ResultMismatch,
				amount: 1_000,
				burned: 800,
				to_reporter: 0,
				to_treasury: 200,
			}
			.into(),
		);
		assert!(Pending::<Test>::get(0, incident).is_none());
		assert_eq!(Applied::<Test>::get(0, incident), Some(Perbill::from_percent(10)));
		assert_eq!(SLASHED.with(|s| s.borrow().clone()), vec![(0, Offence::ResultMismatch)]);
	});
}

#[test]
fn governance_cancels_within_the_window_and_a_false_reporter_loses_its_deposit() {
	build_and_execute(|| {
		register(0, OWNER);
		let incident = Incident::Lease(3);
		assert_ok!(Slashing::report(RuntimeOrigin::signed(OTHER), 0, Offence::Byzantine, incident));
		assert_eq!(Balances::reserved_balance(OTHER), DEPOSIT);
		assert_noop!(
			Slashing::cancel(RuntimeOrigin::signed(OTHER), 0, incident),
			DispatchError::BadOrigin
		);
		run_to(WINDOW);
		assert_ok!(Slashing::cancel(RuntimeOrigin::root(), 0, incident));
		System::assert_last_event(
			Event::SlashCancelled { device: 0, incident, deposit_burned: DEPOSIT }.into(),
		);
		assert_noop!(
			Slashing::cancel(RuntimeOrigin::root(), 0, incident),
			Error::<Test>::NotPending
		);
		run_to(2 * WINDOW);
		assert_eq!(device(0).unwrap().bond, BOND);
		assert_eq!(balance(OTHER), 100_000 - DEPOSIT);
		assert_eq!(Balances::reserved_balance(OTHER), 0);
	});
}

#[test]
fn a_third_party_reporter_is_paid_up_to_the_cap() {
	build_and_execute(|| {
		register(0, OWNER);
		assert_ok!(Slashing::report(
			RuntimeOrigin::signed(OTHER),
			0,
			Offence::Byzantine,
			Incident::Lease(1)
		));
		run_to(1 + WINDOW);
		// The paper's 30 % reporter share is capped at 2 %; the other 28 % is burned.
		assert_eq!(device(0).unwrap().bond, 0);
		assert_eq!(balance(OTHER), 100_000 + BOND * 2 / 100);
		assert_eq!(Balances::reserved_balance(OTHER), 0);
		System::assert_has_event(
			Event::Slashed {
				device: 0,
				incident: Incident::Lease(1),
				offence: Offence::Byzantine,
				amount: BOND,
				burned: BOND * 78 / 100,
				to_reporter: BOND * 2 / 100,
				to_treasury: BOND * 20 / 100,
			}
			.into(),
		);
	});
}

#[test]
fn self_reporting_saves_at_most_the_reporter_cap() {
	build_and_execute(|| {
		register(0, OWNER);
		let before = balance(OWNER) + balance(PUPPET);
		// The owner reports its own byzantine device through a second account, hoping for
		// the paper's 30 % back.
		assert_ok!(Slashing::report(
			RuntimeOrigin::signed(PUPPET),
			0,
			Offence::Byzantine,
			Incident::Lease(1)
		));
		run_to(1 + WINDOW);
		let lost = before - (balance(OWNER) + balance(PUPPET));
		// It loses 98 % of its bond, not 70 %.
		assert_eq!(lost, BOND * 98 / 100);
		// Reporting from the owner account itself pays nothing at all.
		register(1, OWNER);
		let before = balance(OWNER);
		assert_ok!(Slashing::report(
			RuntimeOrigin::signed(OWNER),
			1,
			Offence::Byzantine,
			Incident::Lease(2)
		));
		run_to(2 + 2 * WINDOW);
		assert_eq!(before - balance(OWNER), BOND);
	});
}

#[test]
fn only_the_largest_offence_of_an_incident_counts() {
	build_and_execute(|| {
		register(0, OWNER);
		let incident = Incident::Lease(4);
		let report =
			|who, offence| Slashing::report(RuntimeOrigin::signed(who), 0, offence, incident);
		assert_ok!(report(OTHER, Offence::Performance));
		// Smaller or equal: refused, nothing held.
		assert_noop!(report(PUPPET, Offence::InvalidSignature), Error::<Test>::AlreadySlashed);
		assert_noop!(report(PUPPET, Offence::Performance), Error::<Test>::AlreadySlashed);
		// Larger: replaces it; the first reporter gets its deposit back.
		run_to(5);
		assert_ok!(report(PUPPET, Offence::ResultMismatch));
		assert_eq!(Balances::reserved_balance(OTHER), 0);
		assert_eq!(Pending::<Test>::get(0, incident).unwrap().apply_at, 5 + WINDOW);
		run_to(5 + WINDOW);
		assert_eq!(device(0).unwrap().bond, BOND * 90 / 100);
		// Applied: the same offence again is refused; a larger one takes only the difference,
		// so the incident costs 100 % in all, not 110 %.
		assert_noop!(report(OTHER, Offence::ResultMismatch), Error::<Test>::AlreadySlashed);
		assert_ok!(report(OTHER, Offence::Byzantine));
		run_to(6 + 2 * WINDOW);
		assert_eq!(device(0).unwrap().bond, 0);
		assert_eq!(Applied::<Test>::get(0, incident), Some(Perbill::one()));
	});
}

#[test]
fn a_miss_costs_at_least_an_invalid_proof() {
	build_and_execute(|| {
		register(0, OWNER);
		register(1, OWNER);
		// Perfect uptime so far: the downtime rule alone would take nothing.
		set_record(0, 40, 0);
		set_record(1, 40, 0);
		invalid_proof(0, 1);
		miss(1, 2);
		run_to(2 + WINDOW);
		assert!(device(1).unwrap().bond <= device(0).unwrap().bond);
		assert_eq!(device(1).unwrap().bond, BOND * 90 / 100);
	});
}

#[test]
fn missed_challenges_escalate_and_force_the_device_out() {
	build_and_execute(|| {
		register(0, OWNER);
		// Under `MinUptimeSamples` challenges uptime is not judged, but a miss still costs what
		// an invalid proof costs.
		set_record(0, 2, 1);
		miss(0, 1);
		let first = Pending::<Test>::get(0, Incident::Challenge(1)).unwrap();
		assert_eq!(
			(first.offence, first.fraction),
			(Offence::ResultMismatch, Perbill::from_percent(10))
		);
		Slashing::on_challenge_outcome(0, &OWNER, 2, ChallengeOutcome::Success);
		assert_eq!(Misses::<Test>::get(0), 0);

		// 18 of 20 answered: 90 % uptime, 5 points below target, 10 % per miss in a row.
		set_record(0, 18, 2);
		miss(0, 3);
		assert_eq!(
			Pending::<Test>::get(0, Incident::Challenge(3)).unwrap().fraction,
			Perbill::from_percent(10)
		);
		run_to(2);
		set_record(0, 18, 3);
		miss(0, 4);
		// 18/21 = 85.7 %: 18.6 % per miss, twice in a row.
		let second = Pending::<Test>::get(0, Incident::Challenge(4)).unwrap().fraction;
		assert!(
			second > Perbill::from_percent(37) && second < Perbill::from_percent(38),
			"{second:?}"
		);
		assert!(!device(0).unwrap().forced_out);
		run_to(3);
		set_record(0, 18, 4);
		miss(0, 5);
		// Third in a row: forced out.
		assert!(device(0).unwrap().forced_out);
		System::assert_has_event(Event::ForcedOut { device: 0, misses: 3 }.into());
		assert_eq!(Misses::<Test>::get(0), 0);
		run_to(3 + WINDOW);
		// 10 %, then 37 %, then 3 × 26.4 % (18/22 = 81.8 % uptime) of what is left.
		assert!(device(0).unwrap().bond < BOND / 8, "{:?}", device(0));
	});
}

#[test]
fn bad_reports_are_refused_with_typed_errors() {
	build_and_execute(|| {
		register(0, OWNER);
		let report = |who, device, offence, incident| {
			Slashing::report(RuntimeOrigin::signed(who), device, offence, incident)
		};
		assert_noop!(
			report(OTHER, 0, Offence::Downtime { uptime: Perbill::zero() }, Incident::Lease(1)),
			Error::<Test>::NotReportable
		);
		assert_noop!(
			report(OTHER, 9, Offence::Byzantine, Incident::Lease(1)),
			Error::<Test>::UnknownDevice
		);
		// A reporter who cannot cover the deposit.
		assert_noop!(
			report(42, 0, Offence::Byzantine, Incident::Lease(1)),
			Error::<Test>::CannotCoverDeposit
		);
		// Two slashes may fall due per block.
		assert_ok!(report(OTHER, 0, Offence::Performance, Incident::Lease(1)));
		assert_ok!(report(OTHER, 0, Offence::Performance, Incident::Lease(2)));
		assert_noop!(
			report(OTHER, 0, Offence::Performance, Incident::Lease(3)),
			Error::<Test>::TooManySlashes
		);
		run_to(2);
		assert_ok!(report(OTHER, 0, Offence::Performance, Incident::Lease(3)));
	});
}

#[test]
fn a_slash_on_a_device_gone_meanwhile_fails_cleanly() {
	build_and_execute(|| {
		register(0, OWNER);
		assert_ok!(Slashing::report(
			RuntimeOrigin::signed(OTHER),
			0,
			Offence::Performance,
			Incident::Lease(1)
		));
		DEVICES.with(|d| d.borrow_mut().remove(&0));
		run_to(1 + WINDOW);
		assert!(System::events().iter().any(|r| matches!(
			r.event,
			RuntimeEvent::Slashing(Event::SlashFailed { device: 0, .. })
		)));
		assert_eq!(Pending::<Test>::iter().count(), 0);
		assert_eq!(Balances::reserved_balance(OTHER), 0);
		assert_eq!(balance(OTHER), 100_000);
	});
}

#[test]
fn the_split_is_validated() {
	build_and_execute(|| {
		let split = |burn, reporter, treasury, cap| SlashSplit {
			burn: Perbill::from_percent(burn),
			reporter: Perbill::from_percent(reporter),
			treasury: Perbill::from_percent(treasury),
			reporter_cap: Perbill::from_percent(cap),
		};
		assert_noop!(
			Slashing::set_split(RuntimeOrigin::root(), split(50, 30, 30, 2)),
			Error::<Test>::InvalidSplit
		);
		// Above `MaxReporterCap` (5 %).
		assert_noop!(
			Slashing::set_split(RuntimeOrigin::root(), split(50, 30, 20, 6)),
			Error::<Test>::InvalidSplit
		);
		assert_noop!(
			Slashing::set_split(RuntimeOrigin::signed(OTHER), split(60, 20, 20, 2)),
			DispatchError::BadOrigin
		);
		assert_ok!(Slashing::set_split(RuntimeOrigin::root(), split(60, 20, 20, 5)));
		assert_eq!(Split::<Test>::get().reporter_share(), Perbill::from_percent(5));
	});
}

#[test]
fn applied_records_are_pruned_only_for_departed_devices() {
	build_and_execute(|| {
		register(0, OWNER);
		invalid_proof(0, 1);
		run_to(1 + WINDOW);
		let incident = Incident::Challenge(1);
		assert_noop!(
			Slashing::prune(RuntimeOrigin::signed(OTHER), 0, incident),
			Error::<Test>::StillRegistered
		);
		DEVICES.with(|d| d.borrow_mut().remove(&0));
		assert_noop!(
			Slashing::prune(RuntimeOrigin::signed(OTHER), 0, Incident::Challenge(2)),
			Error::<Test>::NotApplied
		);
		assert_ok!(Slashing::prune(RuntimeOrigin::signed(OTHER), 0, incident));
		assert!(Applied::<Test>::get(0, incident).is_none());
	});
}

#[test]
fn integrity_test_passes() {
	build_and_execute(Slashing::integrity_test);
}
