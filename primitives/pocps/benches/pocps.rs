//! CPU figures for docs/pocps.md and docs/benchmarks.md:
//! `cargo bench -p ember-pocps --bench pocps` (or `scripts/bench-pocps.sh`).
//!
//! - `sha256_32b`: one sequential label iteration (`x = SHA-256(x)`), the unit of regeneration
//!   cost on a CPU core.
//! - `label_first_hash`: the first hash of a label with 6 parents (272-byte message).
//! - `seal_lane`: a whole `cpu-dev` lane (4096 labels × 16 iterations), single thread.
//! - `verify_seal_gpu_80g`, `verify_storage_gpu_80g`: verifying a seal check and a storage proof
//!   at the `gpu-80g` class parameters (native).
//! - `prove_storage_cpu_dev`: answering a storage challenge from a resident `cpu-dev` dataset.
//!
//! It also prints the SCALE-encoded size of each proof at each class.
//! - `merkle_level_4096`: hashing 4096 nodes into their 2048 parents.

#![allow(clippy::unwrap_used)] // benchmark setup, not runtime code

use codec::Encode;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use ember_pocps::{
	compute_label, encoding_key,
	merkle::parent_level,
	prover::{seal_lane, SparseDataset},
	verify, Hasher, NativeSha256 as H, Params,
};
use std::hint::black_box;

// The classes' parameters (runtime/src/genesis_config_presets.rs).
const CPU_DEV: Params =
	Params { lanes: 64, lane_len: 4096, parents: 6, iterations: 16, challenges: 4 };
const GPU_24G: Params =
	Params { lanes: 16, lane_len: 1 << 25, parents: 6, iterations: 256, challenges: 4 };
const GPU_80G: Params =
	Params { lanes: 64, lane_len: 1 << 25, parents: 6, iterations: 256, challenges: 4 };

fn benches(c: &mut Criterion) {
	let ek = encoding_key::<H>(&[1; 32], &[2; 32], 3);

	let mut group = c.benchmark_group("pocps");
	group.throughput(Throughput::Elements(1));
	group.bench_function("sha256_32b", |b| {
		let mut x = [7u8; 32];
		b.iter(|| {
			x = H::sha256(black_box(&x));
		})
	});
	let parents = [[3u8; 32]; 6];
	let one_iteration = Params { iterations: 1, ..CPU_DEV };
	group.bench_function("label_first_hash", |b| {
		b.iter(|| compute_label::<H>(&one_iteration, &ek, 1, black_box(77), &[4u8; 32], &parents))
	});

	group.throughput(Throughput::Elements(u64::from(CPU_DEV.lane_len)));
	group.bench_function("seal_lane", |b| {
		let mut lane = vec![[0u8; 32]; CPU_DEV.lane_len as usize];
		b.iter(|| seal_lane::<H>(&CPU_DEV, &ek, black_box(5), &mut lane))
	});

	group.throughput(Throughput::Elements(1));
	let seed = [9u8; 32];
	for (name, params) in [("cpu-dev", CPU_DEV), ("gpu-24g", GPU_24G), ("gpu-80g", GPU_80G)] {
		let sparse = SparseDataset::for_challenge::<H>(&params, &ek, &seed).unwrap();
		for seal_check in [true, false] {
			let proof = sparse.prove::<H>(&params, &ek, &seed, seal_check).unwrap();
			let kind = if seal_check { "seal check" } else { "storage proof" };
			eprintln!("{kind} size, {name}: {} bytes", proof.encode().len());
		}
	}
	let sparse = SparseDataset::for_challenge::<H>(&GPU_80G, &ek, &seed).unwrap();
	let root = sparse.root();
	for (name, seal_check) in [("verify_seal_gpu_80g", true), ("verify_storage_gpu_80g", false)] {
		let proof = sparse.prove::<H>(&GPU_80G, &ek, &seed, seal_check).unwrap();
		group.bench_function(name, |b| {
			b.iter(|| {
				verify::<H>(&GPU_80G, &ek, &root, &seed, seal_check, black_box(&proof)).unwrap()
			})
		});
	}

	let dataset = ember_pocps::prover::Dataset::seal::<H>(CPU_DEV, ek).unwrap();
	group.bench_function("prove_storage_cpu_dev", |b| {
		b.iter(|| dataset.prove::<H>(black_box(&seed), false).unwrap())
	});

	group.throughput(Throughput::Elements(2048));
	let level: Vec<[u8; 32]> = (0..4096u32).map(|i| H::sha256(&i.to_le_bytes())).collect();
	group.bench_function("merkle_level_4096", |b| {
		b.iter_batched(|| level.clone(), |l| parent_level::<H>(&l), BatchSize::SmallInput)
	});
	group.finish();
}

criterion_group!(pocps, benches);
criterion_main!(pocps);
