//! Replaced by `PALLETS=issuance scripts/bench-weights.sh`.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use frame_support::{traits::Get, weights::{Weight, constants::RocksDbWeight}};
use core::marker::PhantomData;

/// Weight functions needed for `pallet_issuance`.
pub trait WeightInfo {
	fn set_parameters() -> Weight;
	fn set_recipients(r: u32, ) -> Weight;
	fn on_initialize_idle() -> Weight;
	fn on_initialize_period(r: u32, v: u32, ) -> Weight;
	fn on_initialize_day() -> Weight;
}

impl WeightInfo for () {
	fn set_parameters() -> Weight { RocksDbWeight::get().writes(1) }
	fn set_recipients(_r: u32, ) -> Weight { RocksDbWeight::get().writes(1) }
	fn on_initialize_idle() -> Weight { Weight::zero() }
	fn on_initialize_period(r: u32, v: u32, ) -> Weight { RocksDbWeight::get().reads_writes(u64::from(r.saturating_add(v)).saturating_mul(4), u64::from(r.saturating_add(v)).saturating_mul(3)) }
	fn on_initialize_day() -> Weight { RocksDbWeight::get().reads_writes(8, 6) }
}
