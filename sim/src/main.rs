//! `ember-sim`: runs the experiments of [`ember_sim::market`] and writes CSV and PNG plots
//! (docs/economics.md shows them).

use anyhow::Result;
use clap::{Parser, Subcommand};
use ember_sim::{
	market::{self, Model},
	report,
};
use std::{path::PathBuf, sync::mpsc, thread};

#[derive(Parser)]
#[command(version, about = "Ember's economic simulator over the real runtime")]
struct Cli {
	/// Where CSV and PNG files go.
	#[arg(long, default_value = "target/sim")]
	out: PathBuf,
	/// Parallel runs (at most one per core helps).
	#[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=64))]
	jobs: u32,
	#[command(subcommand)]
	experiment: Experiment,
}

#[derive(Subcommand)]
enum Experiment {
	/// The base price over `hours` hours of demand shocks, per seed: the 24-hour swing.
	Price {
		#[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..))]
		seeds: u64,
		#[arg(long, default_value_t = 720, value_parser = clap::value_parser!(u32).range(48..))]
		hours: u32,
	},
	/// Survival probability against monthly demand growth.
	Survival {
		#[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..))]
		seeds: u64,
		#[arg(long, default_value_t = 24, value_parser = clap::value_parser!(u32).range(1..=120))]
		months: u32,
		/// Monthly growth rates to try, as fractions.
		#[arg(long, value_delimiter = ',', default_value = "0,0.04,0.08,0.12,0.16,0.20")]
		growth: Vec<f64>,
	},
	/// The base price under steady demand at target against the same and larger demand
	/// arriving once a day.
	Batched {
		#[arg(long, default_value_t = 28, value_parser = clap::value_parser!(u32).range(2..=29))]
		days: u32,
	},
	/// A stake's result against its length, from T_min to `max` epochs.
	Stakes {
		#[arg(long, default_value_t = 36, value_parser = clap::value_parser!(u32).range(13..=720))]
		max: u32,
	},
}

/// Runs `job` over `inputs` on `jobs` threads, keeping the input order.
fn parallel<I, O>(inputs: Vec<I>, jobs: u32, job: fn(&I) -> Result<O>) -> Result<Vec<O>>
where
	I: Send + Sync,
	O: Send,
{
	let (sender, receiver) = mpsc::channel();
	let next = std::sync::atomic::AtomicUsize::new(0);
	thread::scope(|scope| {
		for _ in 0..jobs {
			let sender = sender.clone();
			let (inputs, next) = (&inputs, &next);
			scope.spawn(move || loop {
				let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
				let Some(input) = inputs.get(index) else { break };
				if sender.send((index, job(input))).is_err() {
					break;
				}
			});
		}
	});
	drop(sender);
	let mut results: Vec<(usize, Result<O>)> = receiver.into_iter().collect();
	results.sort_by_key(|(index, _)| *index);
	results.into_iter().map(|(_, result)| result).collect()
}

fn main() -> Result<()> {
	tracing_subscriber::fmt().with_env_filter("ember_sim=info,warn").with_target(false).init();
	let cli = Cli::parse();
	std::fs::create_dir_all(&cli.out)?;
	report::load_font()?;
	match cli.experiment {
		Experiment::Price { seeds, hours } => {
			let inputs: Vec<(u64, u32)> = (0..seeds).map(|seed| (seed, hours)).collect();
			let runs = parallel(inputs, cli.jobs, |(seed, hours)| {
				market::price_run(&Model::default(), *seed, *hours)
			})?;
			for (seed, run) in runs.iter().enumerate() {
				tracing::info!(seed, swing = market::worst_daily_swing(run), "price run");
			}
			let swings: Vec<f64> = runs.iter().map(|r| market::worst_daily_swing(r)).collect();
			let worst = swings.iter().copied().fold(0.0, f64::max);
			println!(
				"price: {seeds} seeds × {hours} h; worst 24-hour max/min − 1 = {:.2} %",
				worst * 100.0
			);
			report::csv(&cli.out.join("price.csv"), &runs.concat())?;
			if let Some(first) = runs.first() {
				report::price_plot(&cli.out.join("price.png"), first)?;
			}
		}
		Experiment::Survival { seeds, months, growth } => {
			let inputs: Vec<Model> = growth
				.iter()
				.flat_map(|&g| (0..seeds).map(move |_| g))
				.map(|growth| Model { growth, months, ..Model::default() })
				.collect();
			let seeded: Vec<(Model, u64)> =
				inputs.into_iter().enumerate().map(|(i, m)| (m, i as u64 % seeds)).collect();
			let runs = parallel(seeded, cli.jobs, |(model, seed)| {
				let (months, _) = market::survival_run(model, *seed)?;
				tracing::info!(
					growth = model.growth,
					seed,
					miners = months.last().map(|m| m.miners),
					"survival run"
				);
				Ok((model.clone(), months))
			})?;
			let mut curve = Vec::new();
			for &g in &growth {
				let of_rate: Vec<_> = runs.iter().filter(|(m, _)| m.growth == g).collect();
				let alive =
					of_rate.iter().filter(|(m, months)| market::survived(m, months)).count();
				let share = alive as f64 / of_rate.len().max(1) as f64;
				println!(
					"survival: growth {:>4.0} %/month: {alive}/{} runs survived ({:.0} %)",
					g * 100.0,
					of_rate.len(),
					share * 100.0
				);
				curve.push((g, share));
			}
			let records: Vec<_> = runs.iter().flat_map(|(_, months)| months.clone()).collect();
			report::csv(&cli.out.join("survival-months.csv"), &records)?;
			report::csv(&cli.out.join("survival.csv"), &curve)?;
			report::survival_plot(&cli.out.join("survival.png"), &curve)?;
			let sample: Vec<_> = runs
				.iter()
				.filter(|(m, _)| growth.get(growth.len() / 2) == Some(&m.growth))
				.map(|(_, months)| months.clone())
				.collect();
			report::runs_plot(&cli.out.join("survival-runs.png"), &sample)?;
		}
		Experiment::Batched { days } => {
			use market::Arrival;
			let inputs = vec![
				(Arrival::Steady, 0, days),
				(Arrival::Daily { factor: 1 }, 1, days),
				(Arrival::Daily { factor: 3 }, 3, days),
				(Arrival::Daily { factor: 10 }, 10, days),
			];
			let runs = parallel(inputs, cli.jobs, |(arrival, seed, days)| {
				market::batched_run(*arrival, *seed, *days)
			})?;
			for run in &runs {
				let (first, last) = (run.first(), run.last());
				if let (Some(first), Some(last)) = (first, last) {
					let label = if last.seed == 0 {
						"steady 1×".into()
					} else {
						format!("daily {}×", last.seed)
					};
					println!(
						"batched: {label:<10} {:.4} → {:.4} EMB per hour after {days} days ({:+.1} %)",
						first.base_price,
						last.base_price,
						(last.base_price / first.base_price - 1.0) * 100.0
					);
				}
			}
			report::csv(&cli.out.join("batched.csv"), &runs.concat())?;
			report::batched_plot(&cli.out.join("batched.png"), &runs)?;
		}
		Experiment::Stakes { max } => {
			let t_min = 12u32;
			let lengths: Vec<u32> = (t_min - 1..=max).collect();
			let results = parallel(lengths.clone(), cli.jobs, |epochs| {
				Ok(market::stake_result(*epochs).map_err(|e| e.to_string()))
			})?;
			let mut rows = Vec::new();
			for (epochs, result) in lengths.iter().zip(results) {
				match result {
					Ok(net) => {
						println!("stakes: {epochs:>3} epochs: {:+.6} EMB", net as f64 / 1e12);
						rows.push((*epochs, net as f64 / 1e12));
					}
					Err(refusal) => println!("stakes: {epochs:>3} epochs: refused ({refusal})"),
				}
			}
			report::csv(&cli.out.join("stakes.csv"), &rows)?;
		}
	}
	Ok(())
}
