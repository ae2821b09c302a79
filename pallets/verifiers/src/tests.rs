//! The scenarios at the pallet level: rounds, committees, majorities, audits, re-tests,
//! pay and penalties, and bad input changing nothing.

#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

use crate::{mock::*, *};
use ember_pocps::{round::RoundChallenge, NativeSha256};
use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold};
use sp_core::Pair;

const D1: DeviceId = 100;
const D2: DeviceId = 101;

fn endpoint() -> BoundedVec<u8, ConstU32<64>> {
	b"ws://127.0.0.1:9950".to_vec().try_into().unwrap()
}

/// Devices D1 (owner 1) and D2 (owner 2) with endpoints; verifiers 10, 11, 12 bonded; round 1
/// open.
fn setup() {
	MockDevices::add(D1, 1);
	MockDevices::add(D2, 2);
	assert_ok!(Verifiers::set_endpoint(RuntimeOrigin::signed(1), D1, endpoint()));
	assert_ok!(Verifiers::set_endpoint(RuntimeOrigin::signed(2), D2, endpoint()));
	for v in [10, 11, 12] {
		assert_ok!(Verifiers::register_verifier(RuntimeOrigin::signed(v), 2 * MIN_BOND));
	}
	run_to(PERIOD);
	assert_eq!(CurrentRound::<Test>::get().index, 1);
}

/// What an honest device answers verifier `v` in the open round: the pass to post.
fn honest_pass(device: DeviceId, round: RoundIndex, v: AccountId) -> Verdict {
	let seed = if round & RETEST != 0 {
		Retests::<Test>::get(device).unwrap().seed
	} else {
		CurrentRound::<Test>::get().seed
	};
	let nonce = [v as u8; 32];
	let dev = MockDevices::get(device);
	let challenge = RoundChallenge { device, seed, verifier: verifier_id(&v), nonce };
	let tree = dev.dataset.run_round::<NativeSha256>(&ROUND, &challenge).unwrap();
	let result = tree.root();
	let signature = dev.key.sign(&ember_pocps::round::round_message(&challenge, &result)).0;
	Verdict::Pass { nonce, result, signature }
}

/// The honest answer to the open audit of `device` in `round`.
fn honest_audit(device: DeviceId, round: RoundIndex) -> ember_pocps::round::RoundOpening {
	let (audit, asked) = Verifiers::audit_request(round, device).unwrap();
	let dev = MockDevices::get(device);
	let challenge = Verifiers::audit_challenge(device, &audit);
	let tree = dev.dataset.run_round::<NativeSha256>(&ROUND, &challenge).unwrap();
	dev.dataset.open_round::<NativeSha256>(&ROUND, &challenge, &tree, &asked).unwrap()
}

fn post(v: AccountId, round: RoundIndex, verdicts: Vec<(DeviceId, Verdict)>) -> DispatchResult {
	Verifiers::post_verdicts(RuntimeOrigin::signed(v), round, verdicts.try_into().unwrap())
}

fn bond(v: AccountId) -> Balance {
	Balances::balance_on_hold(&HoldReason::VerifierBond.into(), &v)
}

fn events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Verifiers(e) => Some(e),
			_ => None,
		})
		.collect()
}

fn end() {
	Verifiers::do_try_state().unwrap();
}

#[test]
fn committees_have_three_verifiers_and_never_the_owner() {
	new_test_ext().execute_with(|| {
		setup();
		// The owner of D1 is a verifier too: it is never on its own device's committee.
		assert_ok!(Verifiers::register_verifier(RuntimeOrigin::signed(1), 2 * MIN_BOND));
		run_to(2 * PERIOD);
		let round = CurrentRound::<Test>::get();
		assert_eq!(RoundVerifiers::<Test>::get(round.index).unwrap().len(), 4);
		for device in [D1, D2] {
			let owner = MockDevices::get(device).owner;
			let committee = Verifiers::committee(round.index, &round.seed, device, &owner, &[]);
			assert_eq!(committee.len(), 3);
			assert!(!committee.contains(&owner));
		}
		// D1's committee is exactly 10, 11, 12; the verifier 1 is assigned D2 only if drawn.
		let assigned = Verifiers::assignments(&1, [D1, D2].into_iter());
		assert!(assigned.iter().all(|a| a.device == D2));
		end();
	});
}

#[test]
fn a_device_passes_on_a_majority_and_each_verdict_is_paid() {
	new_test_ext().execute_with(|| {
		setup();
		assert_ok!(Verifiers::set_audit_share(RuntimeOrigin::root(), Perbill::zero()));
		let before = Balances::free_balance(10);
		assert_ok!(post(10, 1, vec![(D1, honest_pass(D1, 1, 10)), (D2, honest_pass(D2, 1, 10))]));
		assert_eq!(Balances::free_balance(10), before + 2 * REWARD);
		assert_eq!(Tallies::<Test>::get(1, D1).unwrap().decided, None);
		assert_ok!(post(11, 1, vec![(D1, honest_pass(D1, 1, 11))]));
		assert_eq!(Tallies::<Test>::get(1, D1).unwrap().decided, Some(Decision::Passed));
		assert!(events().contains(&Event::RoundPassed { round: 1, device: D1 }));
		// The third verdict still counts (and is paid), the decision stands.
		assert_ok!(post(12, 1, vec![(D1, Verdict::Fail(FailReason::Late))]));
		assert_eq!(Tallies::<Test>::get(1, D1).unwrap().decided, Some(Decision::Passed));
		run_to(PERIOD + 10);
		assert!(faults().is_empty());
		end();
	});
}

#[test]
fn a_device_failed_by_a_majority_is_faulted_after_the_retest_window() {
	new_test_ext().execute_with(|| {
		setup();
		assert_ok!(post(10, 1, vec![(D1, Verdict::Fail(FailReason::Late))]));
		assert_ok!(post(11, 1, vec![(D1, Verdict::Fail(FailReason::Late))]));
		let now = System::block_number();
		assert!(events().contains(&Event::RoundFailed {
			round: 1,
			device: D1,
			fault_at: now + RETEST_WINDOW
		}));
		run_to(now + RETEST_WINDOW - 1);
		assert!(faults().is_empty());
		run_to(now + RETEST_WINDOW);
		assert_eq!(faults(), vec![(D1, ChallengeOutcome::Fault)]);
		end();
	});
}

#[test]
fn a_retest_passed_by_a_fresh_committee_cancels_the_fault() {
	new_test_ext().execute_with(|| {
		setup();
		assert_ok!(Verifiers::register_verifier(RuntimeOrigin::signed(13), 2 * MIN_BOND));
		run_to(2 * PERIOD);
		let round = CurrentRound::<Test>::get();
		let committee = Verifiers::committee(round.index, &round.seed, D1, &1, &[]);
		for v in &committee[..2] {
			assert_ok!(post(*v, round.index, vec![(D1, Verdict::Fail(FailReason::Late))]));
		}
		// Not the owner: refused.
		assert_noop!(
			Verifiers::demand_retest(RuntimeOrigin::signed(2), D1),
			Error::<Test>::NotOwner
		);
		let pot = Balances::free_balance(Verifiers::pot());
		assert_ok!(Verifiers::demand_retest(RuntimeOrigin::signed(1), D1));
		assert_eq!(Balances::free_balance(Verifiers::pot()), pot + RETEST_FEE);
		let retest = Retests::<Test>::get(D1).unwrap();
		// Fresh: neither verifier that failed it, nor the owner.
		assert!(!retest.committee.contains(&committee[0]));
		assert!(!retest.committee.contains(&committee[1]));
		assert_eq!(retest.committee.len(), 2);
		let id = round.index | RETEST;
		assert_eq!(Verifiers::assignments(&retest.committee[0], [D1].into_iter())[0].round, id);
		for v in retest.committee.clone() {
			assert_ok!(post(v, id, vec![(D1, honest_pass(D1, id, v))]));
		}
		assert!(events().contains(&Event::FaultCancelled { round: round.index, device: D1 }));
		run_to(System::block_number() + RETEST_WINDOW + 1);
		assert!(faults().is_empty());
		// Once per `RetestEvery` rounds: a failure in the next round cannot be re-tested.
		run_to(3 * PERIOD);
		let round = CurrentRound::<Test>::get();
		for v in Verifiers::committee(round.index, &round.seed, D1, &1, &[]).iter().take(2) {
			assert_ok!(post(*v, round.index, vec![(D1, Verdict::Fail(FailReason::Late))]));
		}
		assert_noop!(
			Verifiers::demand_retest(RuntimeOrigin::signed(1), D1),
			Error::<Test>::RetestTooSoon
		);
		end();
	});
}

#[test]
fn an_audited_pass_answered_from_the_whole_dataset_verifies() {
	new_test_ext().execute_with(|| {
		setup();
		for v in [10, 11] {
			assert_ok!(post(v, 1, vec![(D1, honest_pass(D1, 1, v))]));
		}
		run_to(System::block_number() + AUDIT_ROLL_DELAY as u64);
		let audit = Audits::<Test>::get(1, D1).unwrap();
		assert_ok!(Verifiers::answer_audit(RuntimeOrigin::signed(1), 1, D1, honest_audit(D1, 1)));
		assert!(events().contains(&Event::AuditPassed { round: 1, device: D1 }));
		run_to(audit.deadline + 1);
		assert!(faults().is_empty());
		assert_eq!(bond(10), 2 * MIN_BOND);
		end();
	});
}

/// The device kept 15/16 of its dataset: the verifiers' off-chain audits missed it, the
/// on-chain audit does not, and every verifier that passed it pays.
#[test]
fn a_device_holding_part_of_its_dataset_fails_its_audit_and_its_passers_are_slashed() {
	new_test_ext().execute_with(|| {
		setup();
		for v in [10, 11] {
			assert_ok!(post(v, 1, vec![(D1, honest_pass(D1, 1, v))]));
		}
		run_to(System::block_number() + AUDIT_ROLL_DELAY as u64);
		let (audit, asked) = Verifiers::audit_request(1, D1).unwrap();
		let dev = MockDevices::get(D1);
		let challenge = Verifiers::audit_challenge(D1, &audit);
		let tree = dev.dataset.run_round::<NativeSha256>(&ROUND, &challenge).unwrap();
		let partial = ember_pocps::round::open_segments::<NativeSha256>(
			&PARAMS,
			&ROUND,
			&challenge,
			&tree,
			&asked,
			|leaf| {
				let mut opening = dev.dataset.opening(leaf)?;
				if (leaf / 4) % 16 == 0 {
					opening.label = [0; 32];
				}
				Some(opening)
			},
		)
		.unwrap();
		// Someone else answering it (to fault the device and slash its verifiers with a bad
		// opening): refused, the audit stays open.
		assert_noop!(
			Verifiers::answer_audit(RuntimeOrigin::signed(2), 1, D1, partial.clone()),
			Error::<Test>::NotOwner
		);
		// Wrong size: refused, the audit stays open.
		let mut short = partial.clone();
		short.segments.pop();
		assert_noop!(
			Verifiers::answer_audit(RuntimeOrigin::signed(1), 1, D1, short),
			Error::<Test>::WrongAuditSize
		);
		assert_ok!(Verifiers::answer_audit(RuntimeOrigin::signed(1), 1, D1, partial));
		assert_eq!(faults(), vec![(D1, ChallengeOutcome::InvalidProof)]);
		assert_eq!(bond(10), 2 * MIN_BOND - 2 * MIN_BOND / 10);
		assert_eq!(bond(11), 2 * MIN_BOND - 2 * MIN_BOND / 10);
		assert_eq!(bond(12), 2 * MIN_BOND);
		end();
	});
}

#[test]
fn an_unanswered_audit_faults_the_device_and_slashes_its_passers() {
	new_test_ext().execute_with(|| {
		setup();
		for v in [10, 11, 12] {
			assert_ok!(post(v, 1, vec![(D2, honest_pass(D2, 1, v))]));
		}
		run_to(System::block_number() + AUDIT_ROLL_DELAY as u64);
		let audit = Audits::<Test>::get(1, D2).unwrap();
		run_to(audit.deadline);
		assert_eq!(faults(), vec![(D2, ChallengeOutcome::Fault)]);
		for v in [10, 11, 12] {
			assert_eq!(bond(v), 2 * MIN_BOND - 2 * MIN_BOND / 10);
		}
		end();
	});
}

/// A verifier posts a result the device never signed: the audit finds it, the forger pays,
/// the device is not faulted.
#[test]
fn a_forged_result_slashes_only_the_verifier_that_posted_it() {
	new_test_ext().execute_with(|| {
		setup();
		let forged = Verdict::Pass { nonce: [1; 32], result: [2; 32], signature: [3; 64] };
		assert_ok!(post(10, 1, vec![(D1, forged)]));
		assert_ok!(post(11, 1, vec![(D1, forged)]));
		run_to(System::block_number() + AUDIT_ROLL_DELAY as u64);
		let audit = Audits::<Test>::get(1, D1).unwrap();
		run_to(audit.deadline);
		assert!(faults().is_empty());
		let slashed = audit.record.verifier;
		assert_eq!(bond(slashed), MIN_BOND);
		let other = if slashed == 10 { 11 } else { 10 };
		assert_eq!(bond(other), 2 * MIN_BOND);
		end();
	});
}

#[test]
fn a_verifier_that_posts_nothing_in_a_round_loses_part_of_its_bond() {
	new_test_ext().execute_with(|| {
		setup();
		assert_ok!(Verifiers::set_audit_share(RuntimeOrigin::root(), Perbill::zero()));
		assert_ok!(post(10, 1, vec![]));
		assert_ok!(post(11, 1, vec![(D1, honest_pass(D1, 1, 11))]));
		run_to(2 * PERIOD);
		assert_eq!(bond(10), 2 * MIN_BOND);
		assert_eq!(bond(11), 2 * MIN_BOND);
		assert_eq!(bond(12), 2 * MIN_BOND - 2 * MIN_BOND / 100);
		assert!(events().contains(&Event::VerifierSlashed {
			who: 12,
			amount: 2 * MIN_BOND / 100,
			reason: SlashReason::MissedRound
		}));
		end();
	});
}

#[test]
fn bad_verdicts_are_refused_and_change_nothing() {
	new_test_ext().execute_with(|| {
		setup();
		MockDevices::add(102, 1);
		let pass = honest_pass(D1, 1, 10);
		// Round 2 is not open, nor round 0.
		assert_noop!(post(10, 2, vec![(D1, pass)]), Error::<Test>::RoundClosed);
		assert_noop!(post(10, 0, vec![(D1, pass)]), Error::<Test>::RoundClosed);
		// Not a verifier of the round (bonded after it opened).
		assert_ok!(Verifiers::register_verifier(RuntimeOrigin::signed(13), 2 * MIN_BOND));
		assert_noop!(post(13, 1, vec![(D1, pass)]), Error::<Test>::NotInRound);
		// A device without an endpoint, a leased one, an unknown one: skipped (the verifier's
		// other verdicts stand), unrecorded and unpaid.
		MockDevices::set_leased(D2, true);
		let before = Balances::free_balance(10);
		assert_ok!(post(10, 1, vec![(102, pass), (D2, pass), (999, pass)]));
		assert_eq!(Balances::free_balance(10), before);
		assert!(Tallies::<Test>::iter().next().is_none());
		assert!(events().contains(&Event::VerdictsPosted {
			round: 1,
			verifier: 10,
			passes: 0,
			fails: 0
		}));
		// Twice on the same device, even within one call: the whole call is refused.
		assert_noop!(post(10, 1, vec![(D1, pass), (D1, pass)]), Error::<Test>::DuplicateVerdict);
		assert_ok!(post(10, 1, vec![(D1, pass)]));
		assert_noop!(post(10, 1, vec![(D1, pass)]), Error::<Test>::DuplicateVerdict);
		// An audit nobody asked for.
		assert_noop!(
			Verifiers::answer_audit(
				RuntimeOrigin::signed(2),
				1,
				D2,
				ember_pocps::round::RoundOpening { segments: Default::default() }
			),
			Error::<Test>::NoAudit
		);
		// A re-test of a device that did not fail.
		assert_noop!(
			Verifiers::demand_retest(RuntimeOrigin::signed(2), D2),
			Error::<Test>::NothingToRetest
		);
		end();
	});
}

#[test]
fn a_verifier_not_on_the_committee_is_refused() {
	new_test_ext().execute_with(|| {
		setup();
		assert_ok!(Verifiers::register_verifier(RuntimeOrigin::signed(13), 2 * MIN_BOND));
		run_to(2 * PERIOD);
		let round = CurrentRound::<Test>::get();
		let committee = Verifiers::committee(round.index, &round.seed, D1, &1, &[]);
		let outsider = [10, 11, 12, 13].into_iter().find(|v| !committee.contains(v)).unwrap();
		assert_noop!(
			post(outsider, round.index, vec![(D1, Verdict::Fail(FailReason::Late))]),
			Error::<Test>::NotOnCommittee
		);
		end();
	});
}

#[test]
fn bonds_endpoints_and_parameters_are_checked() {
	new_test_ext().execute_with(|| {
		MockDevices::add(D1, 1);
		assert_noop!(
			Verifiers::register_verifier(RuntimeOrigin::signed(10), MIN_BOND - 1),
			Error::<Test>::BondTooLow
		);
		assert_ok!(Verifiers::register_verifier(RuntimeOrigin::signed(10), MIN_BOND));
		assert_noop!(
			Verifiers::register_verifier(RuntimeOrigin::signed(10), MIN_BOND),
			Error::<Test>::AlreadyVerifier
		);
		assert_noop!(
			Verifiers::withdraw_bond(RuntimeOrigin::signed(10)),
			Error::<Test>::StillVerifying
		);
		assert_ok!(Verifiers::unregister_verifier(RuntimeOrigin::signed(10)));
		assert_noop!(
			Verifiers::withdraw_bond(RuntimeOrigin::signed(10)),
			Error::<Test>::StillUnbonding
		);
		run_to(31);
		assert_ok!(Verifiers::withdraw_bond(RuntimeOrigin::signed(10)));
		assert_eq!(bond(10), 0);
		assert_eq!(Balances::free_balance(10), 10_000);

		let bad: BoundedVec<u8, ConstU32<64>> = b"ftp://x".to_vec().try_into().unwrap();
		assert_noop!(
			Verifiers::set_endpoint(RuntimeOrigin::signed(1), D1, bad),
			Error::<Test>::BadEndpoint
		);
		assert_noop!(
			Verifiers::set_endpoint(RuntimeOrigin::signed(2), D1, endpoint()),
			Error::<Test>::NotOwner
		);
		assert_ok!(Verifiers::set_endpoint(RuntimeOrigin::signed(1), D1, endpoint()));
		assert_ok!(Verifiers::set_endpoint(RuntimeOrigin::signed(1), D1, endpoint()));
		let held = Balances::balance_on_hold(&HoldReason::EndpointDeposit.into(), &1);
		assert_eq!(held, ENDPOINT_DEPOSIT);
		assert_noop!(
			Verifiers::clear_endpoint(RuntimeOrigin::signed(2), D1),
			Error::<Test>::EndpointInUse
		);
		MockDevices::set_status(D1, DeviceStatus::Retired);
		assert_ok!(Verifiers::clear_endpoint(RuntimeOrigin::signed(2), D1));
		assert_eq!(Balances::balance_on_hold(&HoldReason::EndpointDeposit.into(), &1), 0);

		let mut params = ROUND;
		params.walks = 3;
		assert_noop!(
			Verifiers::set_round_params(RuntimeOrigin::root(), 0, Some(params)),
			Error::<Test>::InvalidRoundParams
		);
		assert_noop!(
			Verifiers::set_round_params(RuntimeOrigin::signed(1), 0, None),
			sp_runtime::DispatchError::BadOrigin
		);
		end();
	});
}

#[test]
fn old_tallies_are_cleared() {
	new_test_ext().execute_with(|| {
		setup();
		assert_ok!(Verifiers::set_audit_share(RuntimeOrigin::root(), Perbill::zero()));
		assert_ok!(post(10, 1, vec![(D1, honest_pass(D1, 1, 10))]));
		run_to(3 * PERIOD + 1);
		assert!(Tallies::<Test>::get(1, D1).is_none());
		assert!(Clearing::<Test>::get().is_empty());
		end();
	});
}

/// A lazy verifier copies an honest verifier's pass (public on chain) instead of testing: the
/// device signed that result for the honest verifier, so the copy does not verify as the
/// copier's and, audited, is a forgery that costs the copier.
#[test]
fn a_pass_copied_from_another_verifier_is_slashed_as_a_forgery() {
	new_test_ext().execute_with(|| {
		setup();
		let honest = honest_pass(D1, 1, 10);
		assert_ok!(post(10, 1, vec![(D1, honest)]));
		assert_ok!(post(11, 1, vec![(D1, honest)]));
		run_to(System::block_number() + AUDIT_ROLL_DELAY as u64);
		let audit = Audits::<Test>::get(1, D1).unwrap();
		run_to(audit.deadline);
		if audit.record.verifier == 11 {
			// The copy was audited: a forgery, the device is not faulted.
			assert_eq!(bond(11), MIN_BOND);
			assert!(faults().is_empty());
		} else {
			// The honest pass was audited and left unanswered: the device is faulted and both
			// passers pay, the copier with them.
			assert_eq!(bond(11), 2 * MIN_BOND - 2 * MIN_BOND / 10);
			assert_eq!(faults(), vec![(D1, ChallengeOutcome::Fault)]);
		}
		end();
	});
}

/// Retiring, or any other dodge, cannot end a round the device is failing: the registry asks
/// this pallet, which reports the failed round until its fault lands.
#[test]
fn a_device_with_a_failed_round_or_an_open_audit_reports_it_open() {
	use ember_primitives::ChallengeInspect;
	new_test_ext().execute_with(|| {
		setup();
		assert!(!Verifiers::has_open_challenge(D1));
		assert_ok!(post(10, 1, vec![(D1, Verdict::Fail(FailReason::Late))]));
		assert_ok!(post(11, 1, vec![(D1, Verdict::Fail(FailReason::Late))]));
		assert!(Verifiers::has_open_challenge(D1));
		run_to(System::block_number() + RETEST_WINDOW);
		assert_eq!(faults(), vec![(D1, ChallengeOutcome::Fault)]);
		assert!(!Verifiers::has_open_challenge(D1));
		// And a fault that landed cannot be re-tested away.
		assert_noop!(
			Verifiers::demand_retest(RuntimeOrigin::signed(1), D1),
			Error::<Test>::NothingToRetest
		);
		// The owner of a suspended device may drop its endpoint; of an active one it may not.
		assert_noop!(
			Verifiers::clear_endpoint(RuntimeOrigin::signed(2), D2),
			Error::<Test>::EndpointInUse
		);
		assert_ok!(Verifiers::clear_endpoint(RuntimeOrigin::signed(1), D1));
		end();
	});
}
