//! Issue 18: governance without sudo, through the runtime as it is wired — motions of the
//! council and the technical committee, root by both houses, the treasury, the production
//! preset, and the candidacy bond an equivocation costs.

#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

use crate::{
	configs::TreasuryAccount, currency::EMB, genesis_config_presets, AccountId, Balances, Council,
	DeviceRegistry, Runtime, RuntimeCall, RuntimeEvent, RuntimeOrigin, Slashing, System,
	TechnicalCommittee, Treasury, ValidatorSet, Whitelist,
};
use codec::Encode;
use frame_support::{assert_noop, assert_ok, dispatch::GetDispatchInfo, traits::Get};
use sp_core::{Pair, H256};
use sp_keyring::Sr25519Keyring::{self, *};
use sp_runtime::{traits::Hash, DispatchError, Perbill};

fn preset_ext(name: &str) -> sp_io::TestExternalities {
	let mut ext =
		sp_io::TestExternalities::new(genesis_config_presets::preset_storage(name).unwrap());
	ext.execute_with(|| System::set_block_number(1));
	ext
}

fn signed(who: Sr25519Keyring) -> RuntimeOrigin {
	RuntimeOrigin::signed(who.to_account_id())
}

/// Which collective a motion goes to.
#[derive(Clone, Copy)]
enum Body {
	Council,
	Technical,
}

/// `proposer` moves `call` in `body` needing `threshold` ayes, it and `voters` vote aye, and the motion
/// is closed; returns the motion's hash.
fn motion(
	body: Body,
	threshold: u32,
	call: RuntimeCall,
	proposer: Sr25519Keyring,
	voters: &[Sr25519Keyring],
) -> H256 {
	let length = call.encoded_size() as u32;
	let weight = call.get_dispatch_info().call_weight;
	let hash = <Runtime as frame_system::Config>::Hashing::hash_of(&call);
	let boxed = Box::new(call);
	let (index, result) = match body {
		Body::Council => {
			let index = pallet_collective::ProposalCount::<
				Runtime,
				crate::configs::CouncilCollective,
			>::get();
			(index, Council::propose(signed(proposer), threshold, boxed, length))
		}
		Body::Technical => {
			let index = pallet_collective::ProposalCount::<
				Runtime,
				crate::configs::TechnicalCollective,
			>::get();
			(index, TechnicalCommittee::propose(signed(proposer), threshold, boxed, length))
		}
	};
	assert_ok!(result);
	// A proposer votes like any member.
	for voter in core::iter::once(&proposer).chain(voters) {
		match body {
			Body::Council => {
				assert_ok!(Council::vote(signed(*voter), hash, index, true));
			}
			Body::Technical => {
				assert_ok!(TechnicalCommittee::vote(signed(*voter), hash, index, true));
			}
		}
	}
	match body {
		Body::Council => {
			assert_ok!(Council::close(signed(proposer), hash, index, weight, length));
		}
		Body::Technical => {
			assert_ok!(TechnicalCommittee::close(signed(proposer), hash, index, weight, length));
		}
	}
	hash
}

/// Whether the motion `hash` was executed and its call succeeded.
fn executed_ok(hash: H256) -> bool {
	System::events().iter().any(|record| {
		matches!(
			&record.event,
			RuntimeEvent::Council(pallet_collective::Event::Executed { proposal_hash, result: Ok(()) })
				| RuntimeEvent::TechnicalCommittee(pallet_collective::Event::Executed { proposal_hash, result: Ok(()) })
				if *proposal_hash == hash
		)
	})
}

fn gpu_class() -> pallet_device_registry::DeviceClassOf<Runtime> {
	pallet_device_registry::Classes::<Runtime>::get(1).unwrap()
}

#[test]
fn the_mainnet_preset_has_no_sudo_key_and_its_bodies_at_genesis() {
	preset_ext(genesis_config_presets::MAINNET_PRESET).execute_with(|| {
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), None);
		assert_noop!(
			crate::Sudo::sudo(
				signed(Alice),
				Box::new(frame_system::Call::remark { remark: vec![] }.into())
			),
			pallet_sudo::Error::<Runtime>::RequireSudo
		);
		assert_eq!(
			pallet_collective::Members::<Runtime, crate::configs::CouncilCollective>::get().len(),
			7
		);
		assert_eq!(
			pallet_collective::Members::<Runtime, crate::configs::TechnicalCollective>::get().len(),
			3
		);
		// Candidacy is open, and dev accounts that are neither members nor validators hold
		// nothing.
		assert!(pallet_collator_selection::DesiredCandidates::<Runtime>::get() > 0);
		// Only the GPU classes, priced, with pools: no CPU class to farm rewards with.
		assert_eq!(pallet_device_registry::NextClassId::<Runtime>::get(), 2);
		assert_eq!(
			pallet_device_registry::Classes::<Runtime>::get(0).unwrap().name.to_vec(),
			b"gpu-80g".to_vec()
		);
		for class in 0..2 {
			assert!(pallet_compute_price::Prices::<Runtime>::contains_key(class));
			assert!(pallet_compute_pools::Pools::<Runtime>::contains_key(class));
		}
		assert!(!pallet_compute_price::Prices::<Runtime>::contains_key(2));
		assert_eq!(
			Balances::free_balance(Two.to_account_id()),
			genesis_config_presets::allocation()[1].amount
		);
		assert_eq!(
			Balances::free_balance(AliceStash.to_account_id()),
			genesis_config_presets::ENDOWMENT
		);
		assert_eq!(Balances::free_balance(EveStash.to_account_id()), 0);
		crate::Issuance::do_try_state().unwrap();
	});
	// The dev chains keep Alice as sudo beside the same kind of bodies.
	preset_ext("development").execute_with(|| {
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), Some(Alice.to_account_id()));
		assert_eq!(
			pallet_collective::Members::<Runtime, crate::configs::CouncilCollective>::get().len(),
			5
		);
	});
}

#[test]
fn a_council_motion_creates_a_class_and_prices_it() {
	preset_ext(genesis_config_presets::MAINNET_PRESET).execute_with(|| {
		let class = pallet_device_registry::NextClassId::<Runtime>::get();
		let price = 3 * EMB;
		let call: RuntimeCall = pallet_utility::Call::batch_all {
			calls: vec![
				pallet_device_registry::Call::create_class { class: gpu_class() }.into(),
				pallet_compute_price::Call::add_price {
					class,
					price,
					floor: price / 20,
					target: 500,
				}
				.into(),
				pallet_compute_pools::Call::create_pool { class }.into(),
			],
		}
		.into();
		// Nobody can do it alone: not a member, not a member's own signature.
		assert_noop!(
			DeviceRegistry::create_class(signed(Alice), gpu_class()),
			DispatchError::BadOrigin
		);
		// Three of seven is not a majority: the motion closes disapproved, nothing changes.
		let length = call.encoded_size() as u32;
		let hash = <Runtime as frame_system::Config>::Hashing::hash_of(&call);
		assert_ok!(Council::propose(signed(Alice), 4, Box::new(call.clone()), length));
		assert_ok!(Council::vote(signed(Alice), hash, 0, true));
		assert_ok!(Council::vote(signed(Bob), hash, 0, true));
		assert_ok!(Council::vote(signed(Charlie), hash, 0, true));
		assert_noop!(
			Council::close(signed(Alice), hash, 0, call.get_dispatch_info().call_weight, length),
			pallet_collective::Error::<Runtime, crate::configs::CouncilCollective>::TooEarly
		);
		assert_ok!(Council::vote(signed(Dave), hash, 0, true));
		assert_ok!(Council::close(
			signed(Alice),
			hash,
			0,
			call.get_dispatch_info().call_weight,
			length
		));
		assert!(executed_ok(hash));
		assert!(pallet_device_registry::Classes::<Runtime>::contains_key(class));
		assert_eq!(pallet_compute_price::Prices::<Runtime>::get(class).unwrap().price, price);
		assert!(pallet_compute_pools::Pools::<Runtime>::contains_key(class));
		// A motion passed by a minority's threshold executes, but the call refuses its origin.
		let hash = motion(
			Body::Council,
			2,
			pallet_compute_price::Call::set_parameters { class, floor: price / 10, target: 500 }
				.into(),
			Alice,
			&[Bob],
		);
		assert!(!executed_ok(hash));
		assert_eq!(pallet_compute_price::Prices::<Runtime>::get(class).unwrap().floor, price / 20);
	});
}

#[test]
fn the_technical_committee_upholds_an_accusation_inside_the_window() {
	preset_ext(genesis_config_presets::MAINNET_PRESET).execute_with(|| {
		let owner = Ferdie.to_account_id();
		let device_key = sp_core::sr25519::Pair::from_seed(&[9; 32]);
		let fingerprint = H256::repeat_byte(9);
		let genesis = H256::from_slice(System::block_hash(0).as_ref());
		let signature = device_key
			.sign(&pallet_device_registry::attestation::registration_payload(
				&owner,
				&fingerprint,
				&genesis,
			))
			.0;
		assert_ok!(DeviceRegistry::register_device(
			RuntimeOrigin::signed(owner),
			1,
			u32::MAX,
			fingerprint,
			device_key.public().0,
			signature,
			pallet_device_registry::Attestation::SelfSigned
		));
		assert_ok!(Slashing::report(
			signed(Eve),
			0,
			ember_primitives::Offence::ResultMismatch,
			ember_primitives::Incident::Lease(1)
		));
		// One member cannot uphold it; two of three can.
		assert_noop!(Slashing::uphold(signed(Alice), 0), DispatchError::BadOrigin);
		let hash = motion(
			Body::Technical,
			2,
			pallet_slashing::Call::uphold { id: 0 }.into(),
			Alice,
			&[Bob],
		);
		assert!(executed_ok(hash));
		assert!(pallet_slashing::Pending::<Runtime>::get(0).unwrap().upheld);
		// The committee's motions last a day: a dispute raised at once is decided in the window.
		assert!(
			crate::configs::TechnicalMotionDuration::get() <= crate::configs::DisputeWindow::get()
		);
		// The committee cannot set the split: that is the council's (two thirds).
		let split = pallet_slashing::SlashSplit::default();
		let hash = motion(
			Body::Technical,
			3,
			pallet_slashing::Call::set_split { split }.into(),
			Alice,
			&[Bob, Charlie],
		);
		assert!(!executed_ok(hash));
		Slashing::do_try_state().unwrap();
	});
}

#[test]
fn root_needs_both_houses() {
	preset_ext(genesis_config_presets::MAINNET_PRESET).execute_with(|| {
		// Root-only: the council's own membership.
		let members: Vec<AccountId> =
			[Alice, Bob, Charlie].iter().map(|k| k.to_account_id()).collect();
		let call: RuntimeCall =
			pallet_collective::Call::<Runtime, crate::configs::CouncilCollective>::set_members {
				new_members: members.clone(),
				prime: None,
				old_count: 7,
			}
			.into();
		let call_hash = <Runtime as frame_system::Config>::Hashing::hash_of(&call);
		// The council alone (six of seven) cannot dispatch it: it is only deferred, and the
		// committee has not whitelisted it.
		let dispatch: RuntimeCall =
			pallet_whitelist::Call::dispatch_whitelisted_call_with_preimage {
				call: Box::new(call.clone()),
			}
			.into();
		let hash =
			motion(Body::Council, 6, dispatch.clone(), Alice, &[Bob, Charlie, Dave, Eve, Ferdie]);
		assert!(executed_ok(hash));
		assert_eq!(
			pallet_collective::Members::<Runtime, crate::configs::CouncilCollective>::get().len(),
			7
		);
		// The committee whitelists it (two of three); a relayer may now dispatch it as root.
		let hash = motion(
			Body::Technical,
			2,
			pallet_whitelist::Call::whitelist_call { call_hash }.into(),
			Alice,
			&[Bob],
		);
		assert!(executed_ok(hash));
		assert_ok!(Whitelist::dispatch_whitelisted_call_with_preimage(
			signed(Ferdie),
			Box::new(call)
		));
		assert_eq!(
			pallet_collective::Members::<Runtime, crate::configs::CouncilCollective>::get(),
			{
				let mut sorted = members;
				sorted.sort();
				sorted
			}
		);
	});
}

#[test]
fn the_treasury_gets_issuances_share_and_pays_a_council_spend() {
	preset_ext(genesis_config_presets::MAINNET_PRESET).execute_with(|| {
		let treasury = TreasuryAccount::get();
		assert_eq!(Treasury::account_id(), treasury);
		// A month with base prices paid: a quarter of the mint is the treasury's.
		let before = Balances::free_balance(&treasury);
		<crate::Issuance as ember_primitives::OnComputePayment>::on_compute_payment(1_000 * EMB);
		let period: u32 = crate::configs::IssuancePeriod::get();
		System::set_block_number(period);
		<crate::Issuance as frame_support::traits::Hooks<u32>>::on_initialize(period);
		let minted = Balances::free_balance(&treasury) - before;
		assert_eq!(minted, Perbill::from_percent(25) * (2_000 * EMB));
		// Three fifths of the council spend 500 EMB to Ferdie, who is paid at once.
		let ferdie = Ferdie.to_account_id();
		let ferdie_before = Balances::free_balance(&ferdie);
		let spend: RuntimeCall = pallet_treasury::Call::spend {
			asset_kind: Box::new(()),
			amount: 500 * EMB,
			beneficiary: Box::new(ferdie.clone()),
			valid_from: None,
		}
		.into();
		let hash = motion(Body::Council, 5, spend, Alice, &[Bob, Charlie, Dave, Eve]);
		assert!(executed_ok(hash));
		assert_ok!(Treasury::payout(signed(Ferdie), 0));
		assert_eq!(Balances::free_balance(&ferdie) - ferdie_before, 500 * EMB);
		// Above the council's limit needs root.
		let spend: RuntimeCall = pallet_treasury::Call::spend {
			asset_kind: Box::new(()),
			amount: crate::configs::CouncilSpendLimit::get() + 1,
			beneficiary: Box::new(ferdie),
			valid_from: None,
		}
		.into();
		let hash = motion(Body::Council, 7, spend, Alice, &[Bob, Charlie, Dave, Eve, Ferdie, One]);
		assert!(!executed_ok(hash));
	});
}

/// A validator candidate that equivocates loses the offence's share of its candidacy bond to the
/// treasury and its candidacy; a later report of the same slot (with a larger fraction, as
/// pallet-offences sends when more offenders join) takes nothing more.
#[test]
fn an_equivocating_candidate_loses_part_of_its_bond_and_its_candidacy() {
	use sp_staking::offence::{OffenceDetails, OnOffenceHandler};
	preset_ext("local_testnet").execute_with(|| {
		let bob = BobStash.to_account_id();
		// The validator set is root's (both houses): a council motion alone is refused.
		let remove: RuntimeCall =
			pallet_collator_selection::Call::remove_invulnerable { who: bob.clone() }.into();
		let hash = motion(Body::Council, 5, remove, Alice, &[Bob, Charlie, Dave, Eve]);
		assert!(!executed_ok(hash));
		// Root makes Bob a candidate instead of an invulnerable.
		assert_ok!(ValidatorSet::remove_invulnerable(RuntimeOrigin::root(), bob.clone()));
		assert_ok!(ValidatorSet::register_as_candidate(RuntimeOrigin::signed(bob.clone())));
		let bond = genesis_config_presets::CANDIDACY_BOND;
		assert_eq!(Balances::reserved_balance(&bob), bond);
		let (treasury, free) =
			(Balances::free_balance(TreasuryAccount::get()), Balances::free_balance(&bob));
		let offend = |fraction| {
			crate::configs::PunishOffenders::on_offence(
				&[OffenceDetails { offender: (bob.clone(), ()), reporters: vec![] }],
				&[fraction],
				crate::Session::current_index(),
			)
		};
		let fraction = Perbill::from_percent(30);
		offend(fraction);
		let slashed = fraction.mul_ceil(bond);
		assert_eq!(Balances::reserved_balance(&bob), 0);
		assert_eq!(Balances::free_balance(&bob) - free, bond - slashed);
		assert_eq!(Balances::free_balance(TreasuryAccount::get()) - treasury, slashed);
		assert!(pallet_collator_selection::CandidateList::<Runtime>::get().is_empty());
		assert!(pallet_collator_selection::LastAuthoredBlock::<Runtime>::get(&bob) == 0);
		System::assert_has_event(
			pallet_collator_selection::Event::<Runtime>::CandidateRemoved {
				account_id: bob.clone(),
			}
			.into(),
		);
		// The same slot reported again with a larger fraction: nothing more is taken.
		offend(Perbill::from_percent(90));
		assert_eq!(Balances::free_balance(TreasuryAccount::get()) - treasury, slashed);
		// It may stand again, with a full bond.
		assert_ok!(ValidatorSet::register_as_candidate(RuntimeOrigin::signed(bob.clone())));
		assert_eq!(Balances::reserved_balance(&bob), bond);
	});
}

/// An equivocating candidate that is the last eligible validator is slashed but keeps its seat:
/// the set is never emptied.
#[test]
fn the_last_eligible_validator_is_slashed_but_kept() {
	use sp_staking::offence::{OffenceDetails, OnOffenceHandler};
	preset_ext("local_testnet").execute_with(|| {
		let bob = BobStash.to_account_id();
		let root = || RuntimeOrigin::root();
		assert_ok!(ValidatorSet::remove_invulnerable(root(), bob.clone()));
		assert_ok!(ValidatorSet::register_as_candidate(RuntimeOrigin::signed(bob.clone())));
		for stash in [AliceStash, CharlieStash, DaveStash] {
			assert_ok!(ValidatorSet::remove_invulnerable(root(), stash.to_account_id()));
		}
		let bond = genesis_config_presets::CANDIDACY_BOND;
		let fraction = Perbill::from_percent(50);
		crate::configs::PunishOffenders::on_offence(
			&[OffenceDetails { offender: (bob.clone(), ()), reporters: vec![] }],
			&[fraction],
			crate::Session::current_index(),
		);
		let candidates = pallet_collator_selection::CandidateList::<Runtime>::get();
		assert_eq!(candidates.len(), 1);
		assert_eq!(candidates[0].deposit, bond - fraction.mul_ceil(bond));
		assert_eq!(Balances::reserved_balance(&bob), candidates[0].deposit);
	});
}

/// Issue 18's review: the council alone cannot reach root by appointing its own committee, nor
/// drop the committee's motions.
#[test]
fn the_council_cannot_appoint_the_committee() {
	preset_ext(genesis_config_presets::MAINNET_PRESET).execute_with(|| {
		let set: RuntimeCall =
			pallet_collective::Call::<Runtime, crate::configs::TechnicalCollective>::set_members {
				new_members: vec![Alice.to_account_id()],
				prime: None,
				old_count: 3,
			}
			.into();
		let hash = motion(Body::Council, 7, set, Alice, &[Bob, Charlie, Dave, Eve, Ferdie, One]);
		assert!(!executed_ok(hash));
		assert_eq!(
			pallet_collective::Members::<Runtime, crate::configs::TechnicalCollective>::get().len(),
			3
		);
	});
}
