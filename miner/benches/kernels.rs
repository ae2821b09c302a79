#![allow(clippy::unwrap_used)]
//! Criterion benchmarks of the CPU backend's kernels: sealing (labels per second) and Merkle
//! tree building (nodes per second). `scripts/bench-miner.sh` runs them with
//! `ember-miner bench`; docs/benchmarks.md has the figures.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ember_miner::backend::{self, cpu::CpuBackend, Backend};
use ember_pocps::{Hash, Hasher, NativeSha256, Params};

fn seal(c: &mut Criterion) {
	let backend = CpuBackend::new();
	let mut group = c.benchmark_group("cpu");
	group.sample_size(10);
	// The cpu-dev class: 2^18 labels, 16 iterations.
	let dev = Params { lanes: 64, lane_len: 4096, parents: 6, iterations: 16, challenges: 8 };
	group.throughput(Throughput::Elements(dev.total_labels()));
	group.bench_function("seal cpu-dev (labels)", |b| {
		b.iter(|| backend::seal_all(&backend, &dev, &[1u8; 32]).unwrap())
	});
	let leaves: Vec<Hash> =
		(0u32..1 << 18).map(|i| NativeSha256::sha256(&i.to_le_bytes())).collect();
	group.throughput(Throughput::Elements(leaves.len() as u64 - 1));
	// Subtree roots (the device's part of the tree) and the levels above them (the host's).
	let shape = Params { lanes: 1, lane_len: 1 << 18, ..dev };
	let mut resident = backend.allocate(&shape).unwrap();
	resident.write_lanes(0, &leaves).unwrap();
	group.bench_function("merkle 2^18 leaves (nodes)", |b| {
		b.iter(|| {
			let roots = resident.subtree_roots(0, 1, backend::ROWS).unwrap();
			ember_pocps::merkle::MerkleTree::build::<NativeSha256>(roots).unwrap()
		})
	});
	group.finish();
}

criterion_group!(benches, seal);
criterion_main!(benches);
