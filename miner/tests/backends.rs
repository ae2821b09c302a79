//! Every backend reproduces the PoCPS test vectors (primitives/pocps/test-vectors) bit for bit:
//! its labels, sealed in device memory, and the root from its subtree roots. CPU always runs;
//! Vulkan runs on any Vulkan device (lavapipe in CI); CUDA skips, saying so, where no driver is
//! installed.

#![allow(clippy::unwrap_used, clippy::panic)]
use ember_miner::{
	backend::{self, Backend, BackendKind},
	fingerprint::Selected,
};
use ember_pocps::{merkle::MerkleTree, Hash, Hasher, NativeSha256, Params};

struct Vector {
	name: String,
	params: Params,
	ek: Hash,
	labels_sha256: String,
	root: String,
}

fn vectors() -> Vec<Vector> {
	let text = include_str!("../../primitives/pocps/test-vectors/vectors.json");
	let json: serde_json::Value = serde_json::from_str(text).unwrap();
	let hash = |v: &serde_json::Value| -> Hash {
		hex::decode(v.as_str().unwrap()).unwrap().try_into().unwrap()
	};
	json.as_array()
		.unwrap()
		.iter()
		.map(|v| Vector {
			name: v["name"].as_str().unwrap().into(),
			params: {
				let field = |name: &str| v["params"][name].as_u64().unwrap() as u32;
				Params {
					lanes: field("lanes"),
					lane_len: field("lane_len"),
					parents: field("parents"),
					iterations: field("iterations"),
					challenges: field("challenges"),
				}
			},
			ek: hash(&v["encoding_key"]),
			labels_sha256: v["labels_sha256"].as_str().unwrap().into(),
			root: v["root"].as_str().unwrap().into(),
		})
		.collect()
}

/// The root as the miner computes it: subtree roots on the device, chunk by chunk, and the
/// levels above on the host.
fn root_on(backend: &dyn Backend, params: &Params, labels: &[Hash]) -> Hash {
	let mut resident = backend.allocate(params).unwrap();
	resident.write_lanes(0, labels).unwrap();
	let rows = backend::rows_for(params);
	let mut roots = Vec::new();
	for (lane, lanes) in backend::Chunks::new(params.lanes, resident.lanes_per_chunk()).iter() {
		roots.extend(resident.subtree_roots(lane, lanes, rows).unwrap());
	}
	assert_eq!(roots.len() as u64, params.total_labels() >> rows);
	MerkleTree::build::<NativeSha256>(roots).unwrap().root()
}

fn check(backend: &dyn Backend) {
	for vector in vectors() {
		let labels = backend::seal_all(backend, &vector.params, &vector.ek).unwrap();
		assert_eq!(
			hex::encode(NativeSha256::sha256(&labels.concat())),
			vector.labels_sha256,
			"{} labels on {}",
			vector.name,
			backend.device_name()
		);
		let root = root_on(backend, &vector.params, &labels);
		assert_eq!(hex::encode(root), vector.root, "{} root", vector.name);
	}
	// Many lanes, several dispatch chunks, reads across lanes.
	let params = Params { lanes: 128, lane_len: 256, parents: 8, iterations: 3, challenges: 1 };
	let cpu = backend::cpu::CpuBackend::new();
	let reference = backend::seal_all(&cpu, &params, &[4u8; 32]).unwrap();
	let labels = backend::seal_all(backend, &params, &[4u8; 32]).unwrap();
	assert!(labels == reference, "128-lane dataset on {}", backend.device_name());
	let expected = MerkleTree::build::<NativeSha256>(reference.clone()).unwrap().root();
	assert_eq!(root_on(backend, &params, &labels), expected);
	let mut resident = backend.allocate(&params).unwrap();
	resident.write_lanes(0, &labels).unwrap();
	let read = resident.read(&[(5, 3), (300, 128), (32_767, 1)]).unwrap();
	assert_eq!(read[..3], reference[5..8]);
	assert_eq!(read[3..131], reference[300..428]);
	assert_eq!(read[131], reference[32_767]);
}

fn vulkan() -> Option<backend::vulkan::VulkanBackend> {
	// The test command installs lavapipe; a machine without any Vulkan driver skips.
	let selected = Selected { vulkan: Some(0), ..Default::default() };
	match backend::vulkan::VulkanBackend::open(&selected, true) {
		Ok(vulkan) => Some(vulkan),
		Err(error) if std::env::var_os("EMBER_REQUIRE_VULKAN").is_some() => {
			panic!("Vulkan required: {error}")
		}
		Err(error) => {
			eprintln!("skipping: {error}");
			None
		}
	}
}

#[test]
fn cpu_reproduces_the_vectors() {
	check(backend::open(Some(BackendKind::Cpu), "0").unwrap().as_ref());
}

#[test]
fn vulkan_reproduces_the_vectors() {
	if let Some(vulkan) = vulkan() {
		check(&vulkan);
	}
}

#[test]
fn vulkan_holds_a_dataset_in_several_chunks() {
	// 32 KiB chunks: 4 lanes of 256 labels each, so the 128-lane check spans 32 buffers.
	if let Some(vulkan) = vulkan() {
		let vulkan = vulkan.with_max_chunk(32 << 10);
		let params = Params { lanes: 128, lane_len: 256, parents: 8, iterations: 3, challenges: 1 };
		assert_eq!(vulkan.allocate(&params).unwrap().lanes_per_chunk(), 4);
		check(&vulkan);
	}
}

#[test]
fn cuda_reproduces_the_vectors_or_skips() {
	match backend::open(Some(BackendKind::Cuda), "0") {
		Ok(cuda) => check(cuda.as_ref()),
		Err(error) => eprintln!("skipping: {error}"),
	}
}

#[test]
fn a_lane_larger_than_a_chunk_is_refused_with_both_sizes() {
	if let Some(vulkan) = vulkan() {
		let params =
			Params { lanes: 2, lane_len: 1 << 16, parents: 2, iterations: 1, challenges: 1 };
		let error = vulkan.with_max_chunk(1 << 20).allocate(&params).err().unwrap().to_string();
		assert!(error.contains("one lane of this class is 2 MiB"), "{error}");
		assert!(error.contains("largest buffer is 1 MiB"), "{error}");
	}
}
