//! Compute backends: what seals a dataset and builds its Merkle tree.
//!
//! All three compute the same bytes as `ember_pocps::prover` (the reference), checked against
//! the checked-in test vectors: `cpu` (rayon, always present), `vulkan` (wgpu compute shaders,
//! 32-bit words only) and `cuda` (cudarc; the driver and NVRTC are loaded at run time, so the
//! miner builds and runs without the CUDA toolkit).
//!
//! A lane is sequential and lanes are independent, so sealing runs one thread per lane and
//! reports progress after each chunk of label positions; Merkle levels run one thread per node.

pub mod cpu;
pub mod cuda;
pub mod vulkan;

use crate::error::{Error, Result};
use ember_pocps::{
	round::{RoundParams, State},
	Hash, Params,
};

/// Which backend to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendKind {
	/// CPU reference (rayon).
	Cpu,
	/// Vulkan compute through wgpu.
	Vulkan,
	/// CUDA through cudarc.
	Cuda,
}

impl BackendKind {
	/// The name used on the command line and in metrics.
	pub fn name(self) -> &'static str {
		match self {
			BackendKind::Cpu => "cpu",
			BackendKind::Vulkan => "vulkan",
			BackendKind::Cuda => "cuda",
		}
	}
}

/// Called with the number of labels sealed since the last call; returning `false` asks the
/// sealer to stop (Ctrl-C) at the next chunk.
pub type Progress<'a> = &'a (dyn Fn(u64) -> bool + Sync);

/// Leaf rows below the host's part of the Merkle tree: the host keeps the levels from the
/// roots of `2^ROWS`-label subtrees up (2/2^ROWS of the dataset: 1.6 %), and an opening
/// re-hashes its subtree from the labels on the device (Filecoin's `rows_to_discard`).
pub const ROWS: u32 = 7;

/// The subtree height for a class: [`ROWS`], or less where a lane is shorter.
pub fn rows_for(params: &Params) -> u32 {
	ROWS.min(params.lane_len.trailing_zeros())
}

/// A compute backend: where a dataset lives while the miner answers from it.
pub trait Backend: Send + Sync {
	/// Which kind it is.
	fn kind(&self) -> BackendKind;
	/// The device it runs on, for humans.
	fn device_name(&self) -> String;
	/// Device memory for a dataset of `params` (RAM for the CPU backend), in chunks of whole
	/// lanes, zeroed.
	fn allocate(&self, params: &Params) -> Result<Box<dyn Resident>>;
}

/// A dataset's labels held in device memory: written (or sealed in place) lane by lane, read
/// back a few labels at a time to answer, and hashed into subtree roots where they are.
pub trait Resident: Send + Sync {
	/// Lanes in one chunk of device memory: the unit [`Resident::seal_lanes`] and
	/// [`Resident::subtree_roots`] work within.
	fn lanes_per_chunk(&self) -> u32;
	/// Stores sealed labels of lanes `first_lane..`, lane-major.
	fn write_lanes(&mut self, first_lane: u32, labels: &[Hash]) -> Result<()>;
	/// The labels of each range `(first leaf, count)`, concatenated.
	fn read(&self, ranges: &[(u64, u32)]) -> Result<Vec<Hash>>;
	/// Seals lanes `first_lane .. first_lane + lanes` (within one chunk) in place under
	/// encoding key `ek`. Returns `false` if `progress` asked to stop (the lanes are then
	/// incomplete).
	fn seal_lanes(
		&mut self,
		ek: &Hash,
		first_lane: u32,
		lanes: u32,
		progress: Progress<'_>,
	) -> Result<bool>;
	/// The roots of the `2^rows`-label subtrees over lanes `first_lane .. first_lane + lanes`
	/// (within one chunk), in leaf order.
	fn subtree_roots(&self, first_lane: u32, lanes: u32, rows: u32) -> Result<Vec<Hash>>;
	/// Runs a residency round's walks over the labels where they are: walk `w` starts from,
	/// and is keyed by, `starts[w]` (`ember_pocps::round::walk_start`), reads `round.steps`
	/// blocks of the `blocks`-block dataset, and yields a checkpoint every `round.segment`
	/// steps. Returns every checkpoint, walk-major: `ember_pocps::round::run_walk`'s, bit for
	/// bit.
	fn walk(&self, round: &RoundParams, starts: &[State], blocks: u64) -> Result<Vec<State>>;
	/// Bytes of device memory held.
	fn bytes(&self) -> u64;
}

/// Opens the requested backend, or the best one present: CUDA, then a Vulkan GPU, then the
/// CPU, logging which it chose and why the others were passed over. A software Vulkan device
/// (lavapipe) is never chosen by default: the CPU backend is faster on the same cores.
pub fn open(kind: Option<BackendKind>, gpu: &str) -> Result<std::sync::Arc<dyn Backend>> {
	if kind == Some(BackendKind::Cpu) {
		return Ok(std::sync::Arc::new(cpu::CpuBackend::new()));
	}
	let device = crate::fingerprint::resolve(gpu)?;
	match kind {
		Some(BackendKind::Cpu) => Ok(std::sync::Arc::new(cpu::CpuBackend::new())),
		Some(BackendKind::Vulkan) => {
			Ok(std::sync::Arc::new(vulkan::VulkanBackend::open(&device, true)?))
		}
		Some(BackendKind::Cuda) => Ok(std::sync::Arc::new(cuda::CudaBackend::open(&device)?)),
		None => {
			let cuda = match cuda::CudaBackend::open(&device) {
				Ok(cuda) => {
					tracing::info!("backend cuda chosen: {}", cuda.device_name());
					return Ok(std::sync::Arc::new(cuda));
				}
				Err(error) => error,
			};
			let vulkan = match vulkan::VulkanBackend::open(&device, false) {
				Ok(vulkan) => {
					tracing::info!("backend vulkan chosen ({cuda}): {}", vulkan.device_name());
					return Ok(std::sync::Arc::new(vulkan));
				}
				Err(error) => error,
			};
			tracing::info!("backend cpu chosen ({cuda}; {vulkan})");
			Ok(std::sync::Arc::new(cpu::CpuBackend::new()))
		}
	}
}

/// How a dataset's lanes are split into chunks of device memory: `per_chunk` whole lanes each,
/// the last one shorter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunks {
	/// Lanes in the dataset.
	pub lanes: u32,
	/// Lanes per chunk (at least 1).
	pub per_chunk: u32,
}

impl Chunks {
	/// `lanes` lanes in chunks of `per_chunk`.
	pub fn new(lanes: u32, per_chunk: u32) -> Self {
		Chunks { lanes, per_chunk: per_chunk.max(1) }
	}

	/// Each chunk's first lane and number of lanes, in order.
	pub fn iter(self) -> impl Iterator<Item = (u32, u32)> {
		(0..self.lanes.div_ceil(self.per_chunk)).map(move |chunk| {
			let first = chunk * self.per_chunk;
			(first, self.per_chunk.min(self.lanes - first))
		})
	}

	/// The chunk holding `lane`, and the lane's index within it.
	pub fn locate(self, lane: u32) -> Result<(usize, u32)> {
		if lane >= self.lanes {
			return Err(Error::Backend { backend: "memory", reason: format!("no lane {lane}") });
		}
		Ok(((lane / self.per_chunk) as usize, lane % self.per_chunk))
	}

	/// Where lanes `first .. first + lanes` start, if they lie within one chunk.
	pub fn within(self, first: u32, lanes: u32) -> Result<(usize, u32)> {
		let (index, at) = self.locate(first)?;
		if lanes == 0 || at + lanes > self.per_chunk || first + lanes > self.lanes {
			return Err(Error::Backend {
				backend: "memory",
				reason: format!("lanes {first}+{lanes} cross a chunk"),
			});
		}
		Ok((index, at))
	}
}

/// Lanes per chunk for a device whose largest buffer is `max_bytes`: as many whole lanes as
/// fit, or an error naming both sizes when not even one does.
pub(crate) fn lanes_per_chunk(
	backend: &'static str,
	params: &Params,
	max_bytes: u64,
) -> Result<u32> {
	let lane_bytes = u64::from(params.lane_len).saturating_mul(32);
	let fit = max_bytes.checked_div(lane_bytes).unwrap_or(0);
	if fit == 0 {
		return Err(Error::BackendUnavailable {
			backend,
			reason: format!(
				"one lane of this class is {} MiB but this device's largest buffer is {} MiB",
				lane_bytes >> 20,
				max_bytes >> 20
			),
		});
	}
	Ok(u32::try_from(fit).unwrap_or(u32::MAX).min(params.lanes))
}

/// Seals a whole dataset on `backend` and returns its labels, lane-major: for tests and
/// benchmarks (the miner seals lane by lane through [`crate::dataset`]).
pub fn seal_all(backend: &dyn Backend, params: &Params, ek: &Hash) -> Result<Vec<Hash>> {
	let mut resident = backend.allocate(params)?;
	for (lane, lanes) in Chunks::new(params.lanes, resident.lanes_per_chunk()).iter() {
		resident.seal_lanes(ek, lane, lanes, &|_| true)?;
	}
	let lane_len = params.lane_len;
	let ranges: Vec<(u64, u32)> =
		(0..params.lanes).map(|l| (u64::from(l) * u64::from(lane_len), lane_len)).collect();
	resident.read(&ranges)
}

/// The GPU kernels' configuration words for running steps `from .. to` of `walks` walks over a
/// dataset of `params` held in chunks of `per_chunk` lanes (the kernels find a block's chunk
/// from its lane, so a block must not straddle two lanes):
/// `[walks, segment, from, to, segments, block mask (low, high word), log2 blocks per lane,
/// lanes per chunk, words per lane, 0…]`.
pub(crate) fn walk_config(
	params: &Params,
	round: &RoundParams,
	per_chunk: u32,
	walks: u32,
	(from, to): (u32, u32),
) -> Result<[u32; 16]> {
	let lane_blocks = params.lane_len / ember_pocps::round::BLOCK_LABELS as u32;
	if lane_blocks == 0 || params.lanes == 0 {
		return Err(Error::Backend {
			backend: "walk",
			reason: format!("lanes of {} labels are shorter than a block", params.lane_len),
		});
	}
	let mask = ember_pocps::round::blocks_of(params).saturating_sub(1);
	let mut config = [0u32; 16];
	config[..10].copy_from_slice(&[
		walks,
		round.segment,
		from,
		to,
		round.segments(),
		mask as u32,
		(mask >> 32) as u32,
		lane_blocks.trailing_zeros(),
		per_chunk.max(1),
		params.lane_len.saturating_mul(8),
	]);
	Ok(config)
}

/// Steps `from .. to` of a round's walks in dispatches of at most `budget` steps (rounded to
/// whole segments), so a long round neither trips a driver watchdog nor ties the device up.
pub(crate) fn walk_dispatches(round: &RoundParams, budget: u32) -> Vec<(u32, u32)> {
	let segment = round.segment.max(1);
	let per = (budget / segment).max(1).saturating_mul(segment);
	(0..round.steps.div_ceil(per))
		.map(|i| (i * per, (i * per).saturating_add(per).min(round.steps)))
		.collect()
}

/// Checks the shape of a walk request before a backend runs it.
pub(crate) fn check_walk(round: &RoundParams, starts: &[State]) -> Result<()> {
	if starts.len() != round.walks as usize || round.segment == 0 || round.segments() == 0 {
		return Err(Error::Backend {
			backend: "walk",
			reason: format!(
				"{} start states for {} walks of {} steps in segments of {}",
				starts.len(),
				round.walks,
				round.steps,
				round.segment
			),
		});
	}
	Ok(())
}

/// SHA-256 compressions (64-byte blocks) to hash a message of `bytes` bytes.
pub fn blocks_for(bytes: u64) -> u64 {
	bytes.saturating_add(9).div_ceil(64)
}

/// SHA-256 compressions to seal a dataset: per label, its parent derivation, its message and
/// `iterations - 1` re-hashes; per lane, its seed.
pub fn seal_compressions(params: &Params) -> u64 {
	let message = 48 + 32 * (1 + u64::from(params.parents));
	let per_label = 1 + blocks_for(message) + u64::from(params.iterations.saturating_sub(1));
	params.total_labels().saturating_mul(per_label).saturating_add(u64::from(params.lanes))
}

/// SHA-256 compressions to build a Merkle tree over `leaves` leaves (two per inner node).
pub fn merkle_compressions(leaves: u64) -> u64 {
	leaves.saturating_sub(1).saturating_mul(2)
}

/// Label positions sealed per GPU dispatch, for a budget of `budget` sequential hashes per
/// thread: small enough to report progress often and to stay clear of driver watchdogs, large
/// enough that launch overhead does not matter.
pub(crate) fn chunk_len(params: &Params, budget: u32) -> u32 {
	let per_label = params.iterations.max(1);
	budget.checked_div(per_label).unwrap_or(1).clamp(1, params.lane_len.max(1))
}

/// Packs 32 bytes into eight big-endian words, the form SHA-256 works on in the kernels.
pub(crate) fn to_words(hash: &Hash) -> [u32; 8] {
	let mut words = [0u32; 8];
	for (word, bytes) in words.iter_mut().zip(hash.chunks_exact(4)) {
		*word = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
	}
	words
}

/// Converts kernel output (eight big-endian words per hash) back into hashes.
pub(crate) fn from_words(words: &[u32]) -> Vec<Hash> {
	words
		.chunks_exact(8)
		.map(|chunk| {
			let mut hash = [0u8; 32];
			for (bytes, word) in hash.chunks_exact_mut(4).zip(chunk) {
				bytes.copy_from_slice(&word.to_be_bytes());
			}
			hash
		})
		.collect()
}

/// The kernels' configuration words for sealing label positions `[from, to)` of `lanes`
/// lanes, the first of which is lane `first_lane` of the dataset and lane `buffer_lane` of the
/// device buffer.
pub(crate) fn seal_config(
	params: &Params,
	ek: &Hash,
	(first_lane, buffer_lane, lanes): (u32, u32, u32),
	(from, to): (u32, u32),
) -> [u32; 16] {
	let mut config = [0u32; 16];
	config[..6].copy_from_slice(&[
		lanes,
		params.lane_len,
		params.parents,
		params.iterations,
		from,
		to,
	]);
	config[6..14].copy_from_slice(&to_words(ek));
	config[14] = first_lane;
	config[15] = buffer_lane;
	config
}

/// The kernels' configuration words for the roots of `groups` subtrees of `2^rows` labels, the
/// first starting at label `first` of the device buffer.
pub(crate) fn subtree_config(rows: u32, groups: u32, first: u32) -> [u32; 16] {
	let mut config = [0u32; 16];
	config[..3].copy_from_slice(&[rows, groups, first]);
	config
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn chunks_cover_every_lane_once_and_refuse_runs_across_them() {
		let chunks = Chunks::new(10, 4);
		assert_eq!(chunks.iter().collect::<Vec<_>>(), vec![(0, 4), (4, 4), (8, 2)]);
		assert_eq!(chunks.locate(5).unwrap(), (1, 1));
		assert_eq!(chunks.locate(9).unwrap(), (2, 1));
		assert!(chunks.locate(10).is_err());
		assert_eq!(chunks.within(4, 4).unwrap(), (1, 0));
		assert!(chunks.within(3, 2).is_err(), "lanes 3 and 4 are in two chunks");
		assert!(chunks.within(8, 3).is_err(), "past the last lane");
		assert!(chunks.within(0, 0).is_err());
		assert_eq!(Chunks::new(3, 0).iter().count(), 3, "at least one lane per chunk");
	}

	#[test]
	fn words_round_trip() {
		let hash: Hash = core::array::from_fn(|i| i as u8);
		assert_eq!(from_words(&to_words(&hash)), vec![hash]);
		assert_eq!(to_words(&hash)[0], 0x0001_0203);
	}

	#[test]
	fn compression_counts() {
		assert_eq!(blocks_for(32), 1);
		assert_eq!(blocks_for(55), 1);
		assert_eq!(blocks_for(56), 2);
		assert_eq!(blocks_for(64), 2);
		let p = Params { lanes: 2, lane_len: 4, parents: 6, iterations: 3, challenges: 1 };
		// message 48 + 224 = 272 bytes: 5 blocks; + 1 parent derivation + 2 re-hashes.
		assert_eq!(seal_compressions(&p), 8 * 8 + 2);
		assert_eq!(merkle_compressions(8), 14);
	}
}
