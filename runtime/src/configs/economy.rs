//! Ember's economy and enforcement: issuance and its reserve, slashing, reputation, and vesting
//! of the genesis allocation (docs/economics.md has the numbers and why).

use crate::{
	currency::EMB, time::DAYS, AccountId, Balance, Balances, BlockNumber, ComputePools,
	DeviceRegistry, Pocps, Reputation, Runtime, RuntimeHoldReason,
};
use frame_support::{
	parameter_types,
	traits::{ConstU128, ConstU32, Get, WithdrawReasons},
	PalletId,
};
use sp_runtime::{
	traits::{AccountIdConversion, ConvertInto},
	Perbill,
};

/// Total issuance never exceeds one billion EMB.
pub const MAX_SUPPLY: Balance = 1_000_000_000 * EMB;

parameter_types! {
	pub const IssuancePalletId: PalletId = PalletId(*b"emb/issu");
	pub const SlashingPalletId: PalletId = PalletId(*b"emb/slsh");
	pub const TreasuryPalletId: PalletId = PalletId(*b"emb/trsy");
	/// Issuance mints once every 30 days...
	pub const IssuancePeriod: BlockNumber = 30 * DAYS;
	/// ...and the reserve measures burn daily.
	pub const IssuanceDay: BlockNumber = DAYS;
	/// Slashes wait 24 hours for a dispute.
	pub const DisputeWindow: BlockNumber = DAYS;
	/// A self-reporter saves at most 5 % (governance may set the cap lower; 2 % at genesis).
	pub const MaxReporterCap: Perbill = Perbill::from_percent(5);
	pub const ReportDepositShare: Perbill = Perbill::from_percent(10);
	/// Reputation decays 5 % a week toward 0.5...
	pub const ReputationWeek: BlockNumber = 7 * DAYS;
	pub const WeeklyDecay: Perbill = Perbill::from_percent(5);
	/// ...and moves a tenth of the way to each challenge's observation.
	pub const ReputationSmoothing: Perbill = Perbill::from_percent(10);
	pub const MinVestedTransfer: Balance = EMB;
	pub UnvestedFundsAllowedWithdrawReasons: WithdrawReasons =
		WithdrawReasons::except(WithdrawReasons::TRANSFER | WithdrawReasons::RESERVE);
}

/// The treasury's account (pallet-treasury's): slashing's and issuance's treasury shares go here.
pub struct TreasuryAccount;
impl Get<AccountId> for TreasuryAccount {
	fn get() -> AccountId {
		TreasuryPalletId::get().into_account_truncating()
	}
}

/// The current session's validators.
pub struct SessionValidators;
impl Get<alloc::vec::Vec<AccountId>> for SessionValidators {
	fn get() -> alloc::vec::Vec<AccountId> {
		pallet_session::Validators::<Runtime>::get()
	}
}

impl pallet_issuance::Config for Runtime {
	type Currency = Balances;
	type Pools = ComputePools;
	type Validators = SessionValidators;
	type AdminOrigin = super::EconomicAdmin;
	// Recipients can direct mints to any account: both houses.
	type RecipientsOrigin = frame_system::EnsureRoot<AccountId>;
	type PalletId = IssuancePalletId;
	type PeriodBlocks = IssuancePeriod;
	type DayBlocks = IssuanceDay;
	// The subsidy falls from 100 % to 0 over 24 monthly periods.
	type SubsidyPeriods = ConstU32<24>;
	type MaxSupply = ConstU128<MAX_SUPPLY>;
	type MaxRecipients = ConstU32<8>;
	type MaxValidators = ConstU32<100>;
	type WeightInfo = pallet_issuance::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = EconomyBenchmarkHelper;
}

impl pallet_slashing::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Devices = DeviceRegistry;
	type Bonds = DeviceRegistry;
	type History = Pocps;
	// A lease's client reporting its running lease is evidence the runtime checks.
	type Leases = ComputePools;
	type OnSlash = Reputation;
	type AdminOrigin = super::EconomicAdmin;
	type DisputeOrigin = super::DisputeAdmin;
	type PalletId = SlashingPalletId;
	type Treasury = TreasuryAccount;
	type DisputeWindow = DisputeWindow;
	// As many as PoCPS can sweep deadlines in one block.
	type MaxSlashesPerBlock = ConstU32<256>;
	type MaxConsecutiveMisses = ConstU32<5>;
	type MinUptimeSamples = ConstU32<20>;
	type MaxReporterCap = MaxReporterCap;
	type ReportDeposit = ConstU128<{ 10 * EMB }>;
	// A report holds a tenth of what it claims: 1,000 EMB to accuse a 10,000 EMB bond of
	// everything.
	type ReportDepositShare = ReportDepositShare;
	type WeightInfo = pallet_slashing::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = EconomyBenchmarkHelper;
}

impl pallet_reputation::Config for Runtime {
	type Devices = DeviceRegistry;
	type History = Pocps;
	type Stakes = ComputePools;
	type DecayPeriod = ReputationWeek;
	type WeeklyDecay = WeeklyDecay;
	type Smoothing = ReputationSmoothing;
	type WeightInfo = pallet_reputation::weights::SubstrateWeight<Runtime>;
}

impl pallet_vesting::Config for Runtime {
	type RuntimeEvent = crate::RuntimeEvent;
	type Currency = Balances;
	type BlockNumberToBalance = ConvertInto;
	type MinVestedTransfer = MinVestedTransfer;
	type WeightInfo = pallet_vesting::weights::SubstrateWeight<Runtime>;
	type UnvestedFundsAllowedWithdrawReasons = UnvestedFundsAllowedWithdrawReasons;
	type BlockNumberProvider = crate::System;
	const MAX_VESTING_SCHEDULES: u32 = 28;
}

/// Gives the economy pallets' benchmarks bonded devices and validators.
#[cfg(feature = "runtime-benchmarks")]
pub struct EconomyBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_slashing::BenchmarkHelper<AccountId> for EconomyBenchmarkHelper {
	fn bonded_device(owner: &AccountId, bond: Balance) -> ember_primitives::DeviceId {
		use frame_support::traits::fungible::{Mutate, MutateHold};
		let params = crate::genesis_config_presets::CPU_DEV_PARAMS;
		let (device, _) = DeviceRegistry::benchmark_device(owner.clone(), params, 4);
		let _ = Balances::mint_into(owner, bond.saturating_mul(2));
		let _ = Balances::hold(&pallet_device_registry::HoldReason::DeviceBond.into(), owner, bond);
		pallet_device_registry::Devices::<Runtime>::mutate(device, |info| {
			if let Some(info) = info {
				info.bond = bond;
			}
		});
		device
	}

	fn set_record(device: ember_primitives::DeviceId, answered: u32, missed: u32) {
		pallet_pocps::Stats::<Runtime>::mutate(device, |stats| {
			stats.answered = answered;
			stats.missed = missed;
		});
	}

	fn lease(device: ember_primitives::DeviceId, client: &AccountId, lease: u64) {
		let now = crate::System::block_number();
		pallet_compute_pools::Leases::<Runtime>::insert(
			lease,
			pallet_compute_pools::Lease {
				client: client.clone(),
				device,
				class: <DeviceRegistry as ember_primitives::DeviceInspect<AccountId>>::class(
					device,
				)
				.unwrap_or_default(),
				hours: 1,
				start: now,
				end: now.saturating_add(crate::configs::BlocksPerHour::get()),
				client_key: [0; 32],
				connection: None,
			},
		);
		pallet_compute_pools::DeviceLease::<Runtime>::insert(device, lease);
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl pallet_issuance::BenchmarkHelper for EconomyBenchmarkHelper {
	fn set_validators(n: u32) {
		let validators: alloc::vec::Vec<AccountId> =
			(0..n).map(|i| frame_benchmarking::account("validator", i, 0)).collect();
		pallet_session::Validators::<Runtime>::put(validators);
	}
}
