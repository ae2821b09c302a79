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

/// NVIDIA GPU `index` (NVML's numbering) as NVML reports it, if the NVML library loads.
fn nvml_identity(index: u32, backend: &str) -> Option<DeviceIdentity> {
	let nvml = nvml_wrapper::Nvml::init().ok()?;
	let device = nvml.device_by_index(index).ok()?;
	Some(DeviceIdentity {
		backend: backend.into(),
		model: device.name().ok()?,
		uuid: device.uuid().ok()?,
		memory_mib: device.memory_info().ok()?.total >> 20,
		driver: nvml.sys_driver_version().ok()?,
	})
}

/// A PCI address as `domain:bus:device` in lower-case hex (`0000:65:00`), from any of the
/// forms NVML (`00000000:65:00.0`), CUDA and Vulkan give; `None` if it does not parse.
pub fn normalize_pci(address: &str) -> Option<String> {
	let mut parts = address.trim().split(':').rev();
	let device = parts.next()?.split('.').next()?;
	let bus = parts.next()?;
	let domain = parts.next().unwrap_or("0");
	let hex = |s: &str| u32::from_str_radix(s, 16).ok();
	Some(format!("{:04x}:{:02x}:{:02x}", hex(domain)?, hex(bus)?, hex(device)?))
}

/// One physical device as each API numbers it: `--gpu` resolved once, so the CUDA ordinal,
/// the NVML index (fingerprint, telemetry) and the Vulkan adapter all name the same card
/// (matched by PCI address), whatever `CUDA_VISIBLE_DEVICES` says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selected {
	/// What `--gpu` said.
	pub asked: String,
	/// Its CUDA ordinal (as this process sees them).
	pub cuda: Option<usize>,
	/// Its NVML index.
	pub nvml: Option<u32>,
	/// Its Vulkan adapter index.
	pub vulkan: Option<usize>,
	/// Its PCI address.
	pub pci: Option<String>,
	/// Its UUID, where NVML or CUDA gives one.
	pub uuid: Option<String>,
}

impl std::fmt::Display for Selected {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		write!(f, "GPU {}", self.asked)?;
		if let Some(pci) = &self.pci {
			write!(f, " (PCI {pci})")?;
		}
		Ok(())
	}
}

/// A GPU as one API lists it.
#[derive(Clone, Debug)]
struct Listed {
	index: usize,
	pci: Option<String>,
	uuid: Option<String>,
}

fn cuda_devices() -> Vec<Listed> {
	use cudarc::driver::{result, sys::CUdevice_attribute as A};
	if !backend::cuda::driver_present() || result::init().is_err() {
		return Vec::new();
	}
	let count = result::device::get_count().unwrap_or(0);
	(0..count)
		.filter_map(|ordinal| {
			let device = result::device::get(ordinal).ok()?;
			// SAFETY: `device` is a valid handle from `get`; attributes only read.
			#[allow(unsafe_code)]
			let attribute = |a| unsafe { result::device::get_attribute(device, a) }.ok();
			let pci = match (
				attribute(A::CU_DEVICE_ATTRIBUTE_PCI_DOMAIN_ID),
				attribute(A::CU_DEVICE_ATTRIBUTE_PCI_BUS_ID),
				attribute(A::CU_DEVICE_ATTRIBUTE_PCI_DEVICE_ID),
			) {
				(Some(domain), Some(bus), Some(dev)) => {
					Some(format!("{domain:04x}:{bus:02x}:{dev:02x}"))
				}
				_ => None,
			};
			Some(Listed { index: usize::try_from(ordinal).ok()?, pci, uuid: None })
		})
		.collect()
}

fn nvml_devices() -> Vec<Listed> {
	let Ok(nvml) = nvml_wrapper::Nvml::init() else { return Vec::new() };
	let count = nvml.device_count().unwrap_or(0);
	(0..count)
		.filter_map(|index| {
			let device = nvml.device_by_index(index).ok()?;
			Some(Listed {
				index: index as usize,
				pci: device.pci_info().ok().and_then(|info| normalize_pci(&info.bus_id)),
				uuid: device.uuid().ok(),
			})
		})
		.collect()
}

fn vulkan_devices() -> Vec<Listed> {
	backend::vulkan::adapters()
		.iter()
		.enumerate()
		.map(|(index, adapter)| Listed {
			index,
			pci: normalize_pci(&adapter.get_info().device_pci_bus_id),
			uuid: None,
		})
		.collect()
}

/// Resolves `--gpu`: an index (the CUDA ordinal where CUDA is present, else the NVML index,
/// else the Vulkan adapter index, as `ember-miner devices` shows), a GPU UUID, or a PCI address.
pub fn resolve(gpu: &str) -> crate::error::Result<Selected> {
	let (cuda, nvml, vulkan) = (cuda_devices(), nvml_devices(), vulkan_devices());
	let by_pci = |list: &[Listed], pci: &Option<String>| {
		pci.as_ref().and_then(|pci| list.iter().find(|d| d.pci.as_ref() == Some(pci)).cloned())
	};
	let mut selected = Selected { asked: gpu.into(), ..Default::default() };
	let anchor = if let Ok(index) = gpu.parse::<usize>() {
		if !cuda.is_empty() {
			cuda.get(index).cloned().map(|d| ("cuda", d))
		} else if !nvml.is_empty() {
			nvml.get(index).cloned().map(|d| ("nvml", d))
		} else {
			// No NVIDIA stack: the Vulkan adapter (none at all is left to the backends to say).
			selected.vulkan = Some(index);
			return Ok(selected);
		}
	} else {
		let wanted = gpu.trim().to_ascii_lowercase();
		let matches = |d: &Listed| {
			d.uuid.as_ref().is_some_and(|u| {
				let u = u.to_ascii_lowercase();
				u == wanted || u.trim_start_matches("gpu-") == wanted.trim_start_matches("gpu-")
			}) || (d.pci.is_some() && d.pci == normalize_pci(&wanted))
		};
		nvml.iter()
			.find(|d| matches(d))
			.map(|d| ("nvml", d.clone()))
			.or_else(|| cuda.iter().find(|d| matches(d)).map(|d| ("cuda", d.clone())))
			.or_else(|| vulkan.iter().find(|d| matches(d)).map(|d| ("vulkan", d.clone())))
	};
	let Some((api, device)) = anchor else {
		return Err(crate::error::Error::State(format!(
			"no GPU `{gpu}`: pass --gpu with an index, UUID or PCI address that \
			 `ember-miner devices` lists"
		)));
	};
	selected.pci = device.pci.clone();
	selected.uuid = device.uuid.clone();
	let same = |list: &[Listed], own: &str| {
		if api == own {
			Some(device.clone())
		} else {
			by_pci(list, &selected.pci)
		}
	};
	selected.cuda = same(&cuda, "cuda").map(|d| d.index);
	let nvml_match = same(&nvml, "nvml");
	selected.nvml = nvml_match.as_ref().and_then(|d| u32::try_from(d.index).ok());
	selected.uuid = selected.uuid.clone().or(nvml_match.and_then(|d| d.uuid));
	selected.vulkan = same(&vulkan, "vulkan").map(|d| d.index);
	Ok(selected)
}

/// Every device each backend can see, with its identity and how each API numbers it.
pub fn list() -> Vec<(DeviceIdentity, Selected)> {
	let mut devices =
		vec![(cpu_identity(), Selected { asked: "cpu".into(), ..Default::default() })];
	let (cuda, nvml) = (cuda_devices(), nvml_devices());
	let primary = if cuda.is_empty() { &nvml } else { &cuda };
	for device in primary {
		if let Ok(selected) = resolve(&device.index.to_string()) {
			let identity = selected
				.nvml
				.and_then(|index| nvml_identity(index, "cuda"))
				.unwrap_or_else(|| identity(BackendKind::Cuda, &selected));
			devices.push((identity, selected));
		}
	}
	for (index, adapter) in backend::vulkan::adapters().iter().enumerate() {
		let info = adapter.get_info();
		let pci = normalize_pci(&info.device_pci_bus_id);
		if pci.is_some() && primary.iter().any(|d| d.pci == pci) {
			continue;
		}
		let selected =
			Selected { asked: index.to_string(), vulkan: Some(index), pci, ..Default::default() };
		devices.push((vulkan_identity(None, &info), selected));
	}
	devices
}

fn vulkan_identity(nvml: Option<u32>, info: &wgpu::AdapterInfo) -> DeviceIdentity {
	// NVML knows an NVIDIA card's UUID and VRAM; wgpu does not report memory size, so a
	// software adapter counts the machine's RAM and other GPUs report what NVML cannot: 0.
	if let Some(identity) = nvml.and_then(|index| nvml_identity(index, "vulkan")) {
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

/// The identity of the device a backend of `kind` drives.
pub fn identity(kind: BackendKind, selected: &Selected) -> DeviceIdentity {
	match kind {
		BackendKind::Cpu => cpu_identity(),
		BackendKind::Cuda => {
			selected.nvml.and_then(|i| nvml_identity(i, "cuda")).unwrap_or_else(|| {
				// No NVML: ask the driver, opening (and compiling the kernels for) the device once.
				let cuda = backend::cuda::CudaBackend::open(selected).ok();
				DeviceIdentity {
					backend: "cuda".into(),
					model: cuda.as_ref().map(backend::Backend::device_name).unwrap_or_default(),
					uuid: format!(
						"cuda:{}:{}",
						selected.pci.clone().unwrap_or_default(),
						machine_id()
					),
					memory_mib: cuda.and_then(|b| b.memory_mib().ok()).unwrap_or(0),
					driver: "cuda".into(),
				}
			})
		}
		BackendKind::Vulkan => selected
			.vulkan
			.and_then(|index| backend::vulkan::adapters().into_iter().nth(index))
			.map(|adapter| vulkan_identity(selected.nvml, &adapter.get_info()))
			.unwrap_or_else(cpu_identity),
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn pci_addresses_from_every_api_compare_equal() {
		let nvml = normalize_pci("00000000:65:00.0");
		assert_eq!(nvml.as_deref(), Some("0000:65:00"));
		assert_eq!(normalize_pci("0000:65:00.0"), nvml);
		assert_eq!(normalize_pci("65:00.0"), nvml);
		assert_eq!(normalize_pci(""), None);
		assert_eq!(normalize_pci("not a bus"), None);
	}
}
