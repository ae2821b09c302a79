//! Genesis presets: `development` (one validator, Alice) and `local_testnet` (Alice, Bob, Charlie
//! and Dave) endow the well-known dev accounts (and their stashes) and keep Alice as a sudo key
//! beside the governance bodies. `mainnet` is production-shaped: no sudo key, the council and the
//! technical committee at genesis, candidacy open, only validators and members endowed. Its
//! accounts are the public dev keys standing in for launch keys: a real launch replaces them
//! (docs/governance.md).

use crate::{
	apis::BABE_GENESIS_EPOCH_CONFIG,
	currency::{EMB, MILLI_EMB},
	time::DAYS,
	AccountId, Balance, SessionKeys,
};
use alloc::{vec, vec::Vec};
use frame_support::traits::Get;
use serde_json::Value;
use sp_consensus_babe::AuthorityId as BabeId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};
use sp_runtime::Perbill;

/// What each endowed dev account starts with: 1,000,000 EMB.
pub const ENDOWMENT: Balance = 1_000_000 * EMB;

/// A validator: its (stash) account and the session keys it authors and votes with. Validator
/// accounts are the `//Name//stash` accounts, as zombienet and Polkadot's test nets expect; the
/// keys are `//Name`'s, which `--alice`, `--bob`, … put in the node's keystore.
fn validator(
	stash: Sr25519Keyring,
	babe: Sr25519Keyring,
	grandpa: Ed25519Keyring,
) -> (AccountId, SessionKeys) {
	let babe: BabeId = babe.public().into();
	let grandpa: GrandpaId = grandpa.public().into();
	(stash.to_account_id(), SessionKeys { babe, grandpa })
}

/// Who governs a chain from genesis.
struct Governance {
	/// The sudo key, on development chains only.
	sudo: Option<AccountId>,
	council: Vec<AccountId>,
	technical_committee: Vec<AccountId>,
}

/// The dev chains' bodies: a council of Alice, Bob, Charlie, Dave and Eve, a technical committee
/// of Alice, Bob and Charlie; Alice is also the sudo key.
fn dev_governance() -> Governance {
	use Sr25519Keyring::*;
	Governance {
		sudo: Some(Alice.to_account_id()),
		council: [Alice, Bob, Charlie, Dave, Eve].iter().map(|k| k.to_account_id()).collect(),
		technical_committee: [Alice, Bob, Charlie].iter().map(|k| k.to_account_id()).collect(),
	}
}

/// Seats for bonded candidates beside `invulnerables` validators at genesis: fewer than a third
/// of the set, so candidates that stand and then stay offline (kicked only after two sessions,
/// bond returned) cannot stall finality. Governance adds seats as the set grows.
fn candidate_seats(invulnerables: usize) -> u32 {
	(invulnerables.saturating_sub(1) / 3) as u32
}
/// A validator candidate bonds 10,000 EMB; an equivocation slashes it.
pub const CANDIDACY_BOND: Balance = 10_000 * EMB;
/// EMB in the treasury at genesis (part of the initial allocation).
pub const TREASURY_GENESIS: Balance = 1_000_000 * EMB;

/// The device classes a chain starts with: `cpu-dev` first on development chains (8 MiB, for
/// CI and newcomers), only the GPU classes on a production chain (a CPU must not farm rewards).
#[derive(Clone, Copy, PartialEq)]
enum Classes {
	WithDev,
	GpuOnly,
}

fn genesis(
	validators: Vec<(AccountId, SessionKeys)>,
	endowed: Vec<AccountId>,
	governance: Governance,
	classes: Classes,
) -> Value {
	let skip = usize::from(classes == Classes::GpuOnly);
	let device_classes: Vec<Value> = device_classes().into_iter().skip(skip).collect();
	// Class ids follow the order of creation at genesis.
	let prices: Vec<(u32, Balance, Balance, u64)> = base_prices()
		.into_iter()
		.skip(skip)
		.enumerate()
		.map(|(id, (_, price, floor, target))| (id as u32, price, floor, target))
		.collect();
	let pools: Vec<u32> = (0..prices.len() as u32).collect();
	let round_params = match classes {
		Classes::WithDev => serde_json::json!([[0, CPU_DEV_ROUND]]),
		Classes::GpuOnly => serde_json::json!([]),
	};
	let invulnerables: Vec<AccountId> = validators.iter().map(|(a, _)| a.clone()).collect();
	let desired_candidates = candidate_seats(invulnerables.len());
	let session_keys: Vec<(AccountId, AccountId, SessionKeys)> =
		validators.into_iter().map(|(a, keys)| (a.clone(), a, keys)).collect();
	let mut balances: Vec<(AccountId, Balance)> =
		endowed.into_iter().map(|a| (a, ENDOWMENT)).collect();
	let vesting: Vec<(AccountId, u32, u32, Balance)> = allocation()
		.into_iter()
		.map(|grant| {
			balances.push((grant.account.clone(), grant.amount));
			(grant.account, grant.cliff, grant.vesting, 0)
		})
		.collect();
	balances.push((crate::configs::TreasuryAccount::get(), TREASURY_GENESIS));
	balances.push((verifiers_pot(), VERIFIERS_POT));
	serde_json::json!({
		"balances": { "balances": balances },
		"babe": { "epochConfig": BABE_GENESIS_EPOCH_CONFIG },
		"session": { "keys": session_keys },
		"validatorSet": {
			"invulnerables": invulnerables,
			"desiredCandidates": desired_candidates,
			"candidacyBond": CANDIDACY_BOND,
		},
		"sudo": { "key": governance.sudo },
		"council": { "members": governance.council },
		"technicalCommittee": { "members": governance.technical_committee },
		"deviceRegistry": { "classes": device_classes, "attestationRoots": [] },
		"computePrice": { "prices": prices },
		"computePools": { "pools": pools, "rewardPot": REWARD_POT },
		"vesting": { "vesting": vesting },
		"issuance": {
			"parameters": issuance_parameters(),
			"recipients": issuance_recipients(),
		},
		"verifiers": { "roundParams": round_params },
	})
}

/// A genesis grant: `amount` to `account`, locked and released linearly over `vesting` blocks
/// from block `cliff`.
pub struct Grant {
	pub account: AccountId,
	pub amount: Balance,
	pub cliff: u32,
	pub vesting: u32,
}

/// The initial allocation beyond the dev endowments, after DPN §3.3's shape: an ecosystem fund
/// released linearly over 4 years, and early contributors locked a year then released over the
/// next (dev keys `//One` and `//Two` stand in for them).
pub fn allocation() -> Vec<Grant> {
	vec![
		Grant {
			account: Sr25519Keyring::One.to_account_id(),
			amount: 30_000_000 * EMB,
			cliff: 0,
			vesting: 4 * 365 * DAYS,
		},
		Grant {
			account: Sr25519Keyring::Two.to_account_id(),
			amount: 15_000_000 * EMB,
			cliff: 365 * DAYS,
			vesting: 365 * DAYS,
		},
	]
}

/// Issuance: at most 1,000,000 EMB minted a month; the reserve catches burn above 1.2 × 1,000
/// EMB a day and releases 0.1 % of itself a day.
pub fn issuance_parameters() -> Value {
	serde_json::json!({
		"periodBudget": 1_000_000 * EMB,
		"burnBenchmark": 1_000 * EMB,
		"burnMargin": Perbill::from_percent(20),
		"reserveRelease": Perbill::from_rational(1u32, 1_000u32),
	})
}

/// Who gets each month's mint: miners 20 % (per proven staked hour), liquidity providers 5 %,
/// validators 10 %, the reserve 5 % (together the 40 % the wash-trading rule allows for what a
/// self-dealer can reach), the verifiers' pot 5 % (paid per verdict), the treasury 25 %. The
/// other 30 % is not minted.
pub fn issuance_recipients() -> Value {
	serde_json::json!([
		["miners", Perbill::from_percent(20)],
		["liquidityProviders", Perbill::from_percent(5)],
		["validators", Perbill::from_percent(10)],
		[{ "account": verifiers_pot() }, Perbill::from_percent(5)],
		[{ "account": crate::configs::TreasuryAccount::get() }, Perbill::from_percent(25)],
		["reserve", Perbill::from_percent(5)],
	])
}

/// The verifiers' pot: pays verdicts until the first mint.
fn verifiers_pot() -> AccountId {
	use sp_runtime::traits::AccountIdConversion;
	crate::configs::VerifiersPalletId::get().into_account_truncating()
}

/// EMB in the verifiers' pot at genesis.
pub const VERIFIERS_POT: Balance = 10_000 * EMB;

/// `cpu-dev` rounds: 256 walks of 1,024 steps (262,144 random 128-byte reads, 32 MiB, of the
/// 8 MiB dataset), a checkpoint every 32 steps; 16 segments audited off chain, 4 on chain; 5 s
/// from challenge to signed result, network and a committee's queue included: the device serves
/// its three verifiers one after another, on a shared 2-core CI machine (docs/pocps.md).
pub const CPU_DEV_ROUND: ember_pocps::round::RoundParams = ember_pocps::round::RoundParams {
	walks: 256,
	steps: 1024,
	segment: 32,
	audits: 16,
	chain_audits: 4,
	deadline_ms: 5000,
};

/// EMB in the compute pools' reward pot at genesis (part of the initial allocation; the
/// issuance pallet will fund it from then on).
pub const REWARD_POT: Balance = 100_000 * EMB;

/// Base prices of the preset classes, `(class, price, floor, target hours per hour)`, in planck
/// per compute-hour: a development hour costs 10 milli-EMB; an 80 GB GPU-hour 2 EMB, a 24 GB one
/// 0.5 EMB, each with a floor a twentieth of that and a target of 1,000 hours per hour.
pub fn base_prices() -> Vec<(u32, Balance, Balance, u64)> {
	vec![
		(0, 10 * MILLI_EMB, MILLI_EMB / 2, 100),
		(1, 2 * EMB, EMB / 10, 1_000),
		(2, EMB / 2, EMB / 40, 1_000),
	]
}

/// The device classes every preset starts with; docs/pocps.md explains the numbers.
pub fn device_classes() -> Vec<Value> {
	let class = |name: &str,
	             min_vram_mib: u32,
	             pocps: ember_pocps::Params,
	             (min_interval, max_interval): (u32, u32),
	             bond: Balance| {
		serde_json::json!({
			"name": name.as_bytes(),
			"minVramMib": min_vram_mib,
			"pocps": pocps,
			"responseDeadline": RESPONSE_DEADLINE,
			"minChallengeInterval": min_interval,
			"maxChallengeInterval": max_interval,
			"bond": bond,
			"requireCertificate": false,
		})
	};
	vec![
		// Small enough to seal on one CPU core in seconds, and challenged every 3 blocks on
		// average so a newcomer (and CI) sees the whole loop in a minute: development only.
		class("cpu-dev", 64, CPU_DEV_PARAMS, DEV_CHALLENGE_INTERVAL, 100 * EMB),
		// 64 GiB of labels in 64 lanes of 2^25: fits an 80 GB H100/A100. The floor is below
		// what those cards report (H100: 81,559 MiB; A100 80GB: 81,920 MiB), not 80 × 1024.
		class("gpu-80g", 80_000, GPU_80G_PARAMS, GPU_CHALLENGE_INTERVAL, 10_000 * EMB),
		// 16 GiB of labels in 16 lanes of 2^25: fits a 24 GB card (an RTX 4090 reports
		// 24,564 MiB, a 3090 24,576).
		class("gpu-24g", 24_000, GPU_24G_PARAMS, GPU_CHALLENGE_INTERVAL, 5_000 * EMB),
	]
}

/// Blocks a device has to answer a challenge. A challenge opened in block `n` has its seed
/// from the VRF outputs of `n` and `n + 1`; the miner reads it in block `n + 2` and its answer
/// must be in a block before `n + 5`. Anyone who regenerates instead has from block `n + 1`'s
/// authoring to block `n + 4`'s: 3 blocks, 18 s (docs/pocps.md).
pub const RESPONSE_DEADLINE: u32 = 5;

/// Blocks between a GPU device's challenges: each block challenges it with probability 1/7
/// (the mean of this range), ~14 storage challenges per 10-minute epoch: a device that dropped
/// 10 % of its labels is caught within an epoch with probability ≥ 99 % (docs/pocps.md).
pub const GPU_CHALLENGE_INTERVAL: (u32, u32) = (4, 10);
/// Blocks between a `cpu-dev` device's challenges: one every 3 blocks on average.
pub const DEV_CHALLENGE_INTERVAL: (u32, u32) = (2, 4);

/// `cpu-dev`: 2^18 labels (8 MiB).
pub const CPU_DEV_PARAMS: ember_pocps::Params =
	ember_pocps::Params { lanes: 64, lane_len: 4096, parents: 6, iterations: 16, challenges: 4 };
/// `gpu-80g`: 2^31 labels (64 GiB); storage proofs open 4 leaves (4.1 KB).
pub const GPU_80G_PARAMS: ember_pocps::Params = ember_pocps::Params {
	lanes: 64,
	lane_len: 1 << 25,
	parents: 6,
	iterations: 256,
	challenges: 4,
};
/// `gpu-24g`: 2^29 labels (16 GiB).
pub const GPU_24G_PARAMS: ember_pocps::Params = ember_pocps::Params {
	lanes: 16,
	lane_len: 1 << 25,
	parents: 6,
	iterations: 256,
	challenges: 4,
};

fn dev_accounts() -> Vec<AccountId> {
	Sr25519Keyring::well_known().map(|k| k.to_account_id()).collect()
}

/// One validator (Alice): blocks and finality on a single machine.
pub fn development_config_genesis() -> Value {
	genesis(
		vec![validator(Sr25519Keyring::AliceStash, Sr25519Keyring::Alice, Ed25519Keyring::Alice)],
		dev_accounts(),
		dev_governance(),
		Classes::WithDev,
	)
}

/// Four validators, for zombienet and multi-node tests.
pub fn local_testnet_genesis() -> Value {
	genesis(
		vec![
			validator(Sr25519Keyring::AliceStash, Sr25519Keyring::Alice, Ed25519Keyring::Alice),
			validator(Sr25519Keyring::BobStash, Sr25519Keyring::Bob, Ed25519Keyring::Bob),
			validator(
				Sr25519Keyring::CharlieStash,
				Sr25519Keyring::Charlie,
				Ed25519Keyring::Charlie,
			),
			validator(Sr25519Keyring::DaveStash, Sr25519Keyring::Dave, Ed25519Keyring::Dave),
		],
		dev_accounts(),
		dev_governance(),
		Classes::WithDev,
	)
}

/// The production preset's name.
pub const MAINNET_PRESET: &str = "mainnet";

/// Production-shaped: four validators, a council of seven and a technical committee of three,
/// no sudo key, the GPU classes only (`gpu-80g` is class 0, `gpu-24g` class 1); only validators
/// and members are endowed (beside the vested allocation and the
/// treasury). The keys are the public dev keys, standing in for launch keys.
pub fn mainnet_genesis() -> Value {
	use Sr25519Keyring::*;
	let council: Vec<AccountId> =
		[Alice, Bob, Charlie, Dave, Eve, Ferdie, One].iter().map(|k| k.to_account_id()).collect();
	let technical_committee: Vec<AccountId> =
		[Alice, Bob, Charlie].iter().map(|k| k.to_account_id()).collect();
	let validators = vec![
		validator(AliceStash, Alice, Ed25519Keyring::Alice),
		validator(BobStash, Bob, Ed25519Keyring::Bob),
		validator(CharlieStash, Charlie, Ed25519Keyring::Charlie),
		validator(DaveStash, Dave, Ed25519Keyring::Dave),
	];
	let mut endowed: Vec<AccountId> = validators.iter().map(|(a, _)| a.clone()).collect();
	// `One` also holds a vested grant: endowing it twice would duplicate its balance.
	endowed.extend(council.iter().filter(|a| **a != One.to_account_id()).cloned());
	genesis(
		validators,
		endowed,
		Governance { sudo: None, council, technical_committee },
		Classes::GpuOnly,
	)
}

/// The JSON patch of the named preset, if there is one.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_testnet_genesis(),
		MAINNET_PRESET => mainnet_genesis(),
		_ => return None,
	};
	serde_json::to_string(&patch).ok().map(|s| s.into_bytes())
}

/// Overlays `patch` on `base`, as the node does with a preset.
#[cfg(feature = "std")]
fn merge(base: &mut Value, patch: Value) {
	match (base, patch) {
		(Value::Object(base), Value::Object(patch)) => {
			for (key, value) in patch {
				merge(base.entry(key).or_insert(Value::Null), value);
			}
		}
		(base, patch) => *base = patch,
	}
}

/// The genesis storage of the named preset (the default config with the preset's patch, as the
/// node builds it), for the runtime's tests and the simulator.
#[cfg(feature = "std")]
pub fn preset_storage(name: &str) -> Result<sp_runtime::Storage, alloc::string::String> {
	use alloc::string::ToString;
	use sp_runtime::BuildStorage;
	let mut config =
		serde_json::to_value(crate::RuntimeGenesisConfig::default()).map_err(|e| e.to_string())?;
	let patch = get_preset(&name.into()).ok_or_else(|| alloc::format!("no preset {name}"))?;
	merge(&mut config, serde_json::from_slice(&patch).map_err(|e| e.to_string())?);
	let config: crate::RuntimeGenesisConfig =
		serde_json::from_value(config).map_err(|e| e.to_string())?;
	config.build_storage()
}

/// The names of the presets this runtime has.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
		PresetId::from(MAINNET_PRESET),
	]
}
