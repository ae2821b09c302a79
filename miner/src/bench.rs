//! `ember-miner bench`: label and hash throughput, seal time and response latency per backend,
//! with a bit-for-bit check of each backend against the CPU reference.

use crate::{
	backend::{self, Backend, BackendKind},
	dataset::{self, SealOn},
	error::Result,
};
use ember_pocps::{Hash, Hasher, NativeSha256, Params};
use serde::Serialize;
use std::time::Instant;

/// What to measure.
#[derive(Clone, Debug, clap::Args)]
pub struct BenchArgs {
	/// Lanes of the synthetic dataset (one GPU thread each: use thousands on a GPU).
	#[arg(long, default_value_t = 256)]
	pub lanes: u32,
	/// Labels per lane.
	#[arg(long, default_value_t = 1024)]
	pub lane_len: u32,
	/// Sequential hashes per label.
	#[arg(long, default_value_t = 16)]
	pub iterations: u32,
	/// Merkle leaves (a power of two).
	#[arg(long, default_value_t = 1 << 20)]
	pub merkle_leaves: u32,
	/// Print JSON instead of a table.
	#[arg(long)]
	pub json: bool,
}

/// One backend's figures.
#[derive(Debug, Serialize)]
pub struct BenchResult {
	/// Backend name.
	pub backend: &'static str,
	/// The device.
	pub device: String,
	/// Seconds to seal the synthetic dataset.
	pub seal_seconds: f64,
	/// Labels sealed per second.
	pub labels_per_second: f64,
	/// SHA-256 compressions per second while sealing.
	pub seal_hashes_per_second: f64,
	/// SHA-256 compressions per second while building the Merkle tree.
	pub merkle_hashes_per_second: f64,
	/// Whether its labels and root equal the CPU reference's.
	pub matches_reference: bool,
	/// Seconds to assemble one proof for a `cpu-dev`-sized dataset sealed by this backend.
	pub prove_seconds: f64,
}

fn measure(
	backend: &dyn Backend,
	params: &Params,
	leaves: &[Hash],
) -> Result<(f64, f64, Vec<Hash>)> {
	let ek = [7u8; 32];
	let started = Instant::now();
	let labels = backend::seal_all(backend, params, &ek)?;
	let seal = started.elapsed().as_secs_f64();
	// The tree as the miner builds it: subtree roots on the device, the rest on the host.
	let shape = Params { lanes: 1, lane_len: leaves.len() as u32, ..*params };
	let mut resident = backend.allocate(&shape)?;
	resident.write_lanes(0, leaves)?;
	let started = Instant::now();
	let roots = resident.subtree_roots(0, 1, backend::rows_for(&shape))?;
	ember_pocps::merkle::MerkleTree::build::<NativeSha256>(roots);
	Ok((seal, started.elapsed().as_secs_f64(), labels))
}

/// Runs the benchmark on every backend present (or the one chosen).
pub fn run(args: &BenchArgs, only: Option<BackendKind>, gpu: &str) -> Result<Vec<BenchResult>> {
	let params = Params {
		lanes: args.lanes,
		lane_len: args.lane_len,
		parents: 6,
		iterations: args.iterations,
		challenges: 8,
	};
	params
		.validate()
		.map_err(|e| crate::error::Error::State(format!("benchmark parameters invalid: {e:?}")))?;
	let leaves: Vec<Hash> = (0..args.merkle_leaves.max(2).next_power_of_two())
		.map(|i| NativeSha256::sha256(&i.to_le_bytes()))
		.collect();
	let kinds = match only {
		Some(kind) => vec![kind],
		None => vec![BackendKind::Cpu, BackendKind::Vulkan, BackendKind::Cuda],
	};
	let cpu = backend::cpu::CpuBackend::new();
	let reference = backend::seal_all(&cpu, &params, &[7u8; 32])?;
	// The `cpu-dev` class: what response latency is measured on.
	let dev = Params { lanes: 64, lane_len: 4096, parents: 6, iterations: 16, challenges: 8 };
	let file = std::env::temp_dir().join(format!("ember-miner-bench-{}.bin", std::process::id()));
	let mut results = Vec::new();
	for kind in kinds {
		let backend = match backend::open(Some(kind), gpu) {
			Ok(backend) => backend,
			Err(error) => {
				tracing::warn!("skipping {}: {error}", kind.name());
				continue;
			}
		};
		tracing::info!("benchmarking {} on {}", kind.name(), backend.device_name());
		let (seal, merkle, labels) = measure(backend.as_ref(), &params, &leaves)?;
		let header =
			dataset::Header { device: 0, nonce: 1, params: dev, ek: [9u8; 32], root: [0u8; 32] };
		let stop = std::sync::atomic::AtomicBool::new(false);
		let sealed = dataset::seal(backend.as_ref(), &file, header, SealOn::Auto, &stop, &|_| ())?;
		let _ = std::fs::remove_file(&file);
		let started = Instant::now();
		let proof = sealed.prove(&[3u8; 32], false)?;
		let prove = started.elapsed().as_secs_f64();
		// Both proofs: the storage proof timed above, and the seal check of the same dataset.
		let verifies = |p: &ember_pocps::Proof, seal_check| {
			ember_pocps::verify::<NativeSha256>(
				&dev,
				&[9u8; 32],
				&sealed.root(),
				&[3u8; 32],
				seal_check,
				p,
			)
			.is_ok()
		};
		let proof_ok = verifies(&proof, false) && verifies(&sealed.prove(&[3u8; 32], true)?, true);
		results.push(BenchResult {
			backend: kind.name(),
			device: backend.device_name(),
			seal_seconds: seal,
			labels_per_second: params.total_labels() as f64 / seal,
			seal_hashes_per_second: backend::seal_compressions(&params) as f64 / seal,
			merkle_hashes_per_second: backend::merkle_compressions(leaves.len() as u64) as f64
				/ merkle,
			matches_reference: labels == reference && proof_ok,
			prove_seconds: prove,
		});
	}
	Ok(results)
}

/// A dataset at a chosen size, through the miner's own seal, load and prove path.
#[derive(Clone, Debug, clap::Args)]
pub struct DatasetArgs {
	/// Lanes.
	#[arg(long, default_value_t = 64)]
	pub lanes: u32,
	/// Labels per lane (64 × 2^19 labels = 1 GiB).
	#[arg(long, default_value_t = 1 << 19)]
	pub lane_len: u32,
	/// Sequential hashes per label.
	#[arg(long, default_value_t = 1)]
	pub iterations: u32,
	/// Where to seal.
	#[arg(long, value_enum, default_value_t = SealOn::Auto)]
	pub seal_on: SealOn,
	/// The dataset file to write (default: a temporary file, removed afterwards).
	#[arg(long)]
	pub out: Option<std::path::PathBuf>,
}

/// Figures for one dataset.
#[derive(Debug, Serialize)]
pub struct DatasetResult {
	/// Backend name.
	pub backend: &'static str,
	/// The device.
	pub device: String,
	/// Dataset bytes.
	pub dataset_bytes: u64,
	/// Seconds sealing the labels (to device memory and disk).
	pub seal_seconds: f64,
	/// Seconds building the tree after sealing (device subtrees, host levels).
	pub tree_seconds: f64,
	/// Seconds loading the file back onto the device (a restart).
	pub load_seconds: f64,
	/// Seconds re-building the tree on load.
	pub load_tree_seconds: f64,
	/// Milliseconds to prove a storage challenge.
	pub prove_storage_ms: f64,
	/// Milliseconds to prove a seal check.
	pub prove_seal_check_ms: f64,
	/// Bytes in device memory (RAM for the CPU backend).
	pub device_bytes: u64,
	/// Bytes of tree on the host.
	pub host_tree_bytes: u64,
	/// The process's resident set after loading, answering from the loaded dataset.
	pub resident_bytes_answering: u64,
	/// Its peak resident set over the whole run (sealing included).
	pub peak_resident_bytes: u64,
	/// Whether both proofs verified.
	pub proofs_verify: bool,
}

/// Seals, reloads and proves a dataset of the size asked on `backend`, and measures.
pub fn dataset(args: &DatasetArgs, backend: &dyn Backend) -> Result<DatasetResult> {
	let params = Params {
		lanes: args.lanes,
		lane_len: args.lane_len,
		parents: 6,
		iterations: args.iterations,
		challenges: 4,
	};
	params
		.validate()
		.map_err(|e| crate::error::Error::State(format!("dataset parameters invalid: {e:?}")))?;
	let temporary =
		std::env::temp_dir().join(format!("ember-miner-bench-{}.bin", std::process::id()));
	let path = args.out.clone().unwrap_or(temporary);
	let stop = std::sync::atomic::AtomicBool::new(false);
	let header = dataset::Header { device: 0, nonce: 1, params, ek: [5u8; 32], root: [0u8; 32] };
	let sealed = dataset::seal(backend, &path, header, args.seal_on, &stop, &|_| ())?;
	let (seal_seconds, tree_seconds) = sealed.timings();
	drop(sealed);
	let loaded = dataset::load(backend, &path, &stop)?;
	let (load_seconds, load_tree_seconds) = loaded.timings();
	let resident_bytes_answering = crate::metrics::resident_set_bytes().unwrap_or(0);
	let timed = |seal_check| -> Result<(f64, bool)> {
		let started = Instant::now();
		let proof = loaded.prove(&[3u8; 32], seal_check)?;
		let ms = started.elapsed().as_secs_f64() * 1e3;
		let ok = ember_pocps::verify::<NativeSha256>(
			&params,
			&[5u8; 32],
			&loaded.root(),
			&[3u8; 32],
			seal_check,
			&proof,
		)
		.is_ok();
		Ok((ms, ok))
	};
	let (prove_storage_ms, storage_ok) = timed(false)?;
	let (prove_seal_check_ms, seal_ok) = timed(true)?;
	if args.out.is_none() {
		let _ = std::fs::remove_file(&path);
	}
	Ok(DatasetResult {
		backend: backend.kind().name(),
		device: backend.device_name(),
		dataset_bytes: params.dataset_bytes(),
		seal_seconds,
		tree_seconds,
		load_seconds,
		load_tree_seconds,
		prove_storage_ms,
		prove_seal_check_ms,
		device_bytes: loaded.device_bytes(),
		host_tree_bytes: loaded.host_tree_bytes(),
		resident_bytes_answering,
		peak_resident_bytes: peak_resident_bytes().unwrap_or(0),
		proofs_verify: storage_ok && seal_ok,
	})
}

/// This process's peak resident set size (`VmHWM`).
fn peak_resident_bytes() -> Option<u64> {
	let status = std::fs::read_to_string("/proc/self/status").ok()?;
	let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
	let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
	Some(kib * 1024)
}

/// Prints the results as a table.
pub fn print(results: &[BenchResult], json: bool) {
	if json {
		println!("{}", serde_json::to_string_pretty(results).unwrap_or_default());
		return;
	}
	println!(
		"{:<7} {:>9} {:>12} {:>12} {:>12} {:>10} {:>6}  device",
		"backend", "seal s", "labels/s", "seal MH/s", "merkle MH/s", "prove ms", "exact"
	);
	for r in results {
		println!(
			"{:<7} {:>9.3} {:>12.0} {:>12.2} {:>12.2} {:>10.3} {:>6}  {}",
			r.backend,
			r.seal_seconds,
			r.labels_per_second,
			r.seal_hashes_per_second / 1e6,
			r.merkle_hashes_per_second / 1e6,
			r.prove_seconds * 1e3,
			if r.matches_reference { "yes" } else { "NO" },
			r.device
		);
	}
}

/// A residency round on a dataset of a chosen size.
#[derive(Clone, Debug, clap::Args)]
pub struct RoundArgs {
	/// Lanes.
	#[arg(long, default_value_t = 64)]
	pub lanes: u32,
	/// Labels per lane (64 × 2^19 labels = 1 GiB).
	#[arg(long, default_value_t = 1 << 19)]
	pub lane_len: u32,
	/// Sequential hashes per label (the walk does not depend on it).
	#[arg(long, default_value_t = 1)]
	pub iterations: u32,
	/// Walks (a power of two).
	#[arg(long, default_value_t = 4096)]
	pub walks: u32,
	/// Steps per walk.
	#[arg(long, default_value_t = 4096)]
	pub steps: u32,
	/// Steps per segment (a power of two, at most 256).
	#[arg(long, default_value_t = 64)]
	pub segment: u32,
	/// Where to seal.
	#[arg(long, value_enum, default_value_t = SealOn::Auto)]
	pub seal_on: SealOn,
}

/// Figures for one round.
#[derive(Debug, Serialize)]
pub struct RoundResult {
	/// Backend name.
	pub backend: &'static str,
	/// The device.
	pub device: String,
	/// Dataset bytes.
	pub dataset_bytes: u64,
	/// Walks, steps per walk, steps per segment.
	pub walks: u32,
	/// Steps per walk.
	pub steps: u32,
	/// Steps per segment.
	pub segment: u32,
	/// Random 128-byte reads in the round.
	pub reads: u64,
	/// Seconds sealing the dataset.
	pub seal_seconds: f64,
	/// Milliseconds the walks took on the device (second run; the first warms up).
	pub walk_ms: f64,
	/// Milliseconds for the whole round: start states, walks, checkpoint tree.
	pub round_ms: f64,
	/// Random reads per second during the walk.
	pub reads_per_second: f64,
	/// Gigabytes (10^9 bytes) per second of random 128-byte reads during the walk.
	pub gb_per_second: f64,
	/// Milliseconds to open the audited segments.
	pub open_ms: f64,
	/// Segments opened.
	pub audits: u32,
	/// Whether the opening verified against the round's result and the dataset's root.
	pub verifies: bool,
}

/// Seals a dataset of the size asked on `backend`, runs a round on it twice, opens an audit of
/// the second and verifies it, and measures.
pub fn round(args: &RoundArgs, backend: &dyn Backend) -> Result<RoundResult> {
	use ember_pocps::round::{audit_segments, verify_round, RoundChallenge, RoundParams};
	let invalid = |what: &str, e: &dyn std::fmt::Debug| {
		crate::error::Error::State(format!("{what} parameters invalid: {e:?}"))
	};
	let params = Params {
		lanes: args.lanes,
		lane_len: args.lane_len,
		parents: 6,
		iterations: args.iterations,
		challenges: 4,
	};
	params.validate().map_err(|e| invalid("dataset", &e))?;
	let segments = args.steps.checked_div(args.segment).unwrap_or(0);
	let audits = u64::from(args.walks).saturating_mul(u64::from(segments)).clamp(1, 16) as u32;
	let round = RoundParams {
		walks: args.walks,
		steps: args.steps,
		segment: args.segment,
		audits,
		chain_audits: 1,
		deadline_ms: u32::MAX,
	};
	round.validate(&params).map_err(|e| invalid("round", &e))?;
	let path = std::env::temp_dir().join(format!("ember-miner-round-{}.bin", std::process::id()));
	let stop = std::sync::atomic::AtomicBool::new(false);
	let header = dataset::Header { device: 0, nonce: 1, params, ek: [5u8; 32], root: [0u8; 32] };
	let sealed = dataset::seal(backend, &path, header, args.seal_on, &stop, &|_| ());
	let _ = std::fs::remove_file(&path);
	let sealed = sealed?;
	let challenge = |nonce| RoundChallenge {
		device: 0,
		seed: [1u8; 32],
		verifier: [2u8; 32],
		nonce: [nonce; 32],
	};
	sealed.run_round(&round, &challenge(1))?;
	let run = sealed.run_round(&round, &challenge(2))?;
	let asked = audit_segments::<NativeSha256>(&round, &[3u8; 32], audits);
	let started = Instant::now();
	let opening = sealed.open_round(&run, &asked)?;
	let open_ms = started.elapsed().as_secs_f64() * 1e3;
	let verifies = verify_round::<NativeSha256>(
		&params,
		&round,
		&sealed.root(),
		&challenge(2),
		&run.result(),
		&asked,
		&opening,
	)
	.is_ok();
	let walk = run.walk_time().as_secs_f64().max(1e-9);
	Ok(RoundResult {
		backend: backend.kind().name(),
		device: backend.device_name(),
		dataset_bytes: params.dataset_bytes(),
		walks: round.walks,
		steps: round.steps,
		segment: round.segment,
		reads: round.reads(),
		seal_seconds: sealed.timings().0,
		walk_ms: walk * 1e3,
		round_ms: run.round_time().as_secs_f64() * 1e3,
		reads_per_second: round.reads() as f64 / walk,
		gb_per_second: round.bytes_read() as f64 / walk / 1e9,
		open_ms,
		audits,
		verifies,
	})
}
