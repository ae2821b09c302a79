//! Parameters of a device class's dataset and challenges.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// Most parents a label may have besides its predecessor: one SHA-256 output gives 8 words.
pub const MAX_PARENTS: u32 = 8;
/// Most leaves one storage challenge opens.
pub const MAX_CHALLENGES: u32 = 64;
/// Labels the seal check (a device's first challenge after each commitment) opens with their
/// predecessors and parents and recomputes: the consistency proof of the whole labelling, paid
/// once per seal. A prover whose labels are locally inconsistent in a fraction `e` passes with
/// probability `(1 − e)^64` (e = 10 %: 0.12 %). docs/pocps.md.
pub const SEAL_CHALLENGES: u32 = 64;
/// Deepest Merkle tree: 2^40 labels (32 TiB) is beyond any GPU's memory.
pub const MAX_TREE_DEPTH: u32 = 40;
/// Most sequential hashes per label.
pub const MAX_ITERATIONS: u32 = 1 << 16;

/// The shape of a sealed dataset and of the challenges against it.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct Params {
	/// Independent lanes, sealed in parallel (one GPU thread or CPU core each). Power of two.
	pub lanes: u32,
	/// Labels per lane, each depending on its predecessor: the sequential depth. Power of two.
	pub lane_len: u32,
	/// Pseudo-random earlier parents of each label within its lane (depth robustness).
	pub parents: u32,
	/// Sequential SHA-256 applications per label: multiplies the cost of regenerating a lane
	/// without growing the dataset.
	pub iterations: u32,
	/// Leaves (labels with their Merkle paths) opened per storage challenge. The seal check
	/// opens [`SEAL_CHALLENGES`] labels with their parents instead.
	pub challenges: u32,
}

/// Why a set of parameters is unusable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamsError {
	/// `lanes` or `lane_len` is zero or not a power of two.
	NotPowerOfTwo,
	/// More than 2^MAX_TREE_DEPTH labels.
	TooLarge,
	/// `parents` is zero or above [`MAX_PARENTS`].
	Parents,
	/// `iterations` is zero or above [`MAX_ITERATIONS`].
	Iterations,
	/// `challenges` is zero or above [`MAX_CHALLENGES`].
	Challenges,
}

impl Params {
	/// Checks every limit; all other functions assume parameters that pass.
	pub fn validate(&self) -> Result<(), ParamsError> {
		if !self.lanes.is_power_of_two() || !self.lane_len.is_power_of_two() {
			return Err(ParamsError::NotPowerOfTwo);
		}
		if self.depth() > MAX_TREE_DEPTH {
			return Err(ParamsError::TooLarge);
		}
		if self.parents == 0 || self.parents > MAX_PARENTS {
			return Err(ParamsError::Parents);
		}
		if self.iterations == 0 || self.iterations > MAX_ITERATIONS {
			return Err(ParamsError::Iterations);
		}
		if self.challenges == 0 || self.challenges > MAX_CHALLENGES {
			return Err(ParamsError::Challenges);
		}
		Ok(())
	}

	/// Number of labels, `lanes * lane_len`.
	pub fn total_labels(&self) -> u64 {
		u64::from(self.lanes).saturating_mul(u64::from(self.lane_len))
	}

	/// Dataset size in bytes (32 per label).
	pub fn dataset_bytes(&self) -> u64 {
		self.total_labels().saturating_mul(32)
	}

	/// Depth of the Merkle tree over all labels: log2(lanes * lane_len).
	pub fn depth(&self) -> u32 {
		self.lanes.trailing_zeros().saturating_add(self.lane_len.trailing_zeros())
	}

	/// SHA-256 compressions to verify a seal check (upper bound): per opened label, its
	/// recomputation (`iterations` plus the first hash's extra blocks) and a Merkle path for it,
	/// its predecessor and each parent. The pallet's weight is benchmarked against this.
	pub fn seal_verify_hashes(&self) -> u64 {
		let per_label = u64::from(self.iterations).saturating_add(6).saturating_add(
			u64::from(self.parents.saturating_add(2)).saturating_mul(u64::from(self.depth())),
		);
		per_label.saturating_mul(u64::from(SEAL_CHALLENGES))
	}

	/// SHA-256 compressions to verify a storage proof: one Merkle path per opened leaf, and the
	/// leaf index derivations.
	pub fn storage_verify_hashes(&self) -> u64 {
		u64::from(self.depth()).saturating_add(2).saturating_mul(u64::from(self.challenges))
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn ok() -> Params {
		Params { lanes: 4, lane_len: 64, parents: 3, iterations: 2, challenges: 4 }
	}

	#[test]
	fn limits_are_enforced() {
		assert_eq!(ok().validate(), Ok(()));
		assert_eq!(Params { lanes: 3, ..ok() }.validate(), Err(ParamsError::NotPowerOfTwo));
		assert_eq!(Params { lane_len: 0, ..ok() }.validate(), Err(ParamsError::NotPowerOfTwo));
		assert_eq!(
			Params { lanes: 1 << 20, lane_len: 1 << 21, ..ok() }.validate(),
			Err(ParamsError::TooLarge)
		);
		assert_eq!(Params { parents: 0, ..ok() }.validate(), Err(ParamsError::Parents));
		assert_eq!(Params { parents: 9, ..ok() }.validate(), Err(ParamsError::Parents));
		assert_eq!(Params { iterations: 0, ..ok() }.validate(), Err(ParamsError::Iterations));
		assert_eq!(Params { challenges: 65, ..ok() }.validate(), Err(ParamsError::Challenges));
	}

	#[test]
	fn sizes() {
		let p = ok();
		assert_eq!(p.total_labels(), 256);
		assert_eq!(p.dataset_bytes(), 8192);
		assert_eq!(p.depth(), 8);
		assert_eq!(p.seal_verify_hashes(), 64 * (2 + 6 + 5 * 8));
		assert_eq!(p.storage_verify_hashes(), 4 * (8 + 2));
	}
}
