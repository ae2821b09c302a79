//! The CUDA backend: `pocps.cu` compiled by NVRTC at run time, launched through cudarc. The
//! driver and NVRTC libraries are loaded when the backend opens, so the miner builds without
//! the CUDA toolkit and reports their absence as an unavailable backend, never a crash.

use super::{
	check_walk, chunk_len, from_words, lanes_per_chunk, seal_config, subtree_config, to_words,
	walk_config, walk_dispatches, Backend, BackendKind, Chunks, Progress, Resident,
};
use crate::{
	error::{Error, Result},
	fingerprint::Selected,
};
use cudarc::driver::{
	CudaContext, CudaFunction, CudaSlice, CudaStream, DevicePtr, LaunchConfig, PushKernelArg,
};
use ember_pocps::{
	round::{RoundParams, State},
	Hash, Params,
};
use std::sync::Arc;

const NAME: &str = "cuda";
const BLOCK: u32 = 128;
/// Sequential hashes per thread per launch.
const DISPATCH_BUDGET: u32 = 1 << 16;
/// Walk steps per thread per launch.
const WALK_BUDGET: u32 = 1 << 16;
/// Largest chunk of device memory: CUDA has no binding limit, but whole-lane chunks of at most
/// this size keep one failed allocation from asking for the whole card at once.
const MAX_CHUNK_BYTES: u64 = 16 << 30;

fn unavailable(reason: impl std::fmt::Display) -> Error {
	Error::BackendUnavailable { backend: NAME, reason: reason.to_string() }
}

fn failed(reason: impl std::fmt::Display) -> Error {
	Error::Backend { backend: NAME, reason: reason.to_string() }
}

/// A CUDA device with the PoCPS kernels loaded.
pub struct CudaBackend {
	gpu: Arc<Gpu>,
}

struct Gpu {
	context: Arc<CudaContext>,
	stream: Arc<CudaStream>,
	seal: CudaFunction,
	subtrees: CudaFunction,
	walk: CudaFunction,
	name: String,
}

/// Whether the CUDA driver library can be loaded. cudarc aborts on the first call into a
/// library it cannot load, so this is checked before any other call.
pub fn driver_present() -> bool {
	// SAFETY: only tries to `dlopen` the library and drops the handle.
	#[allow(unsafe_code)]
	unsafe {
		cudarc::driver::sys::is_culib_present()
	}
}

/// Whether NVRTC (which compiles the kernels) can be loaded.
pub fn nvrtc_present() -> bool {
	// SAFETY: as above.
	#[allow(unsafe_code)]
	unsafe {
		cudarc::nvrtc::sys::is_culib_present()
	}
}

/// Why NVRTC did not load, as specifically as the machine lets us say: this build loads
/// NVRTC 12 (`libnvrtc.so`, `libnvrtc.so.12`); a CUDA 13 host ships only `libnvrtc.so.13`.
fn nvrtc_missing() -> String {
	let newer = [
		"/usr/local/cuda/lib64",
		"/usr/lib/x86_64-linux-gnu",
		"/usr/local/cuda/targets/x86_64-linux/lib",
	]
	.iter()
	.map(|dir| std::path::Path::new(dir).join("libnvrtc.so.13"))
	.find(|path| path.exists());
	match newer {
		Some(path) => format!(
			"found {} (CUDA 13) but this miner loads NVRTC 12: install NVRTC 12 alongside \
			 (e.g. the cuda-nvrtc-12-x package) or put a `libnvrtc.so` link to it on the \
			 library path",
			path.display()
		),
		None => "NVRTC (libnvrtc.so.12) is not installed: install the CUDA toolkit's NVRTC \
		         (e.g. cuda-nvrtc-12-x)"
			.into(),
	}
}

impl CudaBackend {
	/// Opens the selected device's CUDA ordinal and compiles the kernels for it.
	pub fn open(selected: &Selected) -> Result<Self> {
		if !driver_present() {
			return Err(unavailable("the CUDA driver (libcuda.so) is not installed"));
		}
		if !nvrtc_present() {
			return Err(unavailable(nvrtc_missing()));
		}
		let ordinal =
			selected.cuda.ok_or_else(|| unavailable(format!("{selected} is not a CUDA device")))?;
		let context = CudaContext::new(ordinal).map_err(unavailable)?;
		let name = context.name().map_err(unavailable)?;
		let ptx = cudarc::nvrtc::compile_ptx(include_str!("pocps.cu")).map_err(unavailable)?;
		let module = context.load_module(ptx).map_err(unavailable)?;
		let seal = module.load_function("seal").map_err(unavailable)?;
		let subtrees = module.load_function("subtrees").map_err(unavailable)?;
		let walk = module.load_function("walk").map_err(unavailable)?;
		let stream = context.default_stream();
		Ok(CudaBackend { gpu: Arc::new(Gpu { context, stream, seal, subtrees, walk, name }) })
	}

	/// Total device memory in MiB.
	pub fn memory_mib(&self) -> Result<u64> {
		let bytes = self.gpu.context.total_mem().map_err(failed)?;
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
		self.gpu.name.clone()
	}

	fn allocate(&self, params: &Params) -> Result<Box<dyn Resident>> {
		let layout = Chunks::new(params.lanes, lanes_per_chunk(NAME, params, MAX_CHUNK_BYTES)?);
		let lane_words = usize::try_from(params.lane_len).map_err(failed)? * 8;
		let chunks = layout
			.iter()
			.map(|(_, lanes)| {
				let words = lane_words * lanes as usize;
				self.gpu
					.stream
					.alloc_zeros::<u32>(words)
					.map_err(|e| failed(format!("cannot allocate {} MiB: {e}", (words * 4) >> 20)))
			})
			.collect::<Result<Vec<_>>>()?;
		Ok(Box::new(CudaResident { gpu: self.gpu.clone(), params: *params, layout, chunks }))
	}
}

/// A dataset in device memory: one allocation per chunk of whole lanes.
struct CudaResident {
	gpu: Arc<Gpu>,
	params: Params,
	layout: Chunks,
	chunks: Vec<CudaSlice<u32>>,
}

impl CudaResident {
	fn locate(&self, lane: u32) -> Result<(usize, u32)> {
		self.layout.locate(lane)
	}

	fn within_chunk(&self, first_lane: u32, lanes: u32) -> Result<(usize, u32)> {
		self.layout.within(first_lane, lanes)
	}
}

impl Resident for CudaResident {
	fn lanes_per_chunk(&self) -> u32 {
		self.layout.per_chunk
	}

	fn write_lanes(&mut self, first_lane: u32, labels: &[Hash]) -> Result<()> {
		let lane_len = self.params.lane_len as usize;
		for (offset, lane_labels) in labels.chunks(lane_len.max(1)).enumerate() {
			let (index, at) = self.locate(first_lane + offset as u32)?;
			let words: Vec<u32> = lane_labels.iter().flat_map(to_words).collect();
			let start = at as usize * lane_len * 8;
			let chunk = self.chunks.get_mut(index).ok_or_else(|| failed("no chunk"))?;
			let mut view = chunk.slice_mut(start..start + words.len());
			self.gpu.stream.memcpy_htod(&words, &mut view).map_err(failed)?;
		}
		self.gpu.stream.synchronize().map_err(failed)
	}

	fn read(&self, ranges: &[(u64, u32)]) -> Result<Vec<Hash>> {
		let lane_len = u64::from(self.params.lane_len).max(1);
		let mut words = Vec::new();
		for &(first, count) in ranges {
			let (index, at) = self.locate(u32::try_from(first / lane_len).map_err(failed)?)?;
			let start = usize::try_from((u64::from(at) * lane_len + first % lane_len) * 8)
				.map_err(failed)?;
			let chunk = self.chunks.get(index).ok_or_else(|| failed("no chunk"))?;
			let end = start + count as usize * 8;
			if end > chunk.len() {
				return Err(failed(format!("labels {first}+{count} cross a chunk")));
			}
			words.extend(self.gpu.stream.clone_dtoh(&chunk.slice(start..end)).map_err(failed)?);
		}
		Ok(from_words(&words))
	}

	fn seal_lanes(
		&mut self,
		ek: &Hash,
		first_lane: u32,
		lanes: u32,
		progress: Progress<'_>,
	) -> Result<bool> {
		let (index, at) = self.within_chunk(first_lane, lanes)?;
		let params = self.params;
		let chunk_labels = chunk_len(&params, DISPATCH_BUDGET);
		let gpu = self.gpu.clone();
		let data = self.chunks.get_mut(index).ok_or_else(|| failed("no chunk"))?;
		let mut from = 0u32;
		while from < params.lane_len {
			let to = from.saturating_add(chunk_labels).min(params.lane_len);
			let config = gpu
				.stream
				.clone_htod(&seal_config(&params, ek, (first_lane, at, lanes), (from, to)))
				.map_err(failed)?;
			let mut launch = gpu.stream.launch_builder(&gpu.seal);
			launch.arg(&config).arg(&mut *data);
			// SAFETY: `seal(const u32 *config, u32 *data)` matches the arguments pushed; config
			// holds 16 words and data 8 words per label of this chunk's lanes, the bounds the
			// kernel indexes within (lanes `at .. at + lanes` of the chunk).
			#[allow(unsafe_code)]
			unsafe { launch.launch(grid(u64::from(lanes))) }.map_err(failed)?;
			gpu.stream.synchronize().map_err(failed)?;
			if !progress(u64::from(to - from) * u64::from(lanes)) {
				return Ok(false);
			}
			from = to;
		}
		Ok(true)
	}

	fn subtree_roots(&self, first_lane: u32, lanes: u32, rows: u32) -> Result<Vec<Hash>> {
		let (index, at) = self.within_chunk(first_lane, lanes)?;
		let labels = u64::from(lanes) * u64::from(self.params.lane_len);
		let groups = u32::try_from(labels >> rows).map_err(failed)?;
		let first =
			u32::try_from(u64::from(at) * u64::from(self.params.lane_len)).map_err(failed)?;
		let data = self.chunks.get(index).ok_or_else(|| failed("no chunk"))?;
		let config =
			self.gpu.stream.clone_htod(&subtree_config(rows, groups, first)).map_err(failed)?;
		let mut roots = self.gpu.stream.alloc_zeros::<u32>(groups as usize * 8).map_err(failed)?;
		let mut launch = self.gpu.stream.launch_builder(&self.gpu.subtrees);
		launch.arg(&config).arg(data).arg(&mut roots);
		// SAFETY: `subtrees(const u32 *config, const u32 *data, u32 *roots)` matches; the kernel
		// reads `groups << rows` labels from `first`, within the chunk, and writes `groups`
		// roots.
		#[allow(unsafe_code)]
		unsafe { launch.launch(grid(u64::from(groups))) }.map_err(failed)?;
		self.gpu.stream.synchronize().map_err(failed)?;
		Ok(from_words(&self.gpu.stream.clone_dtoh(&roots).map_err(failed)?))
	}

	fn walk(&self, round: &RoundParams, starts: &[State], blocks: u64) -> Result<Vec<State>> {
		check_walk(round, starts)?;
		if blocks != ember_pocps::round::blocks_of(&self.params) {
			return Err(failed(format!("a walk over {blocks} blocks of a smaller dataset")));
		}
		let stream = &self.gpu.stream;
		// The chunks' device addresses, for the kernel to pick a block's chunk; the guards
		// order any later use of a chunk after the walk.
		let (pointers, _guards): (Vec<u64>, Vec<_>) =
			self.chunks.iter().map(|chunk| chunk.device_ptr(stream)).unzip();
		let pointers = stream.clone_htod(&pointers).map_err(failed)?;
		let words: Vec<u32> =
			starts.iter().flat_map(|start| start.iter().chain(start)).copied().collect();
		let mut walks = stream.clone_htod(&words).map_err(failed)?;
		let checkpoint_words = usize::try_from(round.checkpoints()).map_err(failed)? * 8;
		let mut checkpoints = stream.alloc_zeros::<u32>(checkpoint_words).map_err(failed)?;
		for steps in walk_dispatches(round, WALK_BUDGET) {
			let config =
				walk_config(&self.params, round, self.layout.per_chunk, round.walks, steps)?;
			let config = stream.clone_htod(&config).map_err(failed)?;
			let mut launch = stream.launch_builder(&self.gpu.walk);
			launch.arg(&config).arg(&mut walks).arg(&mut checkpoints).arg(&pointers);
			// SAFETY: `walk(const u32 *config, u32 *walks, u32 *checkpoints, const u64 *chunks)`
			// matches the arguments pushed: 16 config words, 16 words per walk, 8 per
			// checkpoint, one pointer per chunk; every block index is masked to the dataset and
			// lands in the chunk holding its lane.
			#[allow(unsafe_code)]
			unsafe { launch.launch(grid(u64::from(round.walks))) }.map_err(failed)?;
		}
		stream.synchronize().map_err(failed)?;
		let words = stream.clone_dtoh(&checkpoints).map_err(failed)?;
		Ok(words
			.chunks_exact(8)
			.map(|chunk| {
				let mut state = [0u32; 8];
				state.copy_from_slice(chunk);
				state
			})
			.collect())
	}

	fn bytes(&self) -> u64 {
		self.chunks.iter().map(|chunk| chunk.len() as u64 * 4).sum()
	}
}
