//! The Ember runtime fuzzer.
//!
//! An input is a sequence of [`ops::Op`]s run on a chain started from the `development` preset
//! (built with the `fast-time` feature, so that an hour is 8 blocks and a day 32) plus a tiny
//! PoCPS class that the real prover seals in microseconds. Every block is executed as a node
//! builds it ([`chain`]), and the [`oracles`] run after each one. Three modes share this code:
//!
//! - `cargo fuzz run runtime` (libFuzzer, coverage-guided; `scripts/fuzz.sh`),
//! - the seeded op sequences that `cargo test` runs (`tests/seeded.rs`), and
//! - `ember-fuzz` (writes the seed corpus, replays inputs, runs seeded sequences for a time).

pub mod chain;
pub mod ops;
pub mod oracles;
pub mod seeds;

pub use chain::{Chain, Stats};
pub use ops::Op;
pub use oracles::{Failure, Oracles};

/// Runs `ops` from genesis, checking `oracles` after every block.
pub fn run_ops(ops: &[Op], oracles: Oracles) -> Result<Stats, Failure> {
	let mut ext = chain::new_externalities();
	ext.execute_with(|| {
		let mut chain = Chain::start(oracles)?;
		for op in ops {
			if chain.number() >= chain::MAX_BLOCKS {
				break;
			}
			chain.run(op)?;
		}
		chain.close_block()?;
		Ok(chain.stats)
	})
}

/// Runs the ops `input` encodes.
pub fn run_input(input: &[u8], oracles: Oracles) -> Result<Stats, Failure> {
	run_ops(&ops::decode(input), oracles)
}

/// `count` random ops from `seed` (the seeded mode).
pub fn random_ops(seed: u64, count: usize) -> Vec<Op> {
	let mut rng = ops::Rng::new(seed);
	(0..count).map(|_| Op::random(&mut rng)).collect()
}
