//! The CPU backend: the reference prover's lane sealing, one lane per rayon task.

use super::{Backend, BackendKind, Progress};
use crate::error::Result;
use ember_pocps::{merkle::parent_level, prover::seal_lane_reporting, Hash, NativeSha256, Params};
use rayon::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};

/// Labels sealed between progress reports, per lane.
const REPORT_EVERY: usize = 1 << 12;

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

	fn seal(&self, params: &Params, ek: &Hash, progress: Progress<'_>) -> Result<Vec<Hash>> {
		let lane_len = params.lane_len as usize;
		let mut labels = vec![[0u8; 32]; lane_len.saturating_mul(params.lanes as usize)];
		let done = AtomicU64::new(0);
		labels.par_chunks_mut(lane_len.max(1)).enumerate().for_each(|(lane, out)| {
			let lane = lane as u32;
			seal_lane_reporting::<NativeSha256>(params, ek, lane, out, REPORT_EVERY, |n| {
				let total = done.fetch_add(n, Ordering::Relaxed).saturating_add(n);
				progress(total);
			});
		});
		Ok(labels)
	}

	fn merkle_levels(&self, leaves: Vec<Hash>) -> Result<Vec<Vec<Hash>>> {
		let mut levels = vec![leaves];
		while let Some(top) = levels.last().filter(|level| level.len() > 1) {
			let parent = if top.len() >= 1 << 12 {
				top.par_chunks(1 << 12).flat_map_iter(parent_level::<NativeSha256>).collect()
			} else {
				parent_level::<NativeSha256>(top)
			};
			levels.push(parent);
		}
		Ok(levels)
	}
}
