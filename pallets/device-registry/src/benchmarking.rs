//! Benchmarks for the registry (frame-benchmarking v2).

// Test and benchmark code: panics and plain arithmetic are how it fails.
#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

use super::*;
use crate::Pallet as Registry;
use frame_benchmarking::v2::*;
use frame_support::traits::fungible::Mutate;
use frame_system::RawOrigin;
use p256::ecdsa::{signature::Signer, Signature, SigningKey};
use sp_core::crypto::KeyTypeId;

const KEY_TYPE: KeyTypeId = KeyTypeId(*b"embd");

fn bench_class<T: Config>() -> DeviceClassOf<T> {
	DeviceClass {
		name: BoundedVec::truncate_from(b"bench-gpu".to_vec()),
		min_vram_mib: 80 * 1024,
		pocps: ember_pocps::Params {
			lanes: 1 << 12,
			lane_len: 1 << 16,
			parents: 6,
			iterations: 64,
			challenges: 16,
		},
		response_deadline: 4u32.into(),
		min_challenge_interval: 10u32.into(),
		max_challenge_interval: 40u32.into(),
		bond: T::Currency::minimum_balance().saturating_mul(100u32.into()),
		require_certificate: false,
	}
}

fn p256_key(seed: u8) -> SigningKey {
	let mut bytes = [seed; 32];
	bytes[0] = 1;
	SigningKey::from_slice(&bytes).expect("non-zero scalar below the order")
}

fn p256_public(key: &SigningKey) -> P256Public {
	let point = key.verifying_key().to_encoded_point(true);
	let mut out = [0u8; 33];
	out.copy_from_slice(point.as_bytes());
	out
}

fn p256_sign(key: &SigningKey, message: &[u8]) -> P256Signature {
	let signature: Signature = key.sign(message);
	let mut out = [0u8; 64];
	out.copy_from_slice(&signature.to_bytes());
	out
}

/// A funded account, a fresh device key and its registration signature, and an attestation with
/// `chain` certificates (self-signed for 0), the root installed.
fn setup_registration<T: Config>(
	chain: u32,
) -> (T::AccountId, H256, [u8; 32], [u8; 64], AttestationOf<T>) {
	let who: T::AccountId = whitelisted_caller();
	let class = bench_class::<T>();
	T::Currency::set_balance(&who, class.bond.saturating_mul(10u32.into()));
	Classes::<T>::insert(0, class);
	NextClassId::<T>::put(1);

	let fingerprint = H256::repeat_byte(0xf1);
	let device_key = sp_io::crypto::sr25519_generate(KEY_TYPE, None);
	let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
	let genesis = H256::from_slice(genesis.as_ref());
	let payload = attestation::registration_payload(&who, &fingerprint, &genesis);
	let signature =
		sp_io::crypto::sr25519_sign(KEY_TYPE, &device_key, &payload).expect("key generated above");

	let attestation = if chain == 0 {
		Attestation::SelfSigned
	} else {
		let root = p256_key(0);
		let keys: alloc::vec::Vec<SigningKey> = (1..=chain).map(|i| p256_key(i as u8)).collect();
		let mut certificates = alloc::vec::Vec::new();
		for (i, key) in keys.iter().enumerate() {
			let issuer = keys.get(i + 1).unwrap_or(&root);
			let public_key = p256_public(key);
			certificates.push(Certificate {
				public_key,
				signature: p256_sign(issuer, &attestation::certificate_payload(&public_key)),
			});
		}
		AttestationRoots::<T>::put(BoundedVec::truncate_from(alloc::vec![p256_public(&root)]));
		Attestation::CertificateChain {
			root: 0,
			leaf_signature: p256_sign(
				&keys[0],
				&attestation::attestation_payload(&device_key.0, &fingerprint),
			),
			certificates: BoundedVec::truncate_from(certificates),
		}
	};
	(who, fingerprint, device_key.0, signature.0, attestation)
}

fn registered_device<T: Config>() -> (T::AccountId, DeviceId) {
	let (who, fingerprint, key, signature, attestation) = setup_registration::<T>(0);
	let device = Registry::<T>::do_register(
		who.clone(),
		0,
		u32::MAX,
		fingerprint,
		key,
		signature,
		attestation,
	)
	.expect("valid registration");
	(who, device)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn create_class() -> Result<(), BenchmarkError> {
		let origin =
			T::ClassOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let class = bench_class::<T>();
		let id = NextClassId::<T>::get();
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, class);
		assert!(Classes::<T>::contains_key(id));
		Ok(())
	}

	#[benchmark]
	fn update_class() -> Result<(), BenchmarkError> {
		let origin =
			T::ClassOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		Classes::<T>::insert(0, bench_class::<T>());
		let mut class = bench_class::<T>();
		class.response_deadline = 5u32.into();
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, 0, class);
		assert_eq!(Classes::<T>::get(0).map(|c| c.response_deadline), Some(5u32.into()));
		Ok(())
	}

	#[benchmark]
	fn set_attestation_roots(
		r: Linear<0, { T::MaxAttestationRoots::get() }>,
	) -> Result<(), BenchmarkError> {
		let origin =
			T::ClassOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let roots: alloc::vec::Vec<P256Public> =
			(0..r).map(|i| p256_public(&p256_key(i as u8))).collect();
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, roots);
		assert_eq!(AttestationRoots::<T>::get().len() as u32, r);
		Ok(())
	}

	#[benchmark]
	fn register_device(c: Linear<0, { T::MaxCertificateChain::get() }>) {
		let (who, fingerprint, key, signature, attestation) = setup_registration::<T>(c);
		#[extrinsic_call]
		_(RawOrigin::Signed(who), 0, u32::MAX, fingerprint, key, signature, attestation);
		assert!(Fingerprints::<T>::contains_key(fingerprint));
	}

	#[benchmark]
	fn retire_device() {
		let (who, device) = registered_device::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(who), device);
		assert_eq!(Devices::<T>::get(device).map(|d| d.status), Some(DeviceStatus::Retired));
	}

	#[benchmark]
	fn withdraw_bond() -> Result<(), BenchmarkError> {
		let (who, device) = registered_device::<T>();
		Registry::<T>::retire_device(RawOrigin::Signed(who.clone()).into(), device)?;
		let later =
			frame_system::Pallet::<T>::block_number().saturating_add(T::UnbondingPeriod::get());
		frame_system::Pallet::<T>::set_block_number(later);
		#[extrinsic_call]
		_(RawOrigin::Signed(who), device);
		assert!(!Devices::<T>::contains_key(device));
		Ok(())
	}

	impl_benchmark_test_suite!(Registry, crate::mock::ExtBuilder::build(), crate::mock::Test);
}
