//! PoCPS pallet tests: sealing, challenge scheduling, answers, faults and every error.

// Test and benchmark code: panics and plain arithmetic are how it fails.
#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

use crate::{mock::*, *};
use ember_pocps::prover::Dataset;
use frame_support::{assert_noop, assert_ok, dispatch::Pays, traits::Hooks};

const NONCE: u64 = 1;

/// Seals `device`'s dataset on the CPU (as the miner would) and commits it.
fn seal(device: DeviceId, nonce: u64) -> Dataset {
	let key = <MockDevices as DeviceInspect<AccountId>>::device_key(device).unwrap();
	let data = Dataset::seal::<HostSha256>(PARAMS, encoding_key::<Test>(&key, nonce)).unwrap();
	let owner = <MockDevices as DeviceInspect<AccountId>>::owner(device).unwrap();
	assert_ok!(Pocps::commit_seal(RuntimeOrigin::signed(owner), device, data.root(), nonce));
	data
}

fn open_challenge(device: DeviceId) -> (ChallengeId, ChallengeInfo<u64>) {
	let id = OpenChallenge::<Test>::get(device).expect("an open challenge");
	(id, Challenges::<Test>::get(id).unwrap())
}

fn proof(data: &Dataset, info: &ChallengeInfo<u64>) -> Box<ember_pocps::Proof> {
	Box::new(data.prove::<HostSha256>(&info.seed).unwrap())
}

fn status(device: DeviceId) -> DeviceStatus {
	<MockDevices as DeviceInspect<AccountId>>::status(device).unwrap()
}

#[test]
fn seal_puts_the_device_on_probation_and_schedules_a_challenge() {
	ExtBuilder::build_and_execute(|| {
		MockDevices::add(0, ALICE, DeviceStatus::Registered);
		let data = seal(0, NONCE);
		System::assert_last_event(
			Event::SealCommitted { device: 0, root: data.root(), nonce: NONCE }.into(),
		);
		assert_eq!(status(0), DeviceStatus::Sealed);
		assert_eq!(NextChallengeAt::<Test>::get(0), Some(2));
		assert_eq!(Seals::<Test>::get(0).unwrap().params, PARAMS);
	});
}

#[test]
fn probation_challenge_answered_makes_the_device_active_for_free() {
	ExtBuilder::build_and_execute(|| {
		MockDevices::add(0, ALICE, DeviceStatus::Registered);
		let data = seal(0, NONCE);
		run_to_block(2);
		let (id, info) = open_challenge(0);
		assert_eq!(info.deadline, 2 + u64::from(DEADLINE));
		System::assert_has_event(
			Event::ChallengeOpened {
				device: 0,
				challenge: id,
				seed: info.seed,
				deadline: info.deadline,
			}
			.into(),
		);
		run_to_block(3);
		let result = Pocps::respond(RuntimeOrigin::signed(ALICE), id, proof(&data, &info)).unwrap();
		assert_eq!(result.pays_fee, Pays::No);
		System::assert_last_event(
			Event::ChallengeAnswered { device: 0, challenge: id, latency: 1 }.into(),
		);
		assert_eq!(status(0), DeviceStatus::Active);
		assert_eq!(outcomes(), vec![(0, id, ChallengeOutcome::Success)]);
		assert_eq!(Stats::<Test>::get(0).answered, 1);
		// The next challenge comes 5..=15 blocks later.
		let next = NextChallengeAt::<Test>::get(0).unwrap();
		assert!((3 + 5..=3 + 15).contains(&next), "next challenge at {next}");
	});
}

#[test]
fn a_device_is_challenged_again_and_again() {
	ExtBuilder::build_and_execute(|| {
		MockDevices::add(0, ALICE, DeviceStatus::Registered);
		let data = seal(0, NONCE);
		let mut opened_at = Vec::new();
		for block in 2..=120u64 {
			run_to_block(block);
			if let Some(id) = OpenChallenge::<Test>::get(0) {
				let info = Challenges::<Test>::get(id).unwrap();
				if info.opened_at == block {
					opened_at.push(block);
					assert_ok!(Pocps::respond(
						RuntimeOrigin::signed(ALICE),
						id,
						proof(&data, &info)
					));
				}
			}
		}
		assert!(opened_at.len() >= 7, "challenged at {opened_at:?}");
		let gaps: Vec<u64> = opened_at.windows(2).map(|w| w[1] - w[0]).collect();
		assert!(gaps.iter().all(|g| (5..=15).contains(g)), "gaps {gaps:?}");
		assert!(gaps.iter().any(|g| *g != gaps[0]), "gaps vary: {gaps:?}");
		assert_eq!(Stats::<Test>::get(0).answered as usize, opened_at.len());
	});
}

#[test]
fn a_missed_deadline_is_a_fault() {
	ExtBuilder::build_and_execute(|| {
		MockDevices::add(0, ALICE, DeviceStatus::Registered);
		seal(0, NONCE);
		run_to_block(2);
		let (id, info) = open_challenge(0);
		run_to_block(info.deadline - 1);
		assert!(OpenChallenge::<Test>::contains_key(0), "still open the block before");
		run_to_block(info.deadline);
		System::assert_has_event(Event::ChallengeMissed { device: 0, challenge: id }.into());
		assert_eq!(status(0), DeviceStatus::Suspended);
		assert_eq!(outcomes(), vec![(0, id, ChallengeOutcome::Fault)]);
		assert_eq!(Stats::<Test>::get(0).missed, 1);
		// Suspended devices are not challenged again until they re-seal.
		assert!(NextChallengeAt::<Test>::get(0).is_none());
		run_to_block(info.deadline + 30);
		assert!(OpenChallenge::<Test>::get(0).is_none());
	});
}

#[test]
fn an_invalid_proof_is_recorded_and_suspends() {
	ExtBuilder::build_and_execute(|| {
		MockDevices::add(0, ALICE, DeviceStatus::Registered);
		let data = seal(0, NONCE);
		run_to_block(2);
		let (id, info) = open_challenge(0);
		let mut bad = proof(&data, &info);
		bad.openings[0].label.label[0] ^= 1;
		let result = Pocps::respond(RuntimeOrigin::signed(ALICE), id, bad).unwrap();
		assert_eq!(result.pays_fee, Pays::Yes);
		System::assert_last_event(
			Event::ProofRejected { device: 0, challenge: id, reason: ProofRejection::LabelPath }
				.into(),
		);
		assert_eq!(status(0), DeviceStatus::Suspended);
		assert_eq!(outcomes(), vec![(0, id, ChallengeOutcome::InvalidProof)]);
	});
}

#[test]
fn a_dataset_of_another_key_is_rejected() {
	ExtBuilder::build_and_execute(|| {
		MockDevices::add(0, ALICE, DeviceStatus::Registered);
		// Commit the root of a dataset sealed under another nonce's key.
		let key = <MockDevices as DeviceInspect<AccountId>>::device_key(0).unwrap();
		let wrong = Dataset::seal::<HostSha256>(PARAMS, encoding_key::<Test>(&key, 99)).unwrap();
		assert_ok!(Pocps::commit_seal(RuntimeOrigin::signed(ALICE), 0, wrong.root(), NONCE));
		run_to_block(2);
		let (id, info) = open_challenge(0);
		assert_ok!(Pocps::respond(RuntimeOrigin::signed(ALICE), id, proof(&wrong, &info)));
		// This key picks other parents than the ones opened, or the label does not hash.
		let rejected = System::events().into_iter().any(|r| {
			matches!(
				r.event,
				RuntimeEvent::Pocps(Event::ProofRejected {
					device: 0,
					reason: ProofRejection::ParentPath | ProofRejection::LabelMismatch,
					..
				})
			)
		});
		assert!(rejected);
		assert_eq!(status(0), DeviceStatus::Suspended);
	});
}

#[test]
fn commit_seal_errors() {
	ExtBuilder::build_and_execute(|| {
		MockDevices::add(0, ALICE, DeviceStatus::Registered);
		assert_noop!(
			Pocps::commit_seal(RuntimeOrigin::signed(ALICE), 9, [0; 32], 1),
			Error::<Test>::UnknownDevice
		);
		assert_noop!(
			Pocps::commit_seal(RuntimeOrigin::signed(BOB), 0, [0; 32], 1),
			Error::<Test>::NotOwner
		);
		seal(0, 5);
		assert_noop!(
			Pocps::commit_seal(RuntimeOrigin::signed(ALICE), 0, [0; 32], 5),
			Error::<Test>::StaleNonce
		);
		run_to_block(2);
		assert_noop!(
			Pocps::commit_seal(RuntimeOrigin::signed(ALICE), 0, [0; 32], 6),
			Error::<Test>::ChallengeOpen
		);
		MockDevices::add(1, ALICE, DeviceStatus::Retired);
		assert_noop!(
			Pocps::commit_seal(RuntimeOrigin::signed(ALICE), 1, [0; 32], 1),
			Error::<Test>::DeviceRetired
		);
		MockDevices::add(2, ALICE, DeviceStatus::Registered);
		MockDevices::remove_class(2);
		assert_noop!(
			Pocps::commit_seal(RuntimeOrigin::signed(ALICE), 2, [0; 32], 1),
			Error::<Test>::UnknownClass
		);
	});
}

#[test]
fn respond_errors() {
	ExtBuilder::build_and_execute(|| {
		MockDevices::add(0, ALICE, DeviceStatus::Registered);
		let data = seal(0, NONCE);
		run_to_block(2);
		let (id, info) = open_challenge(0);
		let good = proof(&data, &info);
		assert_noop!(
			Pocps::respond(RuntimeOrigin::signed(ALICE), id + 1, good.clone()),
			Error::<Test>::UnknownChallenge
		);
		assert_noop!(
			Pocps::respond(RuntimeOrigin::signed(BOB), id, good.clone()),
			Error::<Test>::NotOwner
		);
		let mut short = good.clone();
		short.openings.pop();
		assert_noop!(
			Pocps::respond(RuntimeOrigin::signed(ALICE), id, short),
			Error::<Test>::MalformedProof
		);
		let mut no_parents = good.clone();
		let target = no_parents.openings.iter_mut().find(|o| !o.parents.is_empty()).unwrap();
		target.parents.pop();
		assert_noop!(
			Pocps::respond(RuntimeOrigin::signed(ALICE), id, no_parents),
			Error::<Test>::MalformedProof
		);
		// Answered once: a second answer finds no challenge.
		assert_ok!(Pocps::respond(RuntimeOrigin::signed(ALICE), id, good.clone()));
		assert_noop!(
			Pocps::respond(RuntimeOrigin::signed(ALICE), id, good),
			Error::<Test>::UnknownChallenge
		);
	});
}

#[test]
fn late_answers_are_refused() {
	ExtBuilder::build_and_execute(|| {
		MockDevices::add(0, ALICE, DeviceStatus::Registered);
		let data = seal(0, NONCE);
		run_to_block(2);
		let (id, info) = open_challenge(0);
		// A challenge still indexed at its deadline block (its sweep deferred) is refused...
		System::set_block_number(info.deadline);
		assert_noop!(
			Pocps::respond(RuntimeOrigin::signed(ALICE), id, proof(&data, &info)),
			Error::<Test>::DeadlinePassed
		);
		// ...and after the sweep it is gone.
		Pocps::on_initialize(info.deadline);
		assert_noop!(
			Pocps::respond(RuntimeOrigin::signed(ALICE), id, proof(&data, &info)),
			Error::<Test>::UnknownChallenge
		);
	});
}

#[test]
fn respond_needs_a_known_sealed_device() {
	ExtBuilder::build_and_execute(|| {
		MockDevices::add(0, ALICE, DeviceStatus::Registered);
		let data = seal(0, NONCE);
		run_to_block(2);
		let (id, info) = open_challenge(0);
		let answer = proof(&data, &info);
		let seal_info = Seals::<Test>::take(0).unwrap();
		assert_noop!(
			Pocps::respond(RuntimeOrigin::signed(ALICE), id, answer.clone()),
			Error::<Test>::NotSealed
		);
		Seals::<Test>::insert(0, seal_info);
		let device = DEVICES.with(|d| d.borrow().get(&0).cloned().unwrap());
		MockDevices::remove(0);
		assert_noop!(
			Pocps::respond(RuntimeOrigin::signed(ALICE), id, answer),
			Error::<Test>::UnknownDevice
		);
		DEVICES.with(|d| d.borrow_mut().insert(0, device));
	});
}

#[test]
fn retired_devices_are_not_challenged() {
	ExtBuilder::build_and_execute(|| {
		MockDevices::add(0, ALICE, DeviceStatus::Registered);
		seal(0, NONCE);
		MockDevices::set_status(0, DeviceStatus::Retired);
		run_to_block(2);
		assert!(OpenChallenge::<Test>::get(0).is_none());
		assert!(NextChallengeAt::<Test>::get(0).is_none());
	});
}

#[test]
fn full_blocks_push_challenges_to_the_next_block() {
	ExtBuilder::build_and_execute(|| {
		for device in 0..6 {
			MockDevices::add(device, ALICE, DeviceStatus::Registered);
			seal(device, NONCE);
		}
		// MaxChallengesPerBlock is 4: two devices wait one block more.
		assert_eq!(Schedule::<Test>::get(2).len(), 4);
		assert_eq!(Schedule::<Test>::get(3).len(), 2);
		run_to_block(3);
		assert_eq!(OpenChallenge::<Test>::iter().count(), 6);
	});
}

#[test]
fn reseal_after_suspension_restarts_probation() {
	ExtBuilder::build_and_execute(|| {
		MockDevices::add(0, ALICE, DeviceStatus::Registered);
		seal(0, NONCE);
		run_to_block(2);
		let (_, info) = open_challenge(0);
		run_to_block(info.deadline);
		assert_eq!(status(0), DeviceStatus::Suspended);
		let data = seal(0, NONCE + 1);
		assert_eq!(status(0), DeviceStatus::Sealed);
		run_to_block(info.deadline + 1);
		let (id, info) = open_challenge(0);
		assert_ok!(Pocps::respond(RuntimeOrigin::signed(ALICE), id, proof(&data, &info)));
		assert_eq!(status(0), DeviceStatus::Active);
	});
}

#[test]
fn runtime_api_helpers_and_challenge_inspect() {
	ExtBuilder::build_and_execute(|| {
		MockDevices::add(0, ALICE, DeviceStatus::Registered);
		seal(0, NONCE);
		assert!(Pocps::open_challenges(0).is_empty());
		assert!(!<Pocps as ChallengeInspect>::has_open_challenge(0));
		run_to_block(2);
		let (id, info) = open_challenge(0);
		assert_eq!(Pocps::open_challenges(0), vec![(id, info)]);
		assert!(<Pocps as ChallengeInspect>::has_open_challenge(0));
	});
}

#[test]
fn proof_work_bound_covers_the_actual_work() {
	ExtBuilder::build_and_execute(|| {
		MockDevices::add(0, ALICE, DeviceStatus::Registered);
		let data = seal(0, NONCE);
		run_to_block(2);
		let (_, info) = open_challenge(0);
		let bound = proof_work_bound(&proof(&data, &info), 64);
		assert!(bound >= PARAMS.verify_hashes(), "{bound} < {}", PARAMS.verify_hashes());
	});
}

#[test]
fn integrity_test_passes() {
	Pocps::integrity_test();
}

mod property {
	use super::*;
	use codec::{Decode, Encode};
	use proptest::prelude::*;

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(64))]

		/// Whatever byte of an honest answer changes, the pallet never counts it as answered.
		#[test]
		fn a_changed_byte_never_passes(position in any::<prop::sample::Index>(), flip in 1u8..=255) {
			ExtBuilder::build_and_execute(|| {
				MockDevices::add(0, ALICE, DeviceStatus::Registered);
				let data = seal(0, NONCE);
				run_to_block(2);
				let (id, info) = open_challenge(0);
				let mut bytes = proof(&data, &info).encode();
				let at = position.index(bytes.len());
				bytes[at] ^= flip;
				if let Ok(tampered) = ember_pocps::Proof::decode(&mut &bytes[..]) {
					let _ = Pocps::respond(RuntimeOrigin::signed(ALICE), id, Box::new(tampered));
				}
				assert_eq!(Stats::<Test>::get(0).answered, 0);
				assert_ne!(status(0), DeviceStatus::Active);
			});
		}
	}
}
