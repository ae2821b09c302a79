//! Runtime APIs: what the node (consensus, transaction pool, RPC) and clients call into.

use crate::{
	configs::EpochDuration, AccountId, Babe, Balance, Block, BlockNumber, DeviceRegistry,
	Executive, Grandpa, InherentDataExt, Nonce, Pocps, Runtime, RuntimeCall, RuntimeGenesisConfig,
	SessionKeys, System, TransactionPayment, VERSION,
};
use alloc::vec::Vec;
use frame_support::{
	genesis_builder_helper::{build_state, get_preset},
	weights::Weight,
};
use sp_api::impl_runtime_apis;
use sp_core::{crypto::KeyTypeId, OpaqueMetadata};
use sp_runtime::{
	traits::Block as BlockT,
	transaction_validity::{TransactionSource, TransactionValidity},
	ApplyExtrinsicResult,
};
use sp_version::RuntimeVersion;

/// BABE's epoch configuration at genesis: one slot in four has a primary (VRF) author and every
/// other slot a secondary one, so blocks come every slot while primaries stay unpredictable.
pub const BABE_GENESIS_EPOCH_CONFIG: sp_consensus_babe::BabeEpochConfiguration =
	sp_consensus_babe::BabeEpochConfiguration {
		c: crate::time::PRIMARY_PROBABILITY,
		allowed_slots: sp_consensus_babe::AllowedSlots::PrimaryAndSecondaryVRFSlots,
	};

impl_runtime_apis! {
	impl sp_api::Core<Block> for Runtime {
		fn version() -> RuntimeVersion {
			VERSION
		}

		fn execute_block(block: <Block as BlockT>::LazyBlock) {
			Executive::execute_block(block);
		}

		fn initialize_block(header: &<Block as BlockT>::Header) -> sp_runtime::ExtrinsicInclusionMode {
			Executive::initialize_block(header)
		}
	}

	impl sp_api::Metadata<Block> for Runtime {
		fn metadata() -> OpaqueMetadata {
			OpaqueMetadata::new(Runtime::metadata().into())
		}

		fn metadata_at_version(version: u32) -> Option<OpaqueMetadata> {
			Runtime::metadata_at_version(version)
		}

		fn metadata_versions() -> Vec<u32> {
			Runtime::metadata_versions()
		}
	}

	impl frame_support::view_functions::runtime_api::RuntimeViewFunction<Block> for Runtime {
		fn execute_view_function(
			id: frame_support::view_functions::ViewFunctionId,
			input: Vec<u8>,
		) -> Result<Vec<u8>, frame_support::view_functions::ViewFunctionDispatchError> {
			Runtime::execute_view_function(id, input)
		}
	}

	impl sp_block_builder::BlockBuilder<Block> for Runtime {
		fn apply_extrinsic(extrinsic: <Block as BlockT>::Extrinsic) -> ApplyExtrinsicResult {
			Executive::apply_extrinsic(extrinsic)
		}

		fn finalize_block() -> <Block as BlockT>::Header {
			Executive::finalize_block()
		}

		fn inherent_extrinsics(data: sp_inherents::InherentData) -> Vec<<Block as BlockT>::Extrinsic> {
			data.create_extrinsics()
		}

		fn check_inherents(
			block: <Block as BlockT>::LazyBlock,
			data: sp_inherents::InherentData,
		) -> sp_inherents::CheckInherentsResult {
			data.check_extrinsics(&block)
		}
	}

	impl sp_transaction_pool::runtime_api::TaggedTransactionQueue<Block> for Runtime {
		fn validate_transaction(
			source: TransactionSource,
			tx: <Block as BlockT>::Extrinsic,
			block_hash: <Block as BlockT>::Hash,
		) -> TransactionValidity {
			Executive::validate_transaction(source, tx, block_hash)
		}
	}

	impl sp_offchain::OffchainWorkerApi<Block> for Runtime {
		fn offchain_worker(header: &<Block as BlockT>::Header) {
			Executive::offchain_worker(header)
		}
	}

	impl sp_consensus_babe::BabeApi<Block> for Runtime {
		fn configuration() -> sp_consensus_babe::BabeConfiguration {
			let epoch_config = Babe::epoch_config().unwrap_or(BABE_GENESIS_EPOCH_CONFIG);
			sp_consensus_babe::BabeConfiguration {
				slot_duration: Babe::slot_duration(),
				epoch_length: EpochDuration::get(),
				c: epoch_config.c,
				authorities: Babe::authorities().to_vec(),
				randomness: Babe::randomness(),
				allowed_slots: epoch_config.allowed_slots,
			}
		}

		fn current_epoch_start() -> sp_consensus_babe::Slot {
			Babe::current_epoch_start()
		}

		fn current_epoch() -> sp_consensus_babe::Epoch {
			Babe::current_epoch()
		}

		fn next_epoch() -> sp_consensus_babe::Epoch {
			Babe::next_epoch()
		}

		fn generate_key_ownership_proof(
			_slot: sp_consensus_babe::Slot,
			authority_id: sp_consensus_babe::AuthorityId,
		) -> Option<sp_consensus_babe::OpaqueKeyOwnershipProof> {
			use codec::Encode;
			use frame_support::traits::KeyOwnerProofSystem;
			crate::Historical::prove((sp_consensus_babe::KEY_TYPE, authority_id))
				.map(|proof| proof.encode())
				.map(sp_consensus_babe::OpaqueKeyOwnershipProof::new)
		}

		fn submit_report_equivocation_unsigned_extrinsic(
			equivocation_proof: sp_consensus_babe::EquivocationProof<<Block as BlockT>::Header>,
			key_owner_proof: sp_consensus_babe::OpaqueKeyOwnershipProof,
		) -> Option<()> {
			let key_owner_proof = key_owner_proof.decode()?;
			Babe::submit_unsigned_equivocation_report(equivocation_proof, key_owner_proof)
		}
	}

	impl sp_consensus_grandpa::GrandpaApi<Block> for Runtime {
		fn grandpa_authorities() -> sp_consensus_grandpa::AuthorityList {
			Grandpa::grandpa_authorities()
		}

		fn current_set_id() -> sp_consensus_grandpa::SetId {
			Grandpa::current_set_id()
		}

		fn submit_report_equivocation_unsigned_extrinsic(
			equivocation_proof: sp_consensus_grandpa::EquivocationProof<
				<Block as BlockT>::Hash,
				sp_runtime::traits::NumberFor<Block>,
			>,
			key_owner_proof: sp_consensus_grandpa::OpaqueKeyOwnershipProof,
		) -> Option<()> {
			let key_owner_proof = key_owner_proof.decode()?;
			Grandpa::submit_unsigned_equivocation_report(equivocation_proof, key_owner_proof)
		}

		fn generate_key_ownership_proof(
			_set_id: sp_consensus_grandpa::SetId,
			authority_id: sp_consensus_grandpa::AuthorityId,
		) -> Option<sp_consensus_grandpa::OpaqueKeyOwnershipProof> {
			use codec::Encode;
			use frame_support::traits::KeyOwnerProofSystem;
			crate::Historical::prove((sp_consensus_grandpa::KEY_TYPE, authority_id))
				.map(|proof| proof.encode())
				.map(sp_consensus_grandpa::OpaqueKeyOwnershipProof::new)
		}
	}

	impl sp_session::SessionKeys<Block> for Runtime {
		fn generate_session_keys(
			owner: Vec<u8>,
			seed: Option<Vec<u8>>,
		) -> sp_session::OpaqueGeneratedSessionKeys {
			SessionKeys::generate(&owner, seed).into()
		}

		fn decode_session_keys(encoded: Vec<u8>) -> Option<Vec<(Vec<u8>, KeyTypeId)>> {
			SessionKeys::decode_into_raw_public_keys(&encoded)
		}
	}

	impl frame_system_rpc_runtime_api::AccountNonceApi<Block, AccountId, Nonce> for Runtime {
		fn account_nonce(account: AccountId) -> Nonce {
			System::account_nonce(account)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentApi<Block, Balance> for Runtime {
		fn query_info(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment_rpc_runtime_api::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_info(uxt, len)
		}
		fn query_fee_details(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_fee_details(uxt, len)
		}
		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}
		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentCallApi<Block, Balance, RuntimeCall>
		for Runtime
	{
		fn query_call_info(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_call_info(call, len)
		}
		fn query_call_fee_details(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_call_fee_details(call, len)
		}
		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}
		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl pallet_verifiers::runtime_api::VerifiersApi<Block, AccountId> for Runtime {
		fn current_round() -> (pallet_verifiers::RoundIndex, [u8; 32]) {
			let round = pallet_verifiers::CurrentRound::<Runtime>::get();
			(round.index, round.seed)
		}

		fn assignments(verifier: AccountId) -> Vec<pallet_verifiers::Assignment> {
			crate::Verifiers::assignments(&verifier, pallet_device_registry::Devices::<Runtime>::iter_keys())
		}

		fn device_rounds(
			device: ember_primitives::DeviceId,
		) -> Vec<pallet_verifiers::OpenRound<AccountId>> {
			crate::Verifiers::device_rounds(device)
		}

		fn audit(
			round: pallet_verifiers::RoundIndex,
			device: ember_primitives::DeviceId,
		) -> Option<pallet_verifiers::AuditRequest> {
			crate::Verifiers::audit_request(round, device).map(|(audit, segments)| {
				pallet_verifiers::AuditRequest {
					seed: audit.seed,
					verifier: pallet_verifiers::verifier_id(&audit.record.verifier),
					nonce: audit.record.nonce,
					result: audit.record.result,
					round: audit.round,
					segments,
					deadline: audit.deadline,
				}
			})
		}
	}

	impl pallet_pocps::runtime_api::PocpsApi<Block, BlockNumber> for Runtime {
		fn device_status(device: ember_primitives::DeviceId) -> Option<ember_primitives::DeviceStatus> {
			<DeviceRegistry as ember_primitives::DeviceInspect<AccountId>>::status(device)
		}

		fn seal(device: ember_primitives::DeviceId) -> Option<pallet_pocps::SealInfo<BlockNumber>> {
			pallet_pocps::Seals::<Runtime>::get(device)
		}

		fn open_challenges(
			device: ember_primitives::DeviceId,
		) -> Vec<(ember_primitives::ChallengeId, pallet_pocps::OpenChallengeView<BlockNumber>)> {
			Pocps::open_challenges(device)
		}

		fn stats(device: ember_primitives::DeviceId) -> pallet_pocps::DeviceStats {
			pallet_pocps::Stats::<Runtime>::get(device)
		}

		fn capacity() -> pallet_pocps::Capacity {
			Pocps::capacity()
		}
	}

	impl pallet_compute_pools::runtime_api::ComputePoolsApi<Block, AccountId, pallet_compute_pools::LeaseOf<Runtime>> for Runtime {
		fn pool(class: ember_primitives::ClassId) -> Option<pallet_compute_pools::Pool> {
			pallet_compute_pools::Pools::<Runtime>::get(class)
		}

		fn quote_buy(class: ember_primitives::ClassId, hours: pallet_compute_pools::MilliHours) -> Option<Balance> {
			crate::ComputePools::quote_buy(class, hours)
		}

		fn quote_sell(class: ember_primitives::ClassId, hours: pallet_compute_pools::MilliHours) -> Option<Balance> {
			crate::ComputePools::quote_sell(class, hours)
		}

		fn parameters() -> (pallet_compute_pools::PoolParameters, u32) {
			(pallet_compute_pools::Parameters::<Runtime>::get(), crate::ComputePools::min_stake_epochs())
		}

		fn device_stake(
			device: ember_primitives::DeviceId,
		) -> Option<(pallet_compute_pools::StakeId, pallet_compute_pools::Stake<AccountId>)> {
			crate::ComputePools::device_stake(device)
		}

		fn holding(class: ember_primitives::ClassId, who: AccountId) -> Option<pallet_compute_pools::Holding> {
			pallet_compute_pools::Holdings::<Runtime>::get(class, who)
		}

		fn client_leases(
			who: AccountId,
		) -> Vec<(pallet_compute_pools::LeaseId, pallet_compute_pools::LeaseOf<Runtime>)> {
			crate::ComputePools::client_leases(who)
		}

		fn device_lease(
			device: ember_primitives::DeviceId,
		) -> Option<(pallet_compute_pools::LeaseId, pallet_compute_pools::LeaseOf<Runtime>)> {
			crate::ComputePools::device_lease(device)
		}

		fn reward_pot() -> Balance {
			crate::ComputePools::reward_pot()
		}

		fn offers(
			class: ember_primitives::ClassId,
			limit: u32,
		) -> Vec<(ember_primitives::DeviceId, sp_runtime::Perbill)> {
			// Off-chain reads only: bounded by the caller's limit, at most 1,000.
			crate::ComputePools::offers(class, limit.min(1_000))
		}
	}

	impl pallet_compute_price::runtime_api::ComputePriceApi<Block> for Runtime {
		fn base_price(class: ember_primitives::ClassId) -> Option<pallet_compute_price::Price> {
			crate::ComputePrice::base_price(class)
		}

		fn quote(class: ember_primitives::ClassId, hours: u64) -> Option<pallet_compute_price::Price> {
			crate::ComputePrice::quote(class, hours)
		}
	}

	impl sp_genesis_builder::GenesisBuilder<Block> for Runtime {
		fn build_state(config: Vec<u8>) -> sp_genesis_builder::Result {
			build_state::<RuntimeGenesisConfig>(config)
		}

		fn get_preset(id: &Option<sp_genesis_builder::PresetId>) -> Option<Vec<u8>> {
			get_preset::<RuntimeGenesisConfig>(id, crate::genesis_config_presets::get_preset)
		}

		fn preset_names() -> Vec<sp_genesis_builder::PresetId> {
			crate::genesis_config_presets::preset_names()
		}
	}

	#[cfg(feature = "runtime-benchmarks")]
	impl frame_benchmarking::Benchmark<Block> for Runtime {
		fn benchmark_metadata(extra: bool) -> (
			Vec<frame_benchmarking::BenchmarkList>,
			Vec<frame_support::traits::StorageInfo>,
		) {
			use frame_benchmarking::BenchmarkList;
			use frame_support::traits::StorageInfoTrait;
			use frame_system_benchmarking::Pallet as SystemBench;
			use crate::{
				Balances, ComputePools, ComputePrice, DeviceRegistry, Issuance, Pocps, Reputation, Slashing,
				Sudo, Timestamp, Utility, Verifiers, Council, Treasury, Preimage, Whitelist,
			};

			let mut list = Vec::<BenchmarkList>::new();
			list_benchmarks!(list, extra);

			let storage_info = crate::AllPalletsWithSystem::storage_info();
			(list, storage_info)
		}

		#[allow(non_local_definitions)]
		fn dispatch_benchmark(
			config: frame_benchmarking::BenchmarkConfig,
		) -> Result<Vec<frame_benchmarking::BenchmarkBatch>, alloc::string::String> {
			use frame_benchmarking::{BenchmarkBatch, BenchmarkError};
			use frame_support::traits::TrackedStorageKey;
			use frame_system_benchmarking::Pallet as SystemBench;
			use crate::{
				Balances, ComputePools, ComputePrice, DeviceRegistry, Issuance, Pocps, Reputation, Slashing,
				Sudo, Timestamp, Utility, Verifiers, Council, Treasury, Preimage, Whitelist,
			};

			impl frame_system_benchmarking::Config for Runtime {
				fn setup_set_code_requirements(code: &Vec<u8>) -> Result<(), BenchmarkError> {
					System::set_code_without_checks(frame_system::RawOrigin::Root.into(), code.clone())
						.map(|_| ())
						.map_err(|e| BenchmarkError::Stop(e.error.into()))
				}
			}

			let whitelist: Vec<TrackedStorageKey> =
				<crate::AllPalletsWithSystem as frame_support::traits::WhitelistedStorageKeys>::whitelisted_storage_keys();
			let mut batches = Vec::<BenchmarkBatch>::new();
			let params = (&config, &whitelist);
			add_benchmarks!(params, batches);
			Ok(batches)
		}
	}

	#[cfg(feature = "try-runtime")]
	impl frame_try_runtime::TryRuntime<Block> for Runtime {
		// The try-runtime CLI learns of a failed check only by the call failing: a panic here
		// is the check's verdict, not a runtime path a block can take.
		#[allow(clippy::expect_used)]
		fn on_runtime_upgrade(checks: frame_try_runtime::UpgradeCheckSelect) -> (Weight, Weight) {
			let weight = Executive::try_runtime_upgrade(checks)
				.expect("try_runtime_upgrade: a migration or try_state check failed");
			(weight, crate::configs::RuntimeBlockWeights::get().max_block)
		}

		#[allow(clippy::expect_used)]
		fn execute_block(
			block: <Block as BlockT>::LazyBlock,
			state_root_check: bool,
			signature_check: bool,
			select: frame_try_runtime::TryStateSelect,
		) -> Weight {
			Executive::try_execute_block(block, state_root_check, signature_check, select)
				.expect("try_execute_block: the block failed or a try_state check failed")
		}
	}
}
