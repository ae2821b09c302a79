//! Test runtime: frame-system and PoCPS, with the device registry, randomness and the outcome
//! listener mocked.

// Test and benchmark code: panics and plain arithmetic are how it fails.
#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

use crate::{self as pallet_pocps, *};
use ember_primitives::{ChallengePolicy, ClassId, DeviceStatus};
use frame_support::{derive_impl, traits::ConstU32};
use sp_runtime::{BuildStorage, DispatchResult};
use std::{cell::RefCell, collections::BTreeMap};

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = u64;

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
	pub type Pocps = pallet_pocps;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

/// A device as the mocked registry knows it.
#[derive(Clone)]
pub struct MockDevice {
	pub owner: AccountId,
	pub status: DeviceStatus,
	pub key: [u8; 32],
	pub class: ClassId,
	pub params: ember_pocps::Params,
	pub deadline: u32,
	/// The class's challenge interval bounds.
	pub intervals: (u32, u32),
}

pub const PARAMS: ember_pocps::Params =
	ember_pocps::Params { lanes: 4, lane_len: 64, parents: 3, iterations: 2, challenges: 4 };
pub const DEADLINE: u32 = 4;

thread_local! {
	pub static DEVICES: RefCell<BTreeMap<DeviceId, MockDevice>> = const { RefCell::new(BTreeMap::new()) };
	pub static OUTCOMES: RefCell<Vec<(DeviceId, ChallengeId, ChallengeOutcome)>> = const { RefCell::new(Vec::new()) };
}

pub struct MockDevices;

impl MockDevices {
	pub fn add(device: DeviceId, owner: AccountId, status: DeviceStatus) {
		Self::add_with(device, owner, status, PARAMS, DEADLINE);
	}
	pub fn add_with(
		device: DeviceId,
		owner: AccountId,
		status: DeviceStatus,
		params: ember_pocps::Params,
		deadline: u32,
	) {
		let key = [device as u8 + 1; 32];
		let intervals = (MIN_CHALLENGE_INTERVAL, MAX_CHALLENGE_INTERVAL);
		let dev = MockDevice { owner, status, key, class: 0, params, deadline, intervals };
		DEVICES.with(|d| d.borrow_mut().insert(device, dev));
	}
	pub fn remove_class(device: DeviceId) {
		DEVICES.with(|d| d.borrow_mut().get_mut(&device).unwrap().class = ClassId::MAX);
	}
	/// Moves the device to another class (of the same parameters).
	pub fn set_class(device: DeviceId, class: ClassId) {
		DEVICES.with(|d| d.borrow_mut().get_mut(&device).unwrap().class = class);
	}
	/// Changes the device class's parameters (a class update).
	pub fn set_params(device: DeviceId, params: ember_pocps::Params) {
		DEVICES.with(|d| d.borrow_mut().get_mut(&device).unwrap().params = params);
	}
	/// Sets the device class's challenge interval (both bounds).
	pub fn set_interval(device: DeviceId, interval: u32) {
		DEVICES.with(|d| d.borrow_mut().get_mut(&device).unwrap().intervals = (interval, interval));
	}
	pub fn remove(device: DeviceId) {
		DEVICES.with(|d| d.borrow_mut().remove(&device));
	}
	pub fn set_status(device: DeviceId, status: DeviceStatus) {
		DEVICES.with(|d| d.borrow_mut().get_mut(&device).unwrap().status = status);
	}
	fn get(device: DeviceId) -> Option<MockDevice> {
		DEVICES.with(|d| d.borrow().get(&device).cloned())
	}
	fn transition(
		device: DeviceId,
		allowed: fn(DeviceStatus) -> bool,
		to: DeviceStatus,
	) -> DispatchResult {
		DEVICES.with(|d| {
			let mut devices = d.borrow_mut();
			let dev = devices.get_mut(&device).ok_or("unknown device")?;
			if !allowed(dev.status) {
				return Err("invalid transition".into());
			}
			dev.status = to;
			Ok(())
		})
	}
}

impl DeviceInspect<AccountId> for MockDevices {
	fn owner(device: DeviceId) -> Option<AccountId> {
		Self::get(device).map(|d| d.owner)
	}
	fn class(device: DeviceId) -> Option<ClassId> {
		Self::get(device).map(|d| d.class)
	}
	fn status(device: DeviceId) -> Option<DeviceStatus> {
		Self::get(device).map(|d| d.status)
	}
	fn device_key(device: DeviceId) -> Option<[u8; 32]> {
		Self::get(device).map(|d| d.key)
	}
	fn challenge_policy(device: DeviceId) -> Option<ChallengePolicy> {
		// Class `ClassId::MAX` stands for a class that was removed.
		Self::get(device).filter(|d| d.class != ClassId::MAX).map(|d| ChallengePolicy {
			params: d.params,
			response_deadline: d.deadline,
			min_interval: d.intervals.0,
			max_interval: d.intervals.1,
		})
	}
}

impl DeviceLifecycle for MockDevices {
	fn note_sealed(device: DeviceId) -> DispatchResult {
		Self::transition(device, |s| s != DeviceStatus::Retired, DeviceStatus::Sealed)
	}
	fn note_proven(device: DeviceId) -> DispatchResult {
		Self::transition(device, |s| s.is_challengeable(), DeviceStatus::Active)
	}
	fn note_faulted(device: DeviceId) -> DispatchResult {
		Self::transition(device, |s| s.is_challengeable(), DeviceStatus::Suspended)
	}
}

pub struct RecordOutcomes;
impl OnChallengeOutcome<AccountId> for RecordOutcomes {
	fn on_challenge_outcome(
		device: DeviceId,
		_: &AccountId,
		challenge: ChallengeId,
		outcome: ChallengeOutcome,
	) {
		OUTCOMES.with(|o| o.borrow_mut().push((device, challenge, outcome)));
	}

	fn outcome_weight() -> Weight {
		Weight::zero()
	}
}

pub fn outcomes() -> Vec<(DeviceId, ChallengeId, ChallengeOutcome)> {
	OUTCOMES.with(|o| o.borrow().clone())
}

/// Randomness that changes every block, as BABE's does.
pub struct BlockRandomness;
impl frame_support::traits::Randomness<Option<sp_core::H256>, u64> for BlockRandomness {
	fn random(subject: &[u8]) -> (Option<sp_core::H256>, u64) {
		let block = System::block_number();
		(Some(sp_io::hashing::blake2_256(&(subject, block).encode()).into()), block)
	}
}

#[cfg(feature = "runtime-benchmarks")]
pub struct MockBenchmarkHelper;
#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for MockBenchmarkHelper {
	fn device(
		owner: AccountId,
		params: ember_pocps::Params,
		deadline: u32,
	) -> (DeviceId, [u8; 32]) {
		let device = DEVICES.with(|d| d.borrow().len() as DeviceId);
		MockDevices::add_with(device, owner, DeviceStatus::Registered, params, deadline);
		(device, [device as u8 + 1; 32])
	}
}

/// The mock class's challenge interval: a challenge every 10 blocks on average.
pub const MIN_CHALLENGE_INTERVAL: u32 = 5;
pub const MAX_CHALLENGE_INTERVAL: u32 = 15;

impl Config for Test {
	type Devices = MockDevices;
	type Randomness = BlockRandomness;
	type OnOutcome = RecordOutcomes;
	type MaxChallengesPerBlock = ConstU32<4>;
	// One answer per block: with one challenge every 10 blocks per device, room for 10 devices.
	type AnswersPerBlock = ConstU32<1>;
	type MaxIterations = ConstU32<64>;
	type MaxResponseDeadline = ConstU32<8>;
	type MaxClasses = ConstU32<2>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockBenchmarkHelper;
}

pub const ALICE: AccountId = 1;
pub const BOB: AccountId = 2;

pub struct ExtBuilder;

impl ExtBuilder {
	pub fn build() -> sp_io::TestExternalities {
		DEVICES.with(|d| d.borrow_mut().clear());
		OUTCOMES.with(|o| o.borrow_mut().clear());
		let storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
		let mut ext = sp_io::TestExternalities::new(storage);
		ext.execute_with(|| System::set_block_number(1));
		ext
	}

	/// Runs `test`, then checks the pallet's invariants.
	pub fn build_and_execute(test: impl FnOnce()) {
		Self::build().execute_with(|| {
			test();
			Pocps::do_try_state().unwrap();
		})
	}
}

/// Advances to block `n`, running the pallet's hooks.
pub fn run_to_block(n: u64) {
	System::run_to_block::<AllPalletsWithSystem>(n);
}
