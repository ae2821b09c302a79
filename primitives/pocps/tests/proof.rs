//! The prover and the verifier agree, and the verifier rejects any tampering, for both proofs:
//! the seal check (labels recomputed from their parents) and storage proofs (leaves only).

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use codec::{Decode, Encode};
use ember_pocps::{
	encoding_key, prover::Dataset, verify, Hash, NativeSha256 as H, Params, Proof, VerifyError,
	SEAL_CHALLENGES,
};
use proptest::prelude::*;
use std::sync::OnceLock;

const PARAMS: Params = Params { lanes: 4, lane_len: 64, parents: 3, iterations: 2, challenges: 6 };

fn ek() -> Hash {
	encoding_key::<H>(&[0x11; 32], &[0x22; 32], 7)
}

fn dataset() -> &'static Dataset {
	static DATASET: OnceLock<Dataset> = OnceLock::new();
	DATASET.get_or_init(|| Dataset::seal::<H>(PARAMS, ek()).unwrap())
}

fn seed(n: u64) -> Hash {
	let mut s = [0u8; 32];
	s[..8].copy_from_slice(&n.to_le_bytes());
	s
}

fn check(seal_check: bool, n: u64, proof: &Proof) -> Result<(), VerifyError> {
	verify::<H>(&PARAMS, &ek(), &dataset().root(), &seed(n), seal_check, proof)
}

#[test]
fn honest_proofs_of_both_kinds_verify() {
	let data = dataset();
	for n in 0..32 {
		for seal_check in [true, false] {
			let proof = data.prove::<H>(&seed(n), seal_check).unwrap();
			assert_eq!(check(seal_check, n, &proof), Ok(()));
		}
	}
}

#[test]
fn a_proof_of_the_other_kind_is_refused() {
	let data = dataset();
	let seal = data.prove::<H>(&seed(3), true).unwrap();
	let storage = data.prove::<H>(&seed(3), false).unwrap();
	assert_eq!(check(false, 3, &seal), Err(VerifyError::WrongKind));
	assert_eq!(check(true, 3, &storage), Err(VerifyError::WrongKind));
}

#[test]
fn first_label_of_a_lane_needs_no_predecessor() {
	// Find a seed whose seal check hits index 0 of some lane, and check it verifies.
	let data = dataset();
	let hit = (0..10_000u64)
		.find(|&n| {
			ember_pocps::challenge::seal_challenge_indices::<H>(&PARAMS, &seed(n))
				.any(|leaf| leaf % u64::from(PARAMS.lane_len) == 0)
		})
		.expect("some seed challenges a lane's first label");
	let Proof::Seal(proof) = data.prove::<H>(&seed(hit), true).unwrap() else { unreachable!() };
	assert_eq!(proof.openings.len(), SEAL_CHALLENGES as usize);
	assert!(proof.openings.iter().any(|o| o.predecessor.is_none() && o.parents.is_empty()));
	assert_eq!(check(true, hit, &Proof::Seal(proof)), Ok(()));
}

#[test]
fn wrong_key_root_seed_or_shape_is_rejected() {
	let data = dataset();
	let other_ek = encoding_key::<H>(&[0x11; 32], &[0x23; 32], 7);
	for seal_check in [true, false] {
		let proof = data.prove::<H>(&seed(1), seal_check).unwrap();
		assert_eq!(
			verify::<H>(&PARAMS, &ek(), &[0u8; 32], &seed(1), seal_check, &proof),
			Err(VerifyError::LabelPath)
		);
		assert!(check(seal_check, 2, &proof).is_err());
		let bad_params = Params { lanes: 3, ..PARAMS };
		assert_eq!(
			verify::<H>(&bad_params, &ek(), &data.root(), &seed(1), seal_check, &proof),
			Err(VerifyError::InvalidParams)
		);
	}
	let seal = data.prove::<H>(&seed(1), true).unwrap();
	assert!(verify::<H>(&PARAMS, &other_ek, &data.root(), &seed(1), true, &seal).is_err());

	let Proof::Seal(mut short) = seal else { unreachable!() };
	short.openings.pop();
	assert_eq!(check(true, 1, &Proof::Seal(short)), Err(VerifyError::WrongChallengeCount));
	let Proof::Storage(mut short) = data.prove::<H>(&seed(1), false).unwrap() else {
		unreachable!()
	};
	short.leaves.pop();
	assert_eq!(check(false, 1, &Proof::Storage(short)), Err(VerifyError::WrongChallengeCount));
}

#[test]
fn a_dataset_sealed_under_another_key_fails_the_seal_check() {
	// A prover who commits to labels of another key (e.g. another device's dataset) opens valid
	// Merkle paths, but this device's key picks other parents, and the labels do not hash from it.
	let other = Dataset::seal::<H>(PARAMS, encoding_key::<H>(&[0x11; 32], &[0x99; 32], 7)).unwrap();
	for n in 0..16 {
		let proof = other.prove::<H>(&seed(n), true).unwrap();
		let result = verify::<H>(&PARAMS, &ek(), &other.root(), &seed(n), true, &proof);
		assert!(
			matches!(result, Err(VerifyError::ParentPath | VerifyError::LabelMismatch)),
			"{result:?}"
		);
	}
}

proptest! {
	#![proptest_config(ProptestConfig::with_cases(256))]

	/// Any changed byte of an encoded proof, of either kind, either fails to decode or fails to
	/// verify.
	#[test]
	fn any_changed_byte_is_rejected(
		n in 0u64..1000,
		seal_check in any::<bool>(),
		position in any::<prop::sample::Index>(),
		flip in 1u8..=255,
	) {
		let proof = dataset().prove::<H>(&seed(n), seal_check).unwrap();
		let mut bytes = proof.encode();
		let at = position.index(bytes.len());
		bytes[at] ^= flip;
		if let Ok(tampered) = Proof::decode(&mut &bytes[..]) {
			prop_assert!(check(seal_check, n, &tampered).is_err());
		}
	}
}

#[test]
fn sparse_datasets_verify_at_full_depth() {
	let params =
		Params { lanes: 1 << 20, lane_len: 1 << 20, parents: 8, iterations: 3, challenges: 16 };
	for n in 0..2 {
		let sparse =
			ember_pocps::prover::SparseDataset::for_challenge::<H>(&params, &ek(), &seed(n))
				.unwrap();
		for seal_check in [true, false] {
			let proof = sparse.prove::<H>(&params, &ek(), &seed(n), seal_check).unwrap();
			assert_eq!(
				verify::<H>(&params, &ek(), &sparse.root(), &seed(n), seal_check, &proof),
				Ok(())
			);
		}
	}
}

#[test]
fn sparse_datasets_verify_at_small_parameters_but_differ_from_the_sealed_one() {
	// Valid for the verifier (it checks openings, not the unopened labels), yet not the device's
	// dataset: its root differs, which is why only a committed seal counts on chain.
	let sparse =
		ember_pocps::prover::SparseDataset::for_challenge::<H>(&PARAMS, &ek(), &seed(5)).unwrap();
	let proof = sparse.prove::<H>(&PARAMS, &ek(), &seed(5), true).unwrap();
	assert_eq!(verify::<H>(&PARAMS, &ek(), &sparse.root(), &seed(5), true, &proof), Ok(()));
	assert_ne!(sparse.root(), dataset().root());
}
