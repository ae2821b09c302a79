//! Test runtime: frame-system, balances and issuance, with the compute pools mocked (a pot
//! account, and a record of provider credits). A day is 10 blocks and a period 30.

#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

use crate::{self as pallet_issuance, *};
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU128, ConstU32, Hooks},
};
use frame_system::EnsureRoot;
use sp_runtime::BuildStorage;
use std::cell::RefCell;

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
	pub type Issuance = pallet_issuance;
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
}

pub const POT: AccountId = 100;
pub const TREASURY: AccountId = 99;
pub const DAY: u64 = 10;
pub const PERIOD: u64 = 30;
pub const MAX_SUPPLY: u128 = 100_000_000;

thread_local! {
	pub static CREDITED: RefCell<u128> = const { RefCell::new(0) };
	pub static MINERS: RefCell<u128> = const { RefCell::new(0) };
	pub static VALIDATORS: RefCell<Vec<AccountId>> = RefCell::new(vec![11, 12]);
}

pub struct MockPools;
impl PoolRewards<AccountId> for MockPools {
	fn pot_account() -> AccountId {
		POT
	}
	fn credit_providers(amount: u128) -> u128 {
		CREDITED.with(|c| *c.borrow_mut() += amount);
		amount
	}
	fn credit_miners(amount: u128) -> u128 {
		MINERS.with(|c| *c.borrow_mut() += amount);
		amount
	}
	fn credit_weight() -> Weight {
		Weight::zero()
	}
}

pub struct MockValidators;
impl Get<Vec<AccountId>> for MockValidators {
	fn get() -> Vec<AccountId> {
		VALIDATORS.with(|v| v.borrow().clone())
	}
}

parameter_types! {
	pub const IssuancePalletId: PalletId = PalletId(*b"emb/issu");
	pub const PeriodBlocks: u64 = PERIOD;
	pub const DayBlocks: u64 = DAY;
}

impl Config for Test {
	type Currency = Balances;
	type Pools = MockPools;
	type Validators = MockValidators;
	type AdminOrigin = EnsureRoot<AccountId>;
	type RecipientsOrigin = EnsureRoot<AccountId>;
	type PalletId = IssuancePalletId;
	type PeriodBlocks = PeriodBlocks;
	type DayBlocks = DayBlocks;
	type SubsidyPeriods = ConstU32<24>;
	type MaxSupply = ConstU128<MAX_SUPPLY>;
	type MaxRecipients = ConstU32<5>;
	type MaxValidators = ConstU32<4>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockValidators;
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper for MockValidators {
	fn set_validators(n: u32) {
		VALIDATORS.with(|v| *v.borrow_mut() = (1000..1000 + u64::from(n)).collect());
	}
}

pub fn parameters() -> IssuanceParameters {
	IssuanceParameters {
		period_budget: 1_000_000,
		burn_benchmark: 1_000,
		burn_margin: Perbill::from_percent(20),
		reserve_release: Perbill::from_rational(1u32, 1000u32),
	}
}

/// Miners 20 %, providers 10 %, validators 10 % (the 40 % a self-dealer can reach), treasury
/// 60 %.
pub fn recipients() -> Vec<(Recipient<AccountId>, Perbill)> {
	vec![
		(Recipient::Miners, Perbill::from_percent(20)),
		(Recipient::LiquidityProviders, Perbill::from_percent(10)),
		(Recipient::Validators, Perbill::from_percent(10)),
		(Recipient::Account(TREASURY), Perbill::from_percent(60)),
	]
}

/// Account 1 holds 1,000,000; the pot and the treasury exist.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(1, 1_000_000), (POT, 1), (TREASURY, 1)],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_issuance::GenesisConfig::<Test> {
		parameters: Some(parameters()),
		recipients: recipients(),
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	storage.into()
}

/// Runs blocks up to and including `n`, with the hook.
pub fn run_to(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Issuance::on_initialize(next);
	}
}

/// Burns `amount` from account 1 (what the rest of the chain does when it burns).
pub fn burn(amount: u128) {
	use frame_support::traits::tokens::{Fortitude, Precision};
	Balances::burn_from(&1, amount, Preservation::Preserve, Precision::Exact, Fortitude::Polite)
		.unwrap();
}

pub fn build_and_execute(test: impl FnOnce()) {
	CREDITED.with(|c| *c.borrow_mut() = 0);
	MINERS.with(|c| *c.borrow_mut() = 0);
	new_test_ext().execute_with(|| {
		System::set_block_number(1);
		test();
		Issuance::do_try_state().unwrap();
	});
}
