//! The chain as the simulator drives it: the development preset in `TestExternalities`, with
//! each simulated hour one block at the hour boundary running Ember's hooks.
//!
//! Two shortcuts, both outside the economics under test: PoCPS proofs are replaced by their
//! outcome (a registered device is marked sealed and proven through the registry's own
//! lifecycle calls, and faults are injected through the runtime's `OnChallengeOutcome`
//! listeners), and only the blocks at hour boundaries run (every Ember hook fires at hour
//! multiples; BABE and sessions need block digests the simulator does not author).

use anyhow::{anyhow, Result};
use ember_primitives::{
	ChallengeId, ChallengeOutcome, ClassId, DeviceId, DeviceLifecycle, OnChallengeOutcome,
};
use ember_runtime::{
	genesis_config_presets, time::HOURS, AccountId, Balance, Balances, ComputePools, ComputePrice,
	DeviceRegistry, Issuance, Pocps, Runtime, RuntimeOrigin, Slashing, System,
};
use frame_support::traits::{
	fungible::{Inspect, InspectHold, Mutate},
	Hooks,
};
use pallet_device_registry::{attestation, Attestation};
use sp_core::{sr25519, Pair, H256};
use sp_runtime::DispatchError;

/// A fresh chain state from the named genesis preset, at block 0.
pub fn preset(name: &str) -> Result<sp_io::TestExternalities> {
	let storage =
		genesis_config_presets::preset_storage(name).map_err(|e| anyhow!("genesis: {e}"))?;
	Ok(sp_io::TestExternalities::new(storage))
}

/// A dispatch error as an `anyhow` error naming the call.
pub fn check(call: &str, result: Result<(), DispatchError>) -> Result<()> {
	result.map_err(|e| anyhow!("{call}: {e:?}"))
}

/// The account of a simulated agent.
pub fn account(name: &str) -> AccountId {
	AccountId::from(sp_io::hashing::blake2_256(name.as_bytes()))
}

/// A signed origin.
pub fn signed(who: &AccountId) -> RuntimeOrigin {
	RuntimeOrigin::signed(who.clone())
}

/// Brings `amount` from outside the chain (an agent buying EMB with cash).
pub fn fund(who: &AccountId, amount: Balance) -> Result<()> {
	Balances::mint_into(who, amount).map(|_| ()).map_err(|e| anyhow!("fund: {e:?}"))
}

/// What `who` has: free and held.
pub fn wealth(who: &AccountId) -> Balance {
	Balances::balance(who) + Balances::total_balance_on_hold(who)
}

/// Registers device number `index` of `class` for `owner` (holding the class's bond) and
/// makes it `Active`, as if it had sealed and answered its probation challenge.
pub fn active_device(owner: &AccountId, class: ClassId, index: u64) -> Result<DeviceId> {
	let seed = sp_io::hashing::blake2_256(
		&[b"ember-sim-device".as_slice(), &index.to_le_bytes()].concat(),
	);
	let key = sr25519::Pair::from_seed(&seed);
	let fingerprint = H256(sp_io::hashing::blake2_256(&seed));
	let genesis = H256::from_slice(System::block_hash(0).as_ref());
	let signature = key.sign(&attestation::registration_payload(owner, &fingerprint, &genesis));
	check(
		"register_device",
		DeviceRegistry::register_device(
			signed(owner),
			class,
			u32::MAX,
			fingerprint,
			key.public().0,
			signature.0,
			Attestation::SelfSigned,
		)
		.map(|_| ())
		.map_err(|e| e.error),
	)?;
	let device = pallet_device_registry::NextDeviceId::<Runtime>::get() - 1;
	DEVICE_SEEDS.with(|seeds| seeds.borrow_mut().insert(device, seed));
	check("note_sealed", DeviceRegistry::note_sealed(device))?;
	check("note_proven", DeviceRegistry::note_proven(device))?;
	Ok(device)
}

std::thread_local! {
	/// Each simulated device's key seed (its miner signs the leases' host keys with it).
	static DEVICE_SEEDS: std::cell::RefCell<std::collections::BTreeMap<DeviceId, [u8; 32]>> =
		const { std::cell::RefCell::new(std::collections::BTreeMap::new()) };
}

/// Hands lease `lease` over as an honest miner and client do: the device's owner posts the
/// connection details with its host key signed by the device key, and the client acknowledges
/// them (an unacknowledged lease would end refunded at its hand-off deadline).
pub fn hand_over(lease: u64) -> Result<()> {
	let info = pallet_compute_pools::Leases::<Runtime>::get(lease)
		.ok_or_else(|| anyhow!("lease {lease} missing"))?;
	let owner = pallet_device_registry::Devices::<Runtime>::get(info.device)
		.map(|d| d.owner)
		.ok_or_else(|| anyhow!("device {} missing", info.device))?;
	let seed = DEVICE_SEEDS
		.with(|seeds| seeds.borrow().get(&info.device).copied())
		.ok_or_else(|| anyhow!("device {} has no simulated key", info.device))?;
	let host_key = [0x42; 32];
	let genesis = System::block_hash(0);
	let message = pallet_compute_pools::host_key_message(&genesis, lease, &host_key);
	let signature = sr25519::Pair::from_seed(&seed).sign(&message).0;
	let sealed = frame_support::BoundedVec::truncate_from(vec![0u8; 72]);
	check(
		"post_connection",
		ComputePools::post_connection(signed(&owner), lease, sealed, host_key, signature),
	)?;
	check("acknowledge", ComputePools::acknowledge(signed(&info.client), lease))
}

/// Tells the runtime's challenge listeners (pools, slashing, reputation) of an outcome, as
/// PoCPS would.
pub fn challenge_outcome(device: DeviceId, challenge: ChallengeId, outcome: ChallengeOutcome) {
	if let Some(owner) = pallet_device_registry::Devices::<Runtime>::get(device).map(|d| d.owner) {
		<<Runtime as pallet_pocps::Config>::OnOutcome as OnChallengeOutcome<AccountId>>::on_challenge_outcome(
			device, &owner, challenge, outcome,
		);
	}
}

/// The current hour (epoch) of the chain.
pub fn hour() -> u32 {
	System::block_number() / HOURS
}

/// Advances to the next hour boundary and runs Ember's hooks there, in the runtime's order.
pub fn next_hour() {
	let block = (hour() + 1) * HOURS;
	System::set_block_number(block);
	Pocps::on_initialize(block);
	ComputePrice::on_initialize(block);
	ComputePools::on_initialize(block);
	Slashing::on_initialize(block);
	Issuance::on_initialize(block);
}

/// Runs every Ember pallet's invariant checks.
pub fn try_state() -> Result<()> {
	type Check = fn() -> Result<(), sp_runtime::TryRuntimeError>;
	let checks: [(&str, Check); 5] = [
		("registry", DeviceRegistry::do_try_state),
		("compute-price", ComputePrice::do_try_state),
		("compute-pools", ComputePools::do_try_state),
		("slashing", Slashing::do_try_state),
		("issuance", Issuance::do_try_state),
	];
	for (name, check) in checks {
		check().map_err(|e| anyhow!("{name} invariants: {e:?}"))?;
	}
	Ok(())
}
