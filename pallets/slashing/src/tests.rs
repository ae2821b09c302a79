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

/// The pending slashes of `device` in `incident`, by id.
fn pending(device: DeviceId, incident: Incident) -> Vec<(SlashId, PendingSlashOf<Test>)> {
	let mut all: Vec<_> = Pending::<Test>::iter()
		.filter(|(_, p)| p.device == device && p.incident == incident)
		.collect();
	all.sort_by_key(|(id, _)| *id);
	all
}

/// The only pending slash of `device` in `incident`.
fn only_pending(device: DeviceId, incident: Incident) -> PendingSlashOf<Test> {
	let all = pending(device, incident);
	assert_eq!(all.len(), 1, "{all:?}");
	all[0].1.clone()
}

fn report(
	who: AccountId,
	device: DeviceId,
	offence: Offence,
	incident: Incident,
) -> DispatchResult {
	Slashing::report(RuntimeOrigin::signed(who), device, offence, incident)
}

/// The id of the last slash scheduled.
fn last_id() -> SlashId {
	NextSlashId::<Test>::get() - 1
}

#[test]
fn offence_table_matches_the_paper() {
	assert_eq!(offence_fraction(Offence::ResultMismatch), Perbill::from_percent(10));
	assert_eq!(offence_fraction(Offence::InvalidSignature), Perbill::from_percent(5));
	assert_eq!(offence_fraction(Offence::Performance), Perbill::from_percent(8));
	assert_eq!(offence_fraction(Offence::Byzantine), Perbill::one());
	assert_eq!(offence_fraction(Offence::Undelivered), Perbill::from_percent(5));
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
		assert_eq!(only_pending(0, incident).apply_at, 1 + WINDOW);
		assert_eq!(only_pending(0, incident).standing, Standing::Seen);
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
				id: 0,
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
		assert!(pending(0, incident).is_empty());
		assert_eq!(Applied::<Test>::get(0, incident), Some(Perbill::from_percent(10)));
		assert_eq!(SLASHED.with(|s| s.borrow().clone()), vec![(0, Offence::ResultMismatch)]);
	});
}

#[test]
fn an_undelivered_lease_costs_five_percent_after_the_window_and_governance_can_cancel_it() {
	build_and_execute(|| {
		use ember_primitives::OnDeliveryFailed;
		register(0, OWNER);
		register(1, OWNER);
		Slashing::on_delivery_failed(0, 3);
		Slashing::on_delivery_failed(1, 4);
		let (first, second) = (Incident::Lease(3), Incident::Lease(4));
		assert_eq!(only_pending(0, first).standing, Standing::Seen);
		assert_eq!(only_pending(0, first).offence, Offence::Undelivered);
		// A griefing client's refusal to acknowledge can be cancelled in the window.
		let id = pending(1, second)[0].0;
		assert_ok!(Slashing::cancel(RuntimeOrigin::root(), id));
		run_to(1 + WINDOW);
		assert_eq!(device(0).unwrap().bond, BOND - BOND / 20);
		assert_eq!(device(1).unwrap().bond, BOND);
		assert_eq!(SLASHED.with(|s| s.borrow().clone()), vec![(0, Offence::Undelivered)]);
	});
}

#[test]
fn governance_cancels_within_the_window_and_a_false_reporter_loses_its_deposit() {
	build_and_execute(|| {
		register(0, OWNER);
		start_lease(3, 0, OTHER);
		let incident = Incident::Lease(3);
		// The lease's client reports it: evidence, which applies unless cancelled.
		assert_ok!(report(OTHER, 0, Offence::ResultMismatch, incident));
		let id = last_id();
		assert_eq!(only_pending(0, incident).standing, Standing::Evidence);
		// 10 % of the 10 % claimed, above the minimum.
		let deposit = BOND / 100;
		assert_eq!(Balances::reserved_balance(OTHER), deposit);
		assert_noop!(Slashing::cancel(RuntimeOrigin::signed(OTHER), id), DispatchError::BadOrigin);
		run_to(WINDOW);
		assert_ok!(Slashing::cancel(RuntimeOrigin::root(), id));
		System::assert_last_event(
			Event::SlashCancelled { id, device: 0, deposit_burned: deposit }.into(),
		);
		assert_noop!(Slashing::cancel(RuntimeOrigin::root(), id), Error::<Test>::NotPending);
		run_to(2 * WINDOW);
		assert_eq!(device(0).unwrap().bond, BOND);
		assert_eq!(balance(OTHER), 100_000 - deposit);
		assert_eq!(Balances::reserved_balance(OTHER), 0);
		// A claim small enough still holds the minimum.
		assert_eq!(Slashing::report_deposit(0, Perbill::from_percent(1)), DEPOSIT);
	});
}

/// Scenario 1 of issue 13: a stranger's `Byzantine` report on any device took 100 % of its bond
/// after the window unless the sudo key intervened, and paid the reporter 2 %.
#[test]
fn an_accusation_nobody_upholds_takes_nothing_and_burns_its_deposit() {
	build_and_execute(|| {
		register(0, OWNER);
		// A made-up incident: no lease 1 exists on device 0.
		assert_ok!(report(OTHER, 0, Offence::Byzantine, Incident::Lease(1)));
		let id = last_id();
		let slash = only_pending(0, Incident::Lease(1));
		assert_eq!(slash.standing, Standing::Accusation);
		// The deposit scales with the claim: 10 % of the whole bond, not the 50 minimum.
		assert_eq!(slash.reporter, Some((OTHER, BOND / 10)));
		assert_eq!(Balances::reserved_balance(OTHER), BOND / 10);
		run_to(1 + WINDOW);
		assert_eq!(device(0).unwrap().bond, BOND);
		assert_eq!(balance(OTHER), 100_000 - BOND / 10);
		assert_eq!(Balances::reserved_balance(OTHER), 0);
		System::assert_has_event(
			Event::ReportLapsed { id, device: 0, deposit_burned: BOND / 10 }.into(),
		);
		assert!(SLASHED.with(|s| s.borrow().is_empty()));
		// A lease's client claiming more than a result mismatch is an accusation too, and so is
		// anyone reporting someone else's lease.
		start_lease(2, 0, OTHER);
		assert_ok!(report(OTHER, 0, Offence::Byzantine, Incident::Lease(2)));
		assert_ok!(report(PUPPET, 0, Offence::ResultMismatch, Incident::Lease(2)));
		assert!(pending(0, Incident::Lease(2))
			.iter()
			.all(|(_, p)| p.standing == Standing::Accusation));
		run_to(2 + 2 * WINDOW);
		assert_eq!(device(0).unwrap().bond, BOND);
	});
}

#[test]
fn an_upheld_accusation_applies_and_pays_the_reporter_up_to_the_cap() {
	build_and_execute(|| {
		register(0, OWNER);
		assert_ok!(report(OTHER, 0, Offence::Byzantine, Incident::Lease(1)));
		let id = last_id();
		assert_noop!(Slashing::uphold(RuntimeOrigin::signed(OTHER), id), DispatchError::BadOrigin);
		assert_ok!(Slashing::uphold(RuntimeOrigin::root(), id));
		assert_noop!(Slashing::uphold(RuntimeOrigin::root(), id), Error::<Test>::NotUpholdable);
		run_to(1 + WINDOW);
		// The paper's 30 % reporter share is capped at 2 %; the other 28 % is burned.
		assert_eq!(device(0).unwrap().bond, 0);
		assert_eq!(balance(OTHER), 100_000 + BOND * 2 / 100);
		assert_eq!(Balances::reserved_balance(OTHER), 0);
		System::assert_has_event(
			Event::Slashed {
				id,
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
		// What the chain saw cannot be upheld (there is no reporter to pay).
		register(1, OWNER);
		invalid_proof(1, 5);
		assert_noop!(
			Slashing::uphold(RuntimeOrigin::root(), last_id()),
			Error::<Test>::NotUpholdable
		);
	});
}

#[test]
fn a_lease_clients_evidence_applies_but_pays_nothing_unless_upheld() {
	build_and_execute(|| {
		register(0, OWNER);
		start_lease(7, 0, OTHER);
		assert_ok!(report(OTHER, 0, Offence::ResultMismatch, Incident::Lease(7)));
		// The lease may end meanwhile: the report was checked when made.
		end_lease(7);
		run_to(1 + WINDOW);
		assert_eq!(device(0).unwrap().bond, BOND * 90 / 100);
		// The deposit comes back; no reward without governance.
		assert_eq!(balance(OTHER), 100_000);
		assert_eq!(Balances::reserved_balance(OTHER), 0);
		// A lease that is not running on the device is no evidence.
		start_lease(9, 1, OTHER);
		assert_ok!(report(OTHER, 0, Offence::Performance, Incident::Lease(9)));
		assert_eq!(only_pending(0, Incident::Lease(9)).standing, Standing::Accusation);
		assert_ok!(report(OTHER, 0, Offence::Performance, Incident::Lease(8)));
		assert_eq!(only_pending(0, Incident::Lease(8)).standing, Standing::Accusation);
	});
}

/// Scenario 2 of issue 13: a fake larger report replaced a genuine pending slash, and
/// cancelling the fake left nothing pending.
#[test]
fn cancelling_a_fake_larger_report_keeps_the_genuine_slash() {
	build_and_execute(|| {
		register(0, OWNER);
		set_record(0, 40, 0);
		// The chain saw a miss: 10 % pending.
		miss(0, 3);
		let incident = Incident::Challenge(3);
		let genuine = last_id();
		// The offender files a larger report of the same incident through a puppet...
		assert_ok!(report(PUPPET, 0, Offence::Byzantine, incident));
		let fake = last_id();
		assert_eq!(pending(0, incident).len(), 2);
		// ...and has it cancelled (or lets it lapse): the genuine slash is still there.
		assert_ok!(Slashing::cancel(RuntimeOrigin::root(), fake));
		assert_eq!(pending(0, incident), vec![(genuine, Pending::<Test>::get(genuine).unwrap())]);
		run_to(1 + WINDOW);
		assert_eq!(device(0).unwrap().bond, BOND * 90 / 100);
	});
}

#[test]
fn offences_the_chain_sees_move_to_the_next_free_block_and_reports_keep_out_of_their_slots() {
	build_and_execute(|| {
		register(0, OWNER);
		// Reports may take 2 of the 4 slots at block 1 + WINDOW.
		assert_ok!(report(OTHER, 0, Offence::Performance, Incident::Lease(1)));
		assert_ok!(report(OTHER, 0, Offence::Performance, Incident::Lease(2)));
		assert_noop!(
			report(OTHER, 0, Offence::Performance, Incident::Lease(3)),
			Error::<Test>::TooManySlashes
		);
		// The chain's own offences take the other two, then the next block's.
		for challenge in 0..4 {
			invalid_proof(0, challenge);
		}
		let due_at = |challenge| only_pending(0, Incident::Challenge(challenge)).apply_at;
		assert_eq!(
			[due_at(0), due_at(1), due_at(2), due_at(3)],
			[1 + WINDOW, 1 + WINDOW, 2 + WINDOW, 2 + WINDOW]
		);
		assert!(!System::events()
			.iter()
			.any(|r| matches!(r.event, RuntimeEvent::Slashing(Event::OffenceNotScheduled { .. }))));
		run_to(3 + WINDOW);
		assert_eq!(
			Applied::<Test>::get(0, Incident::Challenge(3)),
			Some(Perbill::from_percent(10))
		);
	});
}

#[test]
fn only_the_largest_offence_of_an_incident_counts() {
	build_and_execute(|| {
		register(0, OWNER);
		start_lease(4, 0, OTHER);
		let incident = Incident::Lease(4);
		// Two reports of one incident are both kept; when both apply, the larger counts once
		// (the second is an accusation, one evidence being pending: governance upholds it).
		assert_ok!(report(OTHER, 0, Offence::Performance, incident));
		assert_ok!(report(OTHER, 0, Offence::ResultMismatch, incident));
		assert_ok!(Slashing::uphold(RuntimeOrigin::root(), last_id()));
		run_to(1 + WINDOW);
		assert_eq!(device(0).unwrap().bond, BOND * 90 / 100);
		assert_eq!(Balances::reserved_balance(OTHER), 0);
		// Applied: the same offence again is refused; a larger one takes only the difference,
		// so the incident costs 100 % in all, not 110 %.
		assert_noop!(
			report(OTHER, 0, Offence::ResultMismatch, incident),
			Error::<Test>::AlreadySlashed
		);
		assert_ok!(report(PUPPET, 0, Offence::Byzantine, incident));
		assert_ok!(Slashing::uphold(RuntimeOrigin::root(), last_id()));
		run_to(2 + 2 * WINDOW);
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
		let first = only_pending(0, Incident::Challenge(1));
		assert_eq!(
			(first.offence, first.fraction),
			(Offence::ResultMismatch, Perbill::from_percent(10))
		);
		Slashing::on_challenge_outcome(0, &OWNER, 2, ChallengeOutcome::Success);
		assert_eq!(Misses::<Test>::get(0), 0);

		// 18 of 20 answered: 90 % uptime, 5 points below target, 10 % per miss in a row.
		set_record(0, 18, 2);
		miss(0, 3);
		assert_eq!(only_pending(0, Incident::Challenge(3)).fraction, Perbill::from_percent(10));
		run_to(2);
		set_record(0, 18, 3);
		miss(0, 4);
		// 18/21 = 85.7 %: 18.6 % per miss, twice in a row.
		let second = only_pending(0, Incident::Challenge(4)).fraction;
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
		// Reports may take two of a block's four slots.
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
		start_lease(1, 0, OTHER);
		assert_ok!(report(OTHER, 0, Offence::Performance, Incident::Lease(1)));
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

/// Issue 18: a split set while a slash is pending does not change how that slash is shared out;
/// it governs the slashes scheduled after it.
#[test]
fn a_split_change_applies_to_later_slashes_only() {
	build_and_execute(|| {
		register(0, OWNER);
		invalid_proof(0, 7);
		// Governance sends nothing to the treasury from now on.
		let no_treasury = SlashSplit {
			burn: Perbill::from_percent(90),
			reporter: Perbill::from_percent(10),
			treasury: Perbill::zero(),
			reporter_cap: Perbill::from_percent(2),
		};
		assert_ok!(Slashing::set_split(RuntimeOrigin::root(), no_treasury));
		invalid_proof(0, 8);
		let treasury = balance(TREASURY);
		run_to(1 + WINDOW);
		// Both slashes took 10 % of what was left; only the first, scheduled under the old split,
		// paid the treasury its 20 %.
		assert_eq!(device(0).unwrap().bond, BOND - 1_000 - 900);
		assert_eq!(balance(TREASURY), treasury + 200);
		assert!(PendingSplits::<Test>::iter().next().is_none());
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

#[test]
fn the_v1_migration_keys_pending_slashes_by_id_and_returns_old_reports_deposits() {
	use crate::migrations::v1;
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	build_and_execute(|| {
		register(0, OWNER);
		StorageVersion::new(0).put::<Slashing>();
		let at = 1 + WINDOW;
		let seen = v1::PendingSlashV0 {
			offence: Offence::ResultMismatch,
			fraction: Perbill::from_percent(10),
			reporter: None,
			apply_at: at,
		};
		let reported = v1::PendingSlashV0 {
			offence: Offence::Byzantine,
			fraction: Perbill::one(),
			reporter: Some((OTHER, DEPOSIT)),
			apply_at: at,
		};
		Balances::hold(&HoldReason::ReportDeposit.into(), &OTHER, DEPOSIT).unwrap();
		v1::Pending::<Test>::insert(0, Incident::Challenge(1), seen);
		v1::Pending::<Test>::insert(0, Incident::Lease(2), reported);
		// Version 0's due list held (device, incident) pairs under the same key.
		let old_due: Vec<(DeviceId, Incident)> =
			vec![(0, Incident::Challenge(1)), (0, Incident::Lease(2))];
		frame_support::storage::unhashed::put(&Due::<Test>::hashed_key_for(at), &old_due);

		v1::Migrate::<Test>::on_runtime_upgrade();
		assert_eq!(Slashing::on_chain_storage_version(), 1);
		assert_eq!(Due::<Test>::get(at).len(), 1);
		assert_eq!(only_pending(0, Incident::Challenge(1)).standing, Standing::Seen);
		// The old unchecked report is gone, its deposit back.
		assert!(pending(0, Incident::Lease(2)).is_empty());
		assert_eq!(Balances::reserved_balance(OTHER), 0);
		Slashing::do_try_state().unwrap();
		// The chain's slash applies.
		run_to(at);
		assert_eq!(device(0).unwrap().bond, BOND * 90 / 100);
		assert_eq!(balance(OTHER), 100_000);
	});
}

#[test]
fn self_reporting_saves_at_most_the_reporter_cap() {
	build_and_execute(|| {
		register(0, OWNER);
		let before = balance(OWNER) + balance(PUPPET);
		// The owner reports its own device through a second account, hoping for the paper's
		// 30 % back, and governance upholds it (say the device did misbehave).
		assert_ok!(report(PUPPET, 0, Offence::Byzantine, Incident::Lease(1)));
		assert_ok!(Slashing::uphold(RuntimeOrigin::root(), last_id()));
		run_to(1 + WINDOW);
		let lost = before - (balance(OWNER) + balance(PUPPET));
		// It loses 98 % of its bond, not 70 %.
		assert_eq!(lost, BOND * 98 / 100);
		// Reporting from the owner account itself pays nothing at all, even upheld.
		register(1, OWNER);
		let before = balance(OWNER);
		assert_ok!(report(OWNER, 1, Offence::Byzantine, Incident::Lease(2)));
		assert_ok!(Slashing::uphold(RuntimeOrigin::root(), last_id()));
		run_to(2 + 2 * WINDOW);
		assert_eq!(before - balance(OWNER), BOND);
	});
}

/// Review of issue 13's change: a client could lease, report, release and lease again, each
/// lease a new incident, compounding 10 % slashes without governance.
#[test]
fn a_client_cannot_compound_evidence_lease_after_lease() {
	build_and_execute(|| {
		register(0, OWNER);
		for lease in 1..=3 {
			start_lease(lease, 0, OTHER);
			assert_ok!(report(OTHER, 0, Offence::ResultMismatch, Incident::Lease(lease)));
			end_lease(lease);
			// Reports may take two of a block's four slots.
			run_to(lease);
		}
		// Only the first is evidence; the others need upholding.
		let standings: Vec<Standing> =
			(1..=3).map(|lease| only_pending(0, Incident::Lease(lease)).standing).collect();
		assert_eq!(standings, vec![Standing::Evidence, Standing::Accusation, Standing::Accusation]);
		run_to(1 + WINDOW);
		assert_eq!(device(0).unwrap().bond, BOND * 90 / 100);
		assert!(PendingEvidence::<Test>::get(0).is_none());
	});
}
