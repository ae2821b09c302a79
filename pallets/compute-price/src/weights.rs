//! Weight functions of `pallet_compute_price`.
//!
//! The pallet is not in the runtime yet: its `SubstrateWeight` implementation will be generated
//! by `scripts/bench-weights.sh` (template `scripts/frame-weight-template.hbs`, which replaces
//! this file) from `benchmarking.rs` when it is wired in. Until then only the trait exists; the
//! unit tests' mock implements it.

use frame_support::weights::Weight;

/// Weight functions needed for `pallet_compute_price`.
pub trait WeightInfo {
	fn add_price() -> Weight;
	fn set_parameters() -> Weight;
	fn remove_price() -> Weight;
	fn on_initialize_idle() -> Weight;
	fn on_initialize_period(c: u32) -> Weight;
}
