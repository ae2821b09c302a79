//! try-runtime on a populated chain: the upgrade checks (migrations' pre/post checks, every
//! pallet's `try_state`, the whole state decoding) and the re-execution of a real block pass on
//! the state the fuzzer's market and slashing scenarios leave, and fail — through the runtime
//! API that the try-runtime CLI calls — once an invariant is broken.

use ember_fuzz::{seeds, Chain, Oracles};
use ember_runtime::{Block, Executive, Runtime};
use frame_support::traits::{GetStorageVersion, StorageVersion};
use frame_try_runtime::{
	runtime_decl_for_try_runtime::TryRuntimeV1, TryStateSelect, UpgradeCheckSelect,
};

/// The state after the slashing seed (two staked devices, a lease, reports pending), with the
/// block open for more.
fn populated() -> Chain {
	let ops = seeds::all().into_iter().find(|(name, _)| name.starts_with("evidence")).unwrap().1;
	let mut chain = Chain::start(Oracles::state_only()).unwrap();
	for op in &ops {
		chain.run(op).unwrap();
	}
	chain
}

/// Every key and value of the state, as the try-runtime CLI downloads it.
fn snapshot() -> sp_runtime::Storage {
	let mut storage = sp_runtime::Storage::default();
	let mut key = Vec::new();
	while let Some(next) = sp_io::storage::next_key(&key) {
		let value = sp_io::storage::get(&next).unwrap();
		storage.top.insert(next.clone(), value.to_vec());
		key = next;
	}
	storage
}

/// Breaks an invariant compute-pools' `try_state` checks: a live stake loses its device index.
fn break_a_stake_index() {
	let (_, stake) = pallet_compute_pools::Stakes::<Runtime>::iter().next().unwrap();
	pallet_compute_pools::DeviceStake::<Runtime>::remove(stake.device);
}

fn panics(f: impl FnOnce() + std::panic::UnwindSafe) -> bool {
	std::panic::catch_unwind(f).is_err()
}

#[test]
fn the_upgrade_checks_pass_on_a_populated_chain_and_fail_on_a_broken_invariant() {
	ember_fuzz::chain::new_externalities().execute_with(|| {
		let mut chain = populated();
		chain.close_block().unwrap();
		assert!(pallet_compute_pools::Stakes::<Runtime>::iter().count() >= 2);
		// Three reports made, and applied, cancelled or lapsed by the end.
		assert!(pallet_slashing::NextSlashId::<Runtime>::get() >= 3);

		Executive::try_runtime_upgrade(UpgradeCheckSelect::All).unwrap();
		// What the CLI calls returns normally.
		let (_, limit) =
			<Runtime as TryRuntimeV1<Block>>::on_runtime_upgrade(UpgradeCheckSelect::All);
		assert!(limit.ref_time() > 0);

		break_a_stake_index();
		assert!(Executive::try_runtime_upgrade(UpgradeCheckSelect::All).is_err());
		// It is the broken index that fails (the upgrade checks only say "see the logs").
		assert!(pallet_compute_pools::Pallet::<Runtime>::do_try_state().is_err());
		// And the runtime API fails rather than returning as if the checks had passed.
		assert!(panics(|| {
			<Runtime as TryRuntimeV1<Block>>::on_runtime_upgrade(UpgradeCheckSelect::All);
		}));
	});
}

#[test]
fn a_built_block_re_executes_with_checks_and_fails_on_a_broken_invariant() {
	// Build a block on the populated chain, keeping the state it was built on.
	let (pre_state, block) = ember_fuzz::chain::new_externalities().execute_with(|| {
		let mut chain = populated();
		chain.close_block().unwrap();
		let pre_state = snapshot();
		chain.open_block().unwrap();
		// Answers (the miners are on), a purchase and a transfer in the block.
		chain.run(&ember_fuzz::Op::Buy { who: 4, class: 0, hours: 10, max_emb: 500 }).unwrap();
		let extrinsics_before_close = chain.block_extrinsics.clone();
		assert!(extrinsics_before_close.len() >= 2, "{extrinsics_before_close:?}");
		let header = chain.close_block().unwrap();
		(pre_state, Block { header, extrinsics: extrinsics_before_close })
	});

	let execute = |storage: sp_runtime::Storage, broken: bool| {
		let block = block.clone();
		sp_io::TestExternalities::new(storage).execute_with(move || {
			if broken {
				break_a_stake_index();
			}
			Executive::try_execute_block(block.into(), true, true, TryStateSelect::All)
		})
	};
	execute(pre_state.clone(), false).unwrap();
	assert!(execute(pre_state.clone(), true).is_err());
	// Through the runtime API: passes, then fails loudly.
	let via_api = |storage: sp_runtime::Storage, broken: bool| {
		let block = block.clone();
		panics(move || {
			sp_io::TestExternalities::new(storage).execute_with(move || {
				if broken {
					break_a_stake_index();
				}
				<Runtime as TryRuntimeV1<Block>>::execute_block(
					block.into(),
					true,
					true,
					TryStateSelect::All,
				);
			})
		})
	};
	assert!(!via_api(pre_state.clone(), false));
	assert!(via_api(pre_state, true));
}

#[test]
fn the_slashing_v1_migration_passes_its_checks_on_a_version_0_state() {
	use frame_support::traits::fungible::MutateHold;
	use pallet_slashing::migrations::v1::{Pending as PendingV0, PendingSlashV0};
	use sp_keyring::Sr25519Keyring::Charlie;
	ember_fuzz::chain::new_externalities().execute_with(|| {
		let mut chain = Chain::start(Oracles::state_only()).unwrap();
		chain.run(&ember_fuzz::Op::Register { owner: 1, class: 0 }).unwrap();
		chain.close_block().unwrap();
		// A version-0 chain: a chain-seen slash and a report with its deposit held, keyed by
		// device and incident.
		let due = chain.number() + 10;
		let v0 = |reporter| PendingSlashV0 {
			offence: ember_primitives::Offence::ResultMismatch,
			fraction: sp_runtime::Perbill::from_percent(10),
			reporter,
			apply_at: due,
		};
		let deposit = 10 * ember_runtime::currency::EMB;
		let reason =
			ember_runtime::RuntimeHoldReason::Slashing(pallet_slashing::HoldReason::ReportDeposit);
		ember_runtime::Balances::hold(&reason, &Charlie.to_account_id(), deposit).unwrap();
		PendingV0::<Runtime>::insert(0, ember_primitives::Incident::Challenge(5), v0(None));
		PendingV0::<Runtime>::insert(
			0,
			ember_primitives::Incident::Lease(1),
			v0(Some((Charlie.to_account_id(), deposit))),
		);
		StorageVersion::new(0).put::<pallet_slashing::Pallet<Runtime>>();
		let next = pallet_slashing::NextSlashId::<Runtime>::get();

		Executive::try_runtime_upgrade(UpgradeCheckSelect::PreAndPost).unwrap();
		assert_eq!(
			pallet_slashing::Pallet::<Runtime>::on_chain_storage_version(),
			StorageVersion::new(1)
		);
		let migrated = pallet_slashing::Pending::<Runtime>::get(next).unwrap();
		assert_eq!((migrated.device, migrated.apply_at), (0, due));
		assert_eq!(pallet_slashing::NextSlashId::<Runtime>::get(), next + 1);
		// The report was dropped and its deposit returned.
		assert_eq!(ember_runtime::Balances::reserved_balance(Charlie.to_account_id()), 0);
	});
}
