//! libFuzzer entry point: every input is an op sequence; any oracle failure or panic is a crash
//! (`scripts/fuzz.sh`). Every 50 inputs the harness's running totals go to `$EMBER_FUZZ_STATS`
//! (libFuzzer counts inputs, not blocks or calls).
#![no_main]

use std::sync::{Mutex, OnceLock};

static TOTALS: Mutex<(u64, ember_fuzz::Stats)> = Mutex::new((0, ember_fuzz::Stats::ZERO));
static STATS_FILE: OnceLock<Option<String>> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|input: &[u8]| {
	let stats = match ember_fuzz::run_input(input, ember_fuzz::Oracles::all()) {
		Ok(stats) => stats,
		Err(failure) => panic!("oracle failed: {failure}"),
	};
	let Ok(mut totals) = TOTALS.lock() else { return };
	totals.0 += 1;
	totals.1.add(&stats);
	if totals.0 % 50 == 0 {
		if let Some(path) = STATS_FILE.get_or_init(|| std::env::var("EMBER_FUZZ_STATS").ok()) {
			let _ = std::fs::write(path, format!("inputs {} {}\n", totals.0, totals.1));
		}
	}
});
