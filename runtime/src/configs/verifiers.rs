//! The verifiers: bonded, drawn into committees per round, paid per verdict.

use crate::{
	currency::{deposit, EMB, MILLI_EMB},
	Balance, Balances, BlockNumber, ComputePools, DeviceRegistry, Pocps, Runtime,
	RuntimeHoldReason,
};
use frame_support::{parameter_types, traits::ConstU32, PalletId};
use sp_runtime::Perbill;

parameter_types! {
	pub const VerifiersPalletId: PalletId = PalletId(*b"emb/vrfy");
	/// A verifier bonds at least 1,000 EMB: ten audit slashes of 10 % before it is expelled.
	pub const VerifierMinBond: Balance = 1_000 * EMB;
	/// A round a minute: development pacing, so a test sees rounds, audits and re-tests in
	/// minutes. A network would run rounds every few epochs (docs/pocps.md: each round costs a
	/// device one walk per committee member).
	// Ten blocks whatever the time units (the fuzzer's `fast-time` makes a minute one block,
	// which would leave no room for the re-test window and audit rolls inside a round).
	pub const RoundPeriod: BlockNumber = 10;
	/// 10 % of passes are re-opened on chain.
	pub const AuditShare: Perbill = Perbill::from_percent(10);
	/// Four blocks (24 s) to answer an on-chain audit: re-running one walk set takes a GPU
	/// about a second.
	pub const AuditWindow: BlockNumber = 4;
	/// Five blocks to demand a re-test and have it judged before a failed round's fault lands.
	pub const RetestWindow: BlockNumber = 5;
	pub const RetestFee: Balance = 10 * EMB;
	pub const VerdictReward: Balance = 10 * MILLI_EMB;
	pub const AuditSlash: Perbill = Perbill::from_percent(10);
	pub const ForgerySlash: Perbill = Perbill::from_percent(50);
	pub const MissedRoundSlash: Perbill = Perbill::from_percent(1);
	/// Past two rounds and an audit window: every audit of a leaving verifier's passes.
	pub const VerifierUnbondingPeriod: BlockNumber = 30;
	pub const EndpointDeposit: Balance = deposit(1, 200);
}

impl pallet_verifiers::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Devices = DeviceRegistry;
	type Pocps = Pocps;
	type Leases = ComputePools;
	type Randomness = pallet_babe::ParentBlockRandomness<Runtime>;
	// Governance during the launch phase is sudo (root).
	type AdminOrigin = super::MarketAdmin;
	type PalletId = VerifiersPalletId;
	type MinBond = VerifierMinBond;
	type RoundPeriod = RoundPeriod;
	type CommitteeSize = ConstU32<3>;
	type MaxVerifiers = ConstU32<1024>;
	// 10,000 verdicts per call, and a call of 10,000 fits a block by weight and by length
	// (runtime test `ten_thousand_verdicts_fit_one_block`): one verifier's share of a
	// 100,000-device class with committees of 3 and 30 verifiers.
	type MaxVerdicts = ConstU32<10_000>;
	// Hook work per block at the measured weights (ParityDB): rolls 4,096 × 77 µs, audit
	// deadlines 512 × 0.78 ms, faults 512 × 0.64 ms, a round start of 1,024 verifiers 0.26 s:
	// at most ~1.3 s, reached only by a mass failure (docs/pocps.md).
	type MaxQueue = ConstU32<4_096>;
	type MaxFaultsPerBlock = ConstU32<512>;
	type AuditShare = AuditShare;
	type AuditWindow = AuditWindow;
	type RetestWindow = RetestWindow;
	type RetestEvery = ConstU32<60>;
	type RetestFee = RetestFee;
	type VerdictReward = VerdictReward;
	type AuditSlash = AuditSlash;
	type ForgerySlash = ForgerySlash;
	type MissedRoundSlash = MissedRoundSlash;
	type UnbondingPeriod = VerifierUnbondingPeriod;
	type MaxEndpointLen = ConstU32<128>;
	type EndpointDeposit = EndpointDeposit;
	type WeightInfo = pallet_verifiers::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = VerifiersBenchmarkHelper;
}

/// Active, sealed devices for the verifiers' benchmarks.
#[cfg(feature = "runtime-benchmarks")]
pub struct VerifiersBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_verifiers::BenchmarkHelper<crate::AccountId> for VerifiersBenchmarkHelper {
	fn active_device(
		owner: crate::AccountId,
		class: ember_primitives::ClassId,
		params: ember_pocps::Params,
		root: [u8; 32],
		device_key: [u8; 32],
	) -> ember_primitives::DeviceId {
		let (device, _) = DeviceRegistry::benchmark_device(owner, params, 4);
		DeviceRegistry::benchmark_activate(device, device_key);
		Pocps::benchmark_seal(device, class, root, params);
		device
	}
}
