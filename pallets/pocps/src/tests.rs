//! PoCPS pallet tests: sealing and admission, the seal check, drawn storage challenges with
//! VRF-only seeds, answers, faults and every error.

// Test and benchmark code: panics and plain arithmetic are how it fails.
#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

use crate::{mock::*, *};
use ember_pocps::{prover::Dataset, Proof};
use frame_support::{assert_noop, assert_ok, dispatch::Pays, traits::Hooks};

const NONCE: u64 = 1;
/// A seal committed in block 1 has its seal check's seed once blocks 2..=9's VRF outputs are on
/// chain: from block 10.
const SEAL_READY: u64 = 1 + SEAL_CHECK_BEACONS as u64 + 1;
/// The seal check's deadline for a seal committed in block 1.
const SEAL_DEADLINE: u64 = 1 + SEAL_CHECK_BEACONS as u64 + DEADLINE as u64;

/// Seals `device`'s dataset on the CPU (as the miner would) and commits it.
fn seal(device: DeviceId, nonce: u64) -> Dataset {
	let key = <MockDevices as DeviceInspect<AccountId>>::device_key(device).unwrap();
	let data = Dataset::seal::<HostSha256>(PARAMS, encoding_key::<Test>(&key, nonce)).unwrap();
	let owner = <MockDevices as DeviceInspect<AccountId>>::owner(device).unwrap();
	assert_ok!(Pocps::commit_seal(
		RuntimeOrigin::signed(owner),
		device,
		data.root(),
		nonce,
		PARAMS
	));
	data
}

fn open_challenge(device: DeviceId) -> (ChallengeId, ChallengeInfo<u64>) {
	let id = OpenChallenge::<Test>::get(device).expect("an open challenge");
	(id, Challenges::<Test>::get(id).unwrap())
}

/// The honest answer to challenge `id` (whose seed must be known).
fn proof(data: &Dataset, id: ChallengeId, info: &ChallengeInfo<u64>) -> Box<Proof> {
	let seed = Pocps::seed(id, info).expect("the seed is known");
	Box::new(data.prove::<HostSha256>(&seed, info.seal_check).unwrap())
}

/// Advances to the first block the device's open challenge is answerable in, and answers it.
fn answer(data: &Dataset, device: DeviceId) -> ChallengeId {
	let (id, info) = open_challenge(device);
	run_to_block(System::block_number().max(Pocps::answerable_from(&info)));
	assert_ok!(Pocps::respond(RuntimeOrigin::signed(ALICE), id, proof(data, id, &info)));
	id
}

/// Runs blocks until `device` has an open challenge (a drawn or owed one).
fn run_until_challenged(device: DeviceId) {
	let mut block = System::block_number();
	while OpenChallenge::<Test>::get(device).is_none() {
		block += 1;
		run_to_block(block);
		assert!(block < 1_000, "device {device} is never challenged");
	}
}

fn status(device: DeviceId) -> DeviceStatus {
	<MockDevices as DeviceInspect<AccountId>>::status(device).unwrap()
}

#[test]
fn seal_puts_the_device_on_probation_indexes_it_and_opens_its_seal_check() {
	ExtBuilder::build_and_execute(|| {
		MockDevices::add(0, ALICE, DeviceStatus::Registered);
		let data = seal(0, NONCE);
		System::assert_has_event(
			Event::SealCommitted { device: 0, root: data.root(), nonce: NONCE }.into(),
		);
		assert_eq!(status(0), DeviceStatus::Sealed);
		let seal = Seals::<Test>::get(0).unwrap();
		assert_eq!((seal.params, seal.class, seal.rate), (PARAMS, 0, RATE_UNIT / 10));
		assert_eq!(
			MemberOf::<Test>::get(0),
			Some(Membership { class: 0, index: 0, rate: 100_000 })
		);
		assert_eq!(Load::<Test>::get(), 100_000);
		let (id, info) = open_challenge(0);
		assert!(info.seal_check);
		assert_eq!((info.opened_at, info.deadline), (1, SEAL_DEADLINE));
		System::assert_last_event(
			Event::ChallengeOpened {
				device: 0,
				challenge: id,
				seal_check: true,
				deadline: SEAL_DEADLINE,
			}
			.into(),
		);
	});
}

#[test]
fn the_seal_checks_seed_is_unknown_until_eight_later_vrf_outputs_are_on_chain() {
	ExtBuilder::build_and_execute(|| {
		MockDevices::add(0, ALICE, DeviceStatus::Registered);
		let data = seal(0, NONCE);
		let (id, info) = open_challenge(0);
		// Block 10 records block 9's VRF output, the last of blocks 2..=9 the seed mixes.
		run_to_block(SEAL_READY - 1);
		assert_eq!(Pocps::seed(id, &info), None);
		let honest = Box::new(data.prove::<HostSha256>(&[0u8; 32], true).unwrap());
		assert_noop!(
			Pocps::respond(RuntimeOrigin::signed(ALICE), id, honest),
			Error::<Test>::SeedNotYetKnown
		);
		run_to_block(SEAL_READY);
		assert_eq!(Pocps::answerable_from(&info), SEAL_READY);
		let seed = Pocps::seed(id, &info).unwrap();
		// The seed mixes VRF outputs only: the parent hash (which an author can re-sign to
		// grind) does not enter it, nor does the commitment block's own output.
		let beacons: Vec<[u8; 32]> = (2..=9).map(|b| Beacon::<Test>::get(b).unwrap()).collect();
		let expected = sp_io::hashing::blake2_256(&(b"EMBSEAL2", beacons, 0u64, id).encode());
		assert_eq!(seed, expected);
		System::set_parent_hash([0xab; 32].into());
		Beacon::<Test>::insert(1, [0xcd; 32]);
		assert_eq!(Pocps::seed(id, &info), Some(seed));
		assert_eq!(
			Pocps::open_challenges(0),
			vec![(id, OpenChallengeView { info, seed: Some(seed) })]
		);
	});
}

#[test]
fn a_storage_challenges_seed_needs_its_block_and_the_next() {
	ExtBuilder::build_and_execute(|| {
		MockDevices::add(0, ALICE, DeviceStatus::Registered);
		let data = seal(0, NONCE);
		answer(&data, 0);
		run_until_challenged(0);
		let (id, info) = open_challenge(0);
		assert!(!info.seal_check);
		assert_eq!(Pocps::seed(id, &info), None);
		run_to_block(info.opened_at + 1);
		assert_eq!(Pocps::seed(id, &info), None);
		run_to_block(info.opened_at + 2);
		let expected = sp_io::hashing::blake2_256(
			&(
				b"EMBSEED2",
				Beacon::<Test>::get(info.opened_at).unwrap(),
				Beacon::<Test>::get(info.opened_at + 1).unwrap(),
				0u64,
				id,
			)
				.encode(),
		);
		assert_eq!(Pocps::seed(id, &info), Some(expected));
		// A storage answer is free.
		let result =
			Pocps::respond(RuntimeOrigin::signed(ALICE), id, proof(&data, id, &info)).unwrap();
		assert_eq!(result.pays_fee, Pays::No);
	});
}

#[test]
fn the_seal_check_makes_the_device_active_and_is_paid_for() {
	ExtBuilder::build_and_execute(|| {
		MockDevices::add(0, ALICE, DeviceStatus::Registered);
		let data = seal(0, NONCE);
		let (id, info) = open_challenge(0);
		run_to_block(SEAL_READY);
		let result =
			Pocps::respond(RuntimeOrigin::signed(ALICE), id, proof(&data, id, &info)).unwrap();
		// Up to half a megabyte once per seal: not free, or re-sealing would fill blocks.
		assert_eq!(result.pays_fee, Pays::Yes);
		System::assert_has_event(
			Event::ChallengeAnswered { device: 0, challenge: id, latency: SEAL_CHECK_BEACONS + 1 }
				.into(),
		);
		assert_eq!(status(0), DeviceStatus::Active);
		assert_eq!(outcomes(), vec![(0, id, ChallengeOutcome::Success)]);
		assert_eq!(Stats::<Test>::get(0).answered, 1);
		// The device was the only one drawn while its seal check was open: what it owes comes
		// next, as a storage challenge.
		assert!(OpenChallenge::<Test>::get(0).is_none_or(|next| next != id));
	});
}

#[test]
fn a_seal_check_answered_with_a_storage_proof_is_malformed_and_changes_nothing() {
	ExtBuilder::build_and_execute(|| {
		MockDevices::add(0, ALICE, DeviceStatus::Registered);
		let data = seal(0, NONCE);
		let (id, info) = open_challenge(0);
		run_to_block(SEAL_READY);
		let seed = Pocps::seed(id, &info).unwrap();
		let storage = Box::new(data.prove::<HostSha256>(&seed, false).unwrap());
		assert_noop!(
			Pocps::respond(RuntimeOrigin::signed(ALICE), id, storage),
			Error::<Test>::MalformedProof
		);
	});
}

/// Runs blocks `from..=to`, answering every challenge of the devices as soon as its seed is
/// known; returns the blocks at which each storage challenge opened.
fn answer_everything(devices: &[(DeviceId, &Dataset)], from: u64, to: u64) -> Vec<(DeviceId, u64)> {
	let mut opened = Vec::new();
	for block in from..=to {
		run_to_block(block);
		for (device, data) in devices {
			if let Some(id) = OpenChallenge::<Test>::get(device) {
				let info = Challenges::<Test>::get(id).unwrap();
				if info.opened_at == block && !info.seal_check {
					opened.push((*device, block));
				}
				if Pocps::seed(id, &info).is_some() {
					assert_ok!(Pocps::respond(
						RuntimeOrigin::signed(ALICE),
						id,
						proof(data, id, &info)
					));
				}
			}
		}
	}
	opened
}

#[test]
fn devices_are_challenged_at_their_classs_rate_at_unpredictable_times() {
	ExtBuilder::build_and_execute(|| {
		let data: Vec<Dataset> = (0..5)
			.map(|device| {
				MockDevices::add(device, ALICE, DeviceStatus::Registered);
				seal(device, NONCE)
			})
			.collect();
		let devices: Vec<(DeviceId, &Dataset)> = (0..5).zip(data.iter()).collect();
		let opened = answer_everything(&devices, 2, 401);
		// 5 devices × one challenge per 10 blocks × 400 blocks: 200 expected. A draw that hits
		// a device with a challenge still open is owed and served when it answers.
		assert!((150..=250).contains(&opened.len()), "{} challenges", opened.len());
		for device in 0..5 {
			let times: Vec<u64> =
				opened.iter().filter(|(d, _)| *d == device).map(|(_, b)| *b).collect();
			let gaps: Vec<u64> = times.windows(2).map(|w| w[1] - w[0]).collect();
			// Memoryless: short and long gaps of either parity occur, so no gap can be predicted
			// (the shortest is 2: a draw owed while the last was open, served at its answer).
			assert!(gaps.iter().all(|g| *g >= 2), "device {device} gaps {gaps:?}");
			assert!(gaps.iter().any(|g| *g <= 5), "device {device} gaps {gaps:?}");
			assert!(gaps.iter().any(|g| *g >= 20), "device {device} gaps {gaps:?}");
			assert!(gaps.iter().any(|g| g % 2 == 1), "device {device} gaps {gaps:?}");
			assert!(times.len() >= 20, "device {device} challenged {} times", times.len());
		}
		assert_eq!(Stats::<Test>::get(0).missed, 0);
		assert!((0..5).all(|d| status(d) == DeviceStatus::Active));
	});
}

#[test]
fn a_missed_deadline_is_a_fault_and_leaves_the_index() {
	ExtBuilder::build_and_execute(|| {
		MockDevices::add(0, ALICE, DeviceStatus::Registered);
		seal(0, NONCE);
		let (id, info) = open_challenge(0);
		run_to_block(info.deadline - 1);
		assert!(OpenChallenge::<Test>::contains_key(0), "still open the block before");
		run_to_block(info.deadline);
		System::assert_has_event(Event::ChallengeMissed { device: 0, challenge: id }.into());
		assert_eq!(status(0), DeviceStatus::Suspended);
		assert_eq!(outcomes(), vec![(0, id, ChallengeOutcome::Fault)]);
		assert_eq!(Stats::<Test>::get(0).missed, 1);
		// Suspended devices are not challenged again until they re-seal.
		assert!(MemberOf::<Test>::get(0).is_none());
		assert_eq!(Load::<Test>::get(), 0);
		run_to_block(info.deadline + 60);
		assert!(OpenChallenge::<Test>::get(0).is_none());
	});
}

#[test]
fn a_missed_storage_challenge_is_a_fault() {
	ExtBuilder::build_and_execute(|| {
		MockDevices::add(0, ALICE, DeviceStatus::Registered);
		let data = seal(0, NONCE);
		answer(&data, 0);
		assert_eq!(status(0), DeviceStatus::Active);
		// Wait for a drawn storage challenge and let it lapse.
		run_until_challenged(0);
		let (id, info) = open_challenge(0);
		assert!(!info.seal_check);
		run_to_block(info.deadline);
		assert_eq!(status(0), DeviceStatus::Suspended);
		assert_eq!(outcomes().last(), Some(&(0, id, ChallengeOutcome::Fault)));
	});
}

#[test]
fn an_invalid_proof_is_recorded_and_suspends() {
	ExtBuilder::build_and_execute(|| {
		MockDevices::add(0, ALICE, DeviceStatus::Registered);
		let data = seal(0, NONCE);
		let (id, info) = open_challenge(0);
		run_to_block(SEAL_READY);
		let mut bad = proof(&data, id, &info);
		let Proof::Seal(ref mut seal) = *bad else { unreachable!() };
		seal.openings[0].label.label[0] ^= 1;
		let result = Pocps::respond(RuntimeOrigin::signed(ALICE), id, bad).unwrap();
		assert_eq!(result.pays_fee, Pays::Yes);
		System::assert_last_event(
			Event::ProofRejected { device: 0, challenge: id, reason: ProofRejection::LabelPath }
				.into(),
		);
		assert_eq!(status(0), DeviceStatus::Suspended);
		assert!(MemberOf::<Test>::get(0).is_none());
		assert_eq!(outcomes(), vec![(0, id, ChallengeOutcome::InvalidProof)]);
	});
}

#[test]
fn a_dataset_of_another_key_fails_the_seal_check() {
	ExtBuilder::build_and_execute(|| {
		MockDevices::add(0, ALICE, DeviceStatus::Registered);
		// Commit the root of a dataset sealed under another nonce's key.
		let key = <MockDevices as DeviceInspect<AccountId>>::device_key(0).unwrap();
		let wrong = Dataset::seal::<HostSha256>(PARAMS, encoding_key::<Test>(&key, 99)).unwrap();
		assert_ok!(Pocps::commit_seal(
			RuntimeOrigin::signed(ALICE),
			0,
			wrong.root(),
			NONCE,
			PARAMS
		));
		let (id, info) = open_challenge(0);
		run_to_block(SEAL_READY);
		assert_ok!(Pocps::respond(RuntimeOrigin::signed(ALICE), id, proof(&wrong, id, &info)));
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
		let commit = |who, device, nonce, params| {
			Pocps::commit_seal(RuntimeOrigin::signed(who), device, [0; 32], nonce, params)
		};
		MockDevices::add(0, ALICE, DeviceStatus::Registered);
		assert_noop!(commit(ALICE, 9, 1, PARAMS), Error::<Test>::UnknownDevice);
		assert_noop!(commit(BOB, 0, 1, PARAMS), Error::<Test>::NotOwner);
		// Sealed under other parameters than the class's: refused, before anything changes.
		let other = ember_pocps::Params { iterations: 3, ..PARAMS };
		assert_noop!(commit(ALICE, 0, 1, other), Error::<Test>::ParamsMismatch);
		seal(0, 5);
		assert_noop!(commit(ALICE, 0, 5, PARAMS), Error::<Test>::StaleNonce);
		assert_noop!(commit(ALICE, 0, 6, PARAMS), Error::<Test>::ChallengeOpen);
		MockDevices::add(1, ALICE, DeviceStatus::Retired);
		assert_noop!(commit(ALICE, 1, 1, PARAMS), Error::<Test>::DeviceRetired);
		MockDevices::add(2, ALICE, DeviceStatus::Registered);
		MockDevices::remove_class(2);
		assert_noop!(commit(ALICE, 2, 1, PARAMS), Error::<Test>::UnknownClass);
		// Classes this chain cannot challenge: too many iterations for `respond`'s weight bound,
		// a deadline shorter than the seed takes to become known, or longer than the beacon.
		let heavy = ember_pocps::Params { iterations: 65, ..PARAMS };
		MockDevices::add_with(3, ALICE, DeviceStatus::Registered, heavy, DEADLINE);
		assert_noop!(commit(ALICE, 3, 1, heavy), Error::<Test>::UnsupportedClass);
		MockDevices::add_with(4, ALICE, DeviceStatus::Registered, PARAMS, 2);
		assert_noop!(commit(ALICE, 4, 1, PARAMS), Error::<Test>::UnsupportedClass);
		MockDevices::add_with(5, ALICE, DeviceStatus::Registered, PARAMS, 9);
		assert_noop!(commit(ALICE, 5, 1, PARAMS), Error::<Test>::UnsupportedClass);
		// A mean interval beyond a million blocks: admitted, the device would never be drawn.
		MockDevices::add(6, ALICE, DeviceStatus::Registered);
		MockDevices::set_interval(6, 2_000_000);
		assert_noop!(commit(ALICE, 6, 1, PARAMS), Error::<Test>::UnsupportedClass);
	});
}

#[test]
fn admission_stops_at_the_answer_space_and_fails_closed() {
	ExtBuilder::build_and_execute(|| {
		// One answer per block at one challenge per 10 blocks each: ten devices.
		for device in 0..10 {
			MockDevices::add(device, ALICE, DeviceStatus::Registered);
			Pocps::commit_seal(RuntimeOrigin::signed(ALICE), device, [1; 32], 1, PARAMS).unwrap();
		}
		assert_eq!(Load::<Test>::get(), RATE_UNIT);
		MockDevices::add(10, ALICE, DeviceStatus::Registered);
		assert_noop!(
			Pocps::commit_seal(RuntimeOrigin::signed(ALICE), 10, [1; 32], 1, PARAMS),
			Error::<Test>::ChallengeCapacityFull
		);
		assert_eq!(status(10), DeviceStatus::Registered);
		// Devices that leave (here by missing their seal checks, whose deadlines the full
		// queues spread over three blocks) make room.
		run_to_block(SEAL_DEADLINE + 2);
		assert_eq!(Load::<Test>::get(), 0);
		assert_ok!(Pocps::commit_seal(RuntimeOrigin::signed(ALICE), 10, [1; 32], 1, PARAMS));
	});
}

#[test]
fn admission_is_bounded_by_the_number_of_classes() {
	ExtBuilder::build_and_execute(|| {
		for (device, class) in [(0, 0), (1, 1), (2, 2)] {
			MockDevices::add(device, ALICE, DeviceStatus::Registered);
			MockDevices::set_class(device, class);
		}
		assert_ok!(Pocps::commit_seal(RuntimeOrigin::signed(ALICE), 0, [1; 32], 1, PARAMS));
		assert_ok!(Pocps::commit_seal(RuntimeOrigin::signed(ALICE), 1, [1; 32], 1, PARAMS));
		assert_eq!(DrawClasses::<Test>::get().into_inner(), vec![0, 1]);
		assert_noop!(
			Pocps::commit_seal(RuntimeOrigin::signed(ALICE), 2, [1; 32], 1, PARAMS),
			Error::<Test>::ChallengeCapacityFull
		);
	});
}

#[test]
fn a_retired_device_leaves_the_index_when_drawn() {
	ExtBuilder::build_and_execute(|| {
		MockDevices::add(0, ALICE, DeviceStatus::Registered);
		MockDevices::add(1, ALICE, DeviceStatus::Registered);
		let first = seal(0, NONCE);
		let second = seal(1, NONCE);
		answer(&first, 0);
		answer(&second, 1);
		MockDevices::set_status(1, DeviceStatus::Retired);
		let mut block = System::block_number();
		while MemberOf::<Test>::get(1).is_some() {
			block += 1;
			run_to_block(block);
			if let Some(id) = OpenChallenge::<Test>::get(0) {
				let info = Challenges::<Test>::get(id).unwrap();
				if Pocps::seed(id, &info).is_some() {
					assert_ok!(Pocps::respond(
						RuntimeOrigin::signed(ALICE),
						id,
						proof(&first, id, &info)
					));
				}
			}
			assert!(block < 400, "the retired device was never drawn");
		}
		assert!(OpenChallenge::<Test>::get(1).is_none());
		assert_eq!(Draws::<Test>::get(0).members, 1);
		assert_eq!(Members::<Test>::get(0, 0), Some(0));
	});
}

#[test]
fn respond_errors() {
	ExtBuilder::build_and_execute(|| {
		MockDevices::add(0, ALICE, DeviceStatus::Registered);
		let data = seal(0, NONCE);
		let (id, info) = open_challenge(0);
		run_to_block(SEAL_READY);
		let good = proof(&data, id, &info);
		assert_noop!(
			Pocps::respond(RuntimeOrigin::signed(ALICE), id + 1, good.clone()),
			Error::<Test>::UnknownChallenge
		);
		assert_noop!(
			Pocps::respond(RuntimeOrigin::signed(BOB), id, good.clone()),
			Error::<Test>::NotOwner
		);
		let mut short = good.clone();
		let Proof::Seal(ref mut seal) = *short else { unreachable!() };
		seal.openings.pop();
		assert_noop!(
			Pocps::respond(RuntimeOrigin::signed(ALICE), id, short),
			Error::<Test>::MalformedProof
		);
		let mut no_parents = good.clone();
		let Proof::Seal(ref mut seal) = *no_parents else { unreachable!() };
		let target = seal.openings.iter_mut().find(|o| !o.parents.is_empty()).unwrap();
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
		let (id, info) = open_challenge(0);
		run_to_block(info.deadline - 1);
		let answer = proof(&data, id, &info);
		// A challenge still indexed at its deadline block (its sweep deferred) is refused...
		System::set_block_number(info.deadline);
		assert_noop!(
			Pocps::respond(RuntimeOrigin::signed(ALICE), id, answer.clone()),
			Error::<Test>::DeadlinePassed
		);
		// ...and after the sweep it is gone.
		Pocps::on_initialize(info.deadline);
		assert_noop!(
			Pocps::respond(RuntimeOrigin::signed(ALICE), id, answer),
			Error::<Test>::UnknownChallenge
		);
	});
}

#[test]
fn respond_needs_a_known_sealed_device() {
	ExtBuilder::build_and_execute(|| {
		MockDevices::add(0, ALICE, DeviceStatus::Registered);
		let data = seal(0, NONCE);
		let (id, info) = open_challenge(0);
		run_to_block(SEAL_READY);
		let answer = proof(&data, id, &info);
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
fn a_class_update_does_not_invalidate_existing_seals() {
	ExtBuilder::build_and_execute(|| {
		MockDevices::add(0, ALICE, DeviceStatus::Registered);
		let data = seal(0, NONCE);
		// Governance changes the class mid-probation: the seal keeps the parameters it was
		// sealed under, and the honest answer still verifies.
		MockDevices::set_params(0, ember_pocps::Params { iterations: 3, ..PARAMS });
		answer(&data, 0);
		assert_eq!(status(0), DeviceStatus::Active);
		assert_eq!(Seals::<Test>::get(0).unwrap().params, PARAMS);
	});
}

#[test]
fn reseal_after_suspension_restarts_probation() {
	ExtBuilder::build_and_execute(|| {
		MockDevices::add(0, ALICE, DeviceStatus::Registered);
		seal(0, NONCE);
		let (_, info) = open_challenge(0);
		run_to_block(info.deadline);
		assert_eq!(status(0), DeviceStatus::Suspended);
		let data = seal(0, NONCE + 1);
		assert_eq!(status(0), DeviceStatus::Sealed);
		assert!(MemberOf::<Test>::get(0).is_some());
		answer(&data, 0);
		assert_eq!(status(0), DeviceStatus::Active);
	});
}

#[test]
fn full_deadline_queues_push_deadlines_later() {
	ExtBuilder::build_and_execute(|| {
		for device in 0..6 {
			MockDevices::add(device, ALICE, DeviceStatus::Registered);
			seal(device, NONCE);
		}
		// MaxChallengesPerBlock is 4: two seal checks get one block more.
		assert_eq!(Deadlines::<Test>::get(SEAL_DEADLINE).len(), 4);
		assert_eq!(Deadlines::<Test>::get(SEAL_DEADLINE + 1).len(), 2);
		assert_eq!(OpenChallenge::<Test>::iter().count(), 6);
	});
}

#[test]
fn the_beacon_keeps_only_what_open_challenges_can_need() {
	ExtBuilder::build_and_execute(|| {
		run_to_block(40);
		// MaxResponseDeadline 8 and 8 seal-check beacons: outputs of blocks 21..=39.
		assert_eq!(Beacon::<Test>::iter().count(), 19);
		assert!(Beacon::<Test>::get(39).is_some() && Beacon::<Test>::get(20).is_none());
	});
}

#[test]
fn runtime_api_helpers_and_challenge_inspect() {
	ExtBuilder::build_and_execute(|| {
		MockDevices::add(0, ALICE, DeviceStatus::Registered);
		assert!(Pocps::open_challenges(0).is_empty());
		assert!(!<Pocps as ChallengeInspect>::has_open_challenge(0));
		seal(0, NONCE);
		let (id, info) = open_challenge(0);
		assert_eq!(Pocps::open_challenges(0), vec![(id, OpenChallengeView { info, seed: None })]);
		assert!(<Pocps as ChallengeInspect>::has_open_challenge(0));
	});
}

#[test]
fn proof_work_bound_covers_the_actual_work() {
	ExtBuilder::build_and_execute(|| {
		MockDevices::add(0, ALICE, DeviceStatus::Registered);
		let data = seal(0, NONCE);
		let (id, info) = open_challenge(0);
		run_to_block(SEAL_READY);
		let bound = proof_work_bound(&proof(&data, id, &info), 64);
		assert!(bound >= PARAMS.seal_verify_hashes(), "{bound} < {}", PARAMS.seal_verify_hashes());
		let seed = Pocps::seed(id, &info).unwrap();
		let storage = data.prove::<HostSha256>(&seed, false).unwrap();
		assert_eq!(proof_work_bound(&storage, 64), PARAMS.storage_verify_hashes());
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

		/// Whatever byte of an honest answer (seal check or storage proof) changes, the pallet
		/// never counts it as answered.
		#[test]
		fn a_changed_byte_never_passes(
			storage in any::<bool>(),
			position in any::<prop::sample::Index>(),
			flip in 1u8..=255,
		) {
			ExtBuilder::build_and_execute(|| {
				MockDevices::add(0, ALICE, DeviceStatus::Registered);
				let data = seal(0, NONCE);
				if storage {
					answer(&data, 0);
					run_until_challenged(0);
				}
				let (id, info) = open_challenge(0);
				run_to_block(System::block_number().max(Pocps::answerable_from(&info)));
				let answered = Stats::<Test>::get(0).answered;
				let mut bytes = proof(&data, id, &info).encode();
				let at = position.index(bytes.len());
				bytes[at] ^= flip;
				if let Ok(tampered) = Proof::decode(&mut &bytes[..]) {
					let _ = Pocps::respond(RuntimeOrigin::signed(ALICE), id, Box::new(tampered));
				}
				assert_eq!(Stats::<Test>::get(0).answered, answered);
				// Refused as malformed (still open) or rejected (the device suspended).
				assert!(
					OpenChallenge::<Test>::get(0) == Some(id) || status(0) == DeviceStatus::Suspended
				);
			});
		}
	}
}

#[test]
fn the_v2_migration_keeps_nonces_and_suspends_v1_devices_to_reseal() {
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	ExtBuilder::build_and_execute(|| {
		MockDevices::add(0, ALICE, DeviceStatus::Active);
		StorageVersion::new(0).put::<Pocps>();
		let old = migrations::v2::SealInfoV1 {
			root: [7; 32],
			nonce: 9,
			params: PARAMS,
			response_deadline: 4,
			min_interval: 10,
			max_interval: 40,
			sealed_at: 1u64,
		};
		let seal_key = Seals::<Test>::hashed_key_for(0);
		frame_support::storage::unhashed::put_raw(&seal_key, &old.encode());
		// A v1 schedule entry and a v1 open challenge (with its seed) in the old layouts.
		let schedule = frame_support::storage::storage_prefix(b"Pocps", b"Schedule");
		frame_support::storage::unhashed::put_raw(&[&schedule[..], &[1u8; 16]].concat(), &[0]);
		let challenges = frame_support::storage::storage_prefix(b"Pocps", b"Challenges");
		frame_support::storage::unhashed::put_raw(&[&challenges[..], &[2u8; 16]].concat(), &[0]);

		migrations::v2::Migrate::<Test>::on_runtime_upgrade();

		let kept = Seals::<Test>::get(0).unwrap();
		assert_eq!((kept.root, kept.nonce, kept.params, kept.rate), ([7; 32], 9, PARAMS, 100_000));
		assert_eq!(status(0), DeviceStatus::Suspended);
		assert_eq!(Pocps::on_chain_storage_version(), 2);
		assert!(frame_support::storage::unhashed::get_raw(&[&schedule[..], &[1u8; 16]].concat())
			.is_none());
		assert!(frame_support::storage::unhashed::get_raw(&[&challenges[..], &[2u8; 16]].concat())
			.is_none());
		// The device re-seals under v2 with a fresh nonce and passes its seal check.
		assert_noop!(
			Pocps::commit_seal(RuntimeOrigin::signed(ALICE), 0, [0; 32], 9, PARAMS),
			Error::<Test>::StaleNonce
		);
		let data = seal(0, 10);
		answer(&data, 0);
		assert_eq!(status(0), DeviceStatus::Active);
	});
}

#[test]
fn a_draw_while_a_challenge_is_open_is_owed_and_served_at_the_answer() {
	ExtBuilder::build_and_execute(|| {
		MockDevices::add(0, ALICE, DeviceStatus::Registered);
		let data = seal(0, NONCE);
		// The only device of its class: every draw during its 13-block seal check hits it.
		run_to_block(SEAL_READY);
		let owed = Owed::<Test>::get(0);
		assert!(owed >= 1, "draws during the seal check are owed");
		let answered = answer(&data, 0);
		// Answering opened the next challenge at once, a storage challenge.
		let (next, info) = open_challenge(0);
		assert_ne!(next, answered);
		assert!(!info.seal_check);
		assert_eq!(info.opened_at, SEAL_READY);
		assert_eq!(Owed::<Test>::get(0), owed - 1);
		// A fault clears what the device owed.
		run_to_block(info.deadline);
		assert_eq!(status(0), DeviceStatus::Suspended);
		assert_eq!(Owed::<Test>::get(0), 0);
	});
}

#[test]
fn the_pool_takes_only_the_owners_answer_to_an_answerable_challenge_and_puts_it_first() {
	use sp_runtime::{
		traits::DispatchTransaction,
		transaction_validity::{InvalidTransaction, TransactionSource::External},
	};
	ExtBuilder::build_and_execute(|| {
		MockDevices::add(0, ALICE, DeviceStatus::Registered);
		let data = seal(0, NONCE);
		let (id, info) = open_challenge(0);
		let ext = PrioritizeAnswers::<Test>::new();
		let info_of =
			|call: &RuntimeCall| frame_support::dispatch::GetDispatchInfo::get_dispatch_info(call);
		let respond = |challenge| {
			RuntimeCall::Pocps(Call::respond {
				challenge,
				proof: Box::new(data.prove::<HostSha256>(&[0; 32], true).unwrap()),
			})
		};
		let validate = |who: AccountId, call: &RuntimeCall| {
			ext.validate_only(Some(who).into(), call, &info_of(call), 0, External, 0)
				.map(|(validity, _, _)| validity)
		};
		let refused = |code| Err(InvalidTransaction::Custom(code).into());
		assert_eq!(validate(ALICE, &respond(id)), refused(extension::refusal::SEED_NOT_YET_KNOWN));
		run_to_block(SEAL_READY);
		assert_eq!(validate(BOB, &respond(id)), refused(extension::refusal::NOT_OWNER));
		assert_eq!(
			validate(ALICE, &respond(id + 7)),
			refused(extension::refusal::UNKNOWN_CHALLENGE)
		);
		let valid = validate(ALICE, &respond(id)).unwrap();
		assert_eq!(valid.priority, extension::ANSWER_PRIORITY);
		assert_eq!(valid.provides.len(), 1);
		// Other calls pass through untouched.
		let remark = RuntimeCall::System(frame_system::Call::remark { remark: vec![1; 10] });
		assert_eq!(validate(BOB, &remark).unwrap().priority, 0);
		System::set_block_number(info.deadline);
		assert_eq!(validate(ALICE, &respond(id)), refused(extension::refusal::DEADLINE_PASSED));
		Pocps::on_initialize(info.deadline);
	});
}
