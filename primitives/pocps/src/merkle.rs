//! The binary Merkle tree over all labels, in lane-major order (label `i` of lane `l` is leaf
//! `l * lane_len + i`). Leaves are the labels themselves; an inner node is
//! `SHA-256(left ‖ right)`. The tree has a fixed depth, `Params::depth()`, which the verifier
//! checks, so a leaf cannot pose as an inner node.

use crate::{Hash, Hasher};
use alloc::vec::Vec;

/// An inner node.
pub fn node<H: Hasher>(left: &Hash, right: &Hash) -> Hash {
	let mut message = [0u8; 64];
	let (l, r) = message.split_at_mut(32);
	l.copy_from_slice(left);
	r.copy_from_slice(right);
	H::sha256(&message)
}

/// The parent level of `level` (which has an even number of nodes).
pub fn parent_level<H: Hasher>(level: &[Hash]) -> Vec<Hash> {
	level
		.chunks_exact(2)
		.map(|pair| match pair {
			[left, right] => node::<H>(left, right),
			_ => [0u8; 32],
		})
		.collect()
}

/// The root of the subtree over `leaves` (a power of two), hashed leaf by leaf with a stack of
/// one pending node per height: the order the GPU kernels use (`subtrees` in pocps.wgsl and
/// pocps.cu), which keeps a thread's state at `log2(len)` nodes.
pub fn subtree_root<H: Hasher>(leaves: &[Hash]) -> Hash {
	let mut stack: Vec<Hash> = Vec::with_capacity(40);
	for (j, leaf) in (0u64..).zip(leaves) {
		let mut current = *leaf;
		let mut t = j;
		while t & 1 == 1 {
			let left = stack.pop().unwrap_or_default();
			current = node::<H>(&left, &current);
			t >>= 1;
		}
		stack.push(current);
	}
	stack.pop().unwrap_or_default()
}

/// Recomputes the root from a leaf, its index and its path (siblings from the leaf up), and
/// compares it with `root`. The path must be exactly `depth` long.
pub fn verify_path<H: Hasher>(
	root: &Hash,
	leaf: &Hash,
	index: u64,
	path: &[Hash],
	depth: u32,
) -> bool {
	if path.len() != depth as usize || (depth < 64 && index >> depth != 0) {
		return false;
	}
	let mut current = *leaf;
	for (level, sibling) in path.iter().enumerate() {
		current = if (index >> level) & 1 == 0 {
			node::<H>(&current, sibling)
		} else {
			node::<H>(sibling, &current)
		};
	}
	&current == root
}

/// A whole tree held in memory: every level from the leaves (level 0) to the root.
pub struct MerkleTree {
	levels: Vec<Vec<Hash>>,
}

impl MerkleTree {
	/// Builds the tree over `leaves`, whose number must be a power of two (else `None`).
	pub fn build<H: Hasher>(leaves: Vec<Hash>) -> Option<Self> {
		if !leaves.len().is_power_of_two() {
			return None;
		}
		let mut levels = alloc::vec![leaves];
		while let Some(top) = levels.last().filter(|level| level.len() > 1) {
			let parent = parent_level::<H>(top);
			levels.push(parent);
		}
		Some(MerkleTree { levels })
	}

	/// Takes levels computed elsewhere (a GPU), from the leaves up to the root. Checks their
	/// shape (a power-of-two leaf count, each level half the one below, a single root), not
	/// their hashes: the caller vouches for those, and a wrong node only yields proofs that fail.
	pub fn from_levels(levels: Vec<Vec<Hash>>) -> Option<Self> {
		let leaves = levels.first()?.len();
		if !leaves.is_power_of_two()
			|| levels.len() != (leaves.trailing_zeros() as usize).saturating_add(1)
		{
			return None;
		}
		let halving = levels.windows(2).all(|pair| match pair {
			[below, above] => above.len().saturating_mul(2) == below.len(),
			_ => false,
		});
		halving.then_some(MerkleTree { levels })
	}

	/// The root.
	pub fn root(&self) -> Hash {
		self.levels.last().and_then(|top| top.first()).copied().unwrap_or_default()
	}

	/// The leaves.
	pub fn leaves(&self) -> &[Hash] {
		self.levels.first().map(Vec::as_slice).unwrap_or_default()
	}

	/// The leaf at `index` and its path, or `None` if out of range.
	pub fn open(&self, index: u64) -> Option<(Hash, Vec<Hash>)> {
		let index = usize::try_from(index).ok()?;
		let leaf = *self.leaves().get(index)?;
		let depth = self.levels.len().saturating_sub(1);
		let path = self
			.levels
			.iter()
			.take(depth)
			.enumerate()
			.map(|(level, nodes)| nodes.get((index >> level) ^ 1).copied())
			.collect::<Option<Vec<_>>>()?;
		Some((leaf, path))
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::NativeSha256 as H;

	fn leaves(n: usize) -> Vec<Hash> {
		(0..n).map(|i| H::sha256(&(i as u64).to_le_bytes())).collect()
	}

	#[test]
	fn every_leaf_opens_against_the_root() {
		let tree = MerkleTree::build::<H>(leaves(16)).unwrap();
		for i in 0..16u64 {
			let (leaf, path) = tree.open(i).unwrap();
			assert!(verify_path::<H>(&tree.root(), &leaf, i, &path, 4));
			assert!(!verify_path::<H>(&tree.root(), &leaf, i ^ 1, &path, 4));
			assert!(!verify_path::<H>(&tree.root(), &leaf, i, &path[..3], 3));
		}
		assert!(tree.open(16).is_none());
	}

	#[test]
	fn levels_from_elsewhere_keep_their_shape() {
		let tree = MerkleTree::build::<H>(leaves(8)).unwrap();
		let levels = tree.levels.clone();
		assert_eq!(MerkleTree::from_levels(levels.clone()).unwrap().root(), tree.root());
		assert!(MerkleTree::from_levels(levels[..3].to_vec()).is_none());
		let mut short = levels;
		short[1].pop();
		assert!(MerkleTree::from_levels(short).is_none());
	}

	#[test]
	fn subtree_roots_match_the_full_tree() {
		let all = leaves(64);
		let tree = MerkleTree::build::<H>(all.clone()).unwrap();
		assert_eq!(subtree_root::<H>(&all), tree.root());
		// Level 3 of the full tree holds the roots of the 8-leaf subtrees.
		for (g, group) in all.chunks(8).enumerate() {
			assert_eq!(subtree_root::<H>(group), tree.levels[3][g]);
		}
		assert_eq!(subtree_root::<H>(&all[..1]), all[0]);
	}

	#[test]
	fn non_power_of_two_is_refused() {
		assert!(MerkleTree::build::<H>(leaves(6)).is_none());
		let single = MerkleTree::build::<H>(leaves(1)).unwrap();
		assert_eq!(single.root(), leaves(1)[0]);
	}
}
