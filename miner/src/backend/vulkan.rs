//! The Vulkan backend: wgpu compute shaders (`pocps.wgsl`). Runs on any Vulkan device,
//! including Mesa's lavapipe software rasterizer, which is how CI tests it without a GPU.

use super::{
	check_fits, chunk_len, from_words, seal_config, split_levels, to_words, Backend, BackendKind,
	Progress,
};
use crate::error::{Error, Result};
use ember_pocps::{Hash, Params};
use wgpu::util::DeviceExt;

const NAME: &str = "vulkan";
const WORKGROUP: u32 = 64;
/// Most workgroups in one dispatch dimension (WebGPU's guaranteed limit).
const MAX_GROUPS: u32 = 65_535;

/// A Vulkan device with the PoCPS pipelines compiled.
pub struct VulkanBackend {
	device: wgpu::Device,
	queue: wgpu::Queue,
	info: wgpu::AdapterInfo,
	layout: wgpu::BindGroupLayout,
	seal: wgpu::ComputePipeline,
	merkle: wgpu::ComputePipeline,
	/// Largest storage buffer binding, in 32-bit words.
	max_words: u64,
	/// Sequential hashes per thread per dispatch.
	dispatch_budget: u32,
}

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
	/// Opens Vulkan adapter `index`. Unless `allow_software`, a CPU (software) adapter is
	/// refused, so automatic selection never prefers lavapipe over the CPU backend.
	pub fn open(index: usize, allow_software: bool) -> Result<Self> {
		let adapter = adapters().into_iter().nth(index).ok_or_else(|| {
			unavailable(format!(
				"no Vulkan adapter #{index} (install a Vulkan driver; without a GPU, Debian's \
				 mesa-vulkan-drivers provides lavapipe)"
			))
		})?;
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
			entries: &[storage(0, true), storage(1, false)],
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
		let (seal, merkle) = (pipeline("seal"), pipeline("merkle"));
		let max_words =
			u64::from(limits.max_storage_buffer_binding_size).min(limits.max_buffer_size) / 4;
		let dispatch_budget = if info.device_type == wgpu::DeviceType::Cpu {
			SOFTWARE_DISPATCH_BUDGET
		} else {
			GPU_DISPATCH_BUDGET
		};
		Ok(VulkanBackend { device, queue, info, layout, seal, merkle, max_words, dispatch_budget })
	}

	fn storage_buffer(&self, words: u64) -> wgpu::Buffer {
		self.device.create_buffer(&wgpu::BufferDescriptor {
			label: Some("pocps data"),
			size: words.saturating_mul(4),
			usage: wgpu::BufferUsages::STORAGE
				| wgpu::BufferUsages::COPY_SRC
				| wgpu::BufferUsages::COPY_DST,
			mapped_at_creation: false,
		})
	}

	/// Runs `pipeline` over `data` with `config`, `invocations` threads, and waits.
	fn dispatch(
		&self,
		pipeline: &wgpu::ComputePipeline,
		data: &wgpu::Buffer,
		config: &[u32; 16],
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

	/// Copies `words` words of `data` back to the host.
	fn read(&self, data: &wgpu::Buffer, words: u64) -> Result<Vec<u32>> {
		let size = words.saturating_mul(4);
		let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
			label: Some("pocps readback"),
			size,
			usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
			mapped_at_creation: false,
		});
		let mut encoder = self.device.create_command_encoder(&Default::default());
		encoder.copy_buffer_to_buffer(data, 0, &staging, 0, size);
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
		format!("{} ({:?}, {})", self.info.name, self.info.device_type, self.info.driver)
	}

	fn seal(&self, params: &Params, ek: &Hash, progress: Progress<'_>) -> Result<Vec<Hash>> {
		let words = params.total_labels().saturating_mul(8);
		check_fits(NAME, words, self.max_words)?;
		let data = self.storage_buffer(words);
		let chunk = chunk_len(params, self.dispatch_budget);
		let mut from = 0u32;
		while from < params.lane_len {
			let to = from.saturating_add(chunk).min(params.lane_len);
			self.dispatch(&self.seal, &data, &seal_config(params, ek, from, to), params.lanes)?;
			progress(u64::from(to).saturating_mul(u64::from(params.lanes)));
			from = to;
		}
		Ok(from_words(&self.read(&data, words)?))
	}

	fn merkle_levels(&self, leaves: Vec<Hash>) -> Result<Vec<Vec<Hash>>> {
		let count = leaves.len() as u64;
		let nodes = count.saturating_mul(2).saturating_sub(1);
		check_fits(NAME, nodes.saturating_mul(8), self.max_words)?;
		let data = self.storage_buffer(nodes.saturating_mul(8));
		let words: Vec<u32> = leaves.iter().flat_map(to_words).collect();
		self.queue.write_buffer(&data, 0, bytemuck::cast_slice(&words));
		// Level offsets (in nodes): leaves at 0, each level after the one below.
		let (mut input, mut width) = (0u64, count);
		while width > 1 {
			let output = input.saturating_add(width);
			let parents = width / 2;
			let config = [
				input as u32,
				output as u32,
				parents as u32,
				0,
				0,
				0,
				0,
				0,
				0,
				0,
				0,
				0,
				0,
				0,
				0,
				0,
			];
			self.dispatch(&self.merkle, &data, &config, parents as u32)?;
			input = output;
			width = parents;
		}
		let all = from_words(&self.read(&data, nodes.saturating_mul(8))?);
		Ok(split_levels(all, count))
	}
}
