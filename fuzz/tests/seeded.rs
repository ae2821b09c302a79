//! The fuzzer's seeded mode, run by `cargo test`: every seed scenario, every kept regression
//! input, and random op sequences from fixed seeds, each with the state oracles after every
//! block.

use ember_fuzz::{ops, random_ops, run_input, run_ops, seeds, Oracles};

#[test]
fn every_seed_scenario_passes_the_oracles() {
	for (name, seed) in seeds::all() {
		let stats = run_ops(&seed, Oracles::state_only())
			.unwrap_or_else(|failure| panic!("seed {name}: {failure}"));
		assert!(stats.blocks > 1, "seed {name} ran {stats:?}");
		assert!(stats.dispatched_ok > 0, "seed {name} dispatched nothing: {stats:?}");
		// What the seed is about happened: an encoded seed decodes to itself.
		assert_eq!(ops::decode(&ops::encode(&seed)), seed, "seed {name} round-trips");
	}
}

#[test]
fn the_seeds_reach_the_deep_paths() {
	use ember_runtime::Runtime;
	let market = seeds::all().into_iter().find(|(name, _)| name.starts_with("market")).unwrap().1;
	let mut ext = ember_fuzz::chain::new_externalities();
	ext.execute_with(|| {
		let mut chain = ember_fuzz::Chain::start(Oracles::state_only()).unwrap();
		// The market seed up to its redemption: two active devices, two stakes, a lease.
		for op in &market[..12] {
			chain.run(op).unwrap();
		}
		assert!(chain.stats.answers >= 4, "{:?}", chain.stats);
		assert_eq!(pallet_compute_pools::Stakes::<Runtime>::iter().count(), 2);
		assert_eq!(pallet_compute_pools::Leases::<Runtime>::iter().count(), 1);
		chain.close_block().unwrap();
	});
}

#[test]
fn every_kept_regression_input_passes() {
	let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions");
	for entry in std::fs::read_dir(&dir).unwrap() {
		let path = entry.unwrap().path();
		if path.extension().is_some_and(|e| e == "md") {
			continue;
		}
		let input = std::fs::read(&path).unwrap();
		run_input(&input, Oracles::state_only())
			.unwrap_or_else(|failure| panic!("{}: {failure}", path.display()));
	}
}

#[test]
fn random_sequences_from_fixed_seeds_pass_the_oracles() {
	for seed in 0..16 {
		run_ops(&random_ops(seed, 150), Oracles::state_only())
			.unwrap_or_else(|failure| panic!("seed {seed}: {failure}"));
	}
}
