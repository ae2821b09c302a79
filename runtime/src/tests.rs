//! Runtime tests: the genesis presets build, and the PoCPS loop runs through the real registry
//! and PoCPS pallets as the runtime wires them.

// Test and benchmark code: panics and plain arithmetic are how it fails.
#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

use crate::{
	genesis_config_presets, AccountId, Balances, ComputePools, DeviceRegistry, Issuance, Pocps,
	Runtime, RuntimeOrigin, Slashing, System,
};
use ember_pocps::prover::Dataset;
use ember_primitives::DeviceStatus;
use frame_support::{
	assert_ok,
	traits::{Get, Hooks, VestingSchedule},
};
use pallet_device_registry::{attestation, Attestation};
use sp_core::{Pair, H256};
use sp_keyring::Sr25519Keyring;

/// Storage built from a named preset.
fn preset_ext(name: &str) -> sp_io::TestExternalities {
	sp_io::TestExternalities::new(genesis_config_presets::preset_storage(name).unwrap())
}

#[test]
fn presets_build_with_their_validators() {
	for (preset, validators) in [("development", 1), ("local_testnet", 4)] {
		preset_ext(preset).execute_with(|| {
			assert_eq!(pallet_grandpa::Pallet::<Runtime>::grandpa_authorities().len(), validators);
			assert_eq!(pallet_babe::Authorities::<Runtime>::get().len(), validators);
			assert_eq!(pallet_session::Validators::<Runtime>::get().len(), validators);
			assert!(pallet_session::Validators::<Runtime>::get()
				.contains(&Sr25519Keyring::AliceStash.to_account_id()));
			assert_eq!(pallet_device_registry::NextClassId::<Runtime>::get(), 3);
			// Every preset class is priced and has a pool; the reward pot is funded.
			for class in 0..3 {
				assert!(pallet_compute_price::Prices::<Runtime>::contains_key(class));
				assert!(pallet_compute_pools::Pools::<Runtime>::contains_key(class));
			}
			assert_eq!(ComputePools::reward_pot(), genesis_config_presets::REWARD_POT);
			// The allocation is vesting, issuance has its parameters and valid recipients, and
			// the accounts slashing and issuance pay into exist.
			for grant in genesis_config_presets::allocation() {
				assert_eq!(Balances::free_balance(&grant.account), grant.amount);
				assert!(pallet_vesting::Vesting::<Runtime>::get(&grant.account).is_some());
				assert_eq!(
					pallet_vesting::Pallet::<Runtime>::vesting_balance(&grant.account),
					Some(grant.amount)
				);
			}
			assert!(pallet_issuance::Parameters::<Runtime>::get().is_some());
			assert_eq!(pallet_issuance::Recipients::<Runtime>::get().len(), 5);
			assert!(Balances::free_balance(crate::configs::TreasuryAccount::get()) > 0);
			assert!(Balances::free_balance(crate::Slashing::account_id()) > 0);
			assert!(Balances::total_issuance() <= crate::configs::MAX_SUPPLY);
			Issuance::do_try_state().unwrap();
			Slashing::do_try_state().unwrap();
		});
	}
}

#[test]
fn a_bond_outlives_the_dispute_window() {
	// A device retiring right after an offence must not withdraw its bond before the slash.
	assert!(
		crate::configs::DeviceUnbondingPeriod::get() > crate::configs::DisputeWindow::get(),
		"unbonding must outlast the dispute window"
	);
}

#[test]
fn a_reported_offence_takes_the_registry_bond_after_the_window() {
	preset_ext("development").execute_with(|| {
		run_to(1);
		let owner: AccountId = Sr25519Keyring::Bob.to_account_id();
		let reporter: AccountId = Sr25519Keyring::Charlie.to_account_id();
		register(&owner, 1, 9);
		let bond = pallet_device_registry::Devices::<Runtime>::get(0).unwrap().bond;
		assert_eq!(bond, 10_000 * crate::currency::EMB);
		let treasury = crate::configs::TreasuryAccount::get();
		let (treasury_before, reporter_before) =
			(Balances::free_balance(&treasury), Balances::free_balance(&reporter));
		let issuance = Balances::total_issuance();
		assert_ok!(Slashing::report(
			RuntimeOrigin::signed(reporter.clone()),
			0,
			ember_primitives::Offence::ResultMismatch,
			ember_primitives::Incident::Lease(1)
		));
		let due = System::block_number() + crate::time::DAYS;
		System::set_block_number(due);
		Slashing::on_initialize(due);
		// 10 % of the bond: 2 % of that to the reporter, 20 % to the treasury, the rest burned.
		let slashed = bond / 10;
		assert_eq!(
			pallet_device_registry::Devices::<Runtime>::get(0).unwrap().bond,
			bond - slashed
		);
		assert_eq!(Balances::free_balance(&reporter) - reporter_before, slashed / 50);
		assert_eq!(Balances::free_balance(&treasury) - treasury_before, slashed / 5);
		assert_eq!(issuance - Balances::total_issuance(), slashed - slashed / 50 - slashed / 5);
		// Reputation heard of it only for byzantine offences; the score is untouched.
		assert_eq!(crate::Reputation::score_of(0), sp_runtime::Perbill::from_percent(50));
		DeviceRegistry::do_try_state().unwrap();
		Slashing::do_try_state().unwrap();
	});
}

/// Registers a self-signed device of `class` for `owner`, its key and fingerprint from `seed`.
fn register(owner: &AccountId, class: u32, seed: u8) -> sp_core::sr25519::Pair {
	let device_key = sp_core::sr25519::Pair::from_seed(&[seed; 32]);
	let fingerprint = H256::repeat_byte(seed);
	let genesis = H256::from_slice(System::block_hash(0).as_ref());
	let signature =
		device_key.sign(&attestation::registration_payload(owner, &fingerprint, &genesis)).0;
	assert_ok!(DeviceRegistry::register_device(
		RuntimeOrigin::signed(owner.clone()),
		class,
		fingerprint,
		device_key.public().0,
		signature,
		Attestation::SelfSigned
	));
	device_key
}

fn run_to(n: u32) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Pocps::on_initialize(next);
	}
}

#[test]
fn register_seal_answer_then_miss_a_deadline() {
	preset_ext("development").execute_with(|| {
		run_to(1);
		let owner: AccountId = Sr25519Keyring::Bob.to_account_id();
		let device_key = register(&owner, 0, 7);
		let device = 0;

		// Seal the cpu-dev dataset as the miner does, and commit it.
		let params = genesis_config_presets::CPU_DEV_PARAMS;
		let ek = pallet_pocps::encoding_key::<Runtime>(&device_key.public().0, 1);
		let data = Dataset::seal::<pallet_pocps::HostSha256>(params, ek).unwrap();
		assert_ok!(Pocps::commit_seal(
			RuntimeOrigin::signed(owner.clone()),
			device,
			data.root(),
			1
		));
		let status = || pallet_device_registry::Devices::<Runtime>::get(device).unwrap().status;
		assert_eq!(status(), DeviceStatus::Sealed);

		// Answer three challenges in time.
		let mut answered = 0;
		while answered < 3 {
			run_to(System::block_number() + 1);
			if let Some((id, info)) = Pocps::open_challenges(device).pop() {
				run_to(System::block_number() + 1);
				let proof = Box::new(data.prove::<pallet_pocps::HostSha256>(&info.seed).unwrap());
				assert_ok!(Pocps::respond(RuntimeOrigin::signed(owner.clone()), id, proof));
				answered += 1;
			}
			assert!(System::block_number() < 2_000, "challenges keep coming");
		}
		assert_eq!(status(), DeviceStatus::Active);
		assert_eq!(pallet_pocps::Stats::<Runtime>::get(device).answered, 3);

		// Proven, it stakes its hours as the class pool's first liquidity.
		let min_epochs = ComputePools::min_stake_epochs();
		assert_ok!(ComputePools::stake(
			RuntimeOrigin::signed(owner.clone()),
			device,
			min_epochs.into(),
			min_epochs,
			pallet_compute_pools::StakeOffer::Provide { max_emb: 100 * crate::currency::EMB }
		));
		let in_pool = Balances::free_balance(&owner);
		assert!(pallet_compute_pools::DeviceStake::<Runtime>::contains_key(device));

		// Then stay silent: the next challenge's deadline passes and the chain records a fault.
		let next = pallet_pocps::NextChallengeAt::<Runtime>::get(device).unwrap();
		run_to(next);
		let (_, info) = Pocps::open_challenges(device).pop().unwrap();
		run_to(info.deadline);
		assert_eq!(pallet_pocps::Stats::<Runtime>::get(device).missed, 1);
		assert_eq!(status(), DeviceStatus::Suspended);
		// The fault reached the pools: the stake ended and its EMB came back.
		assert!(!pallet_compute_pools::DeviceStake::<Runtime>::contains_key(device));
		assert_eq!(pallet_compute_pools::Pools::<Runtime>::get(0).unwrap().rate, 0);
		assert!(Balances::free_balance(&owner) > in_pool);

		DeviceRegistry::do_try_state().unwrap();
		Pocps::do_try_state().unwrap();
		ComputePools::do_try_state().unwrap();
		Slashing::do_try_state().unwrap();
		Issuance::do_try_state().unwrap();
		crate::Reputation::do_try_state().unwrap();
	});
}
