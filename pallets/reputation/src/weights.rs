//! Replaced by `PALLETS=reputation scripts/bench-weights.sh`.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use frame_support::{traits::Get, weights::{Weight, constants::RocksDbWeight}};
use core::marker::PhantomData;

/// Weight functions needed for `pallet_reputation`.
pub trait WeightInfo {
	fn prune() -> Weight;
	fn on_challenge_outcome() -> Weight;
	fn on_slash() -> Weight;
}

impl WeightInfo for () {
	fn prune() -> Weight { RocksDbWeight::get().reads_writes(2, 1) }
	fn on_challenge_outcome() -> Weight { RocksDbWeight::get().reads_writes(4, 1) }
	fn on_slash() -> Weight { RocksDbWeight::get().reads_writes(1, 1) }
}
