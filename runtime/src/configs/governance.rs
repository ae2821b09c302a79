//! Governance: a council and a technical committee (pallet-collective), a treasury, and root
//! only where both bodies agree (pallet-whitelist). docs/governance.md has the table of powers.
//!
//! Why bodies and not OpenGov for a young chain: while EMB sits with a few early holders, token
//! referenda would be decided by those holders anyway, and OpenGov's tracks need days of
//! preparation and confirmation to be safe — too slow for a 24-hour slashing dispute window
//! and for answering a market fault. Named, accountable members vote motions that close as soon
//! as their threshold is met. Root, which can change anything, needs both houses: the technical
//! committee whitelists a call's hash (two thirds) and the council dispatches it (three
//! quarters). Sudo stays for `dev` and `local`; the `mainnet` preset has no sudo key.

use super::RuntimeBlockWeights;
use crate::{
	currency::EMB, AccountId, Balance, Balances, BlockNumber, Preimage, Runtime, RuntimeCall,
	RuntimeEvent, RuntimeOrigin, System,
};
use frame_support::{
	parameter_types,
	traits::{
		tokens::{pay::PayFromAccount, UnityAssetBalanceConversion},
		ConstU32, EitherOf, EitherOfDiverse,
	},
	weights::Weight,
};
use frame_system::{EnsureRoot, EnsureRootWithSuccess, EnsureWithSuccess};
use sp_runtime::{traits::IdentityLookup, Permill};

use crate::time::DAYS;

impl pallet_sudo::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}

/// The council's instance of pallet-collective.
pub type CouncilCollective = pallet_collective::Instance1;
/// The technical committee's instance of pallet-collective.
pub type TechnicalCollective = pallet_collective::Instance2;

/// More than half of the council.
pub type CouncilMajority =
	pallet_collective::EnsureProportionMoreThan<AccountId, CouncilCollective, 1, 2>;
/// At least two thirds of the council.
pub type CouncilTwoThirds =
	pallet_collective::EnsureProportionAtLeast<AccountId, CouncilCollective, 2, 3>;
/// At least three fifths of the council.
pub type CouncilThreeFifths =
	pallet_collective::EnsureProportionAtLeast<AccountId, CouncilCollective, 3, 5>;
/// At least three quarters of the council.
pub type CouncilThreeQuarters =
	pallet_collective::EnsureProportionAtLeast<AccountId, CouncilCollective, 3, 4>;
/// More than half of the technical committee.
pub type TechnicalMajority =
	pallet_collective::EnsureProportionMoreThan<AccountId, TechnicalCollective, 1, 2>;
/// At least two thirds of the technical committee.
pub type TechnicalTwoThirds =
	pallet_collective::EnsureProportionAtLeast<AccountId, TechnicalCollective, 2, 3>;

/// Device classes, their base prices and pools, PoCPS round parameters: root or a council
/// majority.
pub type MarketAdmin = EitherOfDiverse<EnsureRoot<AccountId>, CouncilMajority>;
/// Issuance, the slash split and the validator set's terms: root or two thirds of the council.
pub type EconomicAdmin = EitherOfDiverse<EnsureRoot<AccountId>, CouncilTwoThirds>;
/// Slashing disputes (uphold an accusation, cancel a slash) inside the 24-hour window: root, a
/// council majority, or a technical-committee majority — whichever body meets first.
pub type DisputeAdmin =
	EitherOfDiverse<EnsureRoot<AccountId>, EitherOfDiverse<CouncilMajority, TechnicalMajority>>;

parameter_types! {
	/// A council motion stays open three days; the committee's one day, so a dispute raised
	/// early in a slash's 24-hour window is decided inside it.
	pub const CouncilMotionDuration: BlockNumber = 3 * DAYS;
	pub const TechnicalMotionDuration: BlockNumber = DAYS;
	/// A motion may carry a call of at most half a block.
	pub MaxProposalWeight: Weight = RuntimeBlockWeights::get().max_block.saturating_div(2);
}

impl pallet_collective::Config<CouncilCollective> for Runtime {
	type RuntimeOrigin = RuntimeOrigin;
	type Proposal = RuntimeCall;
	type RuntimeEvent = RuntimeEvent;
	type MotionDuration = CouncilMotionDuration;
	type MaxProposals = ConstU32<32>;
	type MaxMembers = ConstU32<COUNCIL_MAX_MEMBERS>;
	type DefaultVote = AbsentVotesNay;
	type WeightInfo = pallet_collective::weights::SubstrateWeight<Runtime>;
	// The council's own membership changes only as root: both houses.
	type SetMembersOrigin = EnsureRoot<AccountId>;
	type MaxProposalWeight = MaxProposalWeight;
	type DisapproveOrigin = EnsureRoot<AccountId>;
	type KillOrigin = EnsureRoot<AccountId>;
	// Only members propose, and at most `MaxProposals` motions are open: no deposit.
	type Consideration = ();
}

/// A member who does not vote by a motion's end counts as voting nay, whatever a prime member
/// voted: an appointed prime must not turn absence into ayes.
pub struct AbsentVotesNay;

impl pallet_collective::DefaultVote for AbsentVotesNay {
	fn default_vote(
		_prime_vote: Option<bool>,
		_yes_votes: pallet_collective::MemberCount,
		_no_votes: pallet_collective::MemberCount,
		_len: pallet_collective::MemberCount,
	) -> bool {
		false
	}
}

/// Most council members.
pub const COUNCIL_MAX_MEMBERS: u32 = 13;
/// Most technical-committee members.
pub const TECHNICAL_MAX_MEMBERS: u32 = 7;

impl pallet_collective::Config<TechnicalCollective> for Runtime {
	type RuntimeOrigin = RuntimeOrigin;
	type Proposal = RuntimeCall;
	type RuntimeEvent = RuntimeEvent;
	type MotionDuration = TechnicalMotionDuration;
	type MaxProposals = ConstU32<32>;
	type MaxMembers = ConstU32<TECHNICAL_MAX_MEMBERS>;
	type DefaultVote = AbsentVotesNay;
	type WeightInfo = pallet_collective::weights::SubstrateWeight<Runtime>;
	// Only root (both houses) changes the committee or drops its motions: were it the council's
	// alone, the council could appoint a one-member committee that whitelists anything, and so
	// reach root by itself.
	type SetMembersOrigin = EnsureRoot<AccountId>;
	type MaxProposalWeight = MaxProposalWeight;
	type DisapproveOrigin = EnsureRoot<AccountId>;
	type KillOrigin = EnsureRoot<AccountId>;
	type Consideration = ();
}

parameter_types! {
	pub const SpendPeriod: BlockNumber = 6 * DAYS;
	/// Nothing idle is burned: the treasury is funded by issuance and slashes alone.
	pub const TreasuryBurn: Permill = Permill::zero();
	/// One council spend pays at most 100,000 EMB; more needs root (both houses).
	pub const CouncilSpendLimit: Balance = 100_000 * EMB;
	pub const MaxBalance: Balance = Balance::MAX;
	/// An approved spend may be paid out for 30 days.
	pub const PayoutPeriod: BlockNumber = 30 * DAYS;
	/// A whitelisted call dispatched before it was whitelisted may be relayed for a day.
	pub const DeferredDispatchExpiration: BlockNumber = DAYS;
}

impl pallet_treasury::Config for Runtime {
	type Currency = Balances;
	type RejectOrigin = EitherOfDiverse<EnsureRoot<AccountId>, CouncilMajority>;
	type RuntimeEvent = RuntimeEvent;
	type SpendPeriod = SpendPeriod;
	type Burn = TreasuryBurn;
	// The account issuance and slashing already pay their treasury shares into.
	type PalletId = super::TreasuryPalletId;
	type BurnDestination = ();
	type WeightInfo = pallet_treasury::weights::SubstrateWeight<Runtime>;
	type SpendFunds = ();
	type MaxApprovals = ConstU32<64>;
	type SpendOrigin = EitherOf<
		EnsureRootWithSuccess<AccountId, MaxBalance>,
		EnsureWithSuccess<CouncilThreeFifths, AccountId, CouncilSpendLimit>,
	>;
	// EMB only.
	type AssetKind = ();
	type Beneficiary = AccountId;
	type BeneficiaryLookup = IdentityLookup<AccountId>;
	type Paymaster = PayFromAccount<Balances, pallet_treasury::TreasuryAccountId<Runtime>>;
	type BalanceConverter = UnityAssetBalanceConversion;
	type PayoutPeriod = PayoutPeriod;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = TreasuryArguments;
	type BlockNumberProvider = System;
}

/// Asset kinds and beneficiaries for the treasury's benchmarks.
#[cfg(feature = "runtime-benchmarks")]
pub struct TreasuryArguments;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_treasury::ArgumentsFactory<(), AccountId> for TreasuryArguments {
	fn create_asset_kind(_seed: u32) {}

	fn create_beneficiary(seed: [u8; 32]) -> AccountId {
		AccountId::new(seed)
	}
}

parameter_types! {
	pub const PreimageHoldReason: crate::RuntimeHoldReason =
		crate::RuntimeHoldReason::Preimage(pallet_preimage::HoldReason::Preimage);
}

impl pallet_preimage::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = pallet_preimage::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	type ManagerOrigin = EnsureRoot<AccountId>;
	// Whoever notes a preimage holds a deposit for its bytes until it is unnoted.
	type Consideration = frame_support::traits::fungible::HoldConsideration<
		AccountId,
		Balances,
		PreimageHoldReason,
		frame_support::traits::LinearStoragePrice<
			PreimageBaseDeposit,
			PreimageByteDeposit,
			Balance,
		>,
	>;
}

parameter_types! {
	pub const PreimageBaseDeposit: Balance = crate::currency::deposit(2, 64);
	pub const PreimageByteDeposit: Balance = crate::currency::deposit(0, 1);
}

impl pallet_whitelist::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WhitelistOrigin = EitherOfDiverse<EnsureRoot<AccountId>, TechnicalTwoThirds>;
	type DispatchWhitelistedOrigin = EitherOfDiverse<EnsureRoot<AccountId>, CouncilThreeQuarters>;
	type Preimages = Preimage;
	type DeferredDispatchExpiration = DeferredDispatchExpiration;
	type BlockNumberProvider = System;
	type WeightInfo = pallet_whitelist::weights::SubstrateWeight<Runtime>;
}
