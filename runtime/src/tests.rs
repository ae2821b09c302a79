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
	for (preset, validators, classes) in [
		("development", 1, 3),
		("local_testnet", 4, 3),
		(genesis_config_presets::MAINNET_PRESET, 4, 2),
	] {
		preset_ext(preset).execute_with(|| {
			assert_eq!(pallet_grandpa::Pallet::<Runtime>::grandpa_authorities().len(), validators);
			assert_eq!(pallet_babe::Authorities::<Runtime>::get().len(), validators);
			assert_eq!(pallet_session::Validators::<Runtime>::get().len(), validators);
			assert!(pallet_session::Validators::<Runtime>::get()
				.contains(&Sr25519Keyring::AliceStash.to_account_id()));
			assert_eq!(pallet_device_registry::NextClassId::<Runtime>::get(), classes);
			// Every preset class is priced and has a pool; the reward pot is funded.
			for class in 0..classes {
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
			assert_eq!(pallet_issuance::Recipients::<Runtime>::get().len(), 6);
			// The verifiers' pot is funded and `cpu-dev` has round parameters.
			assert_eq!(
				Balances::free_balance(crate::Verifiers::pot()),
				genesis_config_presets::VERIFIERS_POT
			);
			// `cpu-dev` (class 0 on development chains) has round parameters; production
			// chains start without a CPU class, and GPU rounds are governance's to set.
			assert_eq!(pallet_verifiers::RoundPolicy::<Runtime>::contains_key(0), classes == 3);
			crate::Verifiers::do_try_state().unwrap();
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
		// A stranger's accusation: it applies only because governance upholds it.
		assert_ok!(Slashing::report(
			RuntimeOrigin::signed(reporter.clone()),
			0,
			ember_primitives::Offence::ResultMismatch,
			ember_primitives::Incident::Lease(1)
		));
		let deposit = Balances::reserved_balance(&reporter);
		assert_eq!(deposit, bond / 100);
		assert_ok!(Slashing::uphold(RuntimeOrigin::root(), 0));
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
		u32::MAX,
		fingerprint,
		device_key.public().0,
		signature,
		Attestation::SelfSigned
	));
	device_key
}

/// Runs PoCPS's block initialization up to block `n`, giving each block the VRF output BABE
/// would have written for its parent.
fn run_to(n: u32) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		let vrf = sp_io::hashing::blake2_256(&next.to_le_bytes());
		pallet_babe::AuthorVrfRandomness::<Runtime>::put(Some(vrf));
		Pocps::on_initialize(next);
	}
}

/// Seals `owner`'s `cpu-dev` device 0 as the miner does and commits it; returns the dataset.
fn seal_cpu_dev(owner: &AccountId, device_key: &sp_core::sr25519::Pair) -> Dataset {
	let params = genesis_config_presets::CPU_DEV_PARAMS;
	let ek = pallet_pocps::encoding_key::<Runtime>(&device_key.public().0, 1);
	let data = Dataset::seal::<pallet_pocps::HostSha256>(params, ek).unwrap();
	assert_ok!(Pocps::commit_seal(RuntimeOrigin::signed(owner.clone()), 0, data.root(), 1, params));
	data
}

/// The device's open challenge once its seed is on chain (running blocks until it is), with
/// the honest answer to it.
fn answerable(device: u64, data: &Dataset) -> (u64, ember_pocps::Proof) {
	loop {
		if let Some((id, view)) = Pocps::open_challenges(device).pop() {
			if let Some(seed) = view.seed {
				let proof = data.prove::<pallet_pocps::HostSha256>(&seed, view.info.seal_check);
				return (id, proof.unwrap());
			}
		}
		assert!(System::block_number() < 2_000, "challenges keep coming");
		run_to(System::block_number() + 1);
	}
}

#[test]
fn register_seal_challenged_at_random_answer_then_miss_a_deadline() {
	preset_ext("development").execute_with(|| {
		run_to(1);
		let owner: AccountId = Sr25519Keyring::Bob.to_account_id();
		let device_key = register(&owner, 0, 7);
		let device = 0;
		let data = seal_cpu_dev(&owner, &device_key);
		let status = || pallet_device_registry::Devices::<Runtime>::get(device).unwrap().status;
		assert_eq!(status(), DeviceStatus::Sealed);

		// Answer the seal check, then storage challenges drawn at blocks nobody scheduled.
		let mut opened_at = Vec::new();
		while opened_at.len() < 4 {
			let (id, proof) = answerable(device, &data);
			opened_at.push(pallet_pocps::Challenges::<Runtime>::get(id).unwrap().opened_at);
			assert_ok!(Pocps::respond(RuntimeOrigin::signed(owner.clone()), id, Box::new(proof)));
		}
		assert_eq!(status(), DeviceStatus::Active);
		assert_eq!(pallet_pocps::Stats::<Runtime>::get(device).answered, 4);
		let gaps: Vec<u32> = opened_at.windows(2).map(|w| w[1] - w[0]).collect();
		assert!(gaps.iter().all(|gap| *gap >= 2), "opened at {opened_at:?}");

		// Proven, it stakes its hours as the class pool's first liquidity.
		let min_epochs = ComputePools::min_stake_epochs();
		assert_ok!(ComputePools::stake(
			RuntimeOrigin::signed(owner.clone()),
			device,
			min_epochs.into(),
			min_epochs,
			pallet_compute_pools::StakeOffer::Provide {
				min_emb: 0,
				max_emb: 100 * crate::currency::EMB,
			}
		));
		let in_pool = Balances::free_balance(&owner);
		assert!(pallet_compute_pools::DeviceStake::<Runtime>::contains_key(device));

		// Then stay silent: the next drawn challenge's deadline passes and the chain records a
		// fault.
		let (id, _) = answerable(device, &data);
		let info = pallet_pocps::Challenges::<Runtime>::get(id).unwrap();
		run_to(info.deadline);
		assert_eq!(pallet_pocps::Stats::<Runtime>::get(device).missed, 1);
		assert_eq!(status(), DeviceStatus::Suspended);
		assert!(pallet_pocps::MemberOf::<Runtime>::get(device).is_none());
		// The fault reached the pools: the stake ended and its EMB came back.
		assert!(!pallet_compute_pools::DeviceStake::<Runtime>::contains_key(device));
		assert_eq!(pallet_compute_pools::Pools::<Runtime>::get(0).unwrap().rate, 0);
		assert!(Balances::free_balance(&owner) > in_pool);
		// And slashing scheduled at least what an invalid proof costs.
		let pending = pallet_slashing::Pending::<Runtime>::iter_values()
			.find(|p| p.device == device && p.incident == ember_primitives::Incident::Challenge(id))
			.unwrap();
		assert!(pending.fraction >= sp_runtime::Perbill::from_percent(10));

		DeviceRegistry::do_try_state().unwrap();
		Pocps::do_try_state().unwrap();
		ComputePools::do_try_state().unwrap();
		Slashing::do_try_state().unwrap();
		Issuance::do_try_state().unwrap();
		crate::Reputation::do_try_state().unwrap();
	});
}

/// `call` signed by `signer` with `nonce` and `tip`, immortal, as a wallet builds it.
fn signed(
	signer: Sr25519Keyring,
	nonce: u32,
	tip: crate::Balance,
	call: crate::RuntimeCall,
) -> crate::UncheckedExtrinsic {
	let extension: crate::TxExtension = (
		frame_system::AuthorizeCall::<Runtime>::new(),
		frame_system::CheckNonZeroSender::<Runtime>::new(),
		frame_system::CheckSpecVersion::<Runtime>::new(),
		frame_system::CheckTxVersion::<Runtime>::new(),
		frame_system::CheckGenesis::<Runtime>::new(),
		frame_system::CheckEra::<Runtime>::from(sp_runtime::generic::Era::Immortal),
		frame_system::CheckNonce::<Runtime>::from(nonce),
		frame_system::CheckWeight::<Runtime>::new(),
		pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(tip),
		frame_metadata_hash_extension::CheckMetadataHash::<Runtime>::new(false),
		pallet_pocps::PrioritizeAnswers::<Runtime>::new(),
		frame_system::WeightReclaim::<Runtime>::new(),
	);
	let genesis = System::block_hash(0);
	let implicit = (
		(),
		(),
		crate::VERSION.spec_version,
		crate::VERSION.transaction_version,
		genesis,
		genesis,
		(),
		(),
		(),
		None,
		(),
		(),
	);
	let payload = crate::SignedPayload::from_raw(call.clone(), extension.clone(), implicit);
	let signature = codec::Encode::using_encoded(&payload, |bytes| signer.pair().sign(bytes));
	crate::UncheckedExtrinsic::new_signed(
		call,
		sp_runtime::MultiAddress::Id(signer.to_account_id()),
		sp_runtime::MultiSignature::Sr25519(signature),
		extension,
	)
}

/// The priority the transaction pool gives `xt` (validated, then rolled back).
fn priority(xt: crate::UncheckedExtrinsic) -> u64 {
	frame_support::storage::with_transaction(|| {
		let validity = crate::Executive::validate_transaction(
			sp_runtime::transaction_validity::TransactionSource::External,
			xt,
			System::parent_hash(),
		);
		sp_runtime::TransactionOutcome::Rollback(Ok::<_, sp_runtime::DispatchError>(
			validity.unwrap().priority,
		))
	})
	.unwrap()
}

#[test]
fn an_answer_lands_in_a_block_full_of_large_tipped_remarks() {
	use sp_runtime::transaction_validity::{InvalidTransaction, TransactionValidityError};
	preset_ext("development").execute_with(|| {
		run_to(1);
		let owner = Sr25519Keyring::Bob;
		let device_key = register(&owner.to_account_id(), 0, 7);
		let data = seal_cpu_dev(&owner.to_account_id(), &device_key);
		// Past the seal check, the device's answers are storage proofs.
		let (id, proof) = answerable(0, &data);
		assert_ok!(Pocps::respond(
			RuntimeOrigin::signed(owner.to_account_id()),
			id,
			Box::new(proof)
		));
		let (id, proof) = answerable(0, &data);
		let challenge = pallet_pocps::Challenges::<Runtime>::get(id).unwrap();
		assert!(!challenge.seal_check);
		let deadline = challenge.deadline;
		let answer = signed(
			owner,
			0,
			0,
			crate::RuntimeCall::Pocps(pallet_pocps::Call::respond {
				challenge: id,
				proof: Box::new(proof),
			}),
		);
		// 1.3 MB remarks from four other accounts, each tipping 1 EMB (the attack seen on a dev
		// chain used 60 planck).
		let remark = |who| {
			signed(
				who,
				0,
				crate::currency::EMB,
				crate::RuntimeCall::System(frame_system::Call::remark {
					remark: vec![0u8; 1_300_000],
				}),
			)
		};
		let spammers = [
			Sr25519Keyring::Charlie,
			Sr25519Keyring::Dave,
			Sr25519Keyring::Eve,
			Sr25519Keyring::Ferdie,
		];
		// The pool puts the answer first, above any tip...
		let answer_priority = priority(answer.clone());
		assert!(answer_priority >= pallet_pocps::extension::ANSWER_PRIORITY);
		// ...and refuses answers from anyone but the device's owner, so junk cannot take their
		// place.
		let junk = signed(
			Sr25519Keyring::Charlie,
			0,
			crate::currency::EMB,
			crate::RuntimeCall::Pocps(pallet_pocps::Call::respond {
				challenge: id,
				proof: Box::new(data.prove::<pallet_pocps::HostSha256>(&[0; 32], false).unwrap()),
			}),
		);
		let refused = frame_support::storage::with_transaction(|| {
			let validity = crate::Executive::validate_transaction(
				sp_runtime::transaction_validity::TransactionSource::External,
				junk,
				System::parent_hash(),
			);
			sp_runtime::TransactionOutcome::Rollback(Ok::<_, sp_runtime::DispatchError>(validity))
		})
		.unwrap();
		assert_eq!(
			refused,
			Err(TransactionValidityError::Invalid(InvalidTransaction::Custom(
				pallet_pocps::extension::refusal::NOT_OWNER
			)))
		);
		for spammer in spammers {
			let remark_priority = priority(remark(spammer));
			assert!(answer_priority > remark_priority, "{answer_priority} <= {remark_priority}");
		}
		// And even when a block builder takes the remarks first, normal transactions stop at
		// 75 % of the block and the answer still fits the rest.
		let mut included = 0;
		for spammer in spammers {
			match crate::Executive::apply_extrinsic(remark(spammer)) {
				Ok(Ok(())) => included += 1,
				Err(TransactionValidityError::Invalid(InvalidTransaction::ExhaustsResources)) => {
					break
				}
				other => panic!("unexpected {other:?}"),
			}
		}
		assert_eq!(included, 3, "three 1.3 MB remarks fill the normal class");
		assert!(System::block_number() < deadline);
		let balance = Balances::free_balance(owner.to_account_id());
		assert_eq!(crate::Executive::apply_extrinsic(answer), Ok(Ok(())));
		// Answered: the seal check before, this storage challenge now.
		assert_eq!(pallet_pocps::Stats::<Runtime>::get(0).answered, 2);
		// A valid storage answer is free.
		assert_eq!(Balances::free_balance(owner.to_account_id()), balance);
		Pocps::do_try_state().unwrap();
		DeviceRegistry::do_try_state().unwrap();
	});
}

/// The target: at least 1,000 answers of every GPU class fit a block, by length and by
/// the benchmarked weights, after the block's own PoCPS work (a block drawing `AnswersPerBlock`
/// challenges). Prints, per class, the figures docs/benchmarks.md records.
#[test]
fn answers_per_block_by_length_and_weight() {
	use frame_support::dispatch::{DispatchClass, GetDispatchInfo};
	use pallet_pocps::WeightInfo as _;
	type PocpsWeights = <Runtime as pallet_pocps::Config>::WeightInfo;
	preset_ext("development").execute_with(|| {
		let weights = crate::configs::RuntimeBlockWeights::get();
		let operational = weights.get(DispatchClass::Operational);
		let base = operational.base_extrinsic;
		let answers = <Runtime as pallet_pocps::Config>::AnswersPerBlock::get();
		let hooks = PocpsWeights::on_initialize(answers, 0);
		let limit = operational.max_total.unwrap_or(weights.max_block);
		let available = limit.ref_time() - weights.base_block.ref_time() - hooks.ref_time();
		let block_length =
			*crate::configs::RuntimeBlockLength::get().max.get(DispatchClass::Operational);
		println!(
			"block: {} µs for operational extrinsics after {} µs of PoCPS on_initialize \
			 ({answers} draws), {block_length} bytes",
			available / 1_000_000,
			hooks.ref_time() / 1_000_000
		);
		for (name, params) in [
			("cpu-dev", genesis_config_presets::CPU_DEV_PARAMS),
			("gpu-24g", genesis_config_presets::GPU_24G_PARAMS),
			("gpu-80g", genesis_config_presets::GPU_80G_PARAMS),
		] {
			let (ek, seed) = ([7u8; 32], [9u8; 32]);
			let sparse = ember_pocps::prover::SparseDataset::for_challenge::<
				pallet_pocps::HostSha256,
			>(&params, &ek, &seed)
			.unwrap();
			let proof =
				sparse.prove::<pallet_pocps::HostSha256>(&params, &ek, &seed, false).unwrap();
			let proof_bytes = codec::Encode::encoded_size(&proof);
			let answer = signed(
				Sr25519Keyring::Bob,
				1_000_000,
				0,
				crate::RuntimeCall::Pocps(pallet_pocps::Call::respond {
					challenge: u64::MAX,
					proof: Box::new(proof),
				}),
			);
			let length = codec::Encode::encoded_size(&answer);
			let by_length = block_length as usize / length;
			// A block takes an answer while its pre-dispatch weight (a fault's outcome included)
			// fits; after dispatch a valid answer is charged what it used (`WeightReclaim`).
			let charged = answer.get_dispatch_info().total_weight() + base;
			let work = params.storage_verify_hashes() as u32;
			// Measured with the runtime's outcome listeners on the success path.
			let used = PocpsWeights::respond_storage(work) + base;
			let by_weight = (available - charged.ref_time()) / used.ref_time() + 1;
			println!(
				"{name}: storage proof {proof_bytes} B, extrinsic {length} B, {by_length} per \
				 block by length; {} µs used ({} µs charged up front), {by_weight} per block by \
				 weight",
				used.ref_time() / 1_000_000,
				charged.ref_time() / 1_000_000,
			);
			if name != "cpu-dev" {
				assert!(by_length >= 1_000, "{name}: {by_length} answers per block by length");
				assert!(by_weight >= 1_000, "{name}: {by_weight} answers per block by weight");
				assert!(by_length.min(by_weight as usize) >= answers as usize);
			}
		}
	});
}

/// A GRANDPA vote pair and a BABE header pair from Bob, each for one round or slot: both are
/// reported through the offences pipeline and Bob is disabled for the session.
#[test]
fn an_equivocating_validator_is_reported_and_disabled() {
	use codec::Encode;
	use frame_support::traits::KeyOwnerProofSystem;
	use sp_consensus_babe::digests::{PreDigest, SecondaryPlainPreDigest};
	use sp_keyring::Ed25519Keyring;
	use sp_runtime::{traits::Header as _, DigestItem};
	preset_ext("local_testnet").execute_with(|| {
		let bob = Sr25519Keyring::Bob.to_account_id();
		let bob_index = pallet_session::Validators::<Runtime>::get()
			.iter()
			.position(|v| *v == Sr25519Keyring::BobStash.to_account_id())
			.map(|i| i as u32);
		let bob_stash = Sr25519Keyring::BobStash.to_account_id();
		assert!(bob_index.is_some() && bob != bob_stash);
		assert!(pallet_session::DisabledValidators::<Runtime>::get().is_empty());

		// GRANDPA: two prevotes for different blocks in one round.
		let grandpa_id: sp_consensus_grandpa::AuthorityId = Ed25519Keyring::Bob.public().into();
		let set_id = crate::Grandpa::current_set_id();
		let round = 1;
		let vote = |hash: H256| {
			let prevote = finality_grandpa::Prevote { target_hash: hash, target_number: 1u32 };
			let payload = sp_consensus_grandpa::localized_payload(
				round,
				set_id,
				&finality_grandpa::Message::Prevote(prevote.clone()),
			);
			let signature: sp_consensus_grandpa::AuthoritySignature =
				Ed25519Keyring::Bob.pair().sign(&payload).into();
			(prevote, signature)
		};
		let proof = sp_consensus_grandpa::EquivocationProof::new(
			set_id,
			sp_consensus_grandpa::Equivocation::Prevote(finality_grandpa::Equivocation {
				round_number: round,
				identity: grandpa_id.clone(),
				first: vote(H256::repeat_byte(1)),
				second: vote(H256::repeat_byte(2)),
			}),
		);
		let key_owner = crate::Historical::prove((sp_consensus_grandpa::KEY_TYPE, grandpa_id))
			.expect("Bob's GRANDPA key is in the genesis session");
		// A report whose ownership proof names another key is refused.
		let alice_grandpa: sp_consensus_grandpa::AuthorityId =
			Ed25519Keyring::Alice.public().into();
		let wrong_owner =
			crate::Historical::prove((sp_consensus_grandpa::KEY_TYPE, alice_grandpa)).unwrap();
		assert!(crate::Grandpa::report_equivocation_unsigned(
			RuntimeOrigin::none(),
			Box::new(proof.clone()),
			wrong_owner
		)
		.is_err());
		assert_ok!(crate::Grandpa::report_equivocation_unsigned(
			RuntimeOrigin::none(),
			Box::new(proof),
			key_owner
		));
		assert_eq!(pallet_offences::Reports::<Runtime>::iter().count(), 1);
		assert_eq!(pallet_session::DisabledValidators::<Runtime>::get().len(), 1);
		assert_eq!(pallet_session::DisabledValidators::<Runtime>::get()[0].0, bob_index.unwrap());

		// BABE: two headers for one slot, both sealed by Bob's BABE key.
		let babe_id: sp_consensus_babe::AuthorityId = Sr25519Keyring::Bob.public().into();
		let slot = sp_consensus_babe::Slot::from(1);
		let header = |state_root: H256| {
			let pre = PreDigest::SecondaryPlain(SecondaryPlainPreDigest {
				authority_index: bob_index.unwrap(),
				slot,
			});
			let mut header = crate::Header::new(
				1,
				H256::zero(),
				state_root,
				System::parent_hash(),
				sp_runtime::Digest {
					logs: vec![DigestItem::PreRuntime(
						sp_consensus_babe::BABE_ENGINE_ID,
						pre.encode(),
					)],
				},
			);
			let signature: sp_consensus_babe::AuthoritySignature =
				Sr25519Keyring::Bob.pair().sign(header.hash().as_ref()).into();
			header
				.digest_mut()
				.push(DigestItem::Seal(sp_consensus_babe::BABE_ENGINE_ID, signature.encode()));
			header
		};
		let proof = sp_consensus_babe::EquivocationProof {
			offender: babe_id.clone(),
			slot,
			first_header: header(H256::repeat_byte(1)),
			second_header: header(H256::repeat_byte(2)),
		};
		let key_owner = crate::Historical::prove((sp_consensus_babe::KEY_TYPE, babe_id)).unwrap();
		assert_ok!(crate::Babe::report_equivocation_unsigned(
			RuntimeOrigin::none(),
			Box::new(proof),
			key_owner
		));
		assert_eq!(pallet_offences::Reports::<Runtime>::iter().count(), 2);
		// Still one disabled validator: Bob, and never more than a third of the four.
		assert_eq!(pallet_session::DisabledValidators::<Runtime>::get().len(), 1);
	});
}

/// Issue 16's bound: a verifier's call with 10,000 verdicts (every one a pass, the longest
/// entry) fits one block by weight and by length, at the measured weights.
#[test]
fn ten_thousand_verdicts_fit_one_block() {
	use codec::Encode;
	use frame_support::dispatch::{DispatchClass, GetDispatchInfo};
	use pallet_verifiers::{Verdict, VerdictsOf};
	let max: u32 = <Runtime as pallet_verifiers::Config>::MaxVerdicts::get();
	assert!(max >= 10_000);
	let pass = Verdict::Pass { nonce: [1; 32], result: [2; 32], signature: [3; 64] };
	let verdicts: VerdictsOf<Runtime> =
		(0..u64::from(max)).map(|device| (device, pass)).collect::<Vec<_>>().try_into().unwrap();
	let call =
		crate::RuntimeCall::Verifiers(pallet_verifiers::Call::post_verdicts { round: 1, verdicts });
	let weights = <Runtime as frame_system::Config>::BlockWeights::get();
	let normal = weights.get(DispatchClass::Normal);
	let weight = call.get_dispatch_info().call_weight;
	let max_extrinsic = normal.max_extrinsic.unwrap();
	assert!(
		weight.ref_time() <= max_extrinsic.ref_time(),
		"{} verdicts weigh {} ps, more than an extrinsic's {} ps",
		max,
		weight.ref_time(),
		max_extrinsic.ref_time()
	);
	let length = <Runtime as frame_system::Config>::BlockLength::get();
	let encoded = call.encode().len() as u32;
	assert!(encoded <= *length.max.get(DispatchClass::Normal), "{encoded} bytes");
	println!(
		"{max} verdicts: {:.3} s of {:.3} s, {encoded} bytes of {}",
		weight.ref_time() as f64 / 1e12,
		max_extrinsic.ref_time() as f64 / 1e12,
		length.max.get(DispatchClass::Normal)
	);
}
