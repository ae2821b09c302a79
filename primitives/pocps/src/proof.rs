//! The two proofs a device gives, and their verification.
//!
//! - The **seal check** ([`SealProof`]), the first challenge after every commitment: for each of
//!   [`SEAL_CHALLENGES`] labels the prover opens the label, its predecessor and its parents, each
//!   with a Merkle path to the committed root, and the verifier recomputes the label
//!   (`iterations` hashes). This shows the committed leaves are the labelling, not cheap filler.
//!   It never recomputes a label from the encoding key alone, which would take the lane prefix.
//! - **Storage proofs** ([`StorageProof`]), every later challenge: `params.challenges` leaves,
//!   each with its Merkle path, and nothing else (Filecoin's split between the replication proof
//!   and window PoSt). A leaf the prover no longer holds must be regenerated inside the window,
//!   which the depth-robust labelling makes too slow. ~1 KiB per leaf at `gpu-80g`.

use crate::{
	challenge::{challenge_index, seal_challenge_index},
	label::{compute_label, lane_seed, parent_indices},
	merkle::verify_path,
	params::{MAX_CHALLENGES, MAX_PARENTS, MAX_TREE_DEPTH, SEAL_CHALLENGES},
	Hash, Hasher, Params,
};
use bounded_collections::{BoundedVec, ConstU32};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// A Merkle path: siblings from the leaf up.
pub type MerklePath = BoundedVec<Hash, ConstU32<MAX_TREE_DEPTH>>;

/// One opened label.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Opening {
	/// The label.
	pub label: Hash,
	/// Its Merkle path.
	pub path: MerklePath,
}

/// The openings that prove one label of the seal check was computed correctly.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct ChallengeOpening {
	/// The challenged label.
	pub label: Opening,
	/// Its predecessor in the lane; `None` for the first label of a lane (whose predecessor is
	/// the lane seed, which the verifier derives).
	pub predecessor: Option<Opening>,
	/// Its parents, in the order [`parent_indices`] gives; empty for the first label of a lane.
	pub parents: BoundedVec<Opening, ConstU32<MAX_PARENTS>>,
}

/// The seal check: one [`ChallengeOpening`] per label it names, in order.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct SealProof {
	/// The openings, one per challenged label.
	pub openings: BoundedVec<ChallengeOpening, ConstU32<SEAL_CHALLENGES>>,
}

/// A storage proof: the challenged leaves with their Merkle paths, in challenge order.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct StorageProof {
	/// The opened leaves.
	pub leaves: BoundedVec<Opening, ConstU32<MAX_CHALLENGES>>,
}

/// An answer to a challenge: the seal check or a storage proof, whichever the challenge asks.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub enum Proof {
	/// The answer to a seal check.
	Seal(SealProof),
	/// The answer to a storage challenge.
	Storage(StorageProof),
}

/// Why a proof was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifyError {
	/// The parameters do not validate.
	InvalidParams,
	/// A seal check was answered with a storage proof, or the reverse.
	WrongKind,
	/// Not one opening per challenged label.
	WrongChallengeCount,
	/// A challenged label's (or storage leaf's) Merkle path does not lead to the root.
	LabelPath,
	/// A predecessor is missing, or present for a lane's first label.
	PredecessorShape,
	/// A predecessor's Merkle path does not lead to the root.
	PredecessorPath,
	/// Not as many parents as the parameters say (or any for a lane's first label).
	ParentCount,
	/// A parent's Merkle path does not lead to the root.
	ParentPath,
	/// The label is not the hash of its opened predecessor and parents.
	LabelMismatch,
}

/// Verifies `proof` against the dataset committed as `root` under encoding key `ek`, for the
/// challenge with `seed`, which asks for a seal check if `seal_check` and a storage proof
/// otherwise.
pub fn verify<H: Hasher>(
	params: &Params,
	ek: &Hash,
	root: &Hash,
	seed: &Hash,
	seal_check: bool,
	proof: &Proof,
) -> Result<(), VerifyError> {
	match (seal_check, proof) {
		(true, Proof::Seal(proof)) => verify_seal::<H>(params, ek, root, seed, proof),
		(false, Proof::Storage(proof)) => verify_storage::<H>(params, root, seed, proof),
		_ => Err(VerifyError::WrongKind),
	}
}

/// Verifies a storage proof: every challenged leaf opens against `root`.
pub fn verify_storage<H: Hasher>(
	params: &Params,
	root: &Hash,
	seed: &Hash,
	proof: &StorageProof,
) -> Result<(), VerifyError> {
	params.validate().map_err(|_| VerifyError::InvalidParams)?;
	if proof.leaves.len() != params.challenges as usize {
		return Err(VerifyError::WrongChallengeCount);
	}
	let depth = params.depth();
	for (j, opening) in (0u32..).zip(proof.leaves.iter()) {
		let leaf = challenge_index::<H>(params, seed, j);
		if !verify_path::<H>(root, &opening.label, leaf, &opening.path, depth) {
			return Err(VerifyError::LabelPath);
		}
	}
	Ok(())
}

/// Verifies a seal check: every challenged label opens against `root` and is the hash of its
/// opened predecessor and parents under `ek`.
pub fn verify_seal<H: Hasher>(
	params: &Params,
	ek: &Hash,
	root: &Hash,
	seed: &Hash,
	proof: &SealProof,
) -> Result<(), VerifyError> {
	params.validate().map_err(|_| VerifyError::InvalidParams)?;
	if proof.openings.len() != SEAL_CHALLENGES as usize {
		return Err(VerifyError::WrongChallengeCount);
	}
	let depth = params.depth();
	let lane_len = u64::from(params.lane_len);
	for (j, opening) in (0u32..).zip(proof.openings.iter()) {
		let leaf = seal_challenge_index::<H>(params, seed, j);
		let lane = u32::try_from(leaf.checked_div(lane_len).unwrap_or(0))
			.map_err(|_| VerifyError::InvalidParams)?;
		let index = u32::try_from(leaf.checked_rem(lane_len).unwrap_or(0))
			.map_err(|_| VerifyError::InvalidParams)?;
		let lane_start = leaf.saturating_sub(u64::from(index));

		if !verify_path::<H>(root, &opening.label.label, leaf, &opening.label.path, depth) {
			return Err(VerifyError::LabelPath);
		}

		let seed_label = lane_seed::<H>(ek, lane);
		let mut parent_labels = [[0u8; 32]; MAX_PARENTS as usize];
		let parents = params.parents as usize;
		let predecessor = if index == 0 {
			if opening.predecessor.is_some() {
				return Err(VerifyError::PredecessorShape);
			}
			if !opening.parents.is_empty() {
				return Err(VerifyError::ParentCount);
			}
			for slot in parent_labels.iter_mut().take(parents) {
				*slot = seed_label;
			}
			seed_label
		} else {
			let predecessor = opening.predecessor.as_ref().ok_or(VerifyError::PredecessorShape)?;
			if !verify_path::<H>(
				root,
				&predecessor.label,
				leaf.saturating_sub(1),
				&predecessor.path,
				depth,
			) {
				return Err(VerifyError::PredecessorPath);
			}
			let mut positions = [0u32; MAX_PARENTS as usize];
			let count = parent_indices::<H>(ek, lane, index, params.parents, &mut positions);
			if opening.parents.len() != count {
				return Err(VerifyError::ParentCount);
			}
			for ((slot, position), parent) in
				parent_labels.iter_mut().zip(positions.iter()).zip(opening.parents.iter())
			{
				let at = lane_start.saturating_add(u64::from(*position));
				if !verify_path::<H>(root, &parent.label, at, &parent.path, depth) {
					return Err(VerifyError::ParentPath);
				}
				*slot = parent.label;
			}
			predecessor.label
		};

		let expected = compute_label::<H>(
			params,
			ek,
			lane,
			index,
			&predecessor,
			parent_labels.get(..parents).unwrap_or_default(),
		);
		if expected != opening.label.label {
			return Err(VerifyError::LabelMismatch);
		}
	}
	Ok(())
}
