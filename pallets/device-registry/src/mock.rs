//! Test runtime: frame-system, balances and the registry, with PoCPS mocked.

// Test and benchmark code: panics and plain arithmetic are how it fails.
#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

use crate::{self as pallet_device_registry, *};
use ember_primitives::ChallengeInspect;
use frame_support::{derive_impl, parameter_types, traits::ConstU32};
use sp_core::Pair;
use sp_runtime::BuildStorage;

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
	pub type DeviceRegistry = pallet_device_registry;
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
	type ExistentialDeposit = frame_support::traits::ConstU128<1>;
}

parameter_types! {
	/// The device the mocked PoCPS pallet reports an open challenge for.
	pub static OpenChallengeFor: Option<DeviceId> = None;
}

pub struct MockChallenges;
impl ChallengeInspect for MockChallenges {
	fn has_open_challenge(device: DeviceId) -> bool {
		OpenChallengeFor::get() == Some(device)
	}
}

impl Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type ClassOrigin = frame_system::EnsureRoot<AccountId>;
	type Challenges = MockChallenges;
	type OnRetired = ();
	type UnbondingPeriod = frame_support::traits::ConstU64<10>;
	type MaxDevicesPerAccount = ConstU32<3>;
	type MaxClassNameLen = ConstU32<16>;
	type MaxCertificateChain = ConstU32<4>;
	type MaxIterations = ConstU32<1024>;
	type MaxResponseDeadline = ConstU32<64>;
	type MaxAttestationRoots = ConstU32<2>;
	type WeightInfo = ();
}

pub const ALICE: AccountId = 1;
pub const BOB: AccountId = 2;
pub const POOR: AccountId = 3;
pub const BOND: Balance = 1_000;

pub fn class() -> DeviceClassOf<Test> {
	DeviceClass {
		name: b"test-gpu".to_vec().try_into().unwrap(),
		min_vram_mib: 1,
		pocps: ember_pocps::Params {
			lanes: 4,
			lane_len: 64,
			parents: 3,
			iterations: 2,
			challenges: 4,
		},
		response_deadline: 4,
		min_challenge_interval: 5,
		max_challenge_interval: 15,
		bond: BOND,
		require_certificate: false,
	}
}

/// A device key from a seed byte.
pub fn device_pair(seed: u8) -> sp_core::sr25519::Pair {
	sp_core::sr25519::Pair::from_seed(&[seed; 32])
}

pub fn fingerprint(n: u8) -> H256 {
	H256::repeat_byte(n)
}

/// The device key's signature registering `fingerprint` for `account` on this chain.
pub fn sign_registration(
	pair: &sp_core::sr25519::Pair,
	account: AccountId,
	fingerprint: H256,
) -> [u8; 64] {
	let genesis = H256::from_slice(System::block_hash(0).as_ref());
	pair.sign(&attestation::registration_payload(&account, &fingerprint, &genesis)).0
}

pub struct ExtBuilder;

impl ExtBuilder {
	pub fn build() -> sp_io::TestExternalities {
		let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
		pallet_balances::GenesisConfig::<Test> {
			balances: vec![(ALICE, 10_000), (BOB, 10_000), (POOR, 500)],
			..Default::default()
		}
		.assimilate_storage(&mut storage)
		.unwrap();
		pallet_device_registry::GenesisConfig::<Test> {
			classes: vec![class()],
			attestation_roots: vec![],
		}
		.assimilate_storage(&mut storage)
		.unwrap();
		let mut ext = sp_io::TestExternalities::new(storage);
		// Benchmarks generate device keys through the keystore host functions.
		ext.register_extension(sp_keystore::KeystoreExt::new(
			sp_keystore::testing::MemoryKeystore::new(),
		));
		ext.execute_with(|| System::set_block_number(1));
		ext
	}

	/// Runs `test`, then checks the pallet's invariants.
	pub fn build_and_execute(test: impl FnOnce()) {
		OpenChallengeFor::set(None);
		Self::build().execute_with(|| {
			test();
			DeviceRegistry::do_try_state().unwrap();
		})
	}
}
