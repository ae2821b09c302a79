//! The prover and the verifier agree, and the verifier rejects any tampering.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use codec::{Decode, Encode};
use ember_pocps::{
	encoding_key, prover::Dataset, verify, Hash, NativeSha256 as H, Params, Proof, VerifyError,
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

#[test]
fn honest_proofs_verify() {
	let data = dataset();
	for n in 0..64 {
		let proof = data.prove::<H>(&seed(n)).unwrap();
		assert_eq!(verify::<H>(&PARAMS, &ek(), &data.root(), &seed(n), &proof), Ok(()));
	}
}

#[test]
fn first_label_of_a_lane_needs_no_predecessor() {
	// Find a seed whose challenges hit index 0 of some lane, and check it verifies.
	let data = dataset();
	let hit = (0..10_000u64)
		.find(|&n| {
			ember_pocps::challenge_indices::<H>(&PARAMS, &seed(n))
				.any(|leaf| leaf % u64::from(PARAMS.lane_len) == 0)
		})
		.expect("some seed challenges a lane's first label");
	let proof = data.prove::<H>(&seed(hit)).unwrap();
	assert!(proof.openings.iter().any(|o| o.predecessor.is_none() && o.parents.is_empty()));
	assert_eq!(verify::<H>(&PARAMS, &ek(), &data.root(), &seed(hit), &proof), Ok(()));
}

#[test]
fn wrong_key_root_seed_or_shape_is_rejected() {
	let data = dataset();
	let proof = data.prove::<H>(&seed(1)).unwrap();
	let other_ek = encoding_key::<H>(&[0x11; 32], &[0x23; 32], 7);
	assert!(verify::<H>(&PARAMS, &other_ek, &data.root(), &seed(1), &proof).is_err());
	assert_eq!(
		verify::<H>(&PARAMS, &ek(), &[0u8; 32], &seed(1), &proof),
		Err(VerifyError::LabelPath)
	);
	assert!(verify::<H>(&PARAMS, &ek(), &data.root(), &seed(2), &proof).is_err());

	let mut short = proof.clone();
	short.openings.pop();
	assert_eq!(
		verify::<H>(&PARAMS, &ek(), &data.root(), &seed(1), &short),
		Err(VerifyError::WrongChallengeCount)
	);
	let bad_params = Params { lanes: 3, ..PARAMS };
	assert_eq!(
		verify::<H>(&bad_params, &ek(), &data.root(), &seed(1), &proof),
		Err(VerifyError::InvalidParams)
	);
}

#[test]
fn a_dataset_sealed_under_another_key_fails_the_label_check() {
	// A prover who commits to labels of another key (e.g. another device's dataset) opens valid
	// Merkle paths, but this device's key picks other parents, and the labels do not hash from it.
	let other = Dataset::seal::<H>(PARAMS, encoding_key::<H>(&[0x11; 32], &[0x99; 32], 7)).unwrap();
	for n in 0..16 {
		let proof = other.prove::<H>(&seed(n)).unwrap();
		let result = verify::<H>(&PARAMS, &ek(), &other.root(), &seed(n), &proof);
		assert!(
			matches!(result, Err(VerifyError::ParentPath | VerifyError::LabelMismatch)),
			"{result:?}"
		);
	}
}

proptest! {
	#![proptest_config(ProptestConfig::with_cases(256))]

	/// Any changed byte of an encoded proof either fails to decode or fails to verify.
	#[test]
	fn any_changed_byte_is_rejected(n in 0u64..1000, position in any::<prop::sample::Index>(), flip in 1u8..=255) {
		let data = dataset();
		let proof = data.prove::<H>(&seed(n)).unwrap();
		let mut bytes = proof.encode();
		let at = position.index(bytes.len());
		bytes[at] ^= flip;
		if let Ok(tampered) = Proof::decode(&mut &bytes[..]) {
			prop_assert!(verify::<H>(&PARAMS, &ek(), &data.root(), &seed(n), &tampered).is_err());
		}
	}
}

#[test]
fn sparse_datasets_verify_at_full_depth() {
	let params =
		Params { lanes: 1 << 20, lane_len: 1 << 20, parents: 8, iterations: 3, challenges: 16 };
	for n in 0..4 {
		let sparse =
			ember_pocps::prover::SparseDataset::for_challenge::<H>(&params, &ek(), &seed(n))
				.unwrap();
		let proof = sparse.prove::<H>(&params, &ek(), &seed(n)).unwrap();
		assert_eq!(verify::<H>(&params, &ek(), &sparse.root(), &seed(n), &proof), Ok(()));
		assert!(proof.openings.iter().all(|o| o.label.path.len() == 40));
	}
}

#[test]
fn sparse_datasets_verify_at_small_parameters_but_differ_from_the_sealed_one() {
	// Valid for the verifier (it checks openings, not the unopened labels), yet not the device's
	// dataset: its root differs, which is why only a committed seal counts on chain.
	let sparse =
		ember_pocps::prover::SparseDataset::for_challenge::<H>(&PARAMS, &ek(), &seed(5)).unwrap();
	let proof = sparse.prove::<H>(&PARAMS, &ek(), &seed(5)).unwrap();
	assert_eq!(verify::<H>(&PARAMS, &ek(), &sparse.root(), &seed(5), &proof), Ok(()));
	assert_ne!(sparse.root(), dataset().root());
}
