//! The CUDA backend: `pocps.cu` compiled by NVRTC at run time, launched through cudarc. The
//! driver and NVRTC libraries are loaded when the backend opens, so the miner builds without
//! the CUDA toolkit and reports their absence as an unavailable backend, never a crash.

use super::{
	chunk_len, from_words, seal_config, split_levels, to_words, Backend, BackendKind, Progress,
};
use crate::error::{Error, Result};
use cudarc::driver::{CudaContext, CudaFunction, CudaStream, LaunchConfig, PushKernelArg};
use ember_pocps::{Hash, Params};
use std::sync::Arc;

const NAME: &str = "cuda";
const BLOCK: u32 = 128;
/// Sequential hashes per thread per launch.
const DISPATCH_BUDGET: u32 = 1 << 16;

fn unavailable(reason: impl std::fmt::Display) -> Error {
	Error::BackendUnavailable { backend: NAME, reason: reason.to_string() }
}

fn failed(reason: impl std::fmt::Display) -> Error {
	Error::Backend { backend: NAME, reason: reason.to_string() }
}

/// A CUDA device with the PoCPS kernels loaded.
pub struct CudaBackend {
	context: Arc<CudaContext>,
	stream: Arc<CudaStream>,
	seal: CudaFunction,
	merkle: CudaFunction,
	name: String,
}

/// Whether the CUDA driver and NVRTC libraries can be loaded at all. cudarc aborts on the first
/// call into a library it cannot load, so this is checked before any other call.
pub fn libraries_present() -> bool {
	// SAFETY: both only try to `dlopen` the libraries and drop the handles.
	#[allow(unsafe_code)]
	unsafe {
		cudarc::driver::sys::is_culib_present() && cudarc::nvrtc::sys::is_culib_present()
	}
}

impl CudaBackend {
	/// Opens CUDA device `ordinal` and compiles the kernels for it.
	pub fn open(ordinal: usize) -> Result<Self> {
		if !libraries_present() {
			return Err(unavailable(
				"the CUDA driver (libcuda.so) or NVRTC (libnvrtc.so) is not installed",
			));
		}
		let context = CudaContext::new(ordinal).map_err(unavailable)?;
		let name = context.name().map_err(unavailable)?;
		let ptx = cudarc::nvrtc::compile_ptx(include_str!("pocps.cu")).map_err(unavailable)?;
		let module = context.load_module(ptx).map_err(unavailable)?;
		let seal = module.load_function("seal").map_err(unavailable)?;
		let merkle = module.load_function("merkle").map_err(unavailable)?;
		let stream = context.default_stream();
		Ok(CudaBackend { context, stream, seal, merkle, name })
	}

	/// Total device memory in MiB.
	pub fn memory_mib(&self) -> Result<u64> {
		let bytes = self.context.total_mem().map_err(failed)?;
		Ok(bytes as u64 >> 20)
	}
}

fn grid(threads: u64) -> LaunchConfig {
	let blocks = threads.div_ceil(u64::from(BLOCK)).clamp(1, u64::from(u32::MAX));
	LaunchConfig { grid_dim: (blocks as u32, 1, 1), block_dim: (BLOCK, 1, 1), shared_mem_bytes: 0 }
}

impl Backend for CudaBackend {
	fn kind(&self) -> BackendKind {
		BackendKind::Cuda
	}

	fn device_name(&self) -> String {
		self.name.clone()
	}

	fn seal(&self, params: &Params, ek: &Hash, progress: Progress<'_>) -> Result<Vec<Hash>> {
		let words = usize::try_from(params.total_labels().saturating_mul(8)).map_err(failed)?;
		let mut data = self.stream.alloc_zeros::<u32>(words).map_err(failed)?;
		let chunk = chunk_len(params, DISPATCH_BUDGET);
		let mut from = 0u32;
		while from < params.lane_len {
			let to = from.saturating_add(chunk).min(params.lane_len);
			let config =
				self.stream.clone_htod(&seal_config(params, ek, from, to)).map_err(failed)?;
			let mut launch = self.stream.launch_builder(&self.seal);
			launch.arg(&config).arg(&mut data);
			// SAFETY: `seal(const u32 *config, u32 *data)` matches the arguments pushed; config
			// holds 16 words and data 8 words per label, the bounds the kernel indexes within.
			#[allow(unsafe_code)]
			unsafe { launch.launch(grid(u64::from(params.lanes))) }.map_err(failed)?;
			self.stream.synchronize().map_err(failed)?;
			progress(u64::from(to).saturating_mul(u64::from(params.lanes)));
			from = to;
		}
		Ok(from_words(&self.stream.clone_dtoh(&data).map_err(failed)?))
	}

	fn merkle_levels(&self, leaves: Vec<Hash>) -> Result<Vec<Vec<Hash>>> {
		let count = leaves.len() as u64;
		let nodes = count.saturating_mul(2).saturating_sub(1);
		let mut words: Vec<u32> = leaves.iter().flat_map(to_words).collect();
		words.resize(usize::try_from(nodes.saturating_mul(8)).map_err(failed)?, 0);
		let mut data = self.stream.clone_htod(&words).map_err(failed)?;
		let (mut input, mut width) = (0u64, count);
		while width > 1 {
			let output = input.saturating_add(width);
			let parents = width / 2;
			let mut launch = self.stream.launch_builder(&self.merkle);
			launch.arg(&input).arg(&output).arg(&parents).arg(&mut data);
			// SAFETY: `merkle(u64 input, u64 output, u64 count, u32 *data)` matches the
			// arguments; every node index it touches is below `nodes`, data's length in hashes.
			#[allow(unsafe_code)]
			unsafe { launch.launch(grid(parents)) }.map_err(failed)?;
			input = output;
			width = parents;
		}
		self.stream.synchronize().map_err(failed)?;
		let all = from_words(&self.stream.clone_dtoh(&data).map_err(failed)?);
		Ok(split_levels(all, count))
	}
}
