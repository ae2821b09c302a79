//! Every backend reproduces the PoCPS test vectors (primitives/pocps/test-vectors) bit for bit.
//! CPU always runs; Vulkan runs on any Vulkan device (lavapipe in CI); CUDA skips, saying so,
//! where no driver is installed.

#![allow(clippy::unwrap_used, clippy::panic)]
use ember_miner::backend::{self, Backend, BackendKind};
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

fn check(backend: &dyn Backend) {
	for vector in vectors() {
		let labels = backend.seal(&vector.params, &vector.ek, &|_| ()).unwrap();
		assert_eq!(
			hex::encode(NativeSha256::sha256(&labels.concat())),
			vector.labels_sha256,
			"{} labels on {}",
			vector.name,
			backend.device_name()
		);
		let levels = backend.merkle_levels(labels).unwrap();
		let tree = MerkleTree::from_levels(levels).unwrap();
		assert_eq!(hex::encode(tree.root()), vector.root, "{} root", vector.name);
	}
	// Many lanes, several dispatch chunks, and a tree deeper than one workgroup.
	let params = Params { lanes: 128, lane_len: 64, parents: 8, iterations: 3, challenges: 1 };
	let reference = backend::cpu::CpuBackend::new().seal(&params, &[4u8; 32], &|_| ()).unwrap();
	let labels = backend.seal(&params, &[4u8; 32], &|_| ()).unwrap();
	assert!(labels == reference, "128-lane dataset on {}", backend.device_name());
	let expected = MerkleTree::build::<NativeSha256>(reference).unwrap().root();
	let tree = MerkleTree::from_levels(backend.merkle_levels(labels).unwrap()).unwrap();
	assert_eq!(tree.root(), expected);
}

#[test]
fn cpu_reproduces_the_vectors() {
	check(backend::open(Some(BackendKind::Cpu), 0).unwrap().as_ref());
}

#[test]
fn vulkan_reproduces_the_vectors() {
	// The test command installs lavapipe; a machine without any Vulkan driver skips.
	match backend::open(Some(BackendKind::Vulkan), 0) {
		Ok(vulkan) => check(vulkan.as_ref()),
		Err(error) if std::env::var_os("EMBER_REQUIRE_VULKAN").is_some() => {
			panic!("Vulkan required: {error}")
		}
		Err(error) => eprintln!("skipping: {error}"),
	}
}

#[test]
fn cuda_reproduces_the_vectors_or_skips() {
	match backend::open(Some(BackendKind::Cuda), 0) {
		Ok(cuda) => check(cuda.as_ref()),
		Err(error) => eprintln!("skipping: {error}"),
	}
}

#[test]
fn chunked_gpu_progress_reaches_the_total() {
	let params = Params { lanes: 4, lane_len: 256, parents: 2, iterations: 1, challenges: 1 };
	let last = std::sync::atomic::AtomicU64::new(0);
	backend::cpu::CpuBackend::new()
		.seal(&params, &[1u8; 32], &|done| {
			last.fetch_max(done, std::sync::atomic::Ordering::Relaxed);
		})
		.unwrap();
	assert_eq!(last.into_inner(), params.total_labels());
}
