//! Block production (BABE), finality (GRANDPA), sessions, and the root-managed validator set.
//!
//! The validator set: `ValidatorSet` (pallet-collator-selection, which despite its name is a
//! generic `SessionManager` built on session + authorship) returns its invulnerables (set by
//! governance) and its bonded candidates (up to `desired_candidates`, highest bond first) as the
//! validators of each new session. Anyone with session keys and the candidacy bond can stand
//! (`register_as_candidate`); a candidate that authors nothing for two sessions is kicked.
//! Changes apply two sessions later, as with any session-based set. Why not NPoS: with few
//! holders, nomination adds an election pallet, bags and exposure bookkeeping to protect
//! against a stake distribution the chain does not have yet; a bond per candidate and
//! performance-based kicking answer what a young set needs (a path in, and a cost to misbehave).
//!
//! Equivocation: BABE and GRANDPA report a validator that signs two blocks for one slot or two
//! votes for one round, with a key-ownership proof against the session's historical root
//! (pallet-session historical); pallet-offences takes the report and [`PunishOffenders`] slashes
//! the offence's share of a candidate's bond to the treasury, ends its candidacy, and disables
//! the offender for the rest of the session (at most a third of the set).

use crate::{
	time::{EPOCH_DURATION_IN_SLOTS, MILLISECS_PER_BLOCK},
	AccountId, Babe, Balances, Historical, Offences, Runtime, RuntimeEvent, Session, SessionKeys,
	ValidatorSet,
};
use frame_support::weights::Weight;
use frame_support::{
	parameter_types,
	traits::{ConstU128, ConstU32},
	PalletId,
};
use sp_runtime::{
	traits::{Convert, ConvertInto, OpaqueKeys},
	Perbill,
};
use sp_staking::{
	offence::{OffenceDetails, OffenceSeverity, OnOffenceHandler},
	SessionIndex,
};

/// Upper bound on BABE and GRANDPA authorities. Storage is bounded by it.
pub const MAX_AUTHORITIES: u32 = 100;

parameter_types! {
	pub const EpochDuration: u64 = EPOCH_DURATION_IN_SLOTS;
	pub const ExpectedBlockTime: u64 = MILLISECS_PER_BLOCK;
	/// Equivocation reports are kept for as many GRANDPA set ids as sessions in a bonding period
	/// would need; with no staking yet, a week of sessions.
	pub const MaxSetIdSessionEntries: u64 = 7 * 24 * 6;
	/// An equivocation report stays valid in the pool for as many blocks as those sessions.
	pub const ReportLongevity: u64 =
		MaxSetIdSessionEntries::get().saturating_mul(EPOCH_DURATION_IN_SLOTS);
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
	type KeyOwnerProof = sp_session::MembershipProof;
	type EquivocationReportSystem =
		pallet_babe::EquivocationReportSystem<Self, Offences, Historical, ReportLongevity>;
}

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<MAX_AUTHORITIES>;
	type MaxNominators = ConstU32<0>;
	type MaxSetIdSessionEntries = MaxSetIdSessionEntries;
	type KeyOwnerProof = sp_session::MembershipProof;
	type EquivocationReportSystem =
		pallet_grandpa::EquivocationReportSystem<Self, Offences, Historical, ReportLongevity>;
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
	// The validator set's sessions, with each session's keys kept as a root for key-ownership
	// proofs.
	type SessionManager =
		pallet_session::historical::NoteHistoricalRoot<Self, IdentifiedValidatorSet>;
	type SessionHandler = <SessionKeys as OpaqueKeys>::KeyTypeIdProviders;
	type Keys = SessionKeys;
	// An offender is disabled for the rest of the session, never more than a third of the set
	// (finality needs two thirds).
	type DisablingStrategy = pallet_session::disabling::UpToLimitDisablingStrategy;
	type WeightInfo = pallet_session::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	/// Registering session keys stores them on chain: the owner pays a deposit for that storage.
	type KeyDeposit = ConstU128<{ crate::currency::deposit(1, 64) }>;
}

impl pallet_collator_selection::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	// The set's members and terms decide who produces and finalizes blocks (and so who can
	// censor either house's votes): root, that is both houses.
	type UpdateOrigin = frame_system::EnsureRoot<AccountId>;
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

/// Validators have no exposure to identify them by in the launch phase: a validator is its
/// account.
pub struct ValidatorIdentity;

impl Convert<AccountId, Option<()>> for ValidatorIdentity {
	fn convert(_: AccountId) -> Option<()> {
		Some(())
	}
}

/// The validator set's sessions, each validator with its (empty) full identification, as the
/// historical roots record them.
pub struct IdentifiedValidatorSet;

impl pallet_session::SessionManager<AccountId> for IdentifiedValidatorSet {
	fn new_session(index: SessionIndex) -> Option<alloc::vec::Vec<AccountId>> {
		<ValidatorSet as pallet_session::SessionManager<AccountId>>::new_session(index)
	}

	fn new_session_genesis(index: SessionIndex) -> Option<alloc::vec::Vec<AccountId>> {
		<ValidatorSet as pallet_session::SessionManager<AccountId>>::new_session_genesis(index)
	}

	fn start_session(index: SessionIndex) {
		<ValidatorSet as pallet_session::SessionManager<AccountId>>::start_session(index)
	}

	fn end_session(index: SessionIndex) {
		<ValidatorSet as pallet_session::SessionManager<AccountId>>::end_session(index)
	}
}

impl pallet_session::historical::SessionManager<AccountId, ()> for IdentifiedValidatorSet {
	fn new_session(index: SessionIndex) -> Option<alloc::vec::Vec<(AccountId, ())>> {
		<ValidatorSet as pallet_session::SessionManager<AccountId>>::new_session(index)
			.map(|validators| validators.into_iter().map(|v| (v, ())).collect())
	}

	fn new_session_genesis(index: SessionIndex) -> Option<alloc::vec::Vec<(AccountId, ())>> {
		<ValidatorSet as pallet_session::SessionManager<AccountId>>::new_session_genesis(index)
			.map(|validators| validators.into_iter().map(|v| (v, ())).collect())
	}

	fn start_session(index: SessionIndex) {
		<ValidatorSet as pallet_session::SessionManager<AccountId>>::start_session(index)
	}

	fn end_session(index: SessionIndex) {
		<ValidatorSet as pallet_session::SessionManager<AccountId>>::end_session(index)
	}
}

impl pallet_session::historical::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type FullIdentification = ();
	type FullIdentificationOf = ValidatorIdentity;
}

impl pallet_offences::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type IdentificationTuple = pallet_session::historical::IdentificationTuple<Self>;
	type OnOffenceHandler = PunishOffenders;
}

/// What an equivocation costs: a bonded candidate loses the offence's share of its candidacy
/// bond to the treasury and its candidacy (the rest of the bond is returned; it may stand again
/// with a fresh bond), whenever the report lands; an offender of the current session is also
/// disabled for the rest of it. Invulnerables have no bond: disabling is all an equivocation
/// costs them, and governance removes them.
///
/// pallet-offences calls this again, with larger fractions, as more offenders of the same slot
/// are reported; the first report ends the candidacy, so a bond is slashed once per candidacy.
pub struct PunishOffenders;

impl OnOffenceHandler<AccountId, pallet_session::historical::IdentificationTuple<Runtime>, Weight>
	for PunishOffenders
{
	fn on_offence(
		offenders: &[OffenceDetails<
			AccountId,
			pallet_session::historical::IdentificationTuple<Runtime>,
		>],
		slash_fraction: &[Perbill],
		session: SessionIndex,
	) -> Weight {
		let db = <Runtime as frame_system::Config>::DbWeight::get();
		// Disabling is by index into the current set: an offence of an earlier session is not
		// disabled, but the candidacy is ended all the same.
		let current = session == Session::current_index();
		let mut weight = db.reads(1);
		for (details, fraction) in offenders.iter().zip(slash_fraction) {
			let (validator, ()) = &details.offender;
			end_candidacy(validator, *fraction);
			weight = weight.saturating_add(db.reads_writes(3, 4));
			if current {
				Session::report_offence(validator.clone(), OffenceSeverity(*fraction));
				weight = weight.saturating_add(db.reads_writes(2, 1));
			}
		}
		weight
	}
}

/// Ends `who`'s candidacy (if it is a candidate) for an offence: `fraction` of its bond goes to
/// the treasury, the rest is returned. Were it the last eligible validator, it keeps its seat
/// (with the smaller bond): a set must never be empty. Returns what was slashed.
pub fn end_candidacy(who: &AccountId, fraction: Perbill) -> crate::Balance {
	use frame_support::traits::{Currency, Imbalance, ReservableCurrency};
	use pallet_collator_selection::{CandidateList, Invulnerables, LastAuthoredBlock};
	let mut candidates = CandidateList::<Runtime>::get();
	let Some(index) = candidates.iter().position(|c| c.who == *who) else { return 0 };
	let mut candidate = candidates.remove(index);
	let (imbalance, _missing) = <Balances as ReservableCurrency<AccountId>>::slash_reserved(
		who,
		fraction.mul_ceil(candidate.deposit),
	);
	let slashed = imbalance.peek();
	<Balances as Currency<AccountId>>::resolve_creating(
		&<super::TreasuryAccount as frame_support::traits::Get<AccountId>>::get(),
		imbalance,
	);
	candidate.deposit = candidate.deposit.saturating_sub(slashed);
	let others =
		Invulnerables::<Runtime>::decode_len().unwrap_or(0).saturating_add(candidates.len());
	let min: u32 =
		<<Runtime as pallet_collator_selection::Config>::MinEligibleCollators as frame_support::traits::Get<u32>>::get();
	if others < min as usize {
		// Kept, at its place in the ascending list for the smaller bond.
		let at = candidates
			.iter()
			.position(|c| c.deposit >= candidate.deposit)
			.unwrap_or(candidates.len());
		if candidates.try_insert(at, candidate).is_err() {
			return slashed;
		}
	} else {
		<Balances as ReservableCurrency<AccountId>>::unreserve(who, candidate.deposit);
		LastAuthoredBlock::<Runtime>::remove(who);
		frame_system::Pallet::<Runtime>::deposit_event(crate::RuntimeEvent::ValidatorSet(
			pallet_collator_selection::Event::CandidateRemoved { account_id: who.clone() },
		));
	}
	CandidateList::<Runtime>::put(candidates);
	log::info!(
		target: "runtime::validators",
		"candidate {who:?} equivocated: {slashed} of its bond to the treasury"
	);
	slashed
}
