//! Test runtime: frame-system and the compute price, with an hour of 10 blocks and a band window
//! of 24 periods.

#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

use crate::{self as pallet_compute_price, *};
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, Hooks},
};
use frame_system::EnsureRoot;
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Test;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type ComputePrice = pallet_compute_price;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

/// Blocks per period in the mock.
pub const PERIOD: u64 = 10;

parameter_types! {
	pub const PeriodBlocks: u64 = PERIOD;
	pub const MaxStep: Perbill = Perbill::from_percent(12);
	pub const Inertia: Perbill = Perbill::from_percent(30);
	pub const Band: Permill = Permill::from_percent(10);
}

impl Config for Test {
	type AdminOrigin = EnsureRoot<u64>;
	type PeriodBlocks = PeriodBlocks;
	type WindowPeriods = ConstU32<24>;
	type MaxStep = MaxStep;
	type Inertia = Inertia;
	type Band = Band;
	type MaxClasses = ConstU32<4>;
	type OnPayment = ();
	type WeightInfo = ();
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	let storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Runs `test`, then checks the pallet's invariants.
pub fn build_and_execute(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		ComputePrice::do_try_state().unwrap();
	});
}

/// Advances to the next period boundary, running the hook there.
pub fn next_period() {
	let now = System::block_number();
	let boundary = (now / PERIOD + 1) * PERIOD;
	System::set_block_number(boundary);
	ComputePrice::on_initialize(boundary);
}
