//! What identifies a physical device: model, UUID, memory and driver, from NVML where an NVIDIA
//! driver is present, from the Vulkan adapter otherwise, from the machine for the CPU backend.
//! The fingerprint registered on chain is the SHA-256 of the SCALE-encoded identity, signed
//! (with the miner's account and the chain's genesis) by the device key.

use crate::backend::{self, BackendKind};
use codec::Encode;
use serde::Serialize;
use sp_core::H256;

const FINGERPRINT_DOMAIN: &[u8; 8] = b"EMBFINGR";

/// A device as the miner sees it.
#[derive(Clone, Debug, Serialize)]
pub struct DeviceIdentity {
	/// The backend that drives it.
	pub backend: String,
	/// Model name, e.g. "NVIDIA H100 80GB HBM3".
	pub model: String,
	/// A stable unique id: the GPU UUID (NVML), PCI bus id and vendor/device ids (Vulkan), or
	/// the machine id (CPU).
	pub uuid: String,
	/// Memory the dataset can live in, in MiB: VRAM for GPUs, RAM for the CPU backend.
	pub memory_mib: u64,
	/// Driver name and version.
	pub driver: String,
}

impl DeviceIdentity {
	/// The registered fingerprint.
	pub fn fingerprint(&self) -> H256 {
		// The backend is how the device is driven, not what it is: left out.
		let mut message = FINGERPRINT_DOMAIN.to_vec();
		(&self.model, &self.uuid, self.memory_mib, &self.driver).encode_to(&mut message);
		H256(sp_crypto_hashing::sha2_256(&message))
	}
}

/// The CPU's model name.
pub fn cpu_model() -> String {
	std::fs::read_to_string("/proc/cpuinfo")
		.ok()
		.and_then(|info| {
			info.lines()
				.find(|line| line.starts_with("model name"))
				.and_then(|line| line.split_once(':'))
				.map(|(_, name)| name.trim().to_string())
		})
		.unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

fn machine_id() -> String {
	["/etc/machine-id", "/var/lib/dbus/machine-id"]
		.iter()
		.find_map(|path| std::fs::read_to_string(path).ok())
		.map(|id| id.trim().to_string())
		.unwrap_or_default()
}

fn ram_mib() -> u64 {
	std::fs::read_to_string("/proc/meminfo")
		.ok()
		.and_then(|info| {
			info.lines().find(|line| line.starts_with("MemTotal:")).and_then(|line| {
				line.split_whitespace().nth(1).and_then(|kib| kib.parse::<u64>().ok())
			})
		})
		.map(|kib| kib >> 10)
		.unwrap_or(0)
}

/// The CPU backend's device: this machine.
pub fn cpu_identity() -> DeviceIdentity {
	DeviceIdentity {
		backend: "cpu".into(),
		model: cpu_model(),
		uuid: machine_id(),
		memory_mib: ram_mib(),
		driver: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
	}
}

/// NVIDIA GPU `index` as NVML reports it, if the NVML library loads.
fn nvml_identity(index: usize, backend: &str) -> Option<DeviceIdentity> {
	let nvml = nvml_wrapper::Nvml::init().ok()?;
	let device = nvml.device_by_index(u32::try_from(index).ok()?).ok()?;
	Some(DeviceIdentity {
		backend: backend.into(),
		model: device.name().ok()?,
		uuid: device.uuid().ok()?,
		memory_mib: device.memory_info().ok()?.total >> 20,
		driver: nvml.sys_driver_version().ok()?,
	})
}

/// Every device each backend can see, with its identity.
pub fn list() -> Vec<DeviceIdentity> {
	let mut devices = vec![cpu_identity()];
	for (index, adapter) in backend::vulkan::adapters().iter().enumerate() {
		devices.push(vulkan_identity(index, &adapter.get_info()));
	}
	if backend::cuda::libraries_present() {
		let count = cudarc::driver::CudaContext::device_count().unwrap_or(0);
		for index in 0..usize::try_from(count).unwrap_or(0) {
			if let Some(identity) = nvml_identity(index, "cuda") {
				devices.push(identity);
			}
		}
	}
	devices
}

fn vulkan_identity(index: usize, info: &wgpu::AdapterInfo) -> DeviceIdentity {
	// NVML knows an NVIDIA card's UUID and VRAM; wgpu does not report memory size, so a
	// software adapter counts the machine's RAM and other GPUs report what NVML cannot: 0.
	let nvidia = info.vendor == 0x10de;
	if let Some(identity) = nvidia.then(|| nvml_identity(index, "vulkan")).flatten() {
		return identity;
	}
	let software = info.device_type == wgpu::DeviceType::Cpu;
	DeviceIdentity {
		backend: "vulkan".into(),
		model: info.name.clone(),
		uuid: format!(
			"{:04x}:{:04x}@{}{}",
			info.vendor,
			info.device,
			info.device_pci_bus_id,
			if software { machine_id() } else { String::new() }
		),
		memory_mib: if software { ram_mib() } else { 0 },
		driver: format!("{} {}", info.driver, info.driver_info),
	}
}

/// The identity of the device a backend of `kind` drives (`gpu` is the adapter index).
pub fn identity(kind: BackendKind, gpu: usize) -> DeviceIdentity {
	match kind {
		BackendKind::Cpu => cpu_identity(),
		BackendKind::Cuda => nvml_identity(gpu, "cuda").unwrap_or_else(|| {
			// No NVML: ask the driver, opening (and compiling the kernels for) the device once.
			let cuda = backend::cuda::CudaBackend::open(gpu).ok();
			DeviceIdentity {
				backend: "cuda".into(),
				model: cuda.as_ref().map(backend::Backend::device_name).unwrap_or_default(),
				uuid: format!("cuda:{gpu}:{}", machine_id()),
				memory_mib: cuda.and_then(|b| b.memory_mib().ok()).unwrap_or(0),
				driver: "cuda".into(),
			}
		}),
		BackendKind::Vulkan => backend::vulkan::adapters()
			.get(gpu)
			.map(|adapter| vulkan_identity(gpu, &adapter.get_info()))
			.unwrap_or_else(cpu_identity),
	}
}
