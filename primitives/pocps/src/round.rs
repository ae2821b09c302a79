//! Residency rounds: a timed, bandwidth-bound walk over a sealed dataset, which a verifier runs
//! against a device off chain and audits with [`verify_round`].
//!
//! A storage proof shows that someone can reach the labels; a round shows they are read at
//! memory speed. From a round seed (the chain's) and a nonce (the verifier's, secret until the
//! challenge is sent), the device runs `walks` independent walks of `steps` steps each. A step
//! reads one 128-byte block (four consecutive labels) at an index taken from the walk's state,
//! and folds it into the state with a cheap FNV-style mix: the next index depends on the block
//! just read, so the reads cannot be batched ahead or prefetched, and each walk is a chain of
//! dependent random reads, which is what HBM is fast at and DDR, PCIe and NVMe are not. Every
//! `segment` steps the state is a checkpoint; the Merkle root over all checkpoints (walk-major)
//! is the round's result `R`, which the device signs with its device key ([`round_message`]).
//!
//! After `R` arrives the verifier asks for segments ([`audit_segments`]); each
//! [`SegmentOpening`] carries the segment's start and end checkpoints (with paths to `R`) and
//! every block the segment read (with its path to the sealed root), and [`verify_round`]
//! recomputes the segment. A device missing a fraction `f` of its blocks cannot compute a
//! segment that reads one of them, so each segment is wrong with probability
//! `1 − (1 − f)^segment`, and `audits` segments catch it unless all are right. docs/pocps.md has
//! the arithmetic per class and what a pass does and does not prove.

use crate::{
	merkle::{verify_path, MerkleTree},
	params::MAX_TREE_DEPTH,
	proof::{MerklePath, Opening},
	Hash, Hasher, Params,
};
use alloc::vec::Vec;
use bounded_collections::{BoundedVec, ConstU32};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// Labels per read: 4 × 32 bytes = 128 bytes, the GPU memory transaction size.
pub const BLOCK_LABELS: u64 = 4;
/// Bytes per read.
pub const BLOCK_BYTES: usize = 128;
/// Most walks in a round.
pub const MAX_WALKS: u32 = 1 << 20;
/// Most steps between checkpoints (and so per opened segment).
pub const MAX_SEGMENT_STEPS: u32 = 256;
/// Most segments opened in one audit.
pub const MAX_AUDITS: u32 = 64;
/// Deepest checkpoint tree.
pub const MAX_CHECKPOINT_DEPTH: u32 = 32;

/// FNV-1's 32-bit prime (Ethash's mixing step uses the same).
const FNV_PRIME: u32 = 0x0100_0193;

/// A walk's state: eight 32-bit words (GPU-friendly, no 64-bit arithmetic needed).
pub type State = [u32; 8];

/// The shape of a class's rounds.
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
pub struct RoundParams {
	/// Independent walks (one GPU thread each). Power of two.
	pub walks: u32,
	/// Steps per walk: a multiple of `segment`, `steps / segment` a power of two.
	pub steps: u32,
	/// Steps between checkpoints, the length of an opened segment. Power of two.
	pub segment: u32,
	/// Segments the verifier opens off chain after each round.
	pub audits: u32,
	/// Segments an on-chain audit opens (fewer: they are paid for in block space).
	pub chain_audits: u32,
	/// Milliseconds from challenge sent to signed `R` received that a pass allows.
	pub deadline_ms: u32,
}

/// Why round parameters are unusable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoundParamsError {
	/// `walks`, `segment` or `steps / segment` is zero or not a power of two, or `steps` is not
	/// a multiple of `segment`.
	Shape,
	/// Above [`MAX_WALKS`], [`MAX_SEGMENT_STEPS`] or [`MAX_CHECKPOINT_DEPTH`].
	TooLarge,
	/// `audits` or `chain_audits` is zero, above [`MAX_AUDITS`] or the round's checkpoints, or
	/// `chain_audits > audits`.
	Audits,
	/// `deadline_ms` is zero.
	Deadline,
	/// The dataset has fewer than two blocks.
	Dataset,
}

impl RoundParams {
	/// Checks every limit against the dataset's `params` (which must validate themselves).
	pub fn validate(&self, params: &Params) -> Result<(), RoundParamsError> {
		self.validate_shape()?;
		if params.total_labels() < BLOCK_LABELS.saturating_mul(2) {
			return Err(RoundParamsError::Dataset);
		}
		Ok(())
	}

	/// Checks every limit that does not depend on the dataset.
	pub fn validate_shape(&self) -> Result<(), RoundParamsError> {
		if !self.walks.is_power_of_two()
			|| !self.segment.is_power_of_two()
			|| self.steps == 0
			|| self.steps.checked_rem(self.segment) != Some(0)
			|| !self.segments().is_power_of_two()
		{
			return Err(RoundParamsError::Shape);
		}
		if self.walks > MAX_WALKS
			|| self.segment > MAX_SEGMENT_STEPS
			|| self.checkpoint_depth() > MAX_CHECKPOINT_DEPTH
		{
			return Err(RoundParamsError::TooLarge);
		}
		if self.audits == 0
			|| self.audits > MAX_AUDITS
			|| u64::from(self.audits) > self.checkpoints()
			|| self.chain_audits == 0
			|| self.chain_audits > self.audits
		{
			return Err(RoundParamsError::Audits);
		}
		if self.deadline_ms == 0 {
			return Err(RoundParamsError::Deadline);
		}
		Ok(())
	}

	/// Checkpoints per walk.
	pub fn segments(&self) -> u32 {
		self.steps.checked_div(self.segment).unwrap_or(0)
	}

	/// Checkpoints in the round, the leaves of the tree whose root is `R`.
	pub fn checkpoints(&self) -> u64 {
		u64::from(self.walks).saturating_mul(u64::from(self.segments()))
	}

	/// Depth of the checkpoint tree.
	pub fn checkpoint_depth(&self) -> u32 {
		self.walks.trailing_zeros().saturating_add(self.segments().trailing_zeros())
	}

	/// Reads in the round: `walks × steps`.
	pub fn reads(&self) -> u64 {
		u64::from(self.walks).saturating_mul(u64::from(self.steps))
	}

	/// Bytes read in the round.
	pub fn bytes_read(&self) -> u64 {
		self.reads().saturating_mul(BLOCK_BYTES as u64)
	}

	/// SHA-256 compressions to verify `segments` opened segments against a dataset of
	/// `params` (upper bound): per read a block path, per segment two checkpoint paths.
	pub fn verify_hashes(&self, params: &Params, segments: u32) -> u64 {
		let block_depth = u64::from(params.depth().saturating_sub(2));
		let per_segment = u64::from(self.segment)
			.saturating_mul(block_depth.saturating_add(3))
			.saturating_add(u64::from(self.checkpoint_depth()).saturating_mul(2));
		per_segment.saturating_mul(u64::from(segments))
	}
}

/// What a round is about: the device, the chain's round seed, the verifier (so a pass the
/// device signed for one verifier cannot be copied by another) and its nonce.
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
)]
pub struct RoundChallenge {
	/// The device answering.
	pub device: u64,
	/// The round's seed, from the chain's randomness.
	pub seed: Hash,
	/// The verifier's identity: BLAKE2-256 of its SCALE-encoded account id.
	pub verifier: Hash,
	/// The verifier's nonce, secret until it sends the challenge.
	pub nonce: Hash,
}

/// The bytes the device key signs: binds `R` to the device, the round, the verifier and the
/// nonce.
pub fn round_message(challenge: &RoundChallenge, result: &Hash) -> Vec<u8> {
	(b"EMBROUND", challenge, result).encode()
}

/// A walk's starting state.
pub fn walk_start<H: Hasher>(challenge: &RoundChallenge, walk: u32) -> State {
	let digest = H::sha256(&(b"EMBWALK0", challenge, walk).encode());
	hash_to_state(&digest)
}

/// A state's 32 bytes (little-endian words): a checkpoint leaf.
pub fn state_to_hash(state: &State) -> Hash {
	let mut out = [0u8; 32];
	for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
		chunk.copy_from_slice(&word.to_le_bytes());
	}
	out
}

/// The state a checkpoint leaf holds.
pub fn hash_to_state(hash: &Hash) -> State {
	let mut state = [0u32; 8];
	for (word, chunk) in state.iter_mut().zip(hash.chunks_exact(4)) {
		*word = u32::from_le_bytes([
			chunk.first().copied().unwrap_or(0),
			chunk.get(1).copied().unwrap_or(0),
			chunk.get(2).copied().unwrap_or(0),
			chunk.get(3).copied().unwrap_or(0),
		]);
	}
	state
}

/// The block step `step` reads, in a dataset of `blocks` blocks (a power of two): two state
/// words, rotating with the step, so every word steers the walk.
pub fn block_index(state: &State, step: u32, blocks: u64) -> u64 {
	let i = (step & 7) as usize;
	let high = u64::from(state.get(i).copied().unwrap_or(0));
	let low = u64::from(state.get(i.wrapping_add(1) & 7).copied().unwrap_or(0));
	((high << 32) | low) & blocks.saturating_sub(1)
}

/// Folds the 128-byte block read at step `step` into the state: each of its 32 words into one
/// state word, FNV-style, together with the next state word (so words do not evolve apart) and
/// the walk's key (its start state, so every step, not only the first, depends on the
/// verifier's nonce: a walk run for one nonce answers no other).
pub fn mix(state: &mut State, key: &State, step: u32, block: &[u8; BLOCK_BYTES]) {
	for (i, chunk) in block.chunks_exact(4).enumerate() {
		let word = u32::from_le_bytes([
			chunk.first().copied().unwrap_or(0),
			chunk.get(1).copied().unwrap_or(0),
			chunk.get(2).copied().unwrap_or(0),
			chunk.get(3).copied().unwrap_or(0),
		]);
		let j = i & 7;
		let next = state.get(j.wrapping_add(1) & 7).copied().unwrap_or(0);
		let salt = key.get(j).copied().unwrap_or(0);
		if let Some(target) = state.get_mut(j) {
			*target = target.wrapping_mul(FNV_PRIME) ^ word ^ next.rotate_left(step & 31) ^ salt;
		}
	}
}

/// The 128 bytes of four labels.
pub fn block_bytes(labels: &[Hash; 4]) -> [u8; BLOCK_BYTES] {
	let mut out = [0u8; BLOCK_BYTES];
	for (chunk, label) in out.chunks_exact_mut(32).zip(labels) {
		chunk.copy_from_slice(label);
	}
	out
}

/// Runs `count` steps from `state` of the walk keyed `key`, starting at step number `first`,
/// reading blocks through `read` (block index → its bytes). `None` if a read fails.
pub fn run_steps(
	state: &mut State,
	key: &State,
	first: u32,
	count: u32,
	blocks: u64,
	mut read: impl FnMut(u64) -> Option<[u8; BLOCK_BYTES]>,
) -> Option<()> {
	for step in first..first.saturating_add(count) {
		let block = read(block_index(state, step, blocks))?;
		mix(state, key, step, &block);
	}
	Some(())
}

/// Runs one walk on a dataset of `params` and returns its checkpoints (one per segment). The
/// reference walk: the miner's backends compute the same on the device.
pub fn run_walk<H: Hasher>(
	params: &Params,
	round: &RoundParams,
	challenge: &RoundChallenge,
	walk: u32,
	mut read: impl FnMut(u64) -> Option<[u8; BLOCK_BYTES]>,
) -> Option<Vec<State>> {
	let blocks = blocks_of(params);
	let key = walk_start::<H>(challenge, walk);
	let mut state = key;
	let mut checkpoints = Vec::with_capacity(round.segments() as usize);
	for segment in 0..round.segments() {
		run_steps(
			&mut state,
			&key,
			segment.saturating_mul(round.segment),
			round.segment,
			blocks,
			&mut read,
		)?;
		checkpoints.push(state);
	}
	Some(checkpoints)
}

/// The tree over all checkpoints of a round (walk-major), whose root is `R`.
pub fn checkpoint_tree<H: Hasher>(checkpoints: &[State]) -> Option<MerkleTree> {
	MerkleTree::build::<H>(checkpoints.iter().map(state_to_hash).collect())
}

/// One opened block: its four labels and the path from their subtree (height 2) to the sealed
/// root.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct BlockOpening {
	/// The four labels.
	pub labels: [Hash; 4],
	/// Siblings from the block's subtree up to the root.
	pub path: MerklePath,
}

impl BlockOpening {
	/// The opening of block `block` from the openings of its first and third label (a leaf's
	/// path starts with its sibling, then its sibling pair's node).
	pub fn from_leaves(first: &Opening, third: &Opening) -> Option<Self> {
		let second = *first.path.first()?;
		let fourth = *third.path.first()?;
		let path: Vec<Hash> = first.path.iter().skip(2).copied().collect();
		Some(BlockOpening {
			labels: [first.label, second, third.label, fourth],
			path: path.try_into().ok()?,
		})
	}
}

/// One opened segment: its checkpoints and every block it read, in order.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct SegmentOpening {
	/// The checkpoint the segment starts from (with its path to `R`); `None` for a walk's first
	/// segment, which starts from [`walk_start`].
	pub start: Option<Opening>,
	/// The checkpoint it ends at, with its path to `R`.
	pub end: Opening,
	/// The blocks its steps read.
	pub blocks: BoundedVec<BlockOpening, ConstU32<MAX_SEGMENT_STEPS>>,
}

/// The answer to an audit: one [`SegmentOpening`] per asked segment, in order.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct RoundOpening {
	/// The segments.
	pub segments: BoundedVec<SegmentOpening, ConstU32<MAX_AUDITS>>,
}

/// A segment: which walk, and which of its checkpoints it ends at.
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
)]
pub struct SegmentId {
	/// The walk.
	pub walk: u32,
	/// The segment within the walk (0 starts at the walk's start).
	pub segment: u32,
}

impl SegmentId {
	/// Its end checkpoint's leaf index in the checkpoint tree.
	pub fn leaf(&self, round: &RoundParams) -> u64 {
		u64::from(self.walk)
			.saturating_mul(u64::from(round.segments()))
			.saturating_add(u64::from(self.segment))
	}
}

/// The `count` distinct segments an audit asks for, drawn from `selector` (the verifier's
/// randomness off chain; a later block's VRF output and `R` on chain).
pub fn audit_segments<H: Hasher>(
	round: &RoundParams,
	selector: &Hash,
	count: u32,
) -> Vec<SegmentId> {
	let total = round.checkpoints();
	let count = u64::from(count).min(total);
	let mut chosen: Vec<u64> = Vec::new();
	let mut draw = 0u32;
	// Rejection of repeats: with `count ≤ 64` and at least as many segments the expected draws
	// are below 2·count; the bound keeps a degenerate tree from looping.
	while (chosen.len() as u64) < count && draw < MAX_AUDITS.saturating_mul(16) {
		let digest = H::sha256(&(b"EMBAUDIT", selector, draw).encode());
		let word = u64::from_le_bytes(digest_word(&digest));
		let leaf = word.checked_rem(total).unwrap_or(0);
		if !chosen.contains(&leaf) {
			chosen.push(leaf);
		}
		draw = draw.saturating_add(1);
	}
	let segments = u64::from(round.segments()).max(1);
	chosen
		.into_iter()
		.map(|leaf| SegmentId {
			walk: leaf.checked_div(segments).unwrap_or(0) as u32,
			segment: leaf.checked_rem(segments).unwrap_or(0) as u32,
		})
		.collect()
}

/// Blocks in a dataset of `params`.
pub fn blocks_of(params: &Params) -> u64 {
	params.total_labels().checked_div(BLOCK_LABELS).unwrap_or(0)
}

fn digest_word(digest: &Hash) -> [u8; 8] {
	let mut word = [0u8; 8];
	word.copy_from_slice(digest.get(..8).unwrap_or(&[0u8; 8]));
	word
}

/// Why a round's audit failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub enum RoundError {
	/// The dataset or round parameters do not validate.
	InvalidParams,
	/// Not one segment opening per asked segment.
	WrongSegmentCount,
	/// A segment's start is missing for a later segment, or present for a first one.
	StartShape,
	/// A checkpoint's path does not lead to `R`.
	CheckpointPath,
	/// Not one block per step of the segment.
	WrongBlockCount,
	/// A block's path does not lead to the sealed root.
	BlockPath,
	/// Recomputing the segment does not reach its end checkpoint.
	WrongEnd,
}

/// Verifies the openings of the `asked` segments of the round `challenge` whose checkpoint root
/// is `result`, against the dataset of `params` sealed as `root`.
pub fn verify_round<H: Hasher>(
	params: &Params,
	round: &RoundParams,
	root: &Hash,
	challenge: &RoundChallenge,
	result: &Hash,
	asked: &[SegmentId],
	opening: &RoundOpening,
) -> Result<(), RoundError> {
	if params.validate().is_err() || round.validate(params).is_err() {
		return Err(RoundError::InvalidParams);
	}
	if opening.segments.len() != asked.len() {
		return Err(RoundError::WrongSegmentCount);
	}
	let blocks = blocks_of(params);
	let block_depth = params.depth().saturating_sub(2);
	let checkpoint_depth = round.checkpoint_depth();
	for (id, segment) in asked.iter().zip(opening.segments.iter()) {
		if id.walk >= round.walks || id.segment >= round.segments() {
			return Err(RoundError::WrongSegmentCount);
		}
		let leaf = id.leaf(round);
		let key = walk_start::<H>(challenge, id.walk);
		let mut state = match (&segment.start, id.segment) {
			(None, 0) => key,
			(Some(start), s) if s > 0 => {
				if !verify_path::<H>(
					result,
					&start.label,
					leaf.saturating_sub(1),
					&start.path,
					checkpoint_depth,
				) {
					return Err(RoundError::CheckpointPath);
				}
				hash_to_state(&start.label)
			}
			_ => return Err(RoundError::StartShape),
		};
		if !verify_path::<H>(result, &segment.end.label, leaf, &segment.end.path, checkpoint_depth)
		{
			return Err(RoundError::CheckpointPath);
		}
		if segment.blocks.len() != round.segment as usize {
			return Err(RoundError::WrongBlockCount);
		}
		let first = id.segment.saturating_mul(round.segment);
		for (step, block) in (first..).zip(segment.blocks.iter()) {
			let index = block_index(&state, step, blocks);
			let subtree = crate::merkle::node::<H>(
				&crate::merkle::node::<H>(&block.labels[0], &block.labels[1]),
				&crate::merkle::node::<H>(&block.labels[2], &block.labels[3]),
			);
			if !verify_path::<H>(root, &subtree, index, &block.path, block_depth) {
				return Err(RoundError::BlockPath);
			}
			mix(&mut state, &key, step, &block_bytes(&block.labels));
		}
		if state_to_hash(&state) != segment.end.label {
			return Err(RoundError::WrongEnd);
		}
	}
	Ok(())
}

/// Assembles the openings of `asked` from the round's checkpoint tree and `open`, which yields
/// any dataset leaf's label and path (the miner's resident dataset, or the reference prover).
/// `None` if a read or an opening fails.
pub fn open_segments<H: Hasher>(
	params: &Params,
	round: &RoundParams,
	challenge: &RoundChallenge,
	tree: &MerkleTree,
	asked: &[SegmentId],
	open: impl Fn(u64) -> Option<Opening>,
) -> Option<RoundOpening> {
	let blocks = blocks_of(params);
	let checkpoint = |leaf: u64| -> Option<Opening> {
		let (label, path) = tree.open(leaf)?;
		Some(Opening { label, path: path.try_into().ok()? })
	};
	let mut segments = Vec::with_capacity(asked.len());
	for id in asked {
		let leaf = id.leaf(round);
		let start = if id.segment == 0 { None } else { Some(checkpoint(leaf.checked_sub(1)?)?) };
		let key = walk_start::<H>(challenge, id.walk);
		let mut state = match &start {
			None => key,
			Some(opening) => hash_to_state(&opening.label),
		};
		let mut opened = Vec::with_capacity(round.segment as usize);
		let first = id.segment.saturating_mul(round.segment);
		for step in first..first.saturating_add(round.segment) {
			let index = block_index(&state, step, blocks);
			let base = index.saturating_mul(BLOCK_LABELS);
			let block = BlockOpening::from_leaves(&open(base)?, &open(base.saturating_add(2))?)?;
			mix(&mut state, &key, step, &block_bytes(&block.labels));
			opened.push(block);
		}
		segments.push(SegmentOpening {
			start,
			end: checkpoint(leaf)?,
			blocks: opened.try_into().ok()?,
		});
	}
	Some(RoundOpening { segments: segments.try_into().ok()? })
}

const _: () = assert!(MAX_CHECKPOINT_DEPTH <= MAX_TREE_DEPTH);
