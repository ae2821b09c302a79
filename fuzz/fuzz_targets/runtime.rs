//! libFuzzer entry point: every input is an op sequence; any oracle failure or panic is a crash
//! (`scripts/fuzz.sh`).
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| {
	if let Err(failure) = ember_fuzz::run_input(input, ember_fuzz::Oracles::all()) {
		panic!("oracle failed: {failure}");
	}
});
