//! Block production (BABE), finality (GRANDPA), sessions, and the root-managed validator set.
//!
//! Launch phase: proof of authority. `ValidatorSet` (pallet-collator-selection, which despite its
//! name is a generic `SessionManager` built on session + authorship) returns its invulnerables —
//! set by root with `ValidatorSet::set_invulnerables` / `add_invulnerable` / `remove_invulnerable`
//! — as the validators of each new session. Changes apply two sessions later, as with any
//! session-based set. Bonded candidacy exists but is closed (`desired_candidates = 0` at genesis)
//! until governance opens it; NPoS replaces this phase later.

use crate::{
	time::{EPOCH_DURATION_IN_SLOTS, MILLISECS_PER_BLOCK},
	AccountId, Babe, Balances, Runtime, RuntimeEvent, Session, SessionKeys, ValidatorSet,
};
use frame_support::{
	parameter_types,
	traits::{ConstU128, ConstU32},
	PalletId,
};
use frame_system::EnsureRoot;
use sp_runtime::traits::{ConvertInto, OpaqueKeys};

/// Upper bound on BABE and GRANDPA authorities. Storage is bounded by it.
pub const MAX_AUTHORITIES: u32 = 100;

parameter_types! {
	pub const EpochDuration: u64 = EPOCH_DURATION_IN_SLOTS;
	pub const ExpectedBlockTime: u64 = MILLISECS_PER_BLOCK;
	/// Equivocation reports are kept for as many GRANDPA set ids as sessions in a bonding period
	/// would need; with no staking yet, a week of sessions.
	pub const MaxSetIdSessionEntries: u64 = 7 * 24 * 6;
	pub const ValidatorPotId: PalletId = PalletId(*b"ember/vp");
}

impl pallet_babe::Config for Runtime {
	type EpochDuration = EpochDuration;
	type ExpectedBlockTime = ExpectedBlockTime;
	// Epochs change when the session changes.
	type EpochChangeTrigger = pallet_babe::ExternalTrigger;
	type DisabledValidators = Session;
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<MAX_AUTHORITIES>;
	type MaxNominators = ConstU32<0>;
	// Equivocation reporting needs key-ownership proofs (pallet-session historical) and an
	// offences pallet; both arrive with slashing. Until then reports are not accepted.
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<MAX_AUTHORITIES>;
	type MaxNominators = ConstU32<0>;
	type MaxSetIdSessionEntries = MaxSetIdSessionEntries;
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

impl pallet_authorship::Config for Runtime {
	type FindAuthor = pallet_session::FindAccountFromAuthorIndex<Self, Babe>;
	// Tracks last-authored blocks for the validator set's kick logic and pays its pot.
	type EventHandler = ValidatorSet;
}

impl pallet_session::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type ValidatorId = AccountId;
	type ValidatorIdOf = ConvertInto;
	type ShouldEndSession = Babe;
	type NextSessionRotation = Babe;
	type SessionManager = ValidatorSet;
	type SessionHandler = <SessionKeys as OpaqueKeys>::KeyTypeIdProviders;
	type Keys = SessionKeys;
	type DisablingStrategy = ();
	type WeightInfo = pallet_session::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	/// Registering session keys stores them on chain: the owner pays a deposit for that storage.
	type KeyDeposit = ConstU128<{ crate::currency::deposit(1, 64) }>;
}

impl pallet_collator_selection::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type UpdateOrigin = EnsureRoot<AccountId>;
	type PotId = ValidatorPotId;
	type MaxCandidates = ConstU32<100>;
	type MinEligibleCollators = ConstU32<1>;
	type MaxInvulnerables = ConstU32<MAX_AUTHORITIES>;
	// A candidate that authors nothing for two sessions is kicked (invulnerables never are).
	type KickThreshold = ConstU32<{ 2 * crate::time::EPOCH_DURATION_IN_BLOCKS }>;
	type ValidatorId = AccountId;
	type ValidatorIdOf = pallet_collator_selection::IdentityCollator;
	type ValidatorRegistration = Session;
	type WeightInfo = pallet_collator_selection::weights::SubstrateWeight<Runtime>;
}
