//! # Issuance
//!
//! Demand-driven minting (DePX §2.3) and the deflation reserve (DPN §3.2), with the self-dealing
//! flaw of the first fixed.
//!
//! - **Mint per period** (`PeriodBlocks`, 30 days in the runtime): the base prices paid for
//!   compute in the period (told by the compute price pallet through
//!   [`ember_primitives::OnComputePayment`]) times `1 + subsidy`, the subsidy falling linearly
//!   from 100 % in the first period to 0 after `SubsidyPeriods` (24), capped by the period
//!   budget and by `MaxSupply` (never exceeded).
//! - **Recipients**: an ordered list `(recipient, share)` set by governance, in the shape of
//!   Polkadot's RFC-0089: miners (credited to the live stakes of the compute pools by their
//!   staked hours, which PoCPS keeps proving: a fault ends a stake), the pools' liquidity
//!   providers (as dividends), the validators (equally), the reserve, or any account (the
//!   treasury). What the shares leave over is not minted.
//! - **Self-dealing**: a client that pays its own miner can get back what the recipients a
//!   participant can be (miners, liquidity providers, validators) or feed (the reserve, which
//!   releases to the miners' pot) receive of its payment. Three rules keep that below what it
//!   paid: only the base price counts as a payment (it is burned, while the pool price goes back
//!   to the pool's own providers); those recipients together get at most 40 % of a mint, so at
//!   the full subsidy a self-dealer who is every miner, provider and validator gets back at most
//!   80 % of what it burned ([`Error::WashTradingProfitable`]); and the reserve does not catch
//!   base-price burns (they already count as payments). The paper mints `payments × (1 +
//!   subsidy)` all to the network, which pays a self-dealer up to twice what it pays in.
//! - **Reserve**: every day the chain's burn (the fall in total issuance, this pallet's own
//!   mints and the day's base-price payments put back) is recorded. When each of the last 7 days burned more than
//!   `benchmark · (1 + margin)` (1.2× by default), the excess of the day is minted into the
//!   reserve instead of staying destroyed. Every day the reserve releases `reserve_release`
//!   (0.1 %) of itself to the miners' reward pot as a node subsidy.
//! - **Governance is bounded and never retroactive**: a period mints at most 1 % of
//!   `MaxSupply`, the reserve releases at most 5 % a day, and parameters or recipients set during
//!   a period take effect when it ends ([`NextParameters`], [`NextRecipients`]).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

pub use pallet::*;
pub use weights::WeightInfo;

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use ember_primitives::{OnComputePayment, PoolRewards};
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{Inspect, Mutate},
		tokens::Preservation,
	},
	PalletId,
};
use frame_system::pallet_prelude::*;
use scale_info::TypeInfo;
use sp_runtime::{
	traits::{AccountIdConversion, CheckedDiv, SaturatedConversion, Zero},
	Perbill,
};

/// Planck.
pub type Balance = u128;

/// Days of burn the reserve trigger looks at.
pub const BURN_DAYS: u32 = 7;

/// The most of each mint the recipients a self-dealer can reach (miners, liquidity providers,
/// validators, the reserve: [`Recipient::reaches_self_dealers`]) may get together: with a
/// subsidy of up to 100 %, a self-dealer gets back at most `2 · MAX_MARKET_SHARE` = 80 % of the
/// base price it burns (and pays pool and transaction fees on top). At 50 % it would break even,
/// which the simulator showed; the margin makes wash trading a sure loss.
pub const MAX_MARKET_SHARE: Perbill = Perbill::from_percent(40);

/// The most one period may mint: 1 % of `MaxSupply` (at most ~12 % a year at 30-day periods).
pub const MAX_PERIOD_BUDGET: Perbill = Perbill::from_percent(1);

/// The most of the reserve released a day: 5 % (the reserve is a buffer over weeks, not a
/// second budget).
pub const MAX_RESERVE_RELEASE: Perbill = Perbill::from_percent(5);

/// Who a share of each mint goes to.
#[derive(
	Clone,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum Recipient<AccountId> {
	/// Miners, per proven staked hour (through the compute pools).
	Miners,
	/// The compute pools' liquidity providers, as dividends.
	LiquidityProviders,
	/// The current validators, equally.
	Validators,
	/// The reserve.
	Reserve,
	/// An account (e.g. the treasury).
	Account(AccountId),
}

impl<AccountId> Recipient<AccountId> {
	/// Whether a client paying its own miner can get this share back: as the miners or the
	/// providers, as a validator (it may be every one), or through the reserve (released to the
	/// miners' reward pot). Only an account (the treasury, spent by governance) is out of reach.
	pub fn reaches_self_dealers(&self) -> bool {
		!matches!(self, Recipient::Account(_))
	}
}

/// What governance tunes.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct IssuanceParameters {
	/// The most minted in one period.
	pub period_budget: Balance,
	/// The daily burn considered normal.
	pub burn_benchmark: Balance,
	/// How far above the benchmark a day's burn must be, 7 days in a row, to feed the reserve.
	pub burn_margin: Perbill,
	/// The share of the reserve released each day to the miners' reward pot.
	pub reserve_release: Perbill,
}

/// The ordered recipient list of a runtime.
pub type RecipientsOf<T> = BoundedVec<
	(Recipient<<T as frame_system::Config>::AccountId>, Perbill),
	<T as Config>::MaxRecipients,
>;

/// The day's starting point for measuring burn.
#[derive(
	Clone,
	Copy,
	Debug,
	Default,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct DayMark {
	/// Total issuance when the day began.
	pub issuance: Balance,
	/// What this pallet minted since.
	pub minted: Balance,
}

// FRAME's macro expansions call `expect()` on values they construct.
#[allow(clippy::expect_used)]
#[frame_support::pallet]
pub mod pallet {
	use super::*;

	/// The layout as first released (additions since start empty and need no migration); a
	/// change to an existing item bumps this with a `migrations` module beside it.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The native currency.
		type Currency: Mutate<Self::AccountId, Balance = Balance>;

		/// The compute pools (the miners' reward pot and the providers' dividends).
		type Pools: PoolRewards<Self::AccountId>;

		/// The current validators.
		type Validators: Get<alloc::vec::Vec<Self::AccountId>>;

		/// Who sets the parameters (within the pallet's bounds).
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Who sets the recipients: whoever can direct each mint (up to what the shares allow)
		/// to any account, so a stronger origin than `AdminOrigin`.
		type RecipientsOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The reserve's account.
		#[pallet::constant]
		type PalletId: Get<PalletId>;

		/// Blocks per issuance period (30 days in the runtime).
		#[pallet::constant]
		type PeriodBlocks: Get<BlockNumberFor<Self>>;

		/// Blocks per day (for the reserve).
		#[pallet::constant]
		type DayBlocks: Get<BlockNumberFor<Self>>;

		/// Periods over which the subsidy falls from 100 % to 0.
		#[pallet::constant]
		type SubsidyPeriods: Get<u32>;

		/// Total issuance never exceeds this.
		#[pallet::constant]
		type MaxSupply: Get<Balance>;

		/// Most recipients in the list.
		#[pallet::constant]
		type MaxRecipients: Get<u32>;

		/// Most validators paid (the rest of a long set are skipped).
		#[pallet::constant]
		type MaxValidators: Get<u32>;

		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;

		/// Sets the validator set for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper;
	}

	/// What governance tunes.
	#[pallet::storage]
	pub type Parameters<T: Config> = StorageValue<_, IssuanceParameters, OptionQuery>;

	/// Who gets each mint, in order.
	#[pallet::storage]
	pub type Recipients<T: Config> = StorageValue<_, RecipientsOf<T>, ValueQuery>;

	/// Parameters set during this period: they take effect when it ends, so a period's mint
	/// follows the rules it began under.
	#[pallet::storage]
	pub type NextParameters<T: Config> = StorageValue<_, IssuanceParameters, OptionQuery>;

	/// Recipients set during this period: they take effect when it ends.
	#[pallet::storage]
	pub type NextRecipients<T: Config> = StorageValue<_, RecipientsOf<T>, OptionQuery>;

	/// Base prices paid for compute this period.
	#[pallet::storage]
	pub type Paid<T: Config> = StorageValue<_, Balance, ValueQuery>;

	/// Everything this pallet has minted.
	#[pallet::storage]
	pub type TotalMinted<T: Config> = StorageValue<_, Balance, ValueQuery>;

	/// The burn of each of the last days, oldest first.
	#[pallet::storage]
	pub type DailyBurns<T: Config> =
		StorageValue<_, BoundedVec<Balance, ConstU32<BURN_DAYS>>, ValueQuery>;

	/// Where the current day's burn is measured from.
	#[pallet::storage]
	pub type Day<T: Config> = StorageValue<_, DayMark, ValueQuery>;

	/// Base prices paid for compute today: burned, but counted as payments, not as burn the
	/// reserve may catch (or a self-dealer would get its payment back through the reserve).
	#[pallet::storage]
	pub type DayPaid<T: Config> = StorageValue<_, Balance, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The parameters (none: nothing is minted and the reserve never fills).
		pub parameters: Option<IssuanceParameters>,
		/// The recipients, in order.
		pub recipients: alloc::vec::Vec<(Recipient<T::AccountId>, Perbill)>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		// An invalid genesis must not produce a chain: panicking here is the way to refuse it.
		#[allow(clippy::panic)]
		fn build(&self) {
			if let Some(parameters) = self.parameters {
				if let Err(error) = Pallet::<T>::check_parameters(&parameters) {
					panic!("genesis issuance parameters: {error:?}");
				}
				Parameters::<T>::put(parameters);
			}
			let recipients = match Pallet::<T>::check_recipients(self.recipients.clone()) {
				Ok(recipients) => recipients,
				Err(error) => panic!("genesis issuance recipients: {error:?}"),
			};
			Recipients::<T>::put(recipients);
			// Build this pallet after every pallet that mints at genesis.
			Day::<T>::put(DayMark { issuance: T::Currency::total_issuance(), minted: 0 });
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A period ended: `paid` in base prices, `minted` with `subsidy`.
		PeriodEnded { period: u32, paid: Balance, subsidy: Perbill, minted: Balance },
		/// `amount` of a mint went to `recipient`.
		Minted { recipient: Recipient<T::AccountId>, amount: Balance },
		/// A day ended having burned `burned`; `to_reserve` of it was caught by the reserve.
		DayEnded { burned: Balance, to_reserve: Balance },
		/// The reserve released `amount` to the miners' reward pot.
		ReserveReleased { amount: Balance },
		/// The parameters changed (at a period's end).
		ParametersChanged { parameters: IssuanceParameters },
		/// The recipients changed (at a period's end).
		RecipientsChanged,
		/// `parameters` take effect when the current period ends.
		ParametersScheduled { parameters: IssuanceParameters },
		/// New recipients take effect when the current period ends.
		RecipientsScheduled,
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The shares sum to more than 100 %.
		SharesAboveOne,
		/// More than `MaxRecipients` recipients.
		TooManyRecipients,
		/// Miners, liquidity providers, validators and the reserve together would get more than
		/// `MAX_MARKET_SHARE` (40 %)
		/// of each mint, which would let a client trading with its own miner recover what it
		/// burns.
		WashTradingProfitable,
		/// The period budget is above `MAX_PERIOD_BUDGET` (1 %) of `MaxSupply`.
		BudgetTooHigh,
		/// The daily reserve release is above `MAX_RESERVE_RELEASE` (5 %).
		ReleaseTooHigh,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let mut weight = T::WeightInfo::on_initialize_idle();
			let block = now.saturated_into::<u64>();
			let at = |every: BlockNumberFor<T>| {
				block != 0 && block.checked_rem(every.saturated_into()) == Some(0)
			};
			if at(T::PeriodBlocks::get()) {
				let (recipients, validators, credited) = Self::end_period(now);
				weight = weight
					.saturating_add(T::WeightInfo::on_initialize_period(recipients, validators));
				if credited {
					weight = weight.saturating_add(T::Pools::credit_weight().saturating_mul(2));
				}
			}
			if at(T::DayBlocks::get()) {
				Self::end_day();
				weight = weight.saturating_add(T::WeightInfo::on_initialize_day());
			}
			// What governance set during the period governs the next one: taken in after the
			// period's mint and its last day, which both ran under the old values.
			if at(T::PeriodBlocks::get()) {
				Self::apply_scheduled();
				weight = weight.saturating_add(T::DbWeight::get().reads_writes(2, 4));
			}
			weight
		}

		fn integrity_test() {
			assert!(!T::PeriodBlocks::get().is_zero(), "PeriodBlocks must be positive");
			assert!(!T::DayBlocks::get().is_zero(), "DayBlocks must be positive");
			assert!(T::SubsidyPeriods::get() > 0, "SubsidyPeriods must be positive");
			assert!(T::MaxRecipients::get() > 0, "MaxRecipients must be positive");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Sets the parameters from the next period on (within `MAX_PERIOD_BUDGET` and
		/// `MAX_RESERVE_RELEASE`); a second call in the same period replaces the first.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::set_parameters())]
		pub fn set_parameters(
			origin: OriginFor<T>,
			parameters: IssuanceParameters,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::check_parameters(&parameters)?;
			NextParameters::<T>::put(parameters);
			Self::deposit_event(Event::ParametersScheduled { parameters });
			Ok(())
		}

		/// Sets who gets each mint, in order, from the next period on.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::set_recipients(recipients.len() as u32))]
		pub fn set_recipients(
			origin: OriginFor<T>,
			recipients: alloc::vec::Vec<(Recipient<T::AccountId>, Perbill)>,
		) -> DispatchResult {
			T::RecipientsOrigin::ensure_origin(origin)?;
			NextRecipients::<T>::put(Self::check_recipients(recipients)?);
			Self::deposit_event(Event::RecipientsScheduled);
			Ok(())
		}
	}
}

/// Sets up what the benchmarks need from other pallets.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper {
	/// Makes the validator set `n` funded validators.
	fn set_validators(n: u32);
}

impl<T: Config> Pallet<T> {
	/// The reserve's account.
	pub fn reserve_account() -> T::AccountId {
		T::PalletId::get().into_account_truncating()
	}

	/// What the reserve holds.
	pub fn reserve() -> Balance {
		T::Currency::balance(&Self::reserve_account())
	}

	/// The subsidy of period `period` (numbered from 0 at genesis).
	pub fn subsidy(period: u32) -> Perbill {
		let periods = T::SubsidyPeriods::get();
		Perbill::from_rational(periods.saturating_sub(period), periods)
	}

	/// What a period with `paid` in base prices and `subsidy` mints, before recipients: under
	/// the budget and the supply left.
	pub fn period_mint(paid: Balance, subsidy: Perbill) -> Balance {
		let budget = Parameters::<T>::get().map_or(0, |p| p.period_budget);
		let headroom = T::MaxSupply::get().saturating_sub(T::Currency::total_issuance());
		paid.saturating_add(subsidy.mul_floor(paid)).min(budget).min(headroom)
	}

	/// Refuses parameters outside the pallet's bounds.
	pub fn check_parameters(parameters: &IssuanceParameters) -> Result<(), Error<T>> {
		ensure!(
			parameters.period_budget <= MAX_PERIOD_BUDGET.mul_floor(T::MaxSupply::get()),
			Error::<T>::BudgetTooHigh
		);
		ensure!(parameters.reserve_release <= MAX_RESERVE_RELEASE, Error::<T>::ReleaseTooHigh);
		Ok(())
	}

	fn check_recipients(
		recipients: alloc::vec::Vec<(Recipient<T::AccountId>, Perbill)>,
	) -> Result<RecipientsOf<T>, DispatchError> {
		let parts = |market: bool| {
			recipients
				.iter()
				.filter(|(recipient, _)| !market || recipient.reaches_self_dealers())
				.map(|(_, share)| u64::from(share.deconstruct()))
				.fold(0u64, u64::saturating_add)
		};
		ensure!(
			parts(false) <= u64::from(Perbill::one().deconstruct()),
			Error::<T>::SharesAboveOne
		);
		ensure!(
			parts(true) <= u64::from(MAX_MARKET_SHARE.deconstruct()),
			Error::<T>::WashTradingProfitable
		);
		BoundedVec::try_from(recipients).map_err(|_| Error::<T>::TooManyRecipients.into())
	}

	/// Mints `amount` into `to`, counting it; returns what was minted (nothing if `to` would
	/// stay below the existential deposit).
	fn mint(to: &T::AccountId, amount: Balance) -> Balance {
		let headroom = T::MaxSupply::get().saturating_sub(T::Currency::total_issuance());
		let amount = amount.min(headroom);
		if amount.is_zero() || T::Currency::mint_into(to, amount).is_err() {
			return 0;
		}
		TotalMinted::<T>::mutate(|total| *total = total.saturating_add(amount));
		Day::<T>::mutate(|day| day.minted = day.minted.saturating_add(amount));
		amount
	}

	/// Mints `amount` into the pools' account and has the pools `credit` it; returns what was
	/// minted.
	fn mint_to_pools(amount: Balance, credit: fn(Balance) -> Balance) -> Balance {
		let sent = Self::mint(&T::Pools::pot_account(), amount);
		credit(sent);
		sent
	}

	/// Ends the period that closes at `now`: mints and pays. Returns how many recipients and
	/// validators it paid and whether it credited providers (for the weight).
	pub(crate) fn end_period(now: BlockNumberFor<T>) -> (u32, u32, bool) {
		let index: u32 =
			now.checked_div(&T::PeriodBlocks::get()).unwrap_or_default().saturated_into();
		let period = index.saturating_sub(1);
		let paid = Paid::<T>::take();
		let subsidy = Self::subsidy(period);
		let total = Self::period_mint(paid, subsidy);
		let recipients = Recipients::<T>::get();
		let mut minted: Balance = 0;
		let mut validators_paid = 0u32;
		let mut credited = false;
		for (recipient, share) in recipients.iter() {
			let amount = share.mul_floor(total);
			let sent = match recipient {
				// What no stake or provider can take stays in the pot, which pays γ per hour.
				Recipient::Miners => {
					credited = true;
					Self::mint_to_pools(amount, T::Pools::credit_miners)
				}
				Recipient::LiquidityProviders => {
					credited = true;
					Self::mint_to_pools(amount, T::Pools::credit_providers)
				}
				Recipient::Validators => {
					let mut validators = T::Validators::get();
					validators.truncate(T::MaxValidators::get() as usize);
					let each = amount.checked_div(validators.len() as Balance).unwrap_or(0);
					validators_paid = validators.len() as u32;
					validators.iter().map(|v| Self::mint(v, each)).fold(0, Balance::saturating_add)
				}
				Recipient::Reserve => Self::mint(&Self::reserve_account(), amount),
				Recipient::Account(who) => Self::mint(who, amount),
			};
			minted = minted.saturating_add(sent);
			Self::deposit_event(Event::Minted { recipient: recipient.clone(), amount: sent });
		}
		Self::deposit_event(Event::PeriodEnded { period, paid, subsidy, minted });
		(recipients.len() as u32, validators_paid, credited)
	}

	/// Puts the parameters and recipients governance set during the period that just ended in
	/// force.
	pub(crate) fn apply_scheduled() {
		if let Some(parameters) = NextParameters::<T>::take() {
			Parameters::<T>::put(parameters);
			Self::deposit_event(Event::ParametersChanged { parameters });
		}
		if let Some(next) = NextRecipients::<T>::take() {
			Recipients::<T>::put(next);
			Self::deposit_event(Event::RecipientsChanged);
		}
	}

	/// Ends a day: records its burn, lets the reserve catch an excess, releases the reserve's
	/// daily subsidy, and starts the next day.
	pub(crate) fn end_day() {
		let day = Day::<T>::get();
		let burned = day
			.issuance
			.saturating_add(day.minted)
			.saturating_sub(T::Currency::total_issuance())
			.saturating_sub(DayPaid::<T>::take());
		let mut burns = DailyBurns::<T>::get();
		if burns.is_full() {
			burns.remove(0);
		}
		let _ = burns.try_push(burned);
		let mut to_reserve = 0;
		if let Some(parameters) = Parameters::<T>::get() {
			let threshold = parameters
				.burn_benchmark
				.saturating_add(parameters.burn_margin.mul_floor(parameters.burn_benchmark));
			let sustained = burns.is_full() && burns.iter().all(|burn| *burn > threshold);
			if sustained && !parameters.burn_benchmark.is_zero() {
				to_reserve = Self::mint(&Self::reserve_account(), burned.saturating_sub(threshold));
			}
			let release = parameters.reserve_release.mul_floor(Self::reserve());
			if !release.is_zero()
				&& T::Currency::transfer(
					&Self::reserve_account(),
					&T::Pools::pot_account(),
					release,
					Preservation::Expendable,
				)
				.is_ok()
			{
				Self::deposit_event(Event::ReserveReleased { amount: release });
			}
		}
		DailyBurns::<T>::put(burns);
		Day::<T>::put(DayMark { issuance: T::Currency::total_issuance(), minted: 0 });
		Self::deposit_event(Event::DayEnded { burned, to_reserve });
	}

	/// Checks the pallet's invariants.
	///
	/// # Invariants
	///
	/// - Total issuance is within `MaxSupply`, and equals the sum of every account's free and
	///   held balance.
	/// - The recipients are valid: shares within 100 %, the market's within `MAX_MARKET_SHARE`.
	/// - This pallet never minted more than the total issuance.
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let issuance = T::Currency::total_issuance();
		ensure!(issuance <= T::MaxSupply::get(), "total issuance above MaxSupply");
		// Every planck is some account's, free or held: nothing minted or burned off the books.
		let held = frame_system::Account::<T>::iter_keys()
			.map(|who| T::Currency::total_balance(&who))
			.fold(0, Balance::saturating_add);
		ensure!(held == issuance, "total issuance differs from the sum of balances and holds");
		Self::check_recipients(Recipients::<T>::get().into_inner())
			.map_err(|_| "invalid recipients")?;
		if let Some(next) = NextRecipients::<T>::get() {
			Self::check_recipients(next.into_inner()).map_err(|_| "invalid next recipients")?;
		}
		for parameters in Parameters::<T>::get().iter().chain(NextParameters::<T>::get().iter()) {
			Self::check_parameters(parameters).map_err(|_| "parameters out of bounds")?;
		}
		ensure!(TotalMinted::<T>::get() <= issuance, "minted more than exists");
		Ok(())
	}
}

impl<T: Config> OnComputePayment for Pallet<T> {
	fn on_compute_payment(amount: Balance) {
		Paid::<T>::mutate(|paid| *paid = paid.saturating_add(amount));
		DayPaid::<T>::mutate(|paid| *paid = paid.saturating_add(amount));
	}
}
