//! Which labels a challenge opens: `challenges` leaf indices drawn from the challenge seed.

use crate::{Hash, Hasher, Params};

const CHALLENGE_DOMAIN: &[u8; 8] = b"EMBCHALL";

/// The `j`-th challenged leaf for `seed`: the first 8 bytes (little-endian) of
/// `SHA-256("EMBCHALL" ‖ seed ‖ j (u32 LE))` modulo the number of labels.
pub fn challenge_index<H: Hasher>(params: &Params, seed: &Hash, j: u32) -> u64 {
	let mut message = [0u8; 8 + 32 + 4];
	let (domain, rest) = message.split_at_mut(8);
	domain.copy_from_slice(CHALLENGE_DOMAIN);
	let (seed_bytes, j_bytes) = rest.split_at_mut(32);
	seed_bytes.copy_from_slice(seed);
	j_bytes.copy_from_slice(&j.to_le_bytes());
	let digest = H::sha256(&message);
	let mut word = [0u8; 8];
	word.copy_from_slice(digest.get(..8).unwrap_or(&[0u8; 8]));
	u64::from_le_bytes(word).checked_rem(params.total_labels()).unwrap_or(0)
}

/// All challenged leaves for `seed`, in order.
pub fn challenge_indices<H: Hasher>(params: &Params, seed: &Hash) -> impl Iterator<Item = u64> {
	let (params, seed) = (*params, *seed);
	(0..params.challenges).map(move |j| challenge_index::<H>(&params, &seed, j))
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::NativeSha256 as H;

	#[test]
	fn indices_are_in_range_and_depend_on_the_seed() {
		let params = Params { lanes: 8, lane_len: 128, parents: 2, iterations: 1, challenges: 16 };
		let a: alloc::vec::Vec<u64> = challenge_indices::<H>(&params, &[1u8; 32]).collect();
		let b: alloc::vec::Vec<u64> = challenge_indices::<H>(&params, &[2u8; 32]).collect();
		assert_eq!(a.len(), 16);
		assert!(a.iter().all(|&i| i < 1024));
		assert_ne!(a, b);
	}
}
