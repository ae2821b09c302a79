//! Test runtime: frame-system, balances and slashing, with the registry's bonds and PoCPS's
//! record mocked by thread-local tables. A bond is kept as its owner's free balance, so every
//! planck slashed is still counted by the real balances pallet. The dispute window is 10 blocks.

#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

use crate::{self as pallet_slashing, *};
use ember_primitives::{ChallengePolicy, ChallengeRecord, ClassId, DeviceStatus};
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU128, ConstU32, Hooks},
};
use frame_system::EnsureRoot;
use sp_runtime::{BuildStorage, DispatchError};
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
	pub type Slashing = pallet_slashing;
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
	type ExistentialDeposit = ConstU128<1>;
	type RuntimeHoldReason = RuntimeHoldReason;
}

/// A mocked device: its owner, bond and whether it was forced out.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MockDevice {
	pub owner: AccountId,
	pub bond: u128,
	pub forced_out: bool,
}

thread_local! {
	pub static DEVICES: RefCell<BTreeMap<DeviceId, MockDevice>> = const { RefCell::new(BTreeMap::new()) };
	pub static RECORDS: RefCell<BTreeMap<DeviceId, ChallengeRecord>> = const { RefCell::new(BTreeMap::new()) };
	pub static SLASHED: RefCell<Vec<(DeviceId, Offence)>> = const { RefCell::new(Vec::new()) };
	pub static LEASES: RefCell<BTreeMap<u64, (DeviceId, AccountId)>> = const { RefCell::new(BTreeMap::new()) };
}

/// Starts lease `lease` of `client` on `device` (running until [`end_lease`]).
pub fn start_lease(lease: u64, device: DeviceId, client: AccountId) {
	LEASES.with(|l| l.borrow_mut().insert(lease, (device, client)));
}

/// Closes lease `lease`.
pub fn end_lease(lease: u64) {
	LEASES.with(|l| l.borrow_mut().remove(&lease));
}

pub struct MockLeases;
impl LeaseInspect<AccountId> for MockLeases {
	fn lease(lease: u64) -> Option<(DeviceId, AccountId)> {
		LEASES.with(|l| l.borrow().get(&lease).copied())
	}
}

pub fn device(id: DeviceId) -> Option<MockDevice> {
	DEVICES.with(|d| d.borrow().get(&id).copied())
}

pub struct MockDevices;
impl DeviceInspect<AccountId> for MockDevices {
	fn owner(id: DeviceId) -> Option<AccountId> {
		device(id).map(|d| d.owner)
	}
	fn class(_: DeviceId) -> Option<ClassId> {
		Some(0)
	}
	fn status(id: DeviceId) -> Option<DeviceStatus> {
		device(id).map(|d| if d.forced_out { DeviceStatus::Retired } else { DeviceStatus::Active })
	}
	fn device_key(_: DeviceId) -> Option<[u8; 32]> {
		None
	}
	fn challenge_policy(_: DeviceId) -> Option<ChallengePolicy> {
		None
	}
}

impl DeviceBond<AccountId> for MockDevices {
	fn bond(id: DeviceId) -> u128 {
		device(id).map_or(0, |d| d.bond)
	}
	fn slash_bond(id: DeviceId, amount: u128, to: &AccountId) -> Result<u128, DispatchError> {
		let d = device(id).ok_or(DispatchError::Other("no device"))?;
		let moved = amount.min(d.bond);
		<Balances as Mutate<AccountId>>::transfer(&d.owner, to, moved, Preservation::Expendable)?;
		DEVICES.with(|m| m.borrow_mut().get_mut(&id).unwrap().bond -= moved);
		Ok(moved)
	}
	fn force_out(id: DeviceId) -> DispatchResult {
		DEVICES.with(|m| m.borrow_mut().get_mut(&id).unwrap().forced_out = true);
		Ok(())
	}
}

pub struct MockHistory;
impl ChallengeHistory for MockHistory {
	fn record(id: DeviceId) -> ChallengeRecord {
		RECORDS.with(|r| r.borrow().get(&id).copied().unwrap_or_default())
	}
}

pub struct RecordSlashes;
impl OnSlash for RecordSlashes {
	fn on_slash(id: DeviceId, offence: Offence) {
		SLASHED.with(|s| s.borrow_mut().push((id, offence)));
	}
}

/// Blocks of the dispute window in the mock.
pub const WINDOW: u64 = 10;
pub const TREASURY: AccountId = 99;
pub const DEPOSIT: u128 = 50;
pub const BOND: u128 = 10_000;

parameter_types! {
	pub const SlashingPalletId: frame_support::PalletId = frame_support::PalletId(*b"emb/slsh");
	pub const Treasury: AccountId = TREASURY;
	pub const DisputeWindow: u64 = WINDOW;
	pub const MaxReporterCap: Perbill = Perbill::from_percent(5);
	pub const ReportDepositShare: Perbill = Perbill::from_percent(10);
}

impl Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Devices = MockDevices;
	type Bonds = MockDevices;
	type History = MockHistory;
	type Leases = MockLeases;
	type OnSlash = RecordSlashes;
	type AdminOrigin = EnsureRoot<AccountId>;
	type DisputeOrigin = EnsureRoot<AccountId>;
	type PalletId = SlashingPalletId;
	type Treasury = Treasury;
	type DisputeWindow = DisputeWindow;
	type MaxSlashesPerBlock = ConstU32<4>;
	type MaxConsecutiveMisses = ConstU32<3>;
	type MinUptimeSamples = ConstU32<10>;
	type MaxReporterCap = MaxReporterCap;
	type ReportDeposit = ConstU128<DEPOSIT>;
	type ReportDepositShare = ReportDepositShare;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockDevices;
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for MockDevices {
	fn bonded_device(owner: &AccountId, bond: u128) -> DeviceId {
		let id = DEVICES.with(|d| d.borrow().len() as DeviceId);
		<Balances as Mutate<AccountId>>::mint_into(owner, bond * 2).unwrap();
		DEVICES.with(|d| {
			d.borrow_mut().insert(id, MockDevice { owner: *owner, bond, forced_out: false })
		});
		id
	}
	fn set_record(id: DeviceId, answered: u32, missed: u32) {
		set_record(id, answered, missed);
	}
	fn lease(device: DeviceId, client: &AccountId, lease: u64) {
		start_lease(lease, device, *client);
	}
}

/// Registers device `id` owned by `owner` with a bond of `BOND` (kept as free balance).
pub fn register(id: DeviceId, owner: AccountId) {
	DEVICES
		.with(|d| d.borrow_mut().insert(id, MockDevice { owner, bond: BOND, forced_out: false }));
}

/// Sets `id`'s challenge record.
pub fn set_record(id: DeviceId, answered: u32, missed: u32) {
	RECORDS.with(|r| {
		r.borrow_mut().insert(id, ChallengeRecord { answered, missed, ..Default::default() })
	});
}

/// Runs blocks up to and including `n`, with the hook.
pub fn run_to(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Slashing::on_initialize(next);
	}
}

pub fn balance(who: AccountId) -> u128 {
	Balances::free_balance(who)
}

/// Accounts 1..=5 hold 100,000 planck; the treasury exists.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: (1..=5).map(|who| (who, 100_000)).chain([(TREASURY, 1)]).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_slashing::GenesisConfig::<Test>::default().assimilate_storage(&mut storage).unwrap();
	storage.into()
}

/// Runs `test` in a fresh state, then checks the invariants and that every planck is accounted
/// for: total issuance only fell by what the events say was burned.
pub fn build_and_execute(test: impl FnOnce()) {
	DEVICES.with(|d| d.borrow_mut().clear());
	RECORDS.with(|r| r.borrow_mut().clear());
	SLASHED.with(|s| s.borrow_mut().clear());
	LEASES.with(|l| l.borrow_mut().clear());
	new_test_ext().execute_with(|| {
		System::set_block_number(1);
		let issuance = Balances::total_issuance();
		test();
		Slashing::do_try_state().unwrap();
		let burned: u128 = System::events()
			.into_iter()
			.map(|record| match record.event {
				RuntimeEvent::Slashing(Event::Slashed { burned, .. }) => burned,
				RuntimeEvent::Slashing(
					Event::SlashCancelled { deposit_burned, .. }
					| Event::ReportLapsed { deposit_burned, .. },
				) => deposit_burned,
				_ => 0,
			})
			.sum();
		assert_eq!(Balances::total_issuance() + burned, issuance, "unaccounted planck");
	});
}
