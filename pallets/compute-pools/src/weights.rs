//! Bootstrap weights: replaced by `PALLETS=compute-pools scripts/bench-weights.sh`.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use frame_support::{traits::Get, weights::{Weight, constants::RocksDbWeight}};
use core::marker::PhantomData;

/// Weight functions needed for `pallet_compute_pools`.
pub trait WeightInfo {
	fn create_pool() -> Weight;
	fn set_parameters() -> Weight;
	fn stake_provide() -> Weight;
	fn stake_sell() -> Weight;
	fn renew_stake() -> Weight;
	fn claim_stake() -> Weight;
	fn buy_hours() -> Weight;
	fn sell_hours() -> Weight;
	fn redeem() -> Weight;
	fn post_connection() -> Weight;
	fn release_lease() -> Weight;
	fn end_lease() -> Weight;
	fn on_initialize_idle() -> Weight;
	fn on_initialize_epoch(p: u32, ) -> Weight;
	fn on_fault() -> Weight;
}

pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn create_pool() -> Weight { Weight::zero() }
	fn set_parameters() -> Weight { Weight::zero() }
	fn stake_provide() -> Weight { Weight::zero() }
	fn stake_sell() -> Weight { Weight::zero() }
	fn renew_stake() -> Weight { Weight::zero() }
	fn claim_stake() -> Weight { Weight::zero() }
	fn buy_hours() -> Weight { Weight::zero() }
	fn sell_hours() -> Weight { Weight::zero() }
	fn redeem() -> Weight { Weight::zero() }
	fn post_connection() -> Weight { Weight::zero() }
	fn release_lease() -> Weight { Weight::zero() }
	fn end_lease() -> Weight { Weight::zero() }
	fn on_initialize_idle() -> Weight { Weight::zero() }
	fn on_initialize_epoch(_p: u32, ) -> Weight { Weight::zero() }
	fn on_fault() -> Weight { Weight::zero() }
}

impl WeightInfo for () {
	fn create_pool() -> Weight { Weight::zero() }
	fn set_parameters() -> Weight { Weight::zero() }
	fn stake_provide() -> Weight { Weight::zero() }
	fn stake_sell() -> Weight { Weight::zero() }
	fn renew_stake() -> Weight { Weight::zero() }
	fn claim_stake() -> Weight { Weight::zero() }
	fn buy_hours() -> Weight { Weight::zero() }
	fn sell_hours() -> Weight { Weight::zero() }
	fn redeem() -> Weight { Weight::zero() }
	fn post_connection() -> Weight { Weight::zero() }
	fn release_lease() -> Weight { Weight::zero() }
	fn end_lease() -> Weight { Weight::zero() }
	fn on_initialize_idle() -> Weight { Weight::zero() }
	fn on_initialize_epoch(_p: u32, ) -> Weight { Weight::zero() }
	fn on_fault() -> Weight { Weight::zero() }
}
