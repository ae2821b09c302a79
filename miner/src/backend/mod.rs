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
use ember_pocps::{Hash, Params};

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

/// Called with the number of labels sealed so far.
pub type Progress<'a> = &'a (dyn Fn(u64) + Sync);

/// A compute backend.
pub trait Backend: Send + Sync {
	/// Which kind it is.
	fn kind(&self) -> BackendKind;
	/// The device it runs on, for humans.
	fn device_name(&self) -> String;
	/// Seals every label of the dataset with encoding key `ek`, lane-major.
	fn seal(&self, params: &Params, ek: &Hash, progress: Progress<'_>) -> Result<Vec<Hash>>;
	/// Every level of the Merkle tree over `leaves` (a power of two), leaves first.
	fn merkle_levels(&self, leaves: Vec<Hash>) -> Result<Vec<Vec<Hash>>>;
}

/// Opens the requested backend, or the best one present: CUDA, then a Vulkan GPU, then the
/// CPU. A software Vulkan device (lavapipe) is never chosen by default: the CPU backend is
/// faster on the same cores.
pub fn open(kind: Option<BackendKind>, gpu: usize) -> Result<std::sync::Arc<dyn Backend>> {
	match kind {
		Some(BackendKind::Cpu) => Ok(std::sync::Arc::new(cpu::CpuBackend::new())),
		Some(BackendKind::Vulkan) => {
			Ok(std::sync::Arc::new(vulkan::VulkanBackend::open(gpu, true)?))
		}
		Some(BackendKind::Cuda) => Ok(std::sync::Arc::new(cuda::CudaBackend::open(gpu)?)),
		None => {
			if let Ok(cuda) = cuda::CudaBackend::open(gpu) {
				return Ok(std::sync::Arc::new(cuda));
			}
			if let Ok(vulkan) = vulkan::VulkanBackend::open(gpu, false) {
				return Ok(std::sync::Arc::new(vulkan));
			}
			Ok(std::sync::Arc::new(cpu::CpuBackend::new()))
		}
	}
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

/// The kernels' configuration words for sealing label positions `[from, to)` of every lane.
pub(crate) fn seal_config(params: &Params, ek: &Hash, from: u32, to: u32) -> [u32; 16] {
	let mut config = [0u32; 16];
	config[..6].copy_from_slice(&[
		params.lanes,
		params.lane_len,
		params.parents,
		params.iterations,
		from,
		to,
	]);
	config[6..14].copy_from_slice(&to_words(ek));
	config
}

/// Splits concatenated levels (leaves first) into one vector per level.
pub(crate) fn split_levels(mut all: Vec<Hash>, leaves: u64) -> Vec<Vec<Hash>> {
	let mut levels = Vec::new();
	let mut width = leaves as usize;
	while width >= 1 && all.len() >= width {
		let rest = all.split_off(width);
		levels.push(all);
		all = rest;
		if width == 1 {
			break;
		}
		width /= 2;
	}
	levels
}

/// Refuses datasets whose word offsets would not fit the kernels' 32-bit indices.
pub(crate) fn check_fits(backend: &'static str, words: u64, limit: u64) -> Result<()> {
	if words > limit {
		return Err(Error::BackendUnavailable {
			backend,
			reason: format!(
				"the dataset needs {} MiB in one buffer but this device allows {} MiB",
				words.saturating_mul(4) >> 20,
				limit.saturating_mul(4) >> 20
			),
		});
	}
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

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
