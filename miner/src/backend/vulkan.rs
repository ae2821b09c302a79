//! The Vulkan backend: wgpu compute shaders (`pocps.wgsl`). Runs on any Vulkan device,
//! including Mesa's lavapipe software rasterizer, which is how CI tests it without a GPU.

use super::{
	check_walk, chunk_len, from_words, lanes_per_chunk, seal_config, subtree_config, walk_config,
	walk_dispatches, Backend, BackendKind, Chunks, Progress, Resident,
};
use crate::{
	error::{Error, Result},
	fingerprint::Selected,
};
use ember_pocps::{
	round::{RoundParams, State},
	Hash, Params,
};
use std::{
	collections::BTreeMap,
	sync::{Arc, Mutex},
};
use wgpu::util::DeviceExt;

const NAME: &str = "vulkan";
const WORKGROUP: u32 = 64;
/// Most workgroups in one dispatch dimension (WebGPU's guaranteed limit).
const MAX_GROUPS: u32 = 65_535;
/// Largest chunk of device memory: one storage binding (wgpu caps them below 4 GiB, and many
/// drivers at 2 GiB); a dataset is held in as many chunks as it needs.
const MAX_CHUNK_BYTES: u64 = 1 << 30;
/// Bytes uploaded per write: bounds the staging memory wgpu takes on the host.
const UPLOAD_BYTES: usize = 64 << 20;

/// A Vulkan device with the PoCPS pipelines compiled.
pub struct VulkanBackend {
	gpu: Arc<Gpu>,
	/// Largest chunk of device memory, in bytes.
	max_chunk: u64,
}

/// What a backend and its datasets share: the device, its queue and the pipelines.
struct Gpu {
	device: wgpu::Device,
	queue: wgpu::Queue,
	info: wgpu::AdapterInfo,
	layout: wgpu::BindGroupLayout,
	seal: wgpu::ComputePipeline,
	subtrees: wgpu::ComputePipeline,
	/// Sequential hashes per thread per dispatch.
	dispatch_budget: u32,
	/// Bound where a pipeline has no use for binding 2.
	placeholder: wgpu::Buffer,
	/// The walk pipeline for each number of chunks a dataset was held in, compiled on first use.
	walks: Mutex<BTreeMap<usize, Arc<WalkPipeline>>>,
	/// Steps per walk per dispatch.
	walk_budget: u32,
	/// Storage buffers one shader may bind: a walk binds every chunk at once.
	max_storage_buffers: u32,
}

/// The walk kernel for datasets held in a given number of chunks.
struct WalkPipeline {
	layout: wgpu::BindGroupLayout,
	pipeline: wgpu::ComputePipeline,
}

/// Walk steps per dispatch on a hardware GPU: a 2^20-walk round of 2^14 steps is one dispatch
/// of a few hundred milliseconds.
const GPU_WALK_BUDGET: u32 = 1 << 14;
/// On lavapipe, short dispatches, for the reason given at [`SOFTWARE_DISPATCH_BUDGET`].
const SOFTWARE_WALK_BUDGET: u32 = 1 << 9;

/// Sequential hashes per thread per dispatch on a hardware GPU.
const GPU_DISPATCH_BUDGET: u32 = 1 << 14;
/// On lavapipe: its threads stopped partway through longer dispatches (seen with ~400
/// hashes per thread on Mesa 22.3: every label after the 103rd stayed zero), so it gets short
/// ones; the test vectors check the result either way.
const SOFTWARE_DISPATCH_BUDGET: u32 = 1 << 5;

fn unavailable(reason: impl std::fmt::Display) -> Error {
	Error::BackendUnavailable { backend: NAME, reason: reason.to_string() }
}

fn failed(reason: impl std::fmt::Display) -> Error {
	Error::Backend { backend: NAME, reason: reason.to_string() }
}

/// Every Vulkan adapter present, in the loader's order.
pub fn adapters() -> Vec<wgpu::Adapter> {
	let instance = wgpu::Instance::new(&wgpu::InstanceDescriptor {
		backends: wgpu::Backends::VULKAN,
		..Default::default()
	});
	futures::executor::block_on(instance.enumerate_adapters(wgpu::Backends::VULKAN))
}

impl VulkanBackend {
	/// Opens the Vulkan adapter of the selected device. Unless `allow_software`, a CPU
	/// (software) adapter is refused, so automatic selection never prefers lavapipe over the
	/// CPU backend.
	pub fn open(selected: &Selected, allow_software: bool) -> Result<Self> {
		let index = selected.vulkan.ok_or_else(|| {
			unavailable(format!(
				"no Vulkan adapter for {selected} (install a Vulkan driver; without a GPU, \
				 Debian's mesa-vulkan-drivers provides lavapipe)"
			))
		})?;
		let adapter = adapters()
			.into_iter()
			.nth(index)
			.ok_or_else(|| unavailable(format!("no Vulkan adapter #{index}")))?;
		let info = adapter.get_info();
		if !allow_software && info.device_type == wgpu::DeviceType::Cpu {
			return Err(unavailable(format!("{} is a software adapter", info.name)));
		}
		let limits = adapter.limits();
		let (device, queue) =
			futures::executor::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
				label: Some("ember-miner"),
				required_limits: limits.clone(),
				..Default::default()
			}))
			.map_err(unavailable)?;
		let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
			label: Some("pocps.wgsl"),
			source: wgpu::ShaderSource::Wgsl(include_str!("pocps.wgsl").into()),
		});
		let storage = |binding, read_only| wgpu::BindGroupLayoutEntry {
			binding,
			visibility: wgpu::ShaderStages::COMPUTE,
			ty: wgpu::BindingType::Buffer {
				ty: wgpu::BufferBindingType::Storage { read_only },
				has_dynamic_offset: false,
				min_binding_size: None,
			},
			count: None,
		};
		let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
			label: Some("pocps"),
			entries: &[storage(0, true), storage(1, false), storage(2, false)],
		});
		let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
			label: Some("pocps"),
			bind_group_layouts: &[&layout],
			immediate_size: 0,
		});
		let pipeline = |entry| {
			device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
				label: Some(entry),
				layout: Some(&pipeline_layout),
				module: &module,
				entry_point: Some(entry),
				compilation_options: Default::default(),
				cache: None,
			})
		};
		let (seal, subtrees) = (pipeline("seal"), pipeline("subtrees"));
		let max_chunk = u64::from(limits.max_storage_buffer_binding_size)
			.min(limits.max_buffer_size)
			.min(MAX_CHUNK_BYTES);
		let dispatch_budget = if info.device_type == wgpu::DeviceType::Cpu {
			SOFTWARE_DISPATCH_BUDGET
		} else {
			GPU_DISPATCH_BUDGET
		};
		let placeholder = storage_buffer(&device, 8);
		let walk_budget = if info.device_type == wgpu::DeviceType::Cpu {
			SOFTWARE_WALK_BUDGET
		} else {
			GPU_WALK_BUDGET
		};
		let max_storage_buffers = limits.max_storage_buffers_per_shader_stage;
		Ok(VulkanBackend {
			gpu: Arc::new(Gpu {
				device,
				queue,
				info,
				layout,
				seal,
				subtrees,
				dispatch_budget,
				placeholder,
				walks: Mutex::new(BTreeMap::new()),
				walk_budget,
				max_storage_buffers,
			}),
			max_chunk,
		})
	}

	/// Caps chunks at `bytes` (whole lanes still): lets tests hold a small dataset in several
	/// chunks, as a large one is held on a real card.
	pub fn with_max_chunk(mut self, bytes: u64) -> Self {
		self.max_chunk = self.max_chunk.min(bytes);
		self
	}
}

fn storage_buffer(device: &wgpu::Device, bytes: u64) -> wgpu::Buffer {
	device.create_buffer(&wgpu::BufferDescriptor {
		label: Some("pocps data"),
		size: bytes.max(4),
		usage: wgpu::BufferUsages::STORAGE
			| wgpu::BufferUsages::COPY_SRC
			| wgpu::BufferUsages::COPY_DST,
		mapped_at_creation: false,
	})
}

impl Gpu {
	/// Runs `pipeline` with `config` over `data` (and `roots` as binding 2), `invocations`
	/// threads, and waits.
	fn dispatch(
		&self,
		pipeline: &wgpu::ComputePipeline,
		config: &[u32; 16],
		data: &wgpu::Buffer,
		roots: Option<&wgpu::Buffer>,
		invocations: u32,
	) -> Result<()> {
		let config = self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
			label: Some("pocps config"),
			contents: bytemuck::cast_slice(config),
			usage: wgpu::BufferUsages::STORAGE,
		});
		let bind = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
			label: Some("pocps"),
			layout: &self.layout,
			entries: &[
				wgpu::BindGroupEntry { binding: 0, resource: config.as_entire_binding() },
				wgpu::BindGroupEntry { binding: 1, resource: data.as_entire_binding() },
				wgpu::BindGroupEntry {
					binding: 2,
					resource: roots.unwrap_or(&self.placeholder).as_entire_binding(),
				},
			],
		});
		let groups = invocations.div_ceil(WORKGROUP).max(1);
		let (x, y) = (groups.min(MAX_GROUPS), groups.div_ceil(MAX_GROUPS));
		let mut encoder = self.device.create_command_encoder(&Default::default());
		{
			let mut pass = encoder.begin_compute_pass(&Default::default());
			pass.set_pipeline(pipeline);
			pass.set_bind_group(0, &bind, &[]);
			pass.dispatch_workgroups(x, y, 1);
		}
		self.queue.submit([encoder.finish()]);
		self.device.poll(wgpu::PollType::wait_indefinitely()).map_err(failed)?;
		Ok(())
	}

	/// The walk pipeline for a dataset in `chunks` chunks: walk.wgsl after a prelude binding
	/// each chunk (3, 4, …) and switching over them in `load_block`.
	fn walk_pipeline(&self, chunks: usize) -> Result<Arc<WalkPipeline>> {
		let mut cache = self.walks.lock().map_err(|_| failed("walk pipeline cache poisoned"))?;
		if let Some(pipeline) = cache.get(&chunks) {
			return Ok(pipeline.clone());
		}
		if chunks as u64 + 2 > u64::from(self.max_storage_buffers) {
			return Err(failed(format!(
				"a walk binds all {chunks} chunks of the dataset at once, but this device \
				 binds at most {} storage buffers per shader",
				self.max_storage_buffers
			)));
		}
		let mut source = String::new();
		let mut cases = String::new();
		for c in 0..chunks {
			source.push_str(&format!(
				"@group(0) @binding({}) var<storage, read> chunk{c}: array<u32>;\n",
				c + 3
			));
			cases.push_str(&format!(
				"\t\tcase {c}u: {{ for (var j = 0u; j < 32u; j++) {{ blk[j] = chunk{c}[word + j]; }} }}\n"
			));
		}
		source.push_str(&format!(
			"fn load_block(chunk: u32, word: u32) {{\n\tswitch chunk {{\n{cases}\t\tdefault: {{}}\n\t}}\n}}\n"
		));
		source.push_str(include_str!("walk.wgsl"));
		let module = self.device.create_shader_module(wgpu::ShaderModuleDescriptor {
			label: Some("walk.wgsl"),
			source: wgpu::ShaderSource::Wgsl(source.into()),
		});
		let storage = |binding, read_only| wgpu::BindGroupLayoutEntry {
			binding,
			visibility: wgpu::ShaderStages::COMPUTE,
			ty: wgpu::BindingType::Buffer {
				ty: wgpu::BufferBindingType::Storage { read_only },
				has_dynamic_offset: false,
				min_binding_size: None,
			},
			count: None,
		};
		let mut entries = vec![storage(0, true), storage(1, false), storage(2, false)];
		entries.extend((0..chunks as u32).map(|c| storage(c + 3, true)));
		let layout = self.device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
			label: Some("walk"),
			entries: &entries,
		});
		let pipeline_layout = self.device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
			label: Some("walk"),
			bind_group_layouts: &[&layout],
			immediate_size: 0,
		});
		let pipeline = self.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
			label: Some("walk"),
			layout: Some(&pipeline_layout),
			module: &module,
			entry_point: Some("walk"),
			compilation_options: Default::default(),
			cache: None,
		});
		let pipeline = Arc::new(WalkPipeline { layout, pipeline });
		cache.insert(chunks, pipeline.clone());
		Ok(pipeline)
	}

	/// Copies each `(buffer, byte offset, bytes)` back to the host in one submission,
	/// concatenated.
	fn read(&self, copies: &[(&wgpu::Buffer, u64, u64)]) -> Result<Vec<u32>> {
		let size: u64 = copies.iter().map(|(_, _, bytes)| bytes).sum();
		if size == 0 {
			return Ok(Vec::new());
		}
		let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
			label: Some("pocps readback"),
			size,
			usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
			mapped_at_creation: false,
		});
		let mut encoder = self.device.create_command_encoder(&Default::default());
		let mut at = 0;
		for (buffer, offset, bytes) in copies {
			encoder.copy_buffer_to_buffer(buffer, *offset, &staging, at, *bytes);
			at += bytes;
		}
		self.queue.submit([encoder.finish()]);
		let (sender, receiver) = std::sync::mpsc::channel();
		staging.slice(..).map_async(wgpu::MapMode::Read, move |result| {
			let _ = sender.send(result);
		});
		self.device.poll(wgpu::PollType::wait_indefinitely()).map_err(failed)?;
		receiver.recv().map_err(failed)?.map_err(failed)?;
		let words = bytemuck::cast_slice::<u8, u32>(&staging.slice(..).get_mapped_range()).to_vec();
		staging.unmap();
		Ok(words)
	}
}

impl Backend for VulkanBackend {
	fn kind(&self) -> BackendKind {
		BackendKind::Vulkan
	}

	fn device_name(&self) -> String {
		let info = &self.gpu.info;
		format!("{} ({:?}, {})", info.name, info.device_type, info.driver)
	}

	fn allocate(&self, params: &Params) -> Result<Box<dyn Resident>> {
		let layout = Chunks::new(params.lanes, lanes_per_chunk(NAME, params, self.max_chunk)?);
		let lane_bytes = u64::from(params.lane_len) * 32;
		let chunks = layout
			.iter()
			.map(|(_, lanes)| storage_buffer(&self.gpu.device, u64::from(lanes) * lane_bytes))
			.collect();
		Ok(Box::new(VulkanResident { gpu: self.gpu.clone(), params: *params, layout, chunks }))
	}
}

/// A dataset in device memory: one buffer per chunk of whole lanes.
struct VulkanResident {
	gpu: Arc<Gpu>,
	params: Params,
	layout: Chunks,
	chunks: Vec<wgpu::Buffer>,
}

impl VulkanResident {
	fn buffer(&self, (index, at): (usize, u32)) -> Result<(&wgpu::Buffer, u32)> {
		Ok((self.chunks.get(index).ok_or_else(|| failed("no chunk"))?, at))
	}

	/// The chunk holding `lane`, and the lane's index within it.
	fn chunk(&self, lane: u32) -> Result<(&wgpu::Buffer, u32)> {
		self.buffer(self.layout.locate(lane)?)
	}

	/// Where lanes `first_lane .. first_lane + lanes` start, if within one chunk.
	fn within_chunk(&self, first_lane: u32, lanes: u32) -> Result<(&wgpu::Buffer, u32)> {
		self.buffer(self.layout.within(first_lane, lanes)?)
	}
}

impl Resident for VulkanResident {
	fn lanes_per_chunk(&self) -> u32 {
		self.layout.per_chunk
	}

	fn write_lanes(&mut self, first_lane: u32, labels: &[Hash]) -> Result<()> {
		let lane_len = self.params.lane_len as usize;
		for (offset, lane_labels) in labels.chunks(lane_len.max(1)).enumerate() {
			let (buffer, at) = self.chunk(first_lane + offset as u32)?;
			let words: Vec<u32> = lane_labels.iter().flat_map(super::to_words).collect();
			let base = u64::from(at) * u64::from(self.params.lane_len) * 32;
			for (piece, bytes) in
				bytemuck::cast_slice::<u32, u8>(&words).chunks(UPLOAD_BYTES).enumerate()
			{
				self.gpu.queue.write_buffer(buffer, base + (piece * UPLOAD_BYTES) as u64, bytes);
				// Submitting and waiting frees this piece's staging memory before the next.
				self.gpu.queue.submit([]);
				self.gpu.device.poll(wgpu::PollType::wait_indefinitely()).map_err(failed)?;
			}
		}
		Ok(())
	}

	fn read(&self, ranges: &[(u64, u32)]) -> Result<Vec<Hash>> {
		let lane_len = u64::from(self.params.lane_len);
		let mut copies = Vec::with_capacity(ranges.len());
		for &(first, count) in ranges {
			let lane = u32::try_from(first / lane_len.max(1)).map_err(failed)?;
			let (buffer, at) = self.chunk(lane)?;
			let offset = (u64::from(at) * lane_len + first % lane_len.max(1)) * 32;
			if offset + u64::from(count) * 32 > buffer.size() {
				return Err(failed(format!("labels {first}+{count} cross a chunk")));
			}
			copies.push((buffer, offset, u64::from(count) * 32));
		}
		Ok(from_words(&self.gpu.read(&copies)?))
	}

	fn seal_lanes(
		&mut self,
		ek: &Hash,
		first_lane: u32,
		lanes: u32,
		progress: Progress<'_>,
	) -> Result<bool> {
		let (buffer, at) = self.within_chunk(first_lane, lanes)?;
		let params = self.params;
		let chunk = chunk_len(&params, self.gpu.dispatch_budget);
		let mut from = 0u32;
		while from < params.lane_len {
			let to = from.saturating_add(chunk).min(params.lane_len);
			let config = seal_config(&params, ek, (first_lane, at, lanes), (from, to));
			self.gpu.dispatch(&self.gpu.seal, &config, buffer, None, lanes)?;
			if !progress(u64::from(to - from) * u64::from(lanes)) {
				return Ok(false);
			}
			from = to;
		}
		Ok(true)
	}

	fn subtree_roots(&self, first_lane: u32, lanes: u32, rows: u32) -> Result<Vec<Hash>> {
		let (buffer, at) = self.within_chunk(first_lane, lanes)?;
		let labels = u64::from(lanes) * u64::from(self.params.lane_len);
		let groups = u32::try_from(labels >> rows).map_err(failed)?;
		let first =
			u32::try_from(u64::from(at) * u64::from(self.params.lane_len)).map_err(failed)?;
		let roots = storage_buffer(&self.gpu.device, u64::from(groups) * 32);
		let config = subtree_config(rows, groups, first);
		self.gpu.dispatch(&self.gpu.subtrees, &config, buffer, Some(&roots), groups)?;
		Ok(from_words(&self.gpu.read(&[(&roots, 0, u64::from(groups) * 32)])?))
	}

	fn walk(&self, round: &RoundParams, starts: &[State], blocks: u64) -> Result<Vec<State>> {
		check_walk(round, starts)?;
		if blocks != ember_pocps::round::blocks_of(&self.params) {
			return Err(failed(format!("a walk over {blocks} blocks of a smaller dataset")));
		}
		let gpu = &self.gpu;
		let walk = gpu.walk_pipeline(self.chunks.len())?;
		let checkpoint_bytes = round.checkpoints().saturating_mul(32);
		if checkpoint_bytes > self.gpu.device.limits().max_storage_buffer_binding_size.into() {
			return Err(failed(format!(
				"{} checkpoints do not fit one storage buffer",
				round.checkpoints()
			)));
		}
		// Each walk's state, then its key: the kernel carries the state between dispatches.
		let words: Vec<u32> =
			starts.iter().flat_map(|start| start.iter().chain(start)).copied().collect();
		let state = gpu.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
			label: Some("walk states"),
			contents: bytemuck::cast_slice(&words),
			usage: wgpu::BufferUsages::STORAGE,
		});
		let checkpoints = storage_buffer(&gpu.device, checkpoint_bytes);
		let mut entries = vec![
			wgpu::BindGroupEntry { binding: 1, resource: state.as_entire_binding() },
			wgpu::BindGroupEntry { binding: 2, resource: checkpoints.as_entire_binding() },
		];
		entries.extend(self.chunks.iter().enumerate().map(|(c, chunk)| wgpu::BindGroupEntry {
			binding: c as u32 + 3,
			resource: chunk.as_entire_binding(),
		}));
		let groups = round.walks.div_ceil(WORKGROUP).max(1);
		let (x, y) = (groups.min(MAX_GROUPS), groups.div_ceil(MAX_GROUPS));
		for steps in walk_dispatches(round, gpu.walk_budget) {
			let config =
				walk_config(&self.params, round, self.layout.per_chunk, round.walks, steps)?;
			let config = gpu.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
				label: Some("walk config"),
				contents: bytemuck::cast_slice(&config),
				usage: wgpu::BufferUsages::STORAGE,
			});
			let mut bound = entries.clone();
			bound.push(wgpu::BindGroupEntry { binding: 0, resource: config.as_entire_binding() });
			let bind = gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
				label: Some("walk"),
				layout: &walk.layout,
				entries: &bound,
			});
			let mut encoder = gpu.device.create_command_encoder(&Default::default());
			{
				let mut pass = encoder.begin_compute_pass(&Default::default());
				pass.set_pipeline(&walk.pipeline);
				pass.set_bind_group(0, &bind, &[]);
				pass.dispatch_workgroups(x, y, 1);
			}
			gpu.queue.submit([encoder.finish()]);
			gpu.device.poll(wgpu::PollType::wait_indefinitely()).map_err(failed)?;
		}
		let words = gpu.read(&[(&checkpoints, 0, checkpoint_bytes)])?;
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
		self.chunks.iter().map(wgpu::Buffer::size).sum()
	}
}
