//! Which labels a challenge opens: leaf indices drawn from the challenge seed. Storage
//! challenges open `params.challenges` leaves; the seal check opens [`SEAL_CHALLENGES`] labels
//! under its own domain, so one seed never names the same leaves for both.

use crate::{params::SEAL_CHALLENGES, Hash, Hasher, Params};

const STORAGE_DOMAIN: &[u8; 8] = b"EMBCHALL";
const SEAL_DOMAIN: &[u8; 8] = b"EMBSEALC";

/// The first 8 bytes (little-endian) of `SHA-256(domain ‖ seed ‖ j (u32 LE))` modulo the number
/// of labels.
fn index_in<H: Hasher>(domain: &[u8; 8], params: &Params, seed: &Hash, j: u32) -> u64 {
	let mut message = [0u8; 8 + 32 + 4];
	let (domain_bytes, rest) = message.split_at_mut(8);
	domain_bytes.copy_from_slice(domain);
	let (seed_bytes, j_bytes) = rest.split_at_mut(32);
	seed_bytes.copy_from_slice(seed);
	j_bytes.copy_from_slice(&j.to_le_bytes());
	let digest = H::sha256(&message);
	let mut word = [0u8; 8];
	word.copy_from_slice(digest.get(..8).unwrap_or(&[0u8; 8]));
	u64::from_le_bytes(word).checked_rem(params.total_labels()).unwrap_or(0)
}

/// The `j`-th leaf a storage challenge with `seed` opens (domain `"EMBCHALL"`).
pub fn challenge_index<H: Hasher>(params: &Params, seed: &Hash, j: u32) -> u64 {
	index_in::<H>(STORAGE_DOMAIN, params, seed, j)
}

/// The `j`-th label the seal check with `seed` opens (domain `"EMBSEALC"`).
pub fn seal_challenge_index<H: Hasher>(params: &Params, seed: &Hash, j: u32) -> u64 {
	index_in::<H>(SEAL_DOMAIN, params, seed, j)
}

/// All leaves a storage challenge with `seed` opens, in order.
pub fn challenge_indices<H: Hasher>(params: &Params, seed: &Hash) -> impl Iterator<Item = u64> {
	let (params, seed) = (*params, *seed);
	(0..params.challenges).map(move |j| challenge_index::<H>(&params, &seed, j))
}

/// All labels the seal check with `seed` opens, in order.
pub fn seal_challenge_indices<H: Hasher>(
	params: &Params,
	seed: &Hash,
) -> impl Iterator<Item = u64> {
	let (params, seed) = (*params, *seed);
	(0..SEAL_CHALLENGES).map(move |j| seal_challenge_index::<H>(&params, &seed, j))
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::NativeSha256 as H;
	use alloc::vec::Vec;

	#[test]
	fn indices_are_in_range_and_depend_on_the_seed_and_kind() {
		let params = Params { lanes: 8, lane_len: 128, parents: 2, iterations: 1, challenges: 16 };
		let a: Vec<u64> = challenge_indices::<H>(&params, &[1u8; 32]).collect();
		let b: Vec<u64> = challenge_indices::<H>(&params, &[2u8; 32]).collect();
		let seal: Vec<u64> = seal_challenge_indices::<H>(&params, &[1u8; 32]).collect();
		assert_eq!(a.len(), 16);
		assert_eq!(seal.len(), SEAL_CHALLENGES as usize);
		assert!(a.iter().chain(&seal).all(|&i| i < 1024));
		assert_ne!(a, b);
		assert_ne!(a[..], seal[..16]);
	}
}
