//! Test runtime: frame-system and reputation, with the registry, PoCPS's record and the stakes
//! mocked by thread-local tables. A decay period is 100 blocks.

#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

use crate::{self as pallet_reputation, *};
use ember_primitives::{ChallengePolicy, ChallengeRecord, ClassId, DeviceStatus};
use frame_support::{derive_impl, parameter_types};
use sp_runtime::BuildStorage;
use std::{cell::RefCell, collections::BTreeMap};

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
	pub type Reputation = pallet_reputation;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

thread_local! {
	pub static DEVICES: RefCell<BTreeMap<DeviceId, u64>> = const { RefCell::new(BTreeMap::new()) };
	pub static RECORDS: RefCell<BTreeMap<DeviceId, ChallengeRecord>> = const { RefCell::new(BTreeMap::new()) };
	pub static STAKED: RefCell<BTreeMap<DeviceId, bool>> = const { RefCell::new(BTreeMap::new()) };
}

pub struct MockDevices;
impl DeviceInspect<u64> for MockDevices {
	fn owner(device: DeviceId) -> Option<u64> {
		DEVICES.with(|d| d.borrow().get(&device).copied())
	}
	fn class(_: DeviceId) -> Option<ClassId> {
		Some(0)
	}
	fn status(device: DeviceId) -> Option<DeviceStatus> {
		Self::owner(device).map(|_| DeviceStatus::Active)
	}
	fn device_key(_: DeviceId) -> Option<[u8; 32]> {
		None
	}
	fn challenge_policy(_: DeviceId) -> Option<ChallengePolicy> {
		None
	}
}

pub struct MockHistory;
impl ChallengeHistory for MockHistory {
	fn record(device: DeviceId) -> ChallengeRecord {
		RECORDS.with(|r| r.borrow().get(&device).copied().unwrap_or_default())
	}
}

pub struct MockStakes;
impl StakeInspect for MockStakes {
	fn is_staked(device: DeviceId) -> bool {
		STAKED.with(|s| s.borrow().get(&device).copied().unwrap_or(false))
	}
}

/// Blocks in a decay period in the mock.
pub const WEEK: u64 = 100;

parameter_types! {
	pub const DecayPeriod: u64 = WEEK;
	pub const WeeklyDecay: Perbill = Perbill::from_percent(5);
	pub const Smoothing: Perbill = Perbill::from_percent(20);
}

impl Config for Test {
	type Devices = MockDevices;
	type History = MockHistory;
	type Stakes = MockStakes;
	type DecayPeriod = DecayPeriod;
	type WeeklyDecay = WeeklyDecay;
	type Smoothing = Smoothing;
	type WeightInfo = ();
}

/// Registers `device` for `owner` in the mocked registry.
pub fn register(device: DeviceId, owner: u64) {
	DEVICES.with(|d| d.borrow_mut().insert(device, owner));
}

/// Records one more outcome for `device` in the mocked PoCPS and tells the pallet.
pub fn outcome(device: DeviceId, outcome: ChallengeOutcome, latency: Perbill) {
	RECORDS.with(|r| {
		let mut records = r.borrow_mut();
		let record = records.entry(device).or_default();
		match outcome {
			ChallengeOutcome::Success => {
				record.answered += 1;
				record.last_latency = latency;
			}
			ChallengeOutcome::Fault => record.missed += 1,
			ChallengeOutcome::InvalidProof => record.invalid += 1,
		}
	});
	Reputation::on_challenge_outcome(device, &1, 0, outcome);
}

/// Runs `test` in a fresh state, then checks the pallet's invariants.
pub fn build_and_execute(test: impl FnOnce()) {
	DEVICES.with(|d| d.borrow_mut().clear());
	RECORDS.with(|r| r.borrow_mut().clear());
	STAKED.with(|s| s.borrow_mut().clear());
	let storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		test();
		Reputation::do_try_state().unwrap();
	});
}

/// A fresh state for the benchmark test suite.
#[cfg(feature = "runtime-benchmarks")]
pub fn new_bench_ext() -> sp_io::TestExternalities {
	frame_system::GenesisConfig::<Test>::default().build_storage().unwrap().into()
}
