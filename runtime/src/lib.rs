//! # Ember runtime
//!
//! A BABE + GRANDPA solochain runtime. The validator set is `pallet-collator-selection`'s
//! invulnerables and bonded candidates, feeding `pallet-session`, which rotates BABE and GRANDPA
//! authorities every epoch. A council and a technical committee govern (no sudo key on a
//! production chain).
//!
//! - [`configs`]: one file per concern (system, consensus, currency and fees, governance).
//! - [`apis`]: the runtime APIs the node and clients call.
//! - [`genesis_config_presets`]: the `development`, `local_testnet` and `mainnet` presets.
//!
//! Ember's pallets: `DeviceRegistry` (device classes, bonded devices, attestation), `Pocps`
//! (sealed datasets and time-bounded challenges), `ComputePrice` (the EIP-1559 base price per
//! class and compute-hour) and `ComputePools` (dissipative compute-hour pools, stakes, swaps and
//! leases).

#![cfg_attr(not(feature = "std"), no_std)]
// `construct_runtime`/`impl_runtime_apis` need a higher recursion limit.
#![recursion_limit = "256"]

// Make the WASM binary available.
#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

extern crate alloc;

use alloc::vec::Vec;

// Declared before `apis` so the `list_benchmarks!`/`add_benchmarks!` macros are in scope there.
#[cfg(feature = "runtime-benchmarks")]
#[macro_use]
mod benchmarks;
pub mod apis;
pub mod configs;
pub mod genesis_config_presets;
#[cfg(test)]
mod governance_tests;
#[cfg(test)]
mod tests;

use sp_runtime::{
	generic, impl_opaque_keys,
	traits::{BlakeTwo256, IdentifyAccount, Verify},
	MultiAddress, MultiSignature,
};
use sp_version::RuntimeVersion;

pub use frame_support::weights::constants::{
	BlockExecutionWeight, ExtrinsicBaseWeight, ParityDbWeight,
};
pub use pallet_balances::Call as BalancesCall;
pub use pallet_timestamp::Call as TimestampCall;
#[cfg(any(feature = "std", test))]
pub use sp_runtime::BuildStorage;

/// Opaque types: what the node needs to know about blocks without knowing the runtime's calls.
pub mod opaque {
	use super::*;
	use sp_runtime::traits::Hash as HashT;

	pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;

	/// Opaque block header type.
	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	/// Opaque block type.
	pub type Block = generic::Block<Header, UncheckedExtrinsic>;
	/// Opaque block identifier type.
	pub type BlockId = generic::BlockId<Block>;
	/// Opaque block hash type.
	pub type Hash = <BlakeTwo256 as HashT>::Output;
}

impl_opaque_keys! {
	/// The session keys a validator registers: one BABE key (block production) and one GRANDPA
	/// key (finality).
	pub struct SessionKeys {
		pub babe: Babe,
		pub grandpa: Grandpa,
	}
}

#[cfg(not(feature = "upgrade-test"))]
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("ember"),
	impl_name: alloc::borrow::Cow::Borrowed("ember"),
	authoring_version: 1,
	spec_version: 206,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	// 2: `pocps.commitSeal` names the sealed parameters; `PrioritizeAnswers` joined the
	// transaction extensions. 4: BABE and GRANDPA equivocation reports carry key-ownership
	// proofs. 6: `computePools.postConnection` carries the host key and its device signature.
	transaction_version: 6,
	system_version: 1,
};

/// The same runtime one spec version on: what the chaos test upgrades a running network to by
/// `set_code` (scripts/upgrade-wasm.sh builds it). The version must be literals here, hence
/// the copy; keep the two in step.
#[cfg(feature = "upgrade-test")]
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("ember"),
	impl_name: alloc::borrow::Cow::Borrowed("ember"),
	authoring_version: 1,
	spec_version: 207,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 6,
	system_version: 1,
};

/// Time and block-count units. Block production is slot-based: one slot, one block at most.
pub mod time {
	use super::BlockNumber;

	/// Target block time. Six seconds leaves a validator on a 2-core machine ample room to import
	/// and author, and is what PoCPS response deadlines are counted in.
	pub const MILLISECS_PER_BLOCK: u64 = 6000;
	/// One BABE slot per target block.
	pub const SLOT_DURATION: u64 = MILLISECS_PER_BLOCK;

	#[cfg(not(feature = "fast-time"))]
	pub const MINUTES: BlockNumber = 60_000 / (MILLISECS_PER_BLOCK as BlockNumber);
	#[cfg(not(feature = "fast-time"))]
	pub const HOURS: BlockNumber = MINUTES * 60;
	#[cfg(not(feature = "fast-time"))]
	pub const DAYS: BlockNumber = HOURS * 24;

	// The `fast-time` feature is the runtime fuzzer's, never a network's: a minute is a block,
	// an hour (a pool epoch and price period) 8 blocks, a day 32, so that every hour, BABE
	// epoch, day, week and issuance-period boundary comes within a fuzz input's blocks.
	#[cfg(feature = "fast-time")]
	pub const MINUTES: BlockNumber = 1;
	#[cfg(feature = "fast-time")]
	pub const HOURS: BlockNumber = 8;
	#[cfg(feature = "fast-time")]
	pub const DAYS: BlockNumber = HOURS * 4;

	/// An epoch (and a session) lasts 10 minutes: validator-set changes take effect within 20
	/// minutes, and BABE's randomness is refreshed often enough to keep PoCPS challenges
	/// unpredictable.
	pub const EPOCH_DURATION_IN_BLOCKS: BlockNumber = 10 * MINUTES;
	pub const EPOCH_DURATION_IN_SLOTS: u64 = EPOCH_DURATION_IN_BLOCKS as u64;

	/// 1 in 4 BABE slots has a primary author (the rest fall back to secondary slots).
	pub const PRIMARY_PROBABILITY: (u64, u64) = (1, 4);
}

/// EMB, the native token: 12 decimals.
pub mod currency {
	use super::Balance;

	/// One EMB.
	pub const EMB: Balance = 1_000_000_000_000;
	/// One thousandth of an EMB.
	pub const MILLI_EMB: Balance = EMB / 1_000;
	/// One millionth of an EMB.
	pub const MICRO_EMB: Balance = MILLI_EMB / 1_000;
	/// An account holding less than this is reaped: 1 milli-EMB keeps dust accounts from filling
	/// state for free.
	pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_EMB;

	/// Deposit for storage: a base per item plus a price per byte.
	pub const fn deposit(items: u32, bytes: u32) -> Balance {
		(items as Balance)
			.saturating_mul(100 * MILLI_EMB)
			.saturating_add((bytes as Balance).saturating_mul(100 * MICRO_EMB))
	}
}

/// Alias to 512-bit hash when used in the context of a transaction signature on the chain.
pub type Signature = MultiSignature;

/// Some way of identifying an account on the chain.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;

/// Balance of an account.
pub type Balance = u128;

/// Index of a transaction in the chain.
pub type Nonce = u32;

/// A hash of some data used by the chain.
pub type Hash = sp_core::H256;

/// An index to a block.
pub type BlockNumber = u32;

/// The address format for describing accounts.
pub type Address = MultiAddress<AccountId, ()>;

/// Block header type as expected by this runtime.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;

/// Block type as expected by this runtime.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;

/// A Block signed with a Justification.
pub type SignedBlock = generic::SignedBlock<Block>;

/// BlockId type as expected by this runtime.
pub type BlockId = generic::BlockId<Block>;

/// The transaction extensions, checked in this order. All are zero-sized or standard, so
/// polkadot.js and subxt sign with no extra type definitions.
pub type TxExtension = (
	frame_system::AuthorizeCall<Runtime>,
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
	frame_metadata_hash_extension::CheckMetadataHash<Runtime>,
	// PoCPS answers: validated in the pool, above any tip (zero-sized: nothing to sign).
	pallet_pocps::PrioritizeAnswers<Runtime>,
	frame_system::WeightReclaim<Runtime>,
);

/// Unchecked extrinsic type as expected by this runtime.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;

/// The payload being signed in transactions.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// All migrations of the runtime, aside from the ones declared in the pallets.
#[allow(unused_parens)]
/// PoCPS v2 (spec 200): v1 seals are kept for their nonces, their devices suspended to re-seal.
type Migrations = (
	pallet_pocps::migrations::v2::Migrate<Runtime>,
	pallet_slashing::migrations::v1::Migrate<Runtime>,
	// Issue 17 (spec 205): delivery records for running leases, the class index of stakes.
	pallet_compute_pools::migrations::v1::Migrate<Runtime>,
);

/// Executive: handles dispatch to the various modules.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

// Pallet indices are explicit and never renumbered: they are part of every encoded call.
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
	pub struct Runtime;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;

	// BABE must come before Timestamp and Session: its `on_initialize` reads the slot and decides
	// whether the session ends.
	#[runtime::pallet_index(1)]
	pub type Babe = pallet_babe;

	#[runtime::pallet_index(2)]
	pub type Timestamp = pallet_timestamp;

	#[runtime::pallet_index(3)]
	pub type Balances = pallet_balances;

	#[runtime::pallet_index(4)]
	pub type TransactionPayment = pallet_transaction_payment;

	#[runtime::pallet_index(5)]
	pub type Authorship = pallet_authorship;

	// The validator set: invulnerables and bonded candidates; see `configs::consensus`.
	#[runtime::pallet_index(6)]
	pub type ValidatorSet = pallet_collator_selection;

	#[runtime::pallet_index(7)]
	pub type Session = pallet_session;

	#[runtime::pallet_index(8)]
	pub type Grandpa = pallet_grandpa;

	#[runtime::pallet_index(9)]
	pub type Utility = pallet_utility;

	#[runtime::pallet_index(10)]
	pub type Sudo = pallet_sudo;

	#[runtime::pallet_index(11)]
	pub type Vesting = pallet_vesting;

	// Equivocation: key-ownership proofs against past sessions, and the offences record.
	#[runtime::pallet_index(12)]
	pub type Historical = pallet_session::historical;

	#[runtime::pallet_index(13)]
	pub type Offences = pallet_offences;

	// Governance: the council, the technical committee, the treasury, and root by both houses
	// (whitelist, with the preimages it dispatches); see `configs::governance`.
	#[runtime::pallet_index(14)]
	pub type Council = pallet_collective<Instance1>;

	#[runtime::pallet_index(15)]
	pub type TechnicalCommittee = pallet_collective<Instance2>;

	#[runtime::pallet_index(16)]
	pub type Treasury = pallet_treasury;

	#[runtime::pallet_index(17)]
	pub type Preimage = pallet_preimage;

	#[runtime::pallet_index(18)]
	pub type Whitelist = pallet_whitelist;

	// Ember's own pallets start at 20.
	#[runtime::pallet_index(20)]
	pub type DeviceRegistry = pallet_device_registry;

	#[runtime::pallet_index(21)]
	pub type Pocps = pallet_pocps;

	#[runtime::pallet_index(22)]
	pub type ComputePrice = pallet_compute_price;

	#[runtime::pallet_index(23)]
	pub type ComputePools = pallet_compute_pools;

	#[runtime::pallet_index(24)]
	pub type Reputation = pallet_reputation;

	#[runtime::pallet_index(25)]
	pub type Slashing = pallet_slashing;

	#[runtime::pallet_index(27)]
	pub type Verifiers = pallet_verifiers;

	// Last: its genesis records total issuance after every other pallet minted.
	#[runtime::pallet_index(26)]
	pub type Issuance = pallet_issuance;
}
