//! Replaced by `PALLETS=slashing scripts/bench-weights.sh`.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use frame_support::{traits::Get, weights::{Weight, constants::RocksDbWeight}};
use core::marker::PhantomData;

/// Weight functions needed for `pallet_slashing`.
pub trait WeightInfo {
	fn report() -> Weight;
	fn cancel() -> Weight;
	fn set_split() -> Weight;
	fn prune() -> Weight;
	fn on_initialize(n: u32, ) -> Weight;
	fn on_challenge_outcome() -> Weight;
}

impl WeightInfo for () {
	fn report() -> Weight { RocksDbWeight::get().reads_writes(5, 4) }
	fn cancel() -> Weight { RocksDbWeight::get().reads_writes(3, 3) }
	fn set_split() -> Weight { RocksDbWeight::get().writes(1) }
	fn prune() -> Weight { RocksDbWeight::get().reads_writes(2, 2) }
	fn on_initialize(n: u32, ) -> Weight { RocksDbWeight::get().reads_writes(u64::from(n).saturating_mul(8), u64::from(n).saturating_mul(8)) }
	fn on_challenge_outcome() -> Weight { RocksDbWeight::get().reads_writes(6, 5) }
}
