//! Registry tests: every call's success path and every error.

// Test and benchmark code: panics and plain arithmetic are how it fails.
#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

use crate::{mock::*, *};
use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold};
use p256::ecdsa::{signature::Signer, Signature, SigningKey};
use sp_core::Pair;

/// What an H100 80 GB reports through NVML.
const H100_MIB: u32 = 81_559;

fn register(who: AccountId, seed: u8) -> DeviceId {
	let pair = device_pair(seed);
	let print = fingerprint(seed);
	let sig = sign_registration(&pair, who, print);
	assert_ok!(DeviceRegistry::register_device(
		RuntimeOrigin::signed(who),
		0,
		H100_MIB,
		print,
		pair.public().0,
		sig,
		Attestation::SelfSigned
	));
	NextDeviceId::<Test>::get() - 1
}

fn p256_key(seed: u8) -> SigningKey {
	SigningKey::from_slice(&[seed; 32]).unwrap()
}

fn public(key: &SigningKey) -> P256Public {
	key.verifying_key().to_encoded_point(true).as_bytes().try_into().unwrap()
}

fn sign_p256(key: &SigningKey, message: &[u8]) -> P256Signature {
	let signature: Signature = key.sign(message);
	signature.to_bytes().into()
}

/// A chain root → intermediate → leaf, the leaf signing the device binding.
fn chain(root: &SigningKey, device_key: &[u8; 32], print: H256) -> AttestationOf<Test> {
	let intermediate = p256_key(0x42);
	let leaf = p256_key(0x43);
	let leaf_cert = Certificate {
		public_key: public(&leaf),
		signature: sign_p256(&intermediate, &attestation::certificate_payload(&public(&leaf))),
	};
	let intermediate_cert = Certificate {
		public_key: public(&intermediate),
		signature: sign_p256(root, &attestation::certificate_payload(&public(&intermediate))),
	};
	Attestation::CertificateChain {
		root: 0,
		leaf_signature: sign_p256(&leaf, &attestation::attestation_payload(device_key, &print)),
		certificates: vec![leaf_cert, intermediate_cert].try_into().unwrap(),
	}
}

#[test]
fn genesis_class_exists() {
	ExtBuilder::build_and_execute(|| {
		assert_eq!(Classes::<Test>::get(0), Some(class()));
		assert_eq!(NextClassId::<Test>::get(), 1);
	});
}

#[test]
fn create_and_update_class() {
	ExtBuilder::build_and_execute(|| {
		assert_ok!(DeviceRegistry::create_class(RuntimeOrigin::root(), class()));
		System::assert_last_event(Event::ClassCreated { class: 1 }.into());
		let mut bigger = class();
		bigger.bond = 2 * BOND;
		assert_ok!(DeviceRegistry::update_class(RuntimeOrigin::root(), 1, bigger.clone()));
		System::assert_last_event(Event::ClassUpdated { class: 1 }.into());
		assert_eq!(Classes::<Test>::get(1), Some(bigger));
	});
}

#[test]
fn class_errors() {
	ExtBuilder::build_and_execute(|| {
		assert_noop!(
			DeviceRegistry::create_class(RuntimeOrigin::signed(ALICE), class()),
			sp_runtime::DispatchError::BadOrigin
		);
		for broken in [
			DeviceClass { name: Default::default(), ..class() },
			DeviceClass { pocps: ember_pocps::Params { lanes: 3, ..class().pocps }, ..class() },
			DeviceClass { response_deadline: 2, ..class() },
			DeviceClass { response_deadline: 65, ..class() },
			DeviceClass {
				pocps: ember_pocps::Params { iterations: 1025, ..class().pocps },
				..class()
			},
			DeviceClass { min_challenge_interval: 0, ..class() },
			DeviceClass { min_challenge_interval: 20, max_challenge_interval: 10, ..class() },
			DeviceClass { bond: 0, ..class() },
			DeviceClass {
				pocps: ember_pocps::Params { lanes: 1 << 10, lane_len: 1 << 20, ..class().pocps },
				min_vram_mib: 1024,
				..class()
			},
		] {
			assert_noop!(
				DeviceRegistry::create_class(RuntimeOrigin::root(), broken),
				Error::<Test>::InvalidClass
			);
		}
		assert_noop!(
			DeviceRegistry::update_class(RuntimeOrigin::root(), 9, class()),
			Error::<Test>::UnknownClass
		);
		// An update may not raise iterations past what PoCPS's `respond` weight covers.
		let heavy = DeviceClass {
			pocps: ember_pocps::Params { iterations: 1025, ..class().pocps },
			..class()
		};
		assert_noop!(
			DeviceRegistry::update_class(RuntimeOrigin::root(), 0, heavy),
			Error::<Test>::InvalidClass
		);
	});
}

#[test]
fn attestation_roots() {
	ExtBuilder::build_and_execute(|| {
		let root = public(&p256_key(1));
		assert_ok!(DeviceRegistry::set_attestation_roots(RuntimeOrigin::root(), vec![root]));
		System::assert_last_event(Event::AttestationRootsSet { count: 1 }.into());
		assert_noop!(
			DeviceRegistry::set_attestation_roots(RuntimeOrigin::root(), vec![root; 3]),
			Error::<Test>::TooManyRoots
		);
		assert_noop!(
			DeviceRegistry::set_attestation_roots(RuntimeOrigin::root(), vec![[9u8; 33]]),
			Error::<Test>::BadCertificateChain
		);
	});
}

#[test]
fn register_holds_the_bond_and_indexes_the_device() {
	ExtBuilder::build_and_execute(|| {
		let device = register(ALICE, 1);
		System::assert_last_event(
			Event::DeviceRegistered {
				device,
				owner: ALICE,
				class: 0,
				bond: BOND,
				certified: false,
			}
			.into(),
		);
		assert_eq!(Balances::balance_on_hold(&HoldReason::DeviceBond.into(), &ALICE), BOND);
		let info = Devices::<Test>::get(device).unwrap();
		assert_eq!(info.status, DeviceStatus::Registered);
		assert_eq!(Fingerprints::<Test>::get(fingerprint(1)), Some(device));
		assert_eq!(OwnedDevices::<Test>::get(ALICE).to_vec(), vec![device]);
	});
}

#[test]
fn register_with_a_certificate_chain() {
	ExtBuilder::build_and_execute(|| {
		let root = p256_key(1);
		assert_ok!(DeviceRegistry::set_attestation_roots(
			RuntimeOrigin::root(),
			vec![public(&root)]
		));
		let mut certified_class = class();
		certified_class.require_certificate = true;
		assert_ok!(DeviceRegistry::create_class(RuntimeOrigin::root(), certified_class));

		let pair = device_pair(5);
		let print = fingerprint(5);
		let sig = sign_registration(&pair, ALICE, print);
		assert_noop!(
			DeviceRegistry::register_device(
				RuntimeOrigin::signed(ALICE),
				1,
				H100_MIB,
				print,
				pair.public().0,
				sig,
				Attestation::SelfSigned
			),
			Error::<Test>::CertificateRequired
		);
		assert_ok!(DeviceRegistry::register_device(
			RuntimeOrigin::signed(ALICE),
			1,
			H100_MIB,
			print,
			pair.public().0,
			sig,
			chain(&root, &pair.public().0, print)
		));
		assert!(Devices::<Test>::get(0).unwrap().certified);
	});
}

#[test]
fn bad_certificate_chains_are_refused() {
	ExtBuilder::build_and_execute(|| {
		let root = p256_key(1);
		assert_ok!(DeviceRegistry::set_attestation_roots(
			RuntimeOrigin::root(),
			vec![public(&root)]
		));
		let pair = device_pair(5);
		let print = fingerprint(5);
		let sig = sign_registration(&pair, ALICE, print);
		let try_with = |attestation| {
			DeviceRegistry::register_device(
				RuntimeOrigin::signed(ALICE),
				0,
				H100_MIB,
				print,
				pair.public().0,
				sig,
				attestation,
			)
		};
		// Signed by another root.
		assert_noop!(
			try_with(chain(&p256_key(2), &pair.public().0, print)),
			Error::<Test>::BadCertificateChain
		);
		// Leaf signed another device's binding.
		assert_noop!(try_with(chain(&root, &[0u8; 32], print)), Error::<Test>::BadCertificateChain);
		// Empty chain.
		assert_noop!(
			try_with(Attestation::CertificateChain {
				root: 0,
				leaf_signature: [0u8; 64],
				certificates: Default::default()
			}),
			Error::<Test>::BadCertificateChain
		);
		// Unknown root index.
		let Attestation::CertificateChain { leaf_signature, certificates, .. } =
			chain(&root, &pair.public().0, print)
		else {
			unreachable!()
		};
		assert_noop!(
			try_with(Attestation::CertificateChain { root: 1, leaf_signature, certificates }),
			Error::<Test>::UnknownRoot
		);
	});
}

#[test]
fn registration_errors() {
	ExtBuilder::build_and_execute(|| {
		let pair = device_pair(1);
		let print = fingerprint(1);
		let sig = sign_registration(&pair, ALICE, print);
		let call = |who, class, print, key: [u8; 32], sig| {
			DeviceRegistry::register_device(
				RuntimeOrigin::signed(who),
				class,
				H100_MIB,
				print,
				key,
				sig,
				Attestation::SelfSigned,
			)
		};
		assert_noop!(call(ALICE, 7, print, pair.public().0, sig), Error::<Test>::UnknownClass);
		// Signature made for another account (replay) or with another key.
		assert_noop!(call(BOB, 0, print, pair.public().0, sig), Error::<Test>::BadDeviceSignature);
		assert_noop!(
			call(ALICE, 0, print, device_pair(2).public().0, sig),
			Error::<Test>::BadDeviceSignature
		);
		// Cannot cover the bond.
		let poor_sig = sign_registration(&pair, POOR, print);
		assert_noop!(
			call(POOR, 0, print, pair.public().0, poor_sig),
			Error::<Test>::InsufficientBond
		);

		register(ALICE, 1);
		// Same fingerprint, new key: refused. Same key, new fingerprint: refused.
		let other = device_pair(9);
		let sig = sign_registration(&other, BOB, print);
		assert_noop!(
			call(BOB, 0, print, other.public().0, sig),
			Error::<Test>::DuplicateFingerprint
		);
		let sig = sign_registration(&pair, BOB, fingerprint(9));
		assert_noop!(
			call(BOB, 0, fingerprint(9), pair.public().0, sig),
			Error::<Test>::DuplicateDeviceKey
		);
		// Per-account limit (3).
		register(ALICE, 2);
		register(ALICE, 3);
		let pair4 = device_pair(4);
		let sig = sign_registration(&pair4, ALICE, fingerprint(4));
		assert_noop!(
			call(ALICE, 0, fingerprint(4), pair4.public().0, sig),
			Error::<Test>::TooManyDevices
		);
	});
}

#[test]
fn retire_then_withdraw_after_unbonding() {
	ExtBuilder::build_and_execute(|| {
		let device = register(ALICE, 1);
		assert_ok!(DeviceRegistry::retire_device(RuntimeOrigin::signed(ALICE), device));
		System::assert_last_event(Event::DeviceRetired { device, unbonds_at: 11 }.into());
		assert_noop!(
			DeviceRegistry::withdraw_bond(RuntimeOrigin::signed(ALICE), device),
			Error::<Test>::StillUnbonding
		);
		System::set_block_number(11);
		assert_ok!(DeviceRegistry::withdraw_bond(RuntimeOrigin::signed(ALICE), device));
		System::assert_last_event(
			Event::BondWithdrawn { device, owner: ALICE, amount: BOND }.into(),
		);
		assert_eq!(Balances::balance_on_hold(&HoldReason::DeviceBond.into(), &ALICE), 0);
		assert!(Devices::<Test>::get(device).is_none());
		assert!(Fingerprints::<Test>::get(fingerprint(1)).is_none());
		// The fingerprint is free again.
		register(BOB, 1);
	});
}

#[test]
fn retire_and_withdraw_errors() {
	ExtBuilder::build_and_execute(|| {
		let device = register(ALICE, 1);
		assert_noop!(
			DeviceRegistry::retire_device(RuntimeOrigin::signed(ALICE), 42),
			Error::<Test>::UnknownDevice
		);
		assert_noop!(
			DeviceRegistry::retire_device(RuntimeOrigin::signed(BOB), device),
			Error::<Test>::NotOwner
		);
		assert_noop!(
			DeviceRegistry::withdraw_bond(RuntimeOrigin::signed(ALICE), device),
			Error::<Test>::NotRetired
		);
		assert_noop!(
			DeviceRegistry::withdraw_bond(RuntimeOrigin::signed(ALICE), 42),
			Error::<Test>::UnknownDevice
		);
		OpenChallengeFor::set(Some(device));
		assert_noop!(
			DeviceRegistry::retire_device(RuntimeOrigin::signed(ALICE), device),
			Error::<Test>::ChallengeOpen
		);
		OpenChallengeFor::set(None);
		assert_ok!(DeviceRegistry::retire_device(RuntimeOrigin::signed(ALICE), device));
		assert_noop!(
			DeviceRegistry::retire_device(RuntimeOrigin::signed(ALICE), device),
			Error::<Test>::AlreadyRetired
		);
		assert_noop!(
			DeviceRegistry::withdraw_bond(RuntimeOrigin::signed(BOB), device),
			Error::<Test>::NotOwner
		);
	});
}

#[test]
fn lifecycle_transitions() {
	ExtBuilder::build_and_execute(|| {
		let device = register(ALICE, 1);
		let status = || Devices::<Test>::get(device).unwrap().status;
		// Only challengeable devices can be proven or faulted.
		assert_noop!(
			<DeviceRegistry as DeviceLifecycle>::note_proven(device),
			Error::<Test>::InvalidTransition
		);
		assert_ok!(<DeviceRegistry as DeviceLifecycle>::note_sealed(device));
		assert_eq!(status(), DeviceStatus::Sealed);
		assert_ok!(<DeviceRegistry as DeviceLifecycle>::note_proven(device));
		assert_eq!(status(), DeviceStatus::Active);
		assert_ok!(<DeviceRegistry as DeviceLifecycle>::note_faulted(device));
		assert_eq!(status(), DeviceStatus::Suspended);
		assert_noop!(
			<DeviceRegistry as DeviceLifecycle>::note_faulted(device),
			Error::<Test>::InvalidTransition
		);
		assert_ok!(<DeviceRegistry as DeviceLifecycle>::note_sealed(device));
		assert_ok!(DeviceRegistry::retire_device(RuntimeOrigin::signed(ALICE), device));
		assert_noop!(
			<DeviceRegistry as DeviceLifecycle>::note_sealed(device),
			Error::<Test>::InvalidTransition
		);
		assert_noop!(
			<DeviceRegistry as DeviceLifecycle>::note_sealed(77),
			Error::<Test>::UnknownDevice
		);
		assert_eq!(<DeviceRegistry as DeviceInspect<AccountId>>::owner(device), Some(ALICE));
		assert_eq!(<DeviceRegistry as DeviceInspect<AccountId>>::class(device), Some(0));
		assert_eq!(
			<DeviceRegistry as DeviceInspect<AccountId>>::device_key(device),
			Some(device_pair(1).public().0)
		);
	});
}

#[test]
fn integrity_test_passes() {
	use frame_support::traits::Hooks;
	DeviceRegistry::integrity_test();
}

#[test]
fn a_declared_memory_below_the_class_floor_is_refused() {
	ExtBuilder::build_and_execute(|| {
		// A class for 80 GB cards, with the floor below what they report.
		Classes::<Test>::mutate(0, |class| {
			if let Some(class) = class {
				class.min_vram_mib = 80_000;
			}
		});
		let pair = device_pair(3);
		let print = fingerprint(3);
		let sig = sign_registration(&pair, ALICE, print);
		let register = |memory| {
			DeviceRegistry::register_device(
				RuntimeOrigin::signed(ALICE),
				0,
				memory,
				print,
				pair.public().0,
				sig,
				Attestation::SelfSigned,
			)
		};
		// A 24 GB card cannot join; an H100 80 GB (81,559 MiB) can.
		assert_noop!(register(24_564), Error::<Test>::TooLittleMemory);
		assert_noop!(register(79_999), Error::<Test>::TooLittleMemory);
		assert_ok!(register(H100_MIB));
		assert!(Fingerprints::<Test>::contains_key(print));
	});
}
