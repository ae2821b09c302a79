//! The response to a challenge and its verification.
//!
//! For every challenged label the prover opens the label, its predecessor and its parents, each
//! with a Merkle path to the committed root. The verifier checks the paths and recomputes the
//! label from the opened predecessor and parents (`iterations` hashes): it never recomputes a
//! label from the encoding key alone, which would take the whole lane prefix.

use crate::{
	challenge::challenge_index,
	label::{compute_label, lane_seed, parent_indices},
	merkle::verify_path,
	params::{MAX_CHALLENGES, MAX_PARENTS, MAX_TREE_DEPTH},
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

/// The openings that prove one challenged label.
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

/// A response to a challenge: one [`ChallengeOpening`] per challenged label, in challenge order.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Proof {
	/// The openings, one per challenged label.
	pub openings: BoundedVec<ChallengeOpening, ConstU32<MAX_CHALLENGES>>,
}

/// Why a proof was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifyError {
	/// The parameters do not validate.
	InvalidParams,
	/// Not one opening per challenged label.
	WrongChallengeCount,
	/// A challenged label's Merkle path does not lead to the root.
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
/// challenge with `seed`.
pub fn verify<H: Hasher>(
	params: &Params,
	ek: &Hash,
	root: &Hash,
	seed: &Hash,
	proof: &Proof,
) -> Result<(), VerifyError> {
	params.validate().map_err(|_| VerifyError::InvalidParams)?;
	if proof.openings.len() != params.challenges as usize {
		return Err(VerifyError::WrongChallengeCount);
	}
	let depth = params.depth();
	let lane_len = u64::from(params.lane_len);
	for (j, opening) in (0u32..).zip(proof.openings.iter()) {
		let leaf = challenge_index::<H>(params, seed, j);
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
