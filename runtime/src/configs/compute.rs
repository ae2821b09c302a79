//! Ember's compute pallets: the device registry, PoCPS and the compute price.

use crate::{
	time::{DAYS, HOURS},
	AccountId, Balances, BlockNumber, DeviceRegistry, Pocps, Runtime, RuntimeHoldReason,
};
use frame_support::{parameter_types, traits::ConstU32};
use frame_system::EnsureRoot;
use sp_runtime::{Perbill, Permill};

parameter_types! {
	/// A retired device's bond stays held for a week: time for late faults and disputes.
	pub const DeviceUnbondingPeriod: BlockNumber = 7 * DAYS;
	/// The base price moves once an hour...
	pub const PricePeriod: BlockNumber = HOURS;
	/// ...by at most 12.5 % (EIP-1559's step) at twice or zero the target demand...
	pub const PriceMaxStep: Perbill = Perbill::from_parts(125_000_000);
	/// ...of which 30 % inertia keeps 8.75 %...
	pub const PriceInertia: Perbill = Perbill::from_percent(30);
	/// ...and within 10 % of every price of the last 24 hours.
	pub const PriceBand: Permill = Permill::from_percent(10);
}

impl pallet_device_registry::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	// Governance during the launch phase is sudo (root).
	type ClassOrigin = EnsureRoot<AccountId>;
	type Challenges = Pocps;
	type UnbondingPeriod = DeviceUnbondingPeriod;
	type MaxDevicesPerAccount = ConstU32<64>;
	type MaxClassNameLen = ConstU32<32>;
	type MaxCertificateChain = ConstU32<4>;
	type MaxAttestationRoots = ConstU32<16>;
	type WeightInfo = pallet_device_registry::weights::SubstrateWeight<Runtime>;
}

impl pallet_pocps::Config for Runtime {
	type Devices = DeviceRegistry;
	// The parent block's VRF output: unknown to anyone before that block was authored.
	type Randomness = pallet_babe::ParentBlockRandomness<Runtime>;
	// Slashing and reputation listen here once they exist.
	type OnOutcome = ();
	// At most 256 challenges opened and 256 deadlines swept per block: with one challenge per
	// GPU device every 25 blocks on average (the classes' intervals), queue room for ~6,400 devices, more than block length
	// leaves room for answers (docs/pocps.md).
	type MaxChallengesPerBlock = ConstU32<256>;
	type MaxIterations = ConstU32<1024>;
	type WeightInfo = pallet_pocps::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = PocpsBenchmarkHelper;
}

impl pallet_compute_price::Config for Runtime {
	// Governance during the launch phase is sudo (root).
	type AdminOrigin = EnsureRoot<AccountId>;
	type PeriodBlocks = PricePeriod;
	// 24 hourly periods: the 24-hour band (docs/economics.md).
	type WindowPeriods = ConstU32<24>;
	type MaxStep = PriceMaxStep;
	type Inertia = PriceInertia;
	type Band = PriceBand;
	type MaxClasses = ConstU32<64>;
	type WeightInfo = pallet_compute_price::weights::SubstrateWeight<Runtime>;
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
