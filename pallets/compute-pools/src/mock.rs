//! Test runtime: frame-system, balances and the compute pools, with the device registry and the
//! base price mocked. An epoch is 10 blocks and an hour 5, so an epoch holds two device-hours.

#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

use crate::{self as pallet_compute_pools, *};
use ember_primitives::{ChallengePolicy, DeviceStatus};
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU128, ConstU32, ConstU64},
};
use frame_system::EnsureRoot;
use sp_runtime::{BuildStorage, Permill};
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
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(2)]
	pub type ComputePools = pallet_compute_pools;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<u128>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = u128;
	type AccountStore = System;
	type ExistentialDeposit = ExistentialDeposit;
	type RuntimeHoldReason = RuntimeHoldReason;
}

pub const ED: u128 = 10;
pub const EPOCH: u64 = 10;
pub const HOUR: u64 = 5;
/// The base price per hour the mocked compute price charges.
pub const BASE_PRICE: u128 = 1_000;
pub const HOLDING_DEPOSIT: u128 = 50;
pub const LEASE_DEPOSIT: u128 = 100;
/// Blocks a client has to acknowledge a hand-off, and a provider to answer a report.
pub const HANDOFF: u64 = 10;
pub const ANSWER: u64 = 4;
pub const REWARD_POT: u128 = 10_000_000;
/// Epoch boundaries an issuance credit is paid out over.
pub const STREAM_EPOCHS: u32 = 20;

/// α = 40 per hour of rate, β = 2 and γ = 12 per hour served: T_min = 40 / 10 = 4 epochs.
pub const PARAMS: PoolParameters = PoolParameters {
	staking_fee: 40,
	maintenance_rate: 2,
	reward_rate: 12,
	deposit_per_hour: 30,
	swap_fee: Permill::from_parts(3_000),
	exchange_fee: Permill::from_percent(1),
};

parameter_types! {
	pub const ExistentialDeposit: u128 = ED;
	pub const PoolsPalletId: PalletId = PalletId(*b"emb/pool");
	pub const EpochBlocks: u64 = EPOCH;
	pub const BlocksPerHour: u64 = HOUR;
	pub const DefaultParameters: PoolParameters = PARAMS;
}

impl Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Devices = MockDevices;
	type BasePrice = MockPrice;
	type Reputation = ();
	type AdminOrigin = EnsureRoot<AccountId>;
	type PalletId = PoolsPalletId;
	type EpochBlocks = EpochBlocks;
	type BlocksPerHour = BlocksPerHour;
	type MaxPools = ConstU32<2>;
	type MaxStakeEpochs = ConstU32<100>;
	type HoldingEpochs = ConstU32<3>;
	type MinimumLiquidity = ConstU128<1_000>;
	type HoldingDeposit = ConstU128<HOLDING_DEPOSIT>;
	type LeaseDeposit = ConstU128<LEASE_DEPOSIT>;
	type MaxConnectionLen = ConstU32<64>;
	type DefaultParameters = DefaultParameters;
	type RewardStreamEpochs = ConstU32<STREAM_EPOCHS>;
	type HandoffBlocks = ConstU64<HANDOFF>;
	type AnswerBlocks = ConstU64<ANSWER>;
	type MaxDeadlinesPerBlock = ConstU32<2>;
	type MaxOffersScanned = ConstU32<3>;
	type DeliveryFailed = MockDeliveries;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockDevices;
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for MockDevices {
	fn active_device(owner: AccountId, class: Option<ClassId>) -> (DeviceId, ClassId) {
		// Each in a class of its own, as the runtime's helper does; the first is class 0, the
		// priced one.
		let added = DEVICES.with(|d| d.borrow().len() as u64) - 3;
		let (device, class) = (1_000 + added, class.unwrap_or(added as ClassId));
		Self::add(device, owner, class);
		(device, class)
	}

	fn set_device_key(device: DeviceId, key: [u8; 32]) {
		KEYS.with(|k| k.borrow_mut().insert(device, key));
	}
}

/// A device as the mocked registry knows it.
#[derive(Clone)]
pub struct MockDevice {
	pub owner: AccountId,
	pub class: ClassId,
	pub status: DeviceStatus,
}

thread_local! {
	pub static DEVICES: RefCell<BTreeMap<DeviceId, MockDevice>> = const { RefCell::new(BTreeMap::new()) };
	/// Hours the mocked compute price was told were redeemed, per class.
	pub static REDEEMED: RefCell<BTreeMap<ClassId, u64>> = const { RefCell::new(BTreeMap::new()) };
	/// Leases the mocked compute price was told ended early, per class.
	pub static ENDED_EARLY: RefCell<BTreeMap<ClassId, u64>> = const { RefCell::new(BTreeMap::new()) };
	/// Classes the mocked compute price has no price for (besides those above 1).
	pub static UNPRICED: RefCell<std::collections::BTreeSet<ClassId>> = const { RefCell::new(std::collections::BTreeSet::new()) };
	/// Base price the mocked compute price was told was paid.
	pub static PAID: RefCell<u128> = const { RefCell::new(0) };
	/// Device keys set explicitly (else [`device_pair`]'s).
	pub static KEYS: RefCell<BTreeMap<DeviceId, [u8; 32]>> = const { RefCell::new(BTreeMap::new()) };
	/// Failed deliveries the mocked slashing was told of: (device, lease).
	pub static UNDELIVERED: RefCell<Vec<(DeviceId, LeaseId)>> = const { RefCell::new(Vec::new()) };
}

/// A device's key pair in the mocked registry (from a seed of its id).
pub fn device_pair(device: DeviceId) -> sp_core::sr25519::Pair {
	use sp_core::Pair;
	let mut seed = [0u8; 32];
	seed[..8].copy_from_slice(&device.to_le_bytes());
	sp_core::sr25519::Pair::from_seed(&seed)
}

/// Records failed deliveries, as slashing would schedule their penalties.
pub struct MockDeliveries;

impl OnDeliveryFailed for MockDeliveries {
	fn on_delivery_failed(device: DeviceId, lease: u64) {
		UNDELIVERED.with(|u| u.borrow_mut().push((device, lease)));
	}
	fn delivery_failed_weight() -> Weight {
		Weight::zero()
	}
}

pub struct MockDevices;

impl MockDevices {
	pub fn add(device: DeviceId, owner: AccountId, class: ClassId) {
		let dev = MockDevice { owner, class, status: DeviceStatus::Active };
		DEVICES.with(|d| d.borrow_mut().insert(device, dev));
	}
	pub fn set_status(device: DeviceId, status: DeviceStatus) {
		DEVICES.with(|d| d.borrow_mut().get_mut(&device).unwrap().status = status);
	}
	fn get(device: DeviceId) -> Option<MockDevice> {
		DEVICES.with(|d| d.borrow().get(&device).cloned())
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
		use sp_core::Pair;
		Self::get(device)?;
		Some(
			KEYS.with(|k| k.borrow().get(&device).copied())
				.unwrap_or_else(|| device_pair(device).public().0),
		)
	}
	fn challenge_policy(_: DeviceId) -> Option<ChallengePolicy> {
		None
	}
}

/// A fixed base price for classes 0 and 1 (twice as much); it records what it is told.
pub struct MockPrice;

impl BasePrice for MockPrice {
	fn price(class: ClassId) -> Option<u128> {
		UNPRICED.with(|u| !u.borrow().contains(&class)).then_some(())?;
		match class {
			0 => Some(BASE_PRICE),
			1 => Some(2 * BASE_PRICE),
			// The benchmarks' helper makes a class per device.
			_ if cfg!(feature = "runtime-benchmarks") => Some(BASE_PRICE),
			_ => None,
		}
	}
	fn note_lease(class: ClassId, hours: u64) -> Result<u128, DispatchError> {
		let price = Self::price(class).ok_or(DispatchError::Other("class not priced"))?;
		REDEEMED.with(|r| *r.borrow_mut().entry(class).or_default() += hours);
		Ok(price)
	}
	fn note_lease_ended(class: ClassId, _: u64, _: u64) {
		ENDED_EARLY.with(|e| *e.borrow_mut().entry(class).or_default() += 1);
	}
	fn note_paid(amount: u128) {
		PAID.with(|p| *p.borrow_mut() += amount);
	}
}

/// Miners (1, 2, 3) own devices 10, 20, 30 of class 0; clients are 4 and 5; 6 is poor.
pub const MINER: AccountId = 1;
pub const MINER2: AccountId = 2;
pub const MINER3: AccountId = 3;
pub const CLIENT: AccountId = 4;
pub const CLIENT2: AccountId = 5;
pub const POOR: AccountId = 6;
pub const DEVICE: DeviceId = 10;
pub const DEVICE2: DeviceId = 20;
pub const DEVICE3: DeviceId = 30;
pub const ENDOWMENT: u128 = 1_000_000_000;

pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![
			(MINER, ENDOWMENT),
			(MINER2, ENDOWMENT),
			(MINER3, ENDOWMENT),
			(CLIENT, ENDOWMENT),
			(CLIENT2, ENDOWMENT),
			(POOR, 200),
		],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_compute_pools::GenesisConfig::<Test> {
		pools: vec![0],
		reward_pot: REWARD_POT,
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		DEVICES.with(|d| d.borrow_mut().clear());
		REDEEMED.with(|r| r.borrow_mut().clear());
		ENDED_EARLY.with(|e| e.borrow_mut().clear());
		PAID.with(|p| *p.borrow_mut() = 0);
		UNPRICED.with(|u| u.borrow_mut().clear());
		MockDevices::add(DEVICE, MINER, 0);
		MockDevices::add(DEVICE2, MINER2, 0);
		MockDevices::add(DEVICE3, MINER3, 0);
		KEYS.with(|k| k.borrow_mut().clear());
		UNDELIVERED.with(|u| u.borrow_mut().clear());
	});
	// The benchmarks sign with keys they generate.
	ext.register_extension(sp_keystore::KeystoreExt::new(
		sp_keystore::testing::MemoryKeystore::new(),
	));
	ext
}

/// Runs `test`, then checks the pallet's invariants and that total issuance fell by exactly what
/// the pallet burned.
pub fn build_and_execute(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		let issuance = Balances::total_issuance();
		test();
		ComputePools::do_try_state().unwrap();
		assert_eq!(Balances::total_issuance() + Burned::<Test>::get(), issuance);
	});
}

/// Runs blocks up to and including `n`, with the pallet's hook.
pub fn run_to_block(n: u64) {
	System::run_to_block::<AllPalletsWithSystem>(n);
}

/// Runs to the first block of `epoch`.
pub fn run_to_epoch(epoch: u32) {
	run_to_block(u64::from(epoch) * EPOCH);
}
