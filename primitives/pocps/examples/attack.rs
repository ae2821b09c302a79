//! The keep-some-labels regeneration attack on one PoCPS lane, for the old (v1, uniform) and the
//! new (v2, DRSample) parent functions.
//!
//! An attacker stores only some labels of a lane and, when a storage challenge names a label it
//! dropped, regenerates it from the labels it kept. This example builds the real parent graph of
//! one lane (v1: `word mod index`, written here over the same `EMBPARNT` hash; v2: the crate's
//! [`ember_pocps::label::parent_indices`]) and, for two keeping strategies (every `s`-th label;
//! the `lane_len / s` most-used labels, by in-degree) and each `s` of `--keep`, measures:
//!
//! - the longest chain left: the longest path through dropped labels, which bounds the
//!   sequential hashing any regeneration needs (`depth[i] = 0` if kept, else
//!   `1 + max(depth[i-1], depth[parents])`);
//! - the mean depth of a challenged label and the sequential chain of a challenge, the expected
//!   maximum depth over its `--challenges` labels (each in its own lane, so they regenerate in
//!   parallel). Both are exact over every position of the lane, from the depth of every label
//!   (a challenged position is uniform), so they carry no sampling noise;
//! - the total work: the size of the closure of dropped ancestors of a challenged label
//!   (itself included when dropped), averaged over `--samples` positions drawn uniformly from a
//!   fixed-seed RNG (the same positions for every row), times the compressions per label and the
//!   labels per challenge.
//!
//! The attack takes the longer of the sequential time (chain × compressions per label × the
//! time of one SHA-NI compression) and the total-work time (compressions / a GPU's SHA-256
//! rate); `× window` compares it with the answer window.
//!
//! The tables in docs/pocps.md come from the `gpu-80g` lane of 2^25 labels (the default; about
//! 1.4 GB of memory and a few minutes on one core):
//!
//! ```text
//! cargo run --release -p ember-pocps --example attack -- --samples 64 --keep 2,4,8,16,64,256
//! ```
//!
//! `--lane-len 4096 --samples 64` is a quick sanity run.

// An offline analysis tool, not runtime code: plain indexing, arithmetic and unwrap are fine.
#![allow(
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects,
	clippy::unwrap_used,
	clippy::expect_used
)]

use std::time::Instant;

use clap::Parser;
use ember_pocps::{
	drsample_parent, label::parent_indices, params::MAX_PARENTS, Hash, Hasher, NativeSha256,
};

#[derive(Parser, Debug)]
#[command(about = "Simulates the keep-some-labels regeneration attack on one PoCPS lane")]
struct Args {
	/// Labels per lane (gpu-80g: 2^25).
	#[arg(long, default_value_t = 1 << 25)]
	lane_len: u32,
	/// Parents per label, besides the predecessor (1..=8).
	#[arg(long, default_value_t = 6)]
	parents: u32,
	/// SHA-256 iterations per label.
	#[arg(long, default_value_t = 256)]
	iterations: u32,
	/// Labels opened per storage challenge, each in its own lane.
	#[arg(long, default_value_t = 4)]
	challenges: u32,
	/// Challenged positions sampled for the total work.
	#[arg(long, default_value_t = 16)]
	samples: u32,
	/// Nanoseconds for one SHA-256 compression on one SHA-NI core.
	#[arg(long, default_value_t = 60.7)]
	sha_ns: f64,
	/// SHA-256 compressions per second of the attacker's GPU (an H100: 16.2e9).
	#[arg(long, default_value_t = 16.2e9)]
	gpu_hashes_per_second: f64,
	/// The answer window, in seconds.
	#[arg(long, default_value_t = 18.0)]
	window_seconds: f64,
	/// The encoding key, 64 hex digits (default: 32 bytes of 0x42).
	#[arg(long)]
	ek_hex: Option<String>,
	/// The lane simulated.
	#[arg(long, default_value_t = 0)]
	lane: u32,
	/// Keep one label in s, for each s listed.
	#[arg(long, value_delimiter = ',', default_value = "2,4,16,64,256")]
	keep: Vec<u32>,
	/// Seed of the RNG that draws the challenged positions.
	#[arg(long, default_value_t = 0x454d_4245_5201)]
	seed: u64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scheme {
	V1Uniform,
	V2DrSample,
}

impl Scheme {
	fn name(self) -> &'static str {
		match self {
			Scheme::V1Uniform => "v1 (uniform parents: word mod i)",
			Scheme::V2DrSample => "v2 (DRSample parents: drsample_parent(word, i))",
		}
	}
	fn short(self) -> &'static str {
		match self {
			Scheme::V1Uniform => "v1",
			Scheme::V2DrSample => "v2",
		}
	}
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Strategy {
	EveryS,
	MostUsed,
}

/// One row of a table.
struct Row {
	strategy: Strategy,
	s: u32,
	kept: u64,
	longest: u32,
	mean_depth: f64,
	chain_per_challenge: f64,
	mean_closure: f64,
}

/// SplitMix64: a small fixed-seed RNG, enough to draw challenged positions.
struct SplitMix64(u64);

impl SplitMix64 {
	fn next(&mut self) -> u64 {
		self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
		let mut z = self.0;
		z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
		z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
		z ^ (z >> 31)
	}
	/// Uniform in `[0, n)` (rejection sampling, no modulo bias).
	fn below(&mut self, n: u32) -> u32 {
		let n = u64::from(n);
		let zone = u64::MAX - u64::MAX % n;
		loop {
			let x = self.next();
			if x < zone {
				return (x % n) as u32;
			}
		}
	}
}

/// `SHA-256("EMBPARNT" ‖ ek ‖ lane ‖ index)`, the hash both parent functions read words from.
fn parent_digest(ek: &Hash, lane: u32, index: u32) -> Hash {
	let mut message = [0u8; 8 + 32 + 4 + 4];
	message[..8].copy_from_slice(b"EMBPARNT");
	message[8..40].copy_from_slice(ek);
	message[40..44].copy_from_slice(&lane.to_le_bytes());
	message[44..48].copy_from_slice(&index.to_le_bytes());
	NativeSha256::sha256(&message)
}

fn words(digest: &Hash) -> impl Iterator<Item = u32> + '_ {
	digest.chunks_exact(4).map(|w| u32::from_le_bytes(w.try_into().unwrap()))
}

/// The parents of every label of the lane, `d` per label, flat (label 0's row is unused).
fn build_parents(scheme: Scheme, ek: &Hash, lane: u32, n: u32, d: usize) -> Vec<u32> {
	let mut flat = vec![0u32; n as usize * d];
	let mut out = [0u32; MAX_PARENTS as usize];
	let started = Instant::now();
	for i in 1..n {
		let row = &mut flat[i as usize * d..(i as usize + 1) * d];
		match scheme {
			Scheme::V1Uniform => {
				let digest = parent_digest(ek, lane, i);
				for (slot, word) in row.iter_mut().zip(words(&digest)) {
					*slot = word % i;
				}
			}
			Scheme::V2DrSample => {
				let count = parent_indices::<NativeSha256>(ek, lane, i, d as u32, &mut out);
				assert_eq!(count, d);
				row.copy_from_slice(&out[..d]);
			}
		}
		if i.is_multiple_of(1 << 23) {
			eprintln!(
				"  {} parents: {:>5.1}% ({:.1} s)",
				scheme.short(),
				100.0 * f64::from(i) / f64::from(n),
				started.elapsed().as_secs_f64()
			);
		}
	}
	flat
}

/// Checks that the crate's v2 parents are `drsample_parent` of the very words v1 reduces modulo
/// the index, so the two schemes differ only in the mapping.
fn check_same_hash(ek: &Hash, lane: u32, n: u32, d: usize) {
	let mut out = [0u32; MAX_PARENTS as usize];
	for i in 1..n.min(2_000) {
		let count = parent_indices::<NativeSha256>(ek, lane, i, d as u32, &mut out);
		let digest = parent_digest(ek, lane, i);
		let ours: Vec<u32> = words(&digest).take(d).map(|w| drsample_parent(w, i)).collect();
		assert_eq!(&out[..count], ours.as_slice(), "parent hash differs at label {i}");
	}
}

/// Times each label is read to compute another: as predecessor and as parent (with repeats).
fn in_degrees(parents: &[u32], n: u32, d: usize) -> Vec<u32> {
	let mut degree = vec![0u32; n as usize];
	for i in 1..n as usize {
		degree[i - 1] += 1;
		for &p in &parents[i * d..(i + 1) * d] {
			degree[p as usize] += 1;
		}
	}
	degree
}

struct Bits(Vec<u64>);

impl Bits {
	fn new(n: u32) -> Self {
		Bits(vec![0u64; (n as usize).div_ceil(64)])
	}
	#[inline]
	fn get(&self, i: u32) -> bool {
		self.0[(i >> 6) as usize] >> (i & 63) & 1 == 1
	}
	#[inline]
	fn set(&mut self, i: u32) {
		self.0[(i >> 6) as usize] |= 1 << (i & 63);
	}
	fn count(&self) -> u64 {
		self.0.iter().map(|w| u64::from(w.count_ones())).sum()
	}
}

fn keep_every(n: u32, s: u32) -> Bits {
	let mut kept = Bits::new(n);
	for i in (0..n).step_by(s as usize) {
		kept.set(i);
	}
	kept
}

/// The `k` labels of highest in-degree, ties by lower index (a counting sort on the degree).
fn keep_most_used(degree: &[u32], k: u64) -> Bits {
	let n = degree.len() as u32;
	let mut kept = Bits::new(n);
	let max = degree.iter().copied().max().unwrap_or(0) as usize;
	let mut histogram = vec![0u64; max + 1];
	for &g in degree {
		histogram[g as usize] += 1;
	}
	// The threshold degree t: all labels above t are kept, and the first `at_threshold` at t.
	let mut remaining = k;
	let mut threshold = 0u32;
	let mut at_threshold = 0u64;
	for g in (0..=max).rev() {
		if histogram[g] >= remaining {
			threshold = g as u32;
			at_threshold = remaining;
			break;
		}
		remaining -= histogram[g];
	}
	for (i, &g) in degree.iter().enumerate() {
		if g > threshold {
			kept.set(i as u32);
		} else if g == threshold && at_threshold > 0 {
			kept.set(i as u32);
			at_threshold -= 1;
		}
	}
	kept
}

/// Fills `depth` (the longest chain of dropped labels ending at each label) and returns its
/// maximum.
fn depths(parents: &[u32], d: usize, kept: &Bits, depth: &mut [u32]) -> u32 {
	let mut longest = 0u32;
	for i in 0..depth.len() {
		if kept.get(i as u32) {
			depth[i] = 0;
			continue;
		}
		// Label 0's predecessor and parents are the lane seed, depth 0.
		let mut m = 0u32;
		if i > 0 {
			m = depth[i - 1];
			for &p in &parents[i * d..(i + 1) * d] {
				m = m.max(depth[p as usize]);
			}
		}
		depth[i] = m + 1;
		longest = longest.max(m + 1);
	}
	longest
}

/// The mean depth of a uniform position, and the expected maximum over `c` independent uniform
/// positions (`E[max] = Σ_v (1 − F(v)^c)`, `F` the empirical distribution of the depths).
fn depth_statistics(depth: &[u32], longest: u32, c: u32) -> (f64, f64) {
	let n = depth.len() as f64;
	let mut histogram = vec![0u32; longest as usize + 1];
	let mut sum = 0u64;
	for &x in depth {
		histogram[x as usize] += 1;
		sum += u64::from(x);
	}
	let mut expected_max = 0.0f64;
	let mut at_most = 0u64;
	for &count in &histogram[..longest as usize] {
		at_most += u64::from(count);
		expected_max += 1.0 - (at_most as f64 / n).powi(c as i32);
	}
	(sum as f64 / n, expected_max)
}

/// The size of the closure of dropped ancestors of each sample (itself included when dropped).
/// Equivalent to a search from each sample that stops at kept labels, done as one backward sweep
/// for up to 64 samples at once: `masks[i]` holds the samples whose closure contains label `i`;
/// every ancestor sits at a lower index, so a label's mask is final when the sweep reaches it.
fn closure_sizes(
	parents: &[u32],
	d: usize,
	kept: &Bits,
	samples: &[u32],
	masks: &mut [u64],
) -> Vec<u64> {
	let mut sizes = vec![0u64; samples.len()];
	for (chunk_index, chunk) in samples.chunks(64).enumerate() {
		let base = chunk_index * 64;
		let mut top = 0usize;
		for (j, &x) in chunk.iter().enumerate() {
			if !kept.get(x) {
				masks[x as usize] |= 1 << j;
				top = top.max(x as usize + 1);
			}
		}
		for i in (0..top).rev() {
			let m = masks[i];
			if m == 0 {
				continue;
			}
			masks[i] = 0;
			let mut bits = m;
			while bits != 0 {
				sizes[base + bits.trailing_zeros() as usize] += 1;
				bits &= bits - 1;
			}
			if i > 0 {
				if !kept.get(i as u32 - 1) {
					masks[i - 1] |= m;
				}
				for &p in &parents[i * d..(i + 1) * d] {
					if !kept.get(p) {
						masks[p as usize] |= m;
					}
				}
			}
		}
	}
	sizes
}

/// `2nd`, `16th`.
fn ordinal(x: u32) -> String {
	let suffix = match (x % 10, x % 100) {
		(_, 11..=13) => "th",
		(1, _) => "st",
		(2, _) => "nd",
		(3, _) => "rd",
		_ => "th",
	};
	format!("{x}{suffix}")
}

/// `1,234,567`.
fn commas(x: u64) -> String {
	let digits = x.to_string();
	let mut out = String::new();
	for (k, ch) in digits.chars().enumerate() {
		if k > 0 && (digits.len() - k).is_multiple_of(3) {
			out.push(',');
		}
		out.push(ch);
	}
	out
}

/// A count: one decimal below 100, commas below 10^7, else `2.9e10`.
fn count(x: f64) -> String {
	if x < 100.0 {
		format!("{x:.1}")
	} else if x < 1e7 {
		commas(x.round() as u64)
	} else {
		format!("{x:.2e}")
	}
}

fn duration(seconds: f64) -> String {
	const MINUTE: f64 = 60.0;
	const HOUR: f64 = 3_600.0;
	const DAY: f64 = 86_400.0;
	const YEAR: f64 = 365.25 * DAY;
	if seconds == 0.0 {
		"0".to_string()
	} else if seconds < 1e-3 {
		format!("{:.1} µs", seconds * 1e6)
	} else if seconds < 1.0 {
		format!("{:.1} ms", seconds * 1e3)
	} else if seconds < 2.0 * MINUTE {
		format!("{seconds:.1} s")
	} else if seconds < 2.0 * HOUR {
		format!("{:.1} min", seconds / MINUTE)
	} else if seconds < 2.0 * DAY {
		format!("{:.1} h", seconds / HOUR)
	} else if seconds < YEAR {
		format!("{:.1} days", seconds / DAY)
	} else {
		format!("{} years", count(seconds / YEAR))
	}
}

fn ratio(x: f64) -> String {
	if x == 0.0 {
		"0×".to_string()
	} else if x < 0.01 {
		format!("{x:.1e}×")
	} else if x < 10.0 {
		format!("{x:.2}×")
	} else {
		format!("{}×", count(x))
	}
}

fn main() {
	let args = Args::parse();
	let n = args.lane_len;
	assert!(n >= 2, "--lane-len must be at least 2");
	assert!((1..=MAX_PARENTS).contains(&args.parents), "--parents must be in 1..=8");
	assert!(args.iterations >= 1 && args.challenges >= 1 && args.samples >= 1);
	assert!(args.keep.iter().all(|&s| s >= 1), "--keep values must be at least 1");
	let d = args.parents as usize;
	let ek: Hash = match &args.ek_hex {
		Some(text) => hex::decode(text.trim_start_matches("0x"))
			.expect("--ek-hex is not hex")
			.try_into()
			.expect("--ek-hex must be 32 bytes"),
		None => [0x42; 32],
	};
	let first_blocks = (48 + 32 * (1 + args.parents) + 9).div_ceil(64);
	let cost = args.iterations - 1 + first_blocks;
	let mut rng = SplitMix64(args.seed);
	let samples: Vec<u32> = (0..args.samples).map(|_| rng.below(n)).collect();

	println!("# Keep-some-labels regeneration attack, one lane\n");
	println!(
		"- lane: {} labels (lane {}), {} parents + predecessor",
		commas(n.into()),
		args.lane,
		d
	);
	println!("- encoding key: {}", hex::encode(ek));
	println!(
		"- compressions per label: {} = {} iterations − 1 + {} blocks of the first message",
		cost, args.iterations, first_blocks
	);
	println!(
		"- challenge: {} labels in {} lanes; {} sampled positions (seed {:#x}) for the total work",
		args.challenges, args.challenges, args.samples, args.seed
	);
	println!(
		"- sequential: {} ns per compression (one SHA-NI core); total work: {:.3e} \
		 compressions/s (GPU); window: {} s",
		args.sha_ns, args.gpu_hashes_per_second, args.window_seconds
	);
	println!("- keep one label in s for s in {:?}\n", args.keep);

	let all = Instant::now();
	check_same_hash(&ek, args.lane, n, d);
	let mut depth = vec![0u32; n as usize];
	let mut masks = vec![0u64; n as usize];
	for scheme in [Scheme::V1Uniform, Scheme::V2DrSample] {
		let started = Instant::now();
		let parents = build_parents(scheme, &ek, args.lane, n, d);
		eprintln!("{}: parents in {:.1} s", scheme.short(), started.elapsed().as_secs_f64());
		let started = Instant::now();
		let degree = in_degrees(&parents, n, d);
		eprintln!("{}: in-degrees in {:.1} s", scheme.short(), started.elapsed().as_secs_f64());
		let mut rows = Vec::new();
		for strategy in [Strategy::EveryS, Strategy::MostUsed] {
			for &s in &args.keep {
				let started = Instant::now();
				let budget = u64::from(n.div_ceil(s));
				let kept = match strategy {
					Strategy::EveryS => keep_every(n, s),
					Strategy::MostUsed => keep_most_used(&degree, budget),
				};
				let longest = depths(&parents, d, &kept, &mut depth);
				let (mean_depth, chain_per_challenge) =
					depth_statistics(&depth, longest, args.challenges);
				let after_depth = started.elapsed().as_secs_f64();
				let sizes = closure_sizes(&parents, d, &kept, &samples, &mut masks);
				let mean_closure = sizes.iter().sum::<u64>() as f64 / sizes.len() as f64;
				// The sampled counterparts of the exact depth columns, for comparison.
				let sampled: Vec<u32> = samples.iter().map(|&x| depth[x as usize]).collect();
				let sampled_mean =
					sampled.iter().map(|&x| f64::from(x)).sum::<f64>() / sampled.len() as f64;
				let groups: Vec<u32> = sampled
					.chunks_exact(args.challenges as usize)
					.map(|g| g.iter().copied().max().unwrap_or(0))
					.collect();
				let group_max =
					groups.iter().map(|&x| f64::from(x)).sum::<f64>() / groups.len().max(1) as f64;
				eprintln!(
					"{} {:>9} 1/{:<4} depth {:.1} s, closure {:.1} s; longest {}, sampled mean \
					 depth {:.1} (exact {:.1}), mean of {} group maxima {:.1} (exact {:.1}), \
					 mean closure {:.1}",
					scheme.short(),
					if strategy == Strategy::EveryS { "every" } else { "most-used" },
					s,
					after_depth,
					started.elapsed().as_secs_f64() - after_depth,
					longest,
					sampled_mean,
					mean_depth,
					groups.len(),
					group_max,
					chain_per_challenge,
					mean_closure
				);
				rows.push(Row {
					strategy,
					s,
					kept: kept.count(),
					longest,
					mean_depth,
					chain_per_challenge,
					mean_closure,
				});
			}
		}
		drop(parents);
		print_table(scheme, &rows, n, cost, &args);
	}
	eprintln!("total {:.1} s", all.elapsed().as_secs_f64());
}

fn print_table(scheme: Scheme, rows: &[Row], n: u32, cost: u32, args: &Args) {
	println!("## {}\n", scheme.name());
	println!(
		"| strategy | kept | longest chain left (labels) | mean depth of a challenged label | \
		 sequential chain per challenge (labels) | compressions per challenge | sequential \
		 time | total-work time | × window |"
	);
	println!("|---|---|---|---|---|---|---|---|---|");
	for row in rows {
		let strategy = match row.strategy {
			Strategy::EveryS => format!("every {}", ordinal(row.s)),
			Strategy::MostUsed => format!("most-used 1/{}", row.s),
		};
		let compressions = f64::from(args.challenges) * row.mean_closure * f64::from(cost);
		let sequential = row.chain_per_challenge * f64::from(cost) * args.sha_ns * 1e-9;
		let total = compressions / args.gpu_hashes_per_second;
		let attack = sequential.max(total);
		println!(
			"| {} | {} | {} ({:.1}%) | {} | {} | {} | {} | {} | {} |",
			strategy,
			commas(row.kept),
			commas(row.longest.into()),
			100.0 * f64::from(row.longest) / f64::from(n),
			count(row.mean_depth),
			count(row.chain_per_challenge),
			count(compressions),
			duration(sequential),
			duration(total),
			ratio(attack / args.window_seconds)
		);
	}
	println!(
		"\nDepth columns exact over all {} positions; the sequential chain is the expected \
		 maximum depth of {} uniform positions. Compressions: {} × the mean closure of dropped \
		 ancestors over {} sampled positions × {} per label.\n",
		commas(n.into()),
		args.challenges,
		args.challenges,
		args.samples,
		cost
	);
}
