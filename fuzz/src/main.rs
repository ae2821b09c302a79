//! `ember-fuzz`: writes the seed corpus, replays inputs (crashes, regressions) and runs seeded
//! random op sequences for a while, printing what it covered.

use clap::{Parser, Subcommand};
use ember_fuzz::{ops, random_ops, run_input, run_ops, seeds, Oracles, Stats};
use std::{
	path::PathBuf,
	process::ExitCode,
	time::{Duration, Instant},
};

#[derive(Parser)]
#[command(about = "Fuzz the Ember runtime: seed corpus, replays and seeded runs")]
struct Cli {
	#[command(subcommand)]
	command: Command,
}

#[derive(Subcommand)]
enum Command {
	/// Writes the named seed inputs into DIR (the libFuzzer corpus).
	Seeds { dir: PathBuf },
	/// Runs each input file with every oracle; fails on the first that fails.
	Replay { files: Vec<PathBuf> },
	/// Runs random op sequences from consecutive seeds for SECONDS, with every oracle.
	Seeded {
		#[arg(long, default_value_t = 60)]
		seconds: u64,
		#[arg(long, default_value_t = 0)]
		first_seed: u64,
		#[arg(long, default_value_t = 200)]
		ops: usize,
	},
}

fn main() -> ExitCode {
	match Cli::parse().command {
		Command::Seeds { dir } => {
			if let Err(error) = std::fs::create_dir_all(&dir) {
				eprintln!("cannot create {}: {error}", dir.display());
				return ExitCode::FAILURE;
			}
			for (name, seed) in seeds::all() {
				let path = dir.join(name);
				if let Err(error) = std::fs::write(&path, ops::encode(&seed)) {
					eprintln!("cannot write {}: {error}", path.display());
					return ExitCode::FAILURE;
				}
				println!("{}", path.display());
			}
			ExitCode::SUCCESS
		}
		Command::Replay { files } => {
			for file in files {
				let input = match std::fs::read(&file) {
					Ok(input) => input,
					Err(error) => {
						eprintln!("cannot read {}: {error}", file.display());
						return ExitCode::FAILURE;
					}
				};
				match run_input(&input, Oracles::all()) {
					Ok(stats) => println!("{}: ok, {stats}", file.display()),
					Err(failure) => {
						eprintln!("{}: {failure}", file.display());
						return ExitCode::FAILURE;
					}
				}
			}
			ExitCode::SUCCESS
		}
		Command::Seeded { seconds, first_seed, ops } => {
			let start = Instant::now();
			let mut total = Stats::default();
			let mut seed = first_seed;
			while start.elapsed() < Duration::from_secs(seconds) {
				match run_ops(&random_ops(seed, ops), Oracles::all()) {
					Ok(stats) => total.add(&stats),
					Err(failure) => {
						eprintln!("seed {seed} ({ops} ops): {failure}");
						return ExitCode::FAILURE;
					}
				}
				seed += 1;
			}
			println!(
				"{} sequences of {ops} ops in {:.0} s: {total}",
				seed - first_seed,
				start.elapsed().as_secs_f64(),
			);
			ExitCode::SUCCESS
		}
	}
}
