//! Test runtime: frame-system, balances and the verifiers pallet, with the device registry,
//! PoCPS, the leases and randomness mocked. Devices hold real sealed datasets (tiny parameters),
//! so audits are answered and checked for real.

// Test code: panics and plain arithmetic are how it fails.
#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

use crate::{self as pallet_verifiers, *};
use ember_pocps::{prover::Dataset, NativeSha256, Params};
use ember_primitives::{ChallengePolicy, SealedDataset};
use frame_support::{derive_impl, parameter_types, traits::ConstU32};
use sp_core::{sr25519, Pair};
use sp_runtime::{BuildStorage, DispatchResult};
use std::{cell::RefCell, collections::BTreeMap, rc::Rc};

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = u64;
pub type Balance = u128;

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
	pub type Verifiers = pallet_verifiers;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = Balance;
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
	type ExistentialDeposit = ConstU128<1>;
}

use frame_support::traits::ConstU128;

/// The dataset every mock device seals (tiny: 512 labels, 128 blocks).
pub const PARAMS: Params =
	Params { lanes: 4, lane_len: 128, parents: 3, iterations: 1, challenges: 4 };
/// Round parameters of class 0.
pub const ROUND: ember_pocps::round::RoundParams = ember_pocps::round::RoundParams {
	walks: 8,
	steps: 64,
	segment: 16,
	audits: 8,
	chain_audits: 2,
	deadline_ms: 1000,
};

/// A device as the mocks know it.
#[derive(Clone)]
pub struct MockDevice {
	pub owner: AccountId,
	pub status: DeviceStatus,
	pub key: sr25519::Pair,
	pub dataset: Rc<Dataset>,
	pub leased: bool,
	/// The benchmarks' devices: a given key, root and parameters instead of the dataset's.
	pub virtual_seal: Option<([u8; 32], [u8; 32], Params)>,
}

thread_local! {
	pub static DEVICES: RefCell<BTreeMap<DeviceId, MockDevice>> = const { RefCell::new(BTreeMap::new()) };
	pub static FAULTS: RefCell<Vec<(DeviceId, ChallengeOutcome)>> = const { RefCell::new(Vec::new()) };
	static SHARED: Rc<Dataset> = Rc::new(Dataset::seal::<NativeSha256>(PARAMS, [0; 32]).unwrap());
}

pub struct MockDevices;

impl MockDevices {
	/// An active device of class 0 with its own sealed dataset and device key.
	pub fn add(device: DeviceId, owner: AccountId) {
		let key = sr25519::Pair::from_seed(&[device as u8 + 1; 32]);
		let dataset = Dataset::seal::<NativeSha256>(PARAMS, [device as u8; 32]).unwrap();
		let dev = MockDevice {
			owner,
			status: DeviceStatus::Active,
			key,
			dataset: Rc::new(dataset),
			leased: false,
			virtual_seal: None,
		};
		DEVICES.with(|d| d.borrow_mut().insert(device, dev));
	}
	pub fn get(device: DeviceId) -> MockDevice {
		DEVICES.with(|d| d.borrow().get(&device).cloned().unwrap())
	}
	pub fn set_status(device: DeviceId, status: DeviceStatus) {
		DEVICES.with(|d| d.borrow_mut().get_mut(&device).unwrap().status = status);
	}
	pub fn set_leased(device: DeviceId, leased: bool) {
		DEVICES.with(|d| d.borrow_mut().get_mut(&device).unwrap().leased = leased);
	}
	fn find(device: DeviceId) -> Option<MockDevice> {
		DEVICES.with(|d| d.borrow().get(&device).cloned())
	}
}

impl DeviceInspect<AccountId> for MockDevices {
	fn owner(device: DeviceId) -> Option<AccountId> {
		Self::find(device).map(|d| d.owner)
	}
	fn class(device: DeviceId) -> Option<ClassId> {
		Self::find(device).map(|_| 0)
	}
	fn status(device: DeviceId) -> Option<DeviceStatus> {
		Self::find(device).map(|d| d.status)
	}
	fn device_key(device: DeviceId) -> Option<[u8; 32]> {
		Self::find(device).map(|d| d.virtual_seal.map_or(d.key.public().0, |(key, ..)| key))
	}
	fn challenge_policy(device: DeviceId) -> Option<ChallengePolicy> {
		Self::find(device).map(|_| ChallengePolicy {
			params: PARAMS,
			response_deadline: 4,
			min_interval: 1,
			max_interval: 10,
		})
	}
}

pub struct MockPocps;

impl ResidencyFaults<AccountId> for MockPocps {
	fn sealed(device: DeviceId) -> Option<SealedDataset> {
		MockDevices::find(device).map(|d| match d.virtual_seal {
			Some((_, root, params)) => SealedDataset { root, params, class: 0 },
			None => SealedDataset { root: d.dataset.root(), params: PARAMS, class: 0 },
		})
	}
	fn round_fault(device: DeviceId, outcome: ChallengeOutcome) -> DispatchResult {
		FAULTS.with(|f| f.borrow_mut().push((device, outcome)));
		MockDevices::set_status(device, DeviceStatus::Suspended);
		Ok(())
	}
}

pub struct MockLeases;

impl LeaseStatus for MockLeases {
	fn is_leased(device: DeviceId) -> bool {
		MockDevices::find(device).is_some_and(|d| d.leased)
	}
}

/// The "VRF output": a hash of the subject and the block number, so each block's differs.
pub struct MockRandomness;

impl Randomness<Option<sp_core::H256>, u64> for MockRandomness {
	fn random(subject: &[u8]) -> (Option<sp_core::H256>, u64) {
		let now = System::block_number();
		(Some(sp_core::H256(sp_io::hashing::blake2_256(&(subject, now).encode()))), now)
	}
}

pub fn faults() -> Vec<(DeviceId, ChallengeOutcome)> {
	FAULTS.with(|f| f.borrow().clone())
}

parameter_types! {
	pub const VerifiersPalletId: PalletId = PalletId(*b"emb/vrfy");
}

pub const MIN_BOND: Balance = 1_000;
pub const PERIOD: u64 = 10;
pub const AUDIT_WINDOW: u64 = 4;
pub const RETEST_WINDOW: u64 = 5;
pub const REWARD: Balance = 3;
pub const RETEST_FEE: Balance = 50;
pub const ENDPOINT_DEPOSIT: Balance = 20;

impl Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Devices = MockDevices;
	type Pocps = MockPocps;
	type Leases = MockLeases;
	type Randomness = MockRandomness;
	type AdminOrigin = frame_system::EnsureRoot<AccountId>;
	type PalletId = VerifiersPalletId;
	type MinBond = ConstU128<MIN_BOND>;
	type RoundPeriod = ConstU64<PERIOD>;
	type CommitteeSize = ConstU32<3>;
	type MaxVerifiers = ConstU32<16>;
	type MaxVerdicts = ConstU32<8>;
	type MaxQueue = ConstU32<8>;
	type MaxFaultsPerBlock = ConstU32<8>;
	type AuditShare = AuditShareAll;
	type AuditWindow = ConstU64<AUDIT_WINDOW>;
	type RetestWindow = ConstU64<RETEST_WINDOW>;
	type RetestEvery = ConstU32<2>;
	type RetestFee = ConstU128<RETEST_FEE>;
	type VerdictReward = ConstU128<REWARD>;
	type AuditSlash = AuditSlashShare;
	type ForgerySlash = ForgerySlashShare;
	type MissedRoundSlash = MissedSlashShare;
	type UnbondingPeriod = ConstU64<30>;
	type MaxEndpointLen = ConstU32<64>;
	type EndpointDeposit = ConstU128<ENDPOINT_DEPOSIT>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockDevices;
}

#[cfg(feature = "runtime-benchmarks")]
impl BenchmarkHelper<AccountId> for MockDevices {
	/// Devices of the benchmarks: all in class 0 (the class argument is the runtime's), with
	/// no dataset behind their virtual seal. One shared tiny dataset stands in for the real
	/// one, which only the tests' devices read.
	fn active_device(
		owner: AccountId,
		_class: ClassId,
		params: Params,
		root: [u8; 32],
		device_key: [u8; 32],
	) -> DeviceId {
		let device = DEVICES.with(|d| d.borrow().keys().last().map_or(1000, |k| k + 1));
		let shared = SHARED.with(|s| s.clone());
		let dev = MockDevice {
			owner,
			status: DeviceStatus::Active,
			key: sr25519::Pair::from_seed(&[0; 32]),
			dataset: shared,
			leased: false,
			virtual_seal: Some((device_key, root, params)),
		};
		DEVICES.with(|d| d.borrow_mut().insert(device, dev));
		device
	}
}

use frame_support::traits::ConstU64;

parameter_types! {
	pub const AuditShareAll: Perbill = Perbill::one();
	pub const AuditSlashShare: Perbill = Perbill::from_percent(10);
	pub const ForgerySlashShare: Perbill = Perbill::from_percent(50);
	pub const MissedSlashShare: Perbill = Perbill::from_percent(1);
}

/// Verifiers 10, 11, 12, 13 and device owners 1, 2 are funded; so is the pot.
pub fn new_test_ext() -> sp_io::TestExternalities {
	DEVICES.with(|d| d.borrow_mut().clear());
	FAULTS.with(|f| f.borrow_mut().clear());
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let pot = Pallet::<Test>::pot();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![
			(1, 10_000),
			(2, 10_000),
			(10, 10_000),
			(11, 10_000),
			(12, 10_000),
			(13, 10_000),
			(pot, 1_000),
		],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_verifiers::GenesisConfig::<Test> {
		round_params: vec![(0, ROUND)],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.register_extension(sp_keystore::KeystoreExt::new(
		sp_keystore::testing::MemoryKeystore::new(),
	));
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Runs blocks up to `n` (each with its `on_initialize`).
pub fn run_to(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		<Verifiers as frame_support::traits::Hooks<u64>>::on_initialize(next);
	}
}
