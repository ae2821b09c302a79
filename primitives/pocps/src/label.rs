//! The labelling: what a device computes once, keeps resident, and answers from.
//!
//! Labels live in `lanes` independent lanes of `lane_len` labels. Label `i` of lane `l` is
//!
//! ```text
//! x_0   = SHA-256("EMBLABEL" ‖ ek ‖ l (u32 LE) ‖ i (u32 LE) ‖ label[i-1] ‖ label[p_1] ‖ … ‖ label[p_d])
//! x_j   = SHA-256(x_{j-1})                    for j in 1..iterations
//! label = x_{iterations-1}
//! ```
//!
//! where `label[-1]` and, for `i = 0`, every parent is the lane seed, and the parents
//! `p_1..p_d` are earlier positions of the same lane drawn DRSample-style (Alwen, Blocki, Harsha,
//! CCS 2017; see [`drsample_parent`]): the distance back is uniform within a bucket
//! `[2^b, 2^(b+1))` whose `b` is uniform, so every scale of distance is equally likely. Uniform
//! parents (v1) made almost every edge long, and a prover keeping every 16th label recomputed
//! only short chains; with DRSample's short and middle edges the chain left stays a large part
//! of the lane (docs/pocps.md, `examples/attack.rs`).

use crate::{params::MAX_PARENTS, Hash, Hasher, Params};

const LABEL_DOMAIN: &[u8; 8] = b"EMBLABEL";
const SEED_DOMAIN: &[u8; 8] = b"EMBSEED\0";
const PARENT_DOMAIN: &[u8; 8] = b"EMBPARNT";
const KEY_DOMAIN: &[u8; 8] = b"EMBENCKY";

/// Bytes of the label message before the predecessor: domain, key, lane, index.
const HEADER_LEN: usize = 8 + 32 + 4 + 4;
/// The longest label message: header, predecessor and `MAX_PARENTS` parents.
pub const MAX_MESSAGE_LEN: usize = HEADER_LEN + 32 * (1 + MAX_PARENTS as usize);

/// The device's encoding key: unique per chain, device and seal, so no two devices (and no two
/// seals of one device) share a dataset.
pub fn encoding_key<H: Hasher>(genesis_hash: &Hash, device_id: &Hash, seal_nonce: u64) -> Hash {
	let mut message = [0u8; 8 + 32 + 32 + 8];
	let (domain, rest) = message.split_at_mut(8);
	domain.copy_from_slice(KEY_DOMAIN);
	let (genesis, rest) = rest.split_at_mut(32);
	genesis.copy_from_slice(genesis_hash);
	let (device, nonce) = rest.split_at_mut(32);
	device.copy_from_slice(device_id);
	nonce.copy_from_slice(&seal_nonce.to_le_bytes());
	H::sha256(&message)
}

/// The value that stands before label 0 of `lane` (its "predecessor" and, for label 0, its
/// parents).
pub fn lane_seed<H: Hasher>(ek: &Hash, lane: u32) -> Hash {
	let mut message = [0u8; 8 + 32 + 4];
	let (domain, rest) = message.split_at_mut(8);
	domain.copy_from_slice(SEED_DOMAIN);
	let (key, lane_bytes) = rest.split_at_mut(32);
	key.copy_from_slice(ek);
	lane_bytes.copy_from_slice(&lane.to_le_bytes());
	H::sha256(&message)
}

/// The DRSample parent of label `index` (≥ 1) chosen by the 32-bit word `word`:
///
/// ```text
/// g = bits of index            (1 ..= 32)
/// b = word mod g               (the distance bucket)
/// d = 2^b + ((word / g) mod 2^b)          distance in [2^b, 2^(b+1))
/// d = 1 + (d mod index)   if d > index    (the top bucket folded into [1, index])
/// parent = index − d
/// ```
///
/// Only 32-bit integer operations, so the CUDA and WGSL kernels compute it bit for bit.
pub fn drsample_parent(word: u32, index: u32) -> u32 {
	let bits = 32u32.saturating_sub(index.leading_zeros()).max(1);
	let bucket = word.checked_rem(bits).unwrap_or(0);
	let low = 1u32.checked_shl(bucket).unwrap_or(1);
	let offset = word.checked_div(bits).unwrap_or(0) & low.wrapping_sub(1);
	let mut distance = low.saturating_add(offset);
	if distance > index {
		distance = distance.checked_rem(index).unwrap_or(0).saturating_add(1);
	}
	index.saturating_sub(distance)
}

/// The parents of label `index` in `lane`: `parents` positions in `[0, index)`, one per
/// little-endian word of `SHA-256("EMBPARNT" ‖ ek ‖ lane ‖ index)` through [`drsample_parent`].
/// Label 0 has none (its parents are the lane seed). Returns how many were written.
pub fn parent_indices<H: Hasher>(
	ek: &Hash,
	lane: u32,
	index: u32,
	parents: u32,
	out: &mut [u32; MAX_PARENTS as usize],
) -> usize {
	if index == 0 {
		return 0;
	}
	let mut message = [0u8; 8 + 32 + 4 + 4];
	let (domain, rest) = message.split_at_mut(8);
	domain.copy_from_slice(PARENT_DOMAIN);
	let (key, rest) = rest.split_at_mut(32);
	key.copy_from_slice(ek);
	let (lane_bytes, index_bytes) = rest.split_at_mut(4);
	lane_bytes.copy_from_slice(&lane.to_le_bytes());
	index_bytes.copy_from_slice(&index.to_le_bytes());
	let digest = H::sha256(&message);
	let count = (parents.min(MAX_PARENTS)) as usize;
	for (slot, word) in out.iter_mut().zip(digest.chunks_exact(4)).take(count) {
		let value = <[u8; 4]>::try_from(word).map(u32::from_le_bytes).unwrap_or(0);
		*slot = drsample_parent(value, index);
	}
	count
}

/// Computes a label from its position, its predecessor and its parents' labels (as many as the
/// parameters' `parents`; for label 0 the caller passes the lane seed for each).
pub fn compute_label<H: Hasher>(
	params: &Params,
	ek: &Hash,
	lane: u32,
	index: u32,
	predecessor: &Hash,
	parents: &[Hash],
) -> Hash {
	let mut message = [0u8; MAX_MESSAGE_LEN];
	let mut len = 0usize;
	let mut push = |bytes: &[u8]| {
		let end = len.saturating_add(bytes.len());
		if let Some(slot) = message.get_mut(len..end) {
			slot.copy_from_slice(bytes);
			len = end;
		}
	};
	push(LABEL_DOMAIN);
	push(ek);
	push(&lane.to_le_bytes());
	push(&index.to_le_bytes());
	push(predecessor);
	for parent in parents.iter().take(MAX_PARENTS as usize) {
		push(parent);
	}
	let mut x = H::sha256(message.get(..len).unwrap_or(&message));
	for _ in 1..params.iterations {
		x = H::sha256(&x);
	}
	x
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::NativeSha256 as H;

	#[test]
	fn keys_differ_per_device_and_seal() {
		let g = [1u8; 32];
		let a = encoding_key::<H>(&g, &[2u8; 32], 0);
		assert_ne!(a, encoding_key::<H>(&g, &[3u8; 32], 0));
		assert_ne!(a, encoding_key::<H>(&g, &[2u8; 32], 1));
		assert_ne!(a, encoding_key::<H>(&[9u8; 32], &[2u8; 32], 0));
	}

	#[test]
	fn parents_are_earlier_positions() {
		let ek = [7u8; 32];
		let mut out = [0u32; MAX_PARENTS as usize];
		assert_eq!(parent_indices::<H>(&ek, 0, 0, 4, &mut out), 0);
		for index in 1..500u32 {
			let n = parent_indices::<H>(&ek, 3, index, 6, &mut out);
			assert_eq!(n, 6);
			assert!(out[..n].iter().all(|&p| p < index));
		}
	}

	#[test]
	fn drsample_parents_cover_every_distance_scale() {
		for index in 1..2_000u32 {
			for word in [0u32, 1, 7, 0x8000_0000, u32::MAX, index.wrapping_mul(2_654_435_761)] {
				assert!(drsample_parent(word, index) < index, "{word} {index}");
			}
		}
		// Over many words, the distances fall into every bucket of a 2^20 index about equally
		// (the top bucket folds into the lower ones, mostly the top two, so those are left out).
		let index = 1u32 << 20;
		let mut buckets = [0u32; 21];
		for word in 0..21_000u32 {
			let w = word.wrapping_mul(2_654_435_761);
			let distance = index - drsample_parent(w, index);
			buckets[(31 - distance.leading_zeros()) as usize] += 1;
		}
		assert!(buckets[..18].iter().all(|&n| (800..1_250).contains(&n)), "{buckets:?}");
	}

	#[test]
	fn iterations_chain_the_hash() {
		let p1 = Params { lanes: 1, lane_len: 2, parents: 1, iterations: 1, challenges: 1 };
		let p3 = Params { iterations: 3, ..p1 };
		let ek = [5u8; 32];
		let one = compute_label::<H>(&p1, &ek, 0, 1, &[1u8; 32], &[[2u8; 32]]);
		let three = compute_label::<H>(&p3, &ek, 0, 1, &[1u8; 32], &[[2u8; 32]]);
		assert_eq!(three, H::sha256(&H::sha256(&one)));
	}
}
