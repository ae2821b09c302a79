//! The CPU backend: the reference prover's lane sealing, one lane per rayon task, with the
//! dataset held in RAM.

use super::{Backend, BackendKind, Progress, Resident};
use crate::error::{Error, Result};
use ember_pocps::{
	merkle::subtree_root,
	prover::seal_lane_reporting,
	round::{block_bytes, run_steps, RoundParams, State, BLOCK_LABELS},
	Hash, NativeSha256, Params,
};
use rayon::prelude::*;

/// Labels sealed between progress reports (and stop checks), per lane: about 2^16 sequential
/// hashes (a few milliseconds with SHA-NI), whatever the class's iterations.
pub fn report_every(params: &Params) -> usize {
	((1usize << 16) / params.iterations.max(1) as usize).clamp(1, 1 << 12)
}

/// Seals with every core.
pub struct CpuBackend;

impl CpuBackend {
	/// The CPU backend.
	pub fn new() -> Self {
		CpuBackend
	}
}

impl Default for CpuBackend {
	fn default() -> Self {
		Self::new()
	}
}

impl Backend for CpuBackend {
	fn kind(&self) -> BackendKind {
		BackendKind::Cpu
	}

	fn device_name(&self) -> String {
		format!("{} ({} threads)", crate::fingerprint::cpu_model(), rayon::current_num_threads())
	}

	fn allocate(&self, params: &Params) -> Result<Box<dyn Resident>> {
		let total = usize::try_from(params.total_labels()).map_err(|_| Error::Backend {
			backend: "cpu",
			reason: "the dataset does not fit this machine's address space".into(),
		})?;
		let mut labels = Vec::new();
		labels.try_reserve_exact(total).map_err(|_| Error::Backend {
			backend: "cpu",
			reason: format!("cannot allocate {} MiB for the dataset", params.dataset_bytes() >> 20),
		})?;
		labels.resize(total, [0u8; 32]);
		Ok(Box::new(CpuResident { params: *params, labels }))
	}
}

/// Seals lanes `first_lane ..` into `out` (whole lanes, lane-major), in parallel. Returns
/// `false` if `progress` asked to stop.
pub fn seal_lanes_into(
	params: &Params,
	ek: &Hash,
	first_lane: u32,
	out: &mut [Hash],
	progress: Progress<'_>,
) -> bool {
	let lane_len = (params.lane_len as usize).max(1);
	out.par_chunks_mut(lane_len)
		.enumerate()
		.map(|(offset, lane_out)| {
			let lane = first_lane.saturating_add(offset as u32);
			seal_lane_reporting::<NativeSha256>(
				params,
				ek,
				lane,
				lane_out,
				report_every(params),
				progress,
			)
		})
		.reduce(|| true, |a, b| a && b)
}

/// Subtree roots over `labels`, `2^rows` labels each, in parallel.
pub fn subtree_roots_of(labels: &[Hash], rows: u32) -> Vec<Hash> {
	labels.par_chunks(1usize << rows).map(subtree_root::<NativeSha256>).collect()
}

/// A dataset in RAM.
struct CpuResident {
	params: Params,
	labels: Vec<Hash>,
}

impl CpuResident {
	fn lanes(&self, first_lane: u32, lanes: u32) -> Result<std::ops::Range<usize>> {
		let lane_len = self.params.lane_len as usize;
		let start = (first_lane as usize).saturating_mul(lane_len);
		let end = start.saturating_add((lanes as usize).saturating_mul(lane_len));
		if end > self.labels.len() {
			return Err(Error::Backend { backend: "cpu", reason: "lanes out of range".into() });
		}
		Ok(start..end)
	}
}

impl Resident for CpuResident {
	/// As many lanes as threads: a seal runs that many at once, so lanes finish (and are saved)
	/// as it goes rather than all at its end.
	fn lanes_per_chunk(&self) -> u32 {
		(rayon::current_num_threads() as u32).clamp(1, self.params.lanes.max(1))
	}

	fn write_lanes(&mut self, first_lane: u32, labels: &[Hash]) -> Result<()> {
		let start = (first_lane as usize).saturating_mul(self.params.lane_len as usize);
		let slot =
			self.labels.get_mut(start..start.saturating_add(labels.len())).ok_or_else(|| {
				Error::Backend { backend: "cpu", reason: "lanes out of range".into() }
			})?;
		slot.copy_from_slice(labels);
		Ok(())
	}

	fn read(&self, ranges: &[(u64, u32)]) -> Result<Vec<Hash>> {
		let mut out = Vec::new();
		for &(first, count) in ranges {
			let start = usize::try_from(first).unwrap_or(usize::MAX);
			let slice =
				self.labels.get(start..start.saturating_add(count as usize)).ok_or_else(|| {
					Error::Backend { backend: "cpu", reason: format!("no labels at {first}") }
				})?;
			out.extend_from_slice(slice);
		}
		Ok(out)
	}

	fn seal_lanes(
		&mut self,
		ek: &Hash,
		first_lane: u32,
		lanes: u32,
		progress: Progress<'_>,
	) -> Result<bool> {
		let range = self.lanes(first_lane, lanes)?;
		let params = self.params;
		let out = self.labels.get_mut(range).unwrap_or_default();
		Ok(seal_lanes_into(&params, ek, first_lane, out, progress))
	}

	fn subtree_roots(&self, first_lane: u32, lanes: u32, rows: u32) -> Result<Vec<Hash>> {
		let range = self.lanes(first_lane, lanes)?;
		Ok(subtree_roots_of(self.labels.get(range).unwrap_or_default(), rows))
	}

	/// One rayon task per walk: RAM's random reads are what the walk measures, so the CPU
	/// backend is the baseline a GPU's HBM is compared with.
	fn walk(&self, round: &RoundParams, starts: &[State], blocks: u64) -> Result<Vec<State>> {
		super::check_walk(round, starts)?;
		let read = |block: u64| {
			let first = usize::try_from(block.checked_mul(BLOCK_LABELS)?).ok()?;
			let labels: &[Hash; 4] =
				self.labels.get(first..first.checked_add(4)?)?.try_into().ok()?;
			Some(block_bytes(labels))
		};
		let walks: Option<Vec<Vec<State>>> = starts
			.par_iter()
			.map(|key| {
				let mut state = *key;
				(0..round.segments())
					.map(|segment| {
						let first = segment.saturating_mul(round.segment);
						run_steps(&mut state, key, first, round.segment, blocks, read)?;
						Some(state)
					})
					.collect()
			})
			.collect();
		walks.map(|walks| walks.concat()).ok_or_else(|| Error::Backend {
			backend: "cpu",
			reason: format!("a walk read past the {} labels held", self.labels.len()),
		})
	}

	fn bytes(&self) -> u64 {
		(self.labels.len() as u64).saturating_mul(32)
	}
}
