//! The CPU reference prover: seals a dataset, commits to it, and answers challenges. The miner's
//! GPU backends must produce the same labels bit for bit (see `test-vectors/`).

use crate::{
	challenge::{challenge_indices, seal_challenge_indices},
	label::{compute_label, lane_seed, parent_indices},
	merkle::MerkleTree,
	params::MAX_PARENTS,
	proof::{ChallengeOpening, MerklePath, Opening, Proof, SealProof, StorageProof},
	round, Hash, Hasher, Params, ParamsError,
};
use alloc::vec::Vec;

/// Seals one lane into `out` (which must hold `lane_len` labels). Lanes are independent, so
/// callers may seal them in parallel.
pub fn seal_lane<H: Hasher>(params: &Params, ek: &Hash, lane: u32, out: &mut [Hash]) {
	seal_lane_reporting::<H>(params, ek, lane, out, usize::MAX, |_| true);
}

/// [`seal_lane`], calling `report(n)` after every `every` labels (and for the remainder at the
/// end) so a long lane can show progress; `report` returning `false` stops the lane there (a
/// miner asked to stop). Returns whether the whole lane was sealed.
pub fn seal_lane_reporting<H: Hasher>(
	params: &Params,
	ek: &Hash,
	lane: u32,
	out: &mut [Hash],
	every: usize,
	mut report: impl FnMut(u64) -> bool,
) -> bool {
	let seed = lane_seed::<H>(ek, lane);
	let parents = params.parents as usize;
	let mut positions = [0u32; MAX_PARENTS as usize];
	let mut parent_labels = [[0u8; 32]; MAX_PARENTS as usize];
	let every = every.max(1);
	let mut since_report = 0usize;
	for index in 0..params.lane_len.min(u32::try_from(out.len()).unwrap_or(u32::MAX)) {
		let i = index as usize;
		let predecessor = if index == 0 {
			parent_labels.iter_mut().take(parents).for_each(|slot| *slot = seed);
			seed
		} else {
			let count = parent_indices::<H>(ek, lane, index, params.parents, &mut positions);
			for (slot, position) in parent_labels.iter_mut().zip(positions.iter()).take(count) {
				*slot = out.get(*position as usize).copied().unwrap_or_default();
			}
			out.get(i.saturating_sub(1)).copied().unwrap_or_default()
		};
		let label = compute_label::<H>(
			params,
			ek,
			lane,
			index,
			&predecessor,
			parent_labels.get(..parents).unwrap_or_default(),
		);
		if let Some(slot) = out.get_mut(i) {
			*slot = label;
		}
		since_report = since_report.saturating_add(1);
		if since_report == every {
			if !report(since_report as u64) {
				return false;
			}
			since_report = 0;
		}
	}
	since_report == 0 || report(since_report as u64)
}

/// A sealed dataset with its Merkle tree.
pub struct Dataset {
	params: Params,
	ek: Hash,
	tree: MerkleTree,
}

impl Dataset {
	/// Seals the whole dataset on this thread.
	pub fn seal<H: Hasher>(params: Params, ek: Hash) -> Result<Self, ParamsError> {
		params.validate()?;
		let lane_len = params.lane_len as usize;
		let mut labels = alloc::vec![[0u8; 32]; params.total_labels() as usize];
		for (lane, out) in (0u32..).zip(labels.chunks_exact_mut(lane_len)) {
			seal_lane::<H>(&params, &ek, lane, out);
		}
		Self::from_labels::<H>(params, ek, labels).ok_or(ParamsError::TooLarge)
	}

	/// Commits to labels sealed elsewhere (for instance on a GPU).
	pub fn from_labels<H: Hasher>(params: Params, ek: Hash, labels: Vec<Hash>) -> Option<Self> {
		if labels.len() as u64 != params.total_labels() {
			return None;
		}
		Some(Dataset { params, ek, tree: MerkleTree::build::<H>(labels)? })
	}

	/// Takes a tree built elsewhere (for instance by a GPU backend) over the sealed labels.
	pub fn from_tree(params: Params, ek: Hash, tree: MerkleTree) -> Option<Self> {
		(tree.leaves().len() as u64 == params.total_labels()).then_some(Dataset {
			params,
			ek,
			tree,
		})
	}

	/// The encoding key.
	pub fn encoding_key(&self) -> &Hash {
		&self.ek
	}

	/// The parameters.
	pub fn params(&self) -> &Params {
		&self.params
	}

	/// The Merkle root committed on chain.
	pub fn root(&self) -> Hash {
		self.tree.root()
	}

	/// All labels, lane-major.
	pub fn labels(&self) -> &[Hash] {
		self.tree.leaves()
	}

	/// Leaf `leaf`'s label and Merkle path.
	pub fn opening(&self, leaf: u64) -> Option<Opening> {
		let (label, path) = self.tree.open(leaf)?;
		Some(Opening { label, path: MerklePath::try_from(path).ok()? })
	}

	/// The 128 bytes of block `block` (labels `4·block ..= 4·block + 3`).
	pub fn block(&self, block: u64) -> Option<[u8; round::BLOCK_BYTES]> {
		let first = usize::try_from(block.checked_mul(round::BLOCK_LABELS)?).ok()?;
		let labels: [Hash; 4] = self.labels().get(first..first.checked_add(4)?)?.try_into().ok()?;
		Some(round::block_bytes(&labels))
	}

	/// Runs a residency round on this thread: every walk's checkpoints, and their tree (whose
	/// root is `R`).
	pub fn run_round<H: Hasher>(
		&self,
		round: &round::RoundParams,
		challenge: &round::RoundChallenge,
	) -> Option<MerkleTree> {
		let mut checkpoints = Vec::with_capacity(round.checkpoints() as usize);
		for walk in 0..round.walks {
			checkpoints.extend(round::run_walk::<H>(&self.params, round, challenge, walk, |b| {
				self.block(b)
			})?);
		}
		round::checkpoint_tree::<H>(&checkpoints)
	}

	/// Opens the `asked` segments of a round run with [`Self::run_round`].
	pub fn open_round<H: Hasher>(
		&self,
		round: &round::RoundParams,
		challenge: &round::RoundChallenge,
		tree: &MerkleTree,
		asked: &[round::SegmentId],
	) -> Option<round::RoundOpening> {
		round::open_segments::<H>(&self.params, round, challenge, tree, asked, |leaf| {
			self.opening(leaf)
		})
	}

	/// The answer to the challenge with `seed`: the seal check if `seal_check`, else a storage
	/// proof.
	pub fn prove<H: Hasher>(&self, seed: &Hash, seal_check: bool) -> Option<Proof> {
		assemble_proof::<H>(&self.params, &self.ek, seed, seal_check, |leaf| self.opening(leaf))
	}
}

/// One label a seal check opens, with the leaves its recomputation needs.
struct SealOpeningPlan {
	leaf: u64,
	/// The predecessor's and the parents' leaves; `None` for a lane's first label.
	inputs: Option<(u64, Vec<u64>)>,
}

/// The seal check's labels for `seed`, in order, each with its predecessor and parents.
fn seal_plan<H: Hasher>(params: &Params, ek: &Hash, seed: &Hash) -> Option<Vec<SealOpeningPlan>> {
	let lane_len = u64::from(params.lane_len);
	seal_challenge_indices::<H>(params, seed)
		.map(|leaf| {
			let lane = u32::try_from(leaf.checked_div(lane_len)?).ok()?;
			let index = u32::try_from(leaf.checked_rem(lane_len)?).ok()?;
			let lane_start = leaf.saturating_sub(u64::from(index));
			let inputs = (index != 0).then(|| {
				let mut positions = [0u32; MAX_PARENTS as usize];
				let count = parent_indices::<H>(ek, lane, index, params.parents, &mut positions);
				let parents = positions
					.iter()
					.take(count)
					.map(|p| lane_start.saturating_add(u64::from(*p)))
					.collect();
				(leaf.saturating_sub(1), parents)
			});
			Some(SealOpeningPlan { leaf, inputs })
		})
		.collect()
}

/// Every leaf the answer to the challenge with `seed` opens (with repeats), so a prover whose
/// labels live in device memory can fetch them all in one transfer before assembling.
pub fn proof_leaves<H: Hasher>(
	params: &Params,
	ek: &Hash,
	seed: &Hash,
	seal_check: bool,
) -> Vec<u64> {
	if !seal_check {
		return challenge_indices::<H>(params, seed).collect();
	}
	let mut leaves = Vec::new();
	for plan in seal_plan::<H>(params, ek, seed).unwrap_or_default() {
		leaves.push(plan.leaf);
		if let Some((predecessor, parents)) = plan.inputs {
			leaves.push(predecessor);
			leaves.extend(parents);
		}
	}
	leaves
}

/// Assembles the answer to the challenge with `seed` (the seal check if `seal_check`, else a
/// storage proof) from `open`, which yields any leaf's label and Merkle path; `None` if `open`
/// fails for a leaf.
pub fn assemble_proof<H: Hasher>(
	params: &Params,
	ek: &Hash,
	seed: &Hash,
	seal_check: bool,
	open: impl Fn(u64) -> Option<Opening>,
) -> Option<Proof> {
	if !seal_check {
		let leaves = challenge_indices::<H>(params, seed).map(open).collect::<Option<Vec<_>>>()?;
		return Some(Proof::Storage(StorageProof { leaves: leaves.try_into().ok()? }));
	}
	let openings = seal_plan::<H>(params, ek, seed)?
		.into_iter()
		.map(|plan| {
			let (predecessor, parents) = match plan.inputs {
				None => (None, Vec::new()),
				Some((predecessor, parents)) => (
					Some(open(predecessor)?),
					parents.into_iter().map(&open).collect::<Option<Vec<_>>>()?,
				),
			};
			Some(ChallengeOpening {
				label: open(plan.leaf)?,
				predecessor,
				parents: parents.try_into().ok()?,
			})
		})
		.collect::<Option<Vec<_>>>()?;
	Some(Proof::Seal(SealProof { openings: openings.try_into().ok()? }))
}

/// A dataset in which only the labels a seal check opens are set, every other label is zero, and
/// the opened labels hash correctly from their (possibly zero) predecessor and parents. Its proofs
/// (that seal check, and storage proofs of any seed) verify at any depth without sealing 2^depth
/// labels: benchmarks use it to measure verification at the largest parameters. It proves nothing
/// about a device, since no real dataset backs it.
pub struct SparseDataset {
	depth: u32,
	/// Non-zero nodes, level by level from the leaves.
	levels: Vec<alloc::collections::BTreeMap<u64, Hash>>,
	/// The root of an all-zero subtree of each height.
	zeros: Vec<Hash>,
}

impl SparseDataset {
	/// Builds the sparse dataset answering the seal check `seed` under `ek`.
	pub fn for_challenge<H: Hasher>(params: &Params, ek: &Hash, seed: &Hash) -> Option<Self> {
		params.validate().ok()?;
		let lane_len = u64::from(params.lane_len);
		let parents = params.parents as usize;
		let mut leaves = alloc::collections::BTreeMap::<u64, Hash>::new();
		let mut challenged: Vec<u64> = seal_challenge_indices::<H>(params, seed).collect();
		// Ascending order: a label's predecessor and parents sit below it in its lane, so they are
		// final before it is computed.
		challenged.sort_unstable();
		challenged.dedup();
		for leaf in challenged {
			let lane = u32::try_from(leaf.checked_div(lane_len)?).ok()?;
			let index = u32::try_from(leaf.checked_rem(lane_len)?).ok()?;
			let lane_start = leaf.saturating_sub(u64::from(index));
			let seed_label = lane_seed::<H>(ek, lane);
			let mut parent_labels = [seed_label; MAX_PARENTS as usize];
			let predecessor = if index == 0 {
				seed_label
			} else {
				let mut positions = [0u32; MAX_PARENTS as usize];
				let count = parent_indices::<H>(ek, lane, index, params.parents, &mut positions);
				for (slot, p) in parent_labels.iter_mut().zip(positions.iter()).take(count) {
					*slot = leaves
						.get(&lane_start.saturating_add(u64::from(*p)))
						.copied()
						.unwrap_or_default();
				}
				leaves.get(&leaf.saturating_sub(1)).copied().unwrap_or_default()
			};
			let label = compute_label::<H>(
				params,
				ek,
				lane,
				index,
				&predecessor,
				parent_labels.get(..parents)?,
			);
			leaves.insert(leaf, label);
		}

		let depth = params.depth();
		let mut zeros = alloc::vec![[0u8; 32]];
		let mut levels = alloc::vec![leaves];
		for height in 0..depth as usize {
			let zero = *zeros.get(height)?;
			zeros.push(crate::merkle::node::<H>(&zero, &zero));
			let below = levels.get(height)?;
			let mut above = alloc::collections::BTreeMap::new();
			for &index in below.keys() {
				let parent = index >> 1;
				if above.contains_key(&parent) {
					continue;
				}
				let left = below.get(&(parent << 1)).copied().unwrap_or(zero);
				let right = below.get(&((parent << 1) | 1)).copied().unwrap_or(zero);
				above.insert(parent, crate::merkle::node::<H>(&left, &right));
			}
			levels.push(above);
		}
		Some(SparseDataset { depth, levels, zeros })
	}

	/// The root.
	pub fn root(&self) -> Hash {
		self.levels
			.last()
			.and_then(|top| top.get(&0).copied())
			.or_else(|| self.zeros.last().copied())
			.unwrap_or_default()
	}

	fn opening(&self, leaf: u64) -> Option<Opening> {
		let label = self.levels.first()?.get(&leaf).copied().unwrap_or_default();
		let path = (0..self.depth as usize)
			.map(|height| {
				let sibling = (leaf >> height) ^ 1;
				let level = self.levels.get(height)?;
				level.get(&sibling).copied().or_else(|| self.zeros.get(height).copied())
			})
			.collect::<Option<Vec<_>>>()?;
		Some(Opening { label, path: MerklePath::try_from(path).ok()? })
	}

	/// The seal check this dataset was built for (`seal_check`), or a storage proof for `seed`.
	pub fn prove<H: Hasher>(
		&self,
		params: &Params,
		ek: &Hash,
		seed: &Hash,
		seal_check: bool,
	) -> Option<Proof> {
		assemble_proof::<H>(params, ek, seed, seal_check, |leaf| self.opening(leaf))
	}
}
