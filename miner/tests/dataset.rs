//! The miner's dataset at scale's shape: sealed lane by lane to device memory and disk, held
//! with only the upper tree on the host, answering exactly as the reference prover does; an
//! interrupted seal resumes from its finished lanes; a corrupted file is refused.

#![allow(clippy::unwrap_used, clippy::panic)]
use ember_miner::{
	backend::{self, Backend},
	dataset::{self, Header, SealOn},
	error::Error,
	fingerprint::Selected,
};
use ember_pocps::{prover::Dataset, verify, NativeSha256 as H, Params};
use std::sync::atomic::{AtomicBool, Ordering};

const PARAMS: Params =
	Params { lanes: 16, lane_len: 1024, parents: 6, iterations: 2, challenges: 8 };
const EK: [u8; 32] = [0x42; 32];

fn header() -> Header {
	Header { device: 7, nonce: 1, params: PARAMS, ek: EK, root: [0u8; 32] }
}

fn backends() -> Vec<Box<dyn Backend>> {
	let mut all: Vec<Box<dyn Backend>> = vec![Box::new(backend::cpu::CpuBackend::new())];
	let selected = Selected { vulkan: Some(0), ..Default::default() };
	match backend::vulkan::VulkanBackend::open(&selected, true) {
		// Small chunks, so lanes and subtrees are spread over several buffers.
		Ok(vulkan) => all.push(Box::new(vulkan.with_max_chunk(128 << 10))),
		Err(error) if std::env::var_os("EMBER_REQUIRE_VULKAN").is_some() => {
			panic!("Vulkan required: {error}")
		}
		Err(error) => eprintln!("skipping Vulkan: {error}"),
	}
	all
}

#[test]
fn a_pruned_resident_dataset_answers_exactly_like_the_reference_prover() {
	let reference = Dataset::seal::<H>(PARAMS, EK).unwrap();
	for backend in backends() {
		for seal_on in [SealOn::Cpu, SealOn::Device] {
			let dir = tempfile::tempdir().unwrap();
			let path = dir.path().join("dataset.bin");
			let stop = AtomicBool::new(false);
			let sealed =
				dataset::seal(backend.as_ref(), &path, header(), seal_on, &stop, &|_| ()).unwrap();
			assert_eq!(sealed.root(), reference.root(), "{} {seal_on:?}", backend.device_name());
			// The host keeps 2/2^ROWS of the dataset: the levels above the 128-label subtrees.
			assert!(sealed.host_tree_bytes() * 50 < PARAMS.dataset_bytes());
			assert!(sealed.device_bytes() >= PARAMS.dataset_bytes());
			for seed in 0u8..4 {
				for seal_check in [false, true] {
					let proof = sealed.prove(&[seed; 32], seal_check).unwrap();
					assert_eq!(
						Some(&proof),
						reference.prove::<H>(&[seed; 32], seal_check).as_ref()
					);
					verify::<H>(&PARAMS, &EK, &sealed.root(), &[seed; 32], seal_check, &proof)
						.unwrap();
				}
			}
			// Loading it back (a restart) rebuilds the same root from the file.
			let loaded = dataset::load(backend.as_ref(), &path, &stop).unwrap();
			assert_eq!(loaded.root(), reference.root());
			assert_eq!(
				loaded.prove(&[9; 32], true).unwrap(),
				sealed.prove(&[9; 32], true).unwrap()
			);
		}
	}
}

#[test]
fn an_interrupted_seal_resumes_from_its_finished_lanes() {
	let reference = Dataset::seal::<H>(PARAMS, EK).unwrap();
	for backend in backends() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("dataset.bin");
		// Stop (as Ctrl-C does) once a third of the labels are sealed.
		let stop = AtomicBool::new(false);
		let result =
			dataset::seal(backend.as_ref(), &path, header(), SealOn::Device, &stop, &|f| {
				if f > 0.33 {
					stop.store(true, Ordering::Relaxed);
				}
			});
		assert!(matches!(result, Err(Error::Stopped(_))), "{:?}", result.err());
		let (_, done) = dataset::read_header(&path).unwrap();
		let done = done.expect("an incomplete seal");
		let finished = done.iter().filter(|d| **d).count();
		assert!(finished > 0 && finished < PARAMS.lanes as usize, "{finished} lanes done");
		// A load refuses it; a seal of another key starts over; the same key resumes.
		assert!(dataset::load(backend.as_ref(), &path, &stop).is_err());
		let stop = AtomicBool::new(false);
		let first = std::sync::Mutex::new(None);
		let sealed =
			dataset::seal(backend.as_ref(), &path, header(), SealOn::Device, &stop, &|f| {
				first.lock().unwrap().get_or_insert(f);
			})
			.unwrap();
		let resumed_at = first.into_inner().unwrap().unwrap();
		assert!(resumed_at >= finished as f64 / f64::from(PARAMS.lanes), "{resumed_at}");
		assert_eq!(sealed.root(), reference.root());
		assert!(dataset::read_header(&path).unwrap().1.is_none(), "complete after resuming");
	}
}

#[test]
fn a_corrupted_or_truncated_dataset_file_is_refused() {
	let backend = backend::cpu::CpuBackend::new();
	let dir = tempfile::tempdir().unwrap();
	let path = dir.path().join("dataset.bin");
	let stop = AtomicBool::new(false);
	dataset::seal(&backend, &path, header(), SealOn::Device, &stop, &|_| ()).unwrap();
	let mut bytes = std::fs::read(&path).unwrap();
	let last = bytes.len() - 1;
	bytes[last] ^= 1;
	std::fs::write(&path, &bytes).unwrap();
	let error = dataset::load(&backend, &path, &stop).err().unwrap();
	assert!(matches!(error, Error::CorruptDataset { .. }), "{error}");
	std::fs::write(&path, &bytes[..last]).unwrap();
	let error = dataset::load(&backend, &path, &stop).err().unwrap();
	assert!(error.to_string().contains("bytes where its header says"), "{error}");
}
