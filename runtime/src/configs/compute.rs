//! Ember's compute pallets: the device registry, PoCPS, the compute price and the pools.

use crate::{
	currency::{deposit, MILLI_EMB},
	time::{DAYS, HOURS},
	Balance, Balances, BlockNumber, ComputePools, ComputePrice, DeviceRegistry, Issuance, Pocps,
	Reputation, Runtime, RuntimeHoldReason, Slashing,
};
use frame_support::{
	parameter_types,
	traits::{ConstU128, ConstU32},
	PalletId,
};
use pallet_compute_pools::PoolParameters;
use sp_runtime::{Perbill, Permill};

#[cfg(feature = "runtime-benchmarks")]
use crate::AccountId;

parameter_types! {
	/// A retired device's bond stays held for a week: time for late faults and disputes.
	pub const DeviceUnbondingPeriod: BlockNumber = 7 * DAYS;
	/// Most sequential hashes per label a class may use (bounds `respond`'s weight).
	pub const PocpsMaxIterations: u32 = 1024;
	/// Longest response deadline a class may have: 64 blocks (6.4 minutes).
	pub const PocpsMaxResponseDeadline: u32 = 64;
	/// The base price moves once an hour...
	pub const PricePeriod: BlockNumber = HOURS;
	/// ...by at most 12.5 % (EIP-1559's step) at twice or zero the target demand...
	pub const PriceMaxStep: Perbill = Perbill::from_parts(125_000_000);
	/// ...of which 30 % inertia keeps 8.75 %...
	pub const PriceInertia: Perbill = Perbill::from_percent(30);
	/// ...and within 10 % of every price of the last 24 hours.
	pub const PriceBand: Permill = Permill::from_percent(10);
	pub const PoolsPalletId: PalletId = PalletId(*b"emb/pool");
	/// Pools dissipate hourly: a compute-hour not used in its hour is gone.
	pub const PoolEpoch: BlockNumber = HOURS;
	pub const BlocksPerHour: BlockNumber = HOURS;
	/// LooPIN §5 with α = 96, β = 2, γ = 10 milli-EMB: a stake pays for itself after
	/// T_min = 96 / (10 − 2) = 12 hourly epochs (docs/economics.md).
	pub const DefaultPoolParameters: PoolParameters = PoolParameters {
		staking_fee: 96 * MILLI_EMB,
		maintenance_rate: 2 * MILLI_EMB,
		reward_rate: 10 * MILLI_EMB,
		deposit_per_hour: 50 * MILLI_EMB,
		swap_fee: Permill::from_parts(3_000),
		exchange_fee: Permill::from_parts(3_000),
	};
}

/// A client's holding: one map entry of about 80 bytes.
pub const HOLDING_DEPOSIT: Balance = deposit(1, 80);
/// A lease: one map entry and two index entries, with up to 512 bytes of connection details,
/// its delivery record (~50 bytes) and its price and deadline entries.
pub const LEASE_DEPOSIT: Balance = deposit(6, 800);

impl pallet_device_registry::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	// Governance during the launch phase is sudo (root).
	type ClassOrigin = super::MarketAdmin;
	// A device may not retire with a challenge, an audit or a failed round pending.
	type Challenges = (Pocps, crate::Verifiers);
	type OnRetired = ComputePools;
	type UnbondingPeriod = DeviceUnbondingPeriod;
	type MaxDevicesPerAccount = ConstU32<64>;
	type MaxClassNameLen = ConstU32<32>;
	type MaxCertificateChain = ConstU32<4>;
	type MaxIterations = PocpsMaxIterations;
	type MaxResponseDeadline = PocpsMaxResponseDeadline;
	type MaxAttestationRoots = ConstU32<16>;
	type WeightInfo = pallet_device_registry::weights::SubstrateWeight<Runtime>;
}

impl pallet_pocps::Config for Runtime {
	type Devices = DeviceRegistry;
	// The parent block's VRF output: unknown to anyone before that block was authored.
	type Randomness = pallet_babe::ParentBlockRandomness<Runtime>;
	// Faults end stakes and leases first; then slashing schedules its slash and reputation
	// scores the outcome (seeing the stake already ended).
	type OnOutcome = (ComputePools, Slashing, Reputation);
	// Deadline queues hold twice the answers admitted per block, so draws and seal checks whose
	// deadlines bunch up still fit.
	type MaxChallengesPerBlock = ConstU32<2048>;
	// Devices are admitted while their challenge rates sum to at most 1,000 answers per block:
	// what a block holds of the largest class's storage proofs by length (~1,200) and by weight
	// (docs/pocps.md, docs/benchmarks.md).
	type AnswersPerBlock = ConstU32<1000>;
	type MaxIterations = PocpsMaxIterations;
	type MaxResponseDeadline = PocpsMaxResponseDeadline;
	type MaxClasses = ConstU32<16>;
	type WeightInfo = pallet_pocps::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = PocpsBenchmarkHelper;
}

impl pallet_compute_price::Config for Runtime {
	// Governance during the launch phase is sudo (root).
	type AdminOrigin = super::MarketAdmin;
	type PeriodBlocks = PricePeriod;
	// 24 hourly periods: the 24-hour band (docs/economics.md).
	type WindowPeriods = ConstU32<24>;
	type MaxStep = PriceMaxStep;
	type Inertia = PriceInertia;
	type Band = PriceBand;
	type MaxClasses = ConstU32<64>;
	// Base prices paid are what issuance mints from.
	type OnPayment = Issuance;
	type WeightInfo = pallet_compute_price::weights::SubstrateWeight<Runtime>;
}

impl pallet_compute_pools::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Devices = DeviceRegistry;
	type BasePrice = ComputePrice;
	type Reputation = Reputation;
	// Governance during the launch phase is sudo (root).
	type AdminOrigin = super::MarketAdmin;
	type PalletId = PoolsPalletId;
	type EpochBlocks = PoolEpoch;
	type BlocksPerHour = BlocksPerHour;
	// One pool per class; as many classes as have a price.
	type MaxPools = ConstU32<64>;
	// 30 days of hourly epochs.
	type MaxStakeEpochs = ConstU32<{ 30 * 24 }>;
	// Bought hours last a day.
	type HoldingEpochs = ConstU32<24>;
	type MinimumLiquidity = ConstU128<1_000>;
	type HoldingDeposit = ConstU128<HOLDING_DEPOSIT>;
	type LeaseDeposit = ConstU128<LEASE_DEPOSIT>;
	// A NaCl box of a host, port, user and key fingerprint fits in 512 bytes.
	type MaxConnectionLen = ConstU32<512>;
	type DefaultParameters = DefaultPoolParameters;
	// Each month's issuance is paid out over the next month's epochs.
	type RewardStreamEpochs = ConstU32<{ 30 * 24 }>;
	// A minute to check the endpoint and acknowledge it (client tooling does it at once), and
	// a minute for the miner to answer a report with the client's last heartbeat.
	type HandoffBlocks = ConstU32<10>;
	type AnswerBlocks = ConstU32<10>;
	// Deadlines end leases in `on_initialize`: at most 64 a block, within its weight.
	type MaxDeadlinesPerBlock = ConstU32<64>;
	type MaxOffersScanned = ConstU32<32>;
	type DeliveryFailed = crate::Slashing;
	type WeightInfo = pallet_compute_pools::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = PoolsBenchmarkHelper;
}

/// Gives the compute pools' benchmarks active registry devices in priced classes.
#[cfg(feature = "runtime-benchmarks")]
pub struct PoolsBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_compute_pools::BenchmarkHelper<AccountId> for PoolsBenchmarkHelper {
	fn active_device(
		owner: AccountId,
		class: Option<ember_primitives::ClassId>,
	) -> (ember_primitives::DeviceId, ember_primitives::ClassId) {
		use ember_primitives::DeviceLifecycle;
		let params = crate::genesis_config_presets::CPU_DEV_PARAMS;
		let (device, _) = DeviceRegistry::benchmark_device(owner, params, 4);
		if let Some(class) = class {
			pallet_device_registry::Devices::<Runtime>::mutate(device, |info| {
				if let Some(info) = info {
					info.class = class;
				}
			});
		}
		let _ = DeviceRegistry::note_sealed(device);
		let _ = DeviceRegistry::note_proven(device);
		let class = <DeviceRegistry as ember_primitives::DeviceInspect<AccountId>>::class(device)
			.unwrap_or_default();
		let _ = ComputePrice::add_price(
			frame_system::RawOrigin::Root.into(),
			class,
			10 * MILLI_EMB,
			MILLI_EMB,
			100,
		);
		(device, class)
	}

	fn set_device_key(device: ember_primitives::DeviceId, key: [u8; 32]) {
		DeviceRegistry::benchmark_activate(device, key);
	}
}

/// Gives PoCPS's benchmarks real registry devices.
#[cfg(feature = "runtime-benchmarks")]
pub struct PocpsBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_pocps::BenchmarkHelper<AccountId> for PocpsBenchmarkHelper {
	fn device(owner: AccountId, params: ember_pocps::Params, deadline: u32) -> (u64, [u8; 32]) {
		DeviceRegistry::benchmark_device(owner, params, deadline)
	}
}
