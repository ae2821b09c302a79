//! # Compute pools
//!
//! Where compute changes hands: one dissipative pool per device class pairs compute-hour (CH)
//! tokens with EMB (LooPIN's PinFi pools, ../shared/seeds/004 §3.2, §4), proven devices stake
//! hours into it, clients buy hours and redeem them as leases.
//!
//! ## Pallet API
//!
//! - Miners: [`Pallet::stake`] an `Active` device's hours for `T` epochs, either as a liquidity
//!   provider (CH plus the equivalent EMB; no deposit) or as a liquidity-removal miner (CH sold
//!   into the pool; a maintenance deposit held); [`Pallet::renew_stake`] by one epoch;
//!   [`Pallet::claim_stake`] after expiry; [`Pallet::post_connection`] for a lease.
//! - Clients: [`Pallet::buy_hours`], [`Pallet::sell_hours`], [`Pallet::redeem`] hours for a
//!   lease on a staked device, [`Pallet::release_lease`]; anyone [`Pallet::end_lease`]s a lease
//!   past its end.
//! - Governance (`AdminOrigin`): [`Pallet::create_pool`], [`Pallet::set_parameters`].
//!
//! ## Overview
//!
//! - **Staking** follows the paper's steps: the staking fee `α · r` is burned (`r = S / T`, the
//!   stake's hours per epoch); the miner gets a non-transferable [`Stake`] record (device,
//!   class, hours, start, end) and the CH it backs enter the pool. One device backs one stake.
//! - **Dissipation**: at each epoch boundary the pool loses the live stakes' summed rate of CH
//!   together with the EMB that keeps the price ([`Pool::dissipate`]); that EMB is a dividend
//!   of the provider shares. Expiries are aggregated per `(class, epoch)` ([`Expiring`]), so a
//!   boundary costs O(pools), never O(stakes). Each expired stake claims its share later.
//! - **Rewards**: at a claim the stake earns `γ` per hour served from the reward pot (the
//!   pallet account's balance beyond what the pools own), of which `β` per hour is burned.
//!   `T_min = α / (γ − β)` is enforced on every stake and every parameter change. Issuance's
//!   mints are split over the pools by what each accrued epoch by epoch since the last mint
//!   ([`Accrual`]: stake rate × base price for miners, pool EMB for providers) and paid out
//!   evenly over the next `RewardStreamEpochs` boundaries ([`Stream`]) to the stakes and shares
//!   live then: a reward per rate-epoch, so a stake earns in proportion to its time staked.
//! - **Faults**: PoCPS reports each outcome ([`OnChallengeOutcome`]), and the registry each
//!   retirement ([`ember_primitives::OnDeviceRetired`]): a retired device is no longer
//!   challenged. Either ends the device's stake at once: a provider's shares are redeemed and
//!   its EMB returned; a remover's deposit is burned. A lease on the device ends; its unused
//!   hours are refunded as CH, with a credit for the base price paid for them.
//! - **Leases**: [`Pallet::redeem`] burns the base price (`BasePrice`, the compute price
//!   pallet) on top of the CH spent; the miner posts connection details encrypted to a key the
//!   client gives (sr25519 agreement and a NaCl secretbox, see [`Lease::connection`]).
//!
//! ## Design
//!
//! - Every EMB movement is a transfer, a hold or a burn; nothing is minted after genesis.
//!   [`Burned`] totals this pallet's burns, so total issuance can be checked against it.
//! - Users pay for their storage: a stake is covered by its device's bond (one per device),
//!   a client's holding by `HoldingDeposit` and a lease by `LeaseDeposit`.
//! - Math is `U256` with checked operations ([`amm`]); a trade that cannot be computed fails
//!   with [`Error::InsufficientLiquidity`] and changes nothing.
//!
//! docs/economics.md has the rules with worked numbers and where they differ from the paper.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod amm;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod lease;
pub mod migrations;
#[cfg(test)]
mod mock;
mod pool;
pub mod runtime_api;
mod stake;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

use ember_primitives::{
	BasePrice, ChallengeId, ChallengeOutcome, ClassId, DeviceId, DeviceInspect, DeviceStatus,
	LeaseInspect, OnChallengeOutcome, OnDeliveryFailed, OnDeviceRetired, PoolRewards,
	ReputationInspect, StakeInspect,
};
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{Inspect, Mutate, MutateHold},
		tokens::{Fortitude, Precision, Preservation},
	},
	PalletId,
};
use frame_system::pallet_prelude::*;
// The invariant checks read holds.
#[cfg(any(feature = "try-runtime", feature = "std", test))]
use frame_support::traits::fungible::InspectHold;
use sp_runtime::traits::{AccountIdConversion, SaturatedConversion, Saturating, Zero};

/// A lease as stored.
pub type LeaseOf<T> = Lease<
	<T as frame_system::Config>::AccountId,
	BlockNumberFor<T>,
	<T as Config>::MaxConnectionLen,
>;

/// How to stake a device's hours.
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
)]
pub enum StakeOffer {
	/// Add the hours to the pool with the equivalent EMB, at least `min_emb` and at most
	/// `max_emb` (in an empty pool, exactly `max_emb`, which sets the price).
	Provide {
		/// The least EMB to add: refuses a pool whose price was pushed down.
		min_emb: Balance,
		/// The most EMB to add.
		max_emb: Balance,
	},
	/// Sell the hours into the pool, receiving at least `min_emb` after the exchange fee.
	Sell {
		/// The least EMB to receive.
		min_emb: Balance,
	},
}

// FRAME's macro expansions call `expect()` on values they construct.
#[allow(clippy::expect_used)]
#[frame_support::pallet]
pub mod pallet {
	use super::*;

	/// 1: delivery records for running leases and the class index of staked devices
	/// ([`migrations::v1`]). A change to an existing item bumps this with a migration.
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// EMB: pool reserves, fees, deposits and rewards.
		type Currency: Mutate<Self::AccountId, Balance = Balance>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// Devices, their owners, classes and status (the registry).
		type Devices: DeviceInspect<Self::AccountId>;

		/// The base price burned on each redemption (the compute price pallet).
		type BasePrice: BasePrice;

		/// Device reputation: scales the reward per hour (0.8× to 1.2×) and ranks offers.
		type Reputation: ReputationInspect;

		/// Who creates pools and sets the parameters.
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The pools' account (reserves, unclaimed EMB and the reward pot) derives from it.
		#[pallet::constant]
		type PalletId: Get<PalletId>;

		/// Blocks per epoch: how often pools dissipate.
		#[pallet::constant]
		type EpochBlocks: Get<BlockNumberFor<Self>>;

		/// Blocks per hour: a lease of `h` hours lasts `h · BlocksPerHour` blocks, and an epoch
		/// holds `EpochBlocks / BlocksPerHour` hours of one device.
		#[pallet::constant]
		type BlocksPerHour: Get<BlockNumberFor<Self>>;

		/// Most pools (one per class).
		#[pallet::constant]
		type MaxPools: Get<u32>;

		/// Longest stake, in epochs.
		#[pallet::constant]
		type MaxStakeEpochs: Get<u32>;

		/// Epochs a client's bought hours last before they are gone.
		#[pallet::constant]
		type HoldingEpochs: Get<u32>;

		/// Shares locked forever by a pool's first liquidity (Uniswap v2's `MINIMUM_LIQUIDITY`).
		#[pallet::constant]
		type MinimumLiquidity: Get<u128>;

		/// Held from a client while it holds hours of a class.
		#[pallet::constant]
		type HoldingDeposit: Get<Balance>;

		/// Held from a client while its lease is stored.
		#[pallet::constant]
		type LeaseDeposit: Get<Balance>;

		/// Longest sealed connection details.
		#[pallet::constant]
		type MaxConnectionLen: Get<u32>;

		/// The parameters until governance sets others.
		type DefaultParameters: Get<PoolParameters>;

		/// Epoch boundaries over which a pool pays out what issuance credits it (the issuance
		/// period's length in epochs, in the runtime).
		#[pallet::constant]
		type RewardStreamEpochs: Get<u32>;

		/// Blocks a client has from a lease's start to acknowledge a working hand-off.
		#[pallet::constant]
		type HandoffBlocks: Get<BlockNumberFor<Self>>;

		/// Blocks a provider has to answer a client's failure report with a heartbeat.
		#[pallet::constant]
		type AnswerBlocks: Get<BlockNumberFor<Self>>;

		/// Most delivery deadlines that fall in one block (a lease whose deadline finds its
		/// block full takes the next with room, up to 8 blocks later).
		#[pallet::constant]
		type MaxDeadlinesPerBlock: Get<u32>;

		/// Most staked devices of a class [`Pallet::redeem_any`] looks at.
		#[pallet::constant]
		type MaxOffersScanned: Get<u32>;

		/// Told of each failed delivery (the provider's penalty: slashing).
		type DeliveryFailed: OnDeliveryFailed;

		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;

		/// Creates active devices and base prices for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A liquidity-removal miner's maintenance deposit.
		MaintenanceDeposit,
		/// A client's deposit for holding hours of a class.
		HoldingDeposit,
		/// A client's deposit for a stored lease.
		LeaseDeposit,
	}

	/// The staking and swap parameters.
	#[pallet::storage]
	pub type Parameters<T: Config> =
		StorageValue<_, PoolParameters, ValueQuery, T::DefaultParameters>;

	/// Each class's pool.
	#[pallet::storage]
	pub type Pools<T: Config> = CountedStorageMap<_, Twox64Concat, ClassId, Pool>;

	/// EMB of the pallet account that belongs to the pools (reserves and unclaimed); the rest,
	/// beyond the existential deposit, is the reward pot.
	#[pallet::storage]
	pub type Accounted<T: Config> = StorageValue<_, Balance, ValueQuery>;

	/// EMB this pallet has burned: staking, exchange and maintenance fees, forfeited deposits
	/// and base prices.
	#[pallet::storage]
	pub type Burned<T: Config> = StorageValue<_, Balance, ValueQuery>;

	/// Stake records.
	#[pallet::storage]
	pub type Stakes<T: Config> = StorageMap<_, Twox64Concat, StakeId, Stake<T::AccountId>>;

	/// The reward terms each stake was made under (one per stake, removed with it). A stake
	/// made before this record existed is paid under the parameters of the day.
	#[pallet::storage]
	pub type StakeTerms<T: Config> = StorageMap<_, Twox64Concat, StakeId, RewardTerms>;

	/// The id the next stake gets.
	#[pallet::storage]
	pub type NextStakeId<T: Config> = StorageValue<_, StakeId, ValueQuery>;

	/// The stake each device backs (live or awaiting its claim).
	#[pallet::storage]
	pub type DeviceStake<T: Config> = StorageMap<_, Twox64Concat, DeviceId, StakeId>;

	/// Live stakes by pool and expiry epoch, aggregated.
	#[pallet::storage]
	pub type Expiring<T: Config> =
		StorageDoubleMap<_, Twox64Concat, ClassId, Twox64Concat, EpochIndex, ExpiryBucket>;

	/// What expired stakes are owed, by pool and expiry epoch, until each claims.
	#[pallet::storage]
	pub type Exits<T: Config> =
		StorageDoubleMap<_, Twox64Concat, ClassId, Twox64Concat, EpochIndex, ExitRecord>;

	/// Clients' hours by class.
	#[pallet::storage]
	pub type Holdings<T: Config> =
		StorageDoubleMap<_, Twox64Concat, ClassId, Blake2_128Concat, T::AccountId, Holding>;

	/// Leases.
	#[pallet::storage]
	pub type Leases<T: Config> = StorageMap<_, Twox64Concat, LeaseId, LeaseOf<T>>;

	/// The id the next lease gets.
	#[pallet::storage]
	pub type NextLeaseId<T: Config> = StorageValue<_, LeaseId, ValueQuery>;

	/// The lease on each device (one at a time).
	#[pallet::storage]
	pub type DeviceLease<T: Config> = StorageMap<_, Twox64Concat, DeviceId, LeaseId>;

	/// Each client's leases.
	#[pallet::storage]
	pub type ClientLeases<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, LeaseId, ()>;

	/// The base price per hour each running lease paid (refunded for unused hours on a fault).
	/// Covered by the lease deposit.
	#[pallet::storage]
	pub type LeasePrices<T: Config> = StorageMap<_, Twox64Concat, LeaseId, Balance>;

	/// Base price a client already paid for hours refunded to its holding of a class (a fault
	/// ended their lease): its next leases of the class burn this much less. Kept with the
	/// holding (and covered by its deposit); gone when the holding goes.
	#[pallet::storage]
	pub type Prepaid<T: Config> =
		StorageDoubleMap<_, Twox64Concat, ClassId, Blake2_128Concat, T::AccountId, Balance>;

	/// Each running lease's delivery record (covered by the lease deposit).
	#[pallet::storage]
	pub type Deliveries<T: Config> =
		StorageMap<_, Twox64Concat, LeaseId, Delivery<BlockNumberFor<T>>>;

	/// The leases whose hand-off or report deadline falls in each block.
	#[pallet::storage]
	pub type DeliveryDeadlines<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<LeaseId, T::MaxDeadlinesPerBlock>,
		ValueQuery,
	>;

	/// Devices with a stake of each class (live or awaiting its claim): where
	/// [`Pallet::redeem_any`] looks for an offer. Covered by the device's bond.
	#[pallet::storage]
	pub type ClassDevices<T: Config> =
		StorageDoubleMap<_, Twox64Concat, ClassId, Twox64Concat, DeviceId, ()>;

	/// Each pool's issuance streams, paying out over the epochs after each credit.
	#[pallet::storage]
	pub type Streams<T: Config> = StorageMap<_, Twox64Concat, ClassId, RewardStreams, ValueQuery>;

	/// What each pool accrued since issuance last credited the pools (its weight then).
	#[pallet::storage]
	pub type Accruals<T: Config> = StorageMap<_, Twox64Concat, ClassId, Accrual, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Classes with a pool from genesis.
		pub pools: alloc::vec::Vec<ClassId>,
		/// EMB minted into the reward pot at genesis (part of the initial allocation).
		pub reward_pot: Balance,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		// An invalid genesis must not produce a chain: panicking here is the way to refuse it.
		#[allow(clippy::panic)]
		fn build(&self) {
			let account = Pallet::<T>::account_id();
			let endowment = T::Currency::minimum_balance().saturating_add(self.reward_pot);
			if let Err(error) = T::Currency::mint_into(&account, endowment) {
				panic!("endowing the compute pools' account: {error:?}");
			}
			for &class in &self.pools {
				if let Err(error) = Pallet::<T>::do_create_pool(class) {
					panic!("genesis pool for class {class}: {error:?}");
				}
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A class got a pool.
		PoolCreated { class: ClassId },
		/// Governance set the parameters; stakes must last at least `min_stake_epochs`.
		ParametersSet { parameters: PoolParameters, min_stake_epochs: u32 },
		/// A device's hours were staked: `hours` CH for epochs `start + 1 ..= end`. A provider
		/// added `emb`; a remover received `emb` after the burned exchange fee.
		Staked {
			stake: StakeId,
			owner: T::AccountId,
			device: DeviceId,
			class: ClassId,
			hours: MilliHours,
			end: EpochIndex,
			provider: bool,
			emb: Balance,
			fee_burned: Balance,
		},
		/// A stake was extended to `end`, adding `hours` CH; `emb` as in `Staked`.
		StakeRenewed { stake: StakeId, end: EpochIndex, hours: MilliHours, emb: Balance },
		/// An expired stake was settled: `paid` EMB from the pool, `reward` from the pot, the
		/// deposit returned, `burned` for maintenance (and a forfeited deposit).
		StakeClaimed {
			stake: StakeId,
			owner: T::AccountId,
			paid: Balance,
			reward: Balance,
			deposit_returned: Balance,
			burned: Balance,
		},
		/// A fault ended a stake: a provider got `returned` EMB; a remover's deposit (`burned`)
		/// was burned.
		StakeFaulted { stake: StakeId, device: DeviceId, returned: Balance, burned: Balance },
		/// An epoch boundary dissipated `ch` CH and `emb` EMB from a pool (`to_pot` of the EMB,
		/// issuance streams included, had no live stake or share to go to); `expired` stakes
		/// ended.
		Dissipated {
			class: ClassId,
			epoch: EpochIndex,
			ch: MilliHours,
			emb: Balance,
			expired: u32,
			to_pot: Balance,
		},
		/// A client bought `hours` CH for `emb`.
		HoursBought { class: ClassId, who: T::AccountId, hours: MilliHours, emb: Balance },
		/// A client sold `hours` CH for `emb`.
		HoursSold { class: ClassId, who: T::AccountId, hours: MilliHours, emb: Balance },
		/// A lease started; `base_price` was burned on top of the hours spent.
		LeaseStarted {
			lease: LeaseId,
			client: T::AccountId,
			device: DeviceId,
			class: ClassId,
			hours: u32,
			end: BlockNumberFor<T>,
			base_price: Balance,
		},
		/// The miner posted a lease's sealed connection details and its endpoint's host key,
		/// signed by the device key.
		ConnectionPosted { lease: LeaseId, host_key: [u8; 32] },
		/// The client acknowledged a working hand-off.
		HandoffAcknowledged { lease: LeaseId },
		/// The client reported that the endpoint fails; the provider has until `deadline` to
		/// answer with a heartbeat the client signed since.
		FailureReported { lease: LeaseId, deadline: BlockNumberFor<T> },
		/// The provider answered a report with a heartbeat the client signed at block `at`.
		ReportAnswered { lease: LeaseId, at: BlockNumberFor<T> },
		/// A lease ended for `reason`; `refunded` CH went back to the client with the base
		/// price paid for them (a fault's or a failed delivery's unused hours).
		LeaseEnded { lease: LeaseId, refunded: MilliHours, reason: LeaseEndReason },
		/// Handling a fault failed and was rolled back (a bug: please report it).
		FaultNotHandled { device: DeviceId, error: DispatchError },
		/// Issuance credited `amount` to the liquidity providers of every pool.
		ProvidersCredited { amount: Balance },
		/// Issuance credited `amount` to the pools' miner streams (paid to the live stakes by
		/// rate over the next `RewardStreamEpochs` boundaries).
		MinersCredited { amount: Balance },
		/// An expired holding was removed and its deposit returned.
		HoldingExpired { class: ClassId, who: T::AccountId, amount: MilliHours },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The class already has a pool.
		PoolExists,
		/// The class has no pool; governance creates pools.
		NoPool,
		/// `MaxPools` pools exist.
		TooManyPools,
		/// The pool has no liquidity yet: a liquidity-provider stake must go first.
		PoolEmpty,
		/// The parameters let no stake break even (`β > γ`, or `β = γ` with a staking fee), or
		/// need stakes longer than `MaxStakeEpochs`.
		NotViable,
		/// The swap fee or the exchange fee is above `MAX_FEE` (10 %).
		FeeTooHigh,
		/// No device with this id.
		UnknownDevice,
		/// Only the device's owner may do this.
		NotOwner,
		/// The device is not `Active` in PoCPS: seal it and answer a challenge first.
		DeviceNotActive,
		/// The device already backs a stake; claim it (after expiry) before staking again.
		AlreadyStaked,
		/// The stake is shorter than `T_min` (`minStakeEpochs` in the runtime API) or longer
		/// than `MaxStakeEpochs`.
		InvalidDuration,
		/// Zero hours, or more hours than the device can serve in the stake's epochs (one hour
		/// per hour).
		InvalidHours,
		/// The price moved past your limit (`max_emb` / `min_emb`).
		SlippageExceeded,
		/// The pool cannot serve this trade (too large, or too small to move a unit).
		InsufficientLiquidity,
		/// No stake with this id.
		UnknownStake,
		/// The stake has not expired yet; claim it after its end epoch.
		StakeLive,
		/// The stake has expired; claim it and stake again.
		StakeExpired,
		/// Not enough unexpired hours of this class; buy some first.
		InsufficientHours,
		/// The device is serving another lease.
		DeviceBusy,
		/// The device has no live stake that covers the whole lease.
		NoCapacity,
		/// No lease with this id (it may have ended).
		UnknownLease,
		/// Only the lease's client may release it.
		NotClient,
		/// The lease has ended.
		LeaseOver,
		/// The lease has not reached its end; its client may release it.
		LeaseRunning,
		/// An amount overflowed.
		Overflow,
		/// A stake may be renewed only in its last epoch (once per epoch).
		RenewTooEarly,
		/// The holding has not expired (only an expired holding may be removed by anyone).
		HoldingLive,
		/// The signature does not verify: the host key must be signed by the device key, a
		/// heartbeat by the lease's client key.
		BadSignature,
		/// The provider has not posted the connection details yet: nothing to acknowledge.
		NoConnection,
		/// The lease's delivery is not in a state that allows this (already acknowledged, or
		/// already reported, or no report to answer).
		WrongDeliveryState,
		/// The heartbeat is older than the report it answers, or from the future.
		StaleHeartbeat,
		/// Too many delivery deadlines fall in the coming blocks; try again shortly.
		DeadlinesFull,
		/// No free device of the class is staked long enough for these hours.
		NoOffer,
		/// Too close to the lease's end for the provider to answer a report within it.
		TooLateToReport,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let (block, epoch_blocks): (u64, u64) =
				(now.saturated_into(), T::EpochBlocks::get().saturated_into());
			let epoch_weight = if block.checked_rem(epoch_blocks) == Some(0) {
				let epoch = block.checked_div(epoch_blocks).unwrap_or(0).saturated_into();
				let pools = Self::end_epoch(epoch);
				T::WeightInfo::on_initialize_epoch(pools)
			} else {
				T::WeightInfo::on_initialize_idle()
			};
			let due = Self::end_undelivered(now);
			epoch_weight.saturating_add(T::WeightInfo::on_initialize_deadlines(due).saturating_add(
				T::DeliveryFailed::delivery_failed_weight().saturating_mul(due.into()),
			))
		}

		fn integrity_test() {
			assert!(!T::EpochBlocks::get().is_zero(), "EpochBlocks must be positive");
			assert!(!T::BlocksPerHour::get().is_zero(), "BlocksPerHour must be positive");
			assert!(
				Self::epoch_capacity() > 0,
				"an epoch must hold at least a thousandth of a device-hour"
			);
			assert!(T::MaxPools::get() > 0, "MaxPools must be positive");
			assert!(T::HoldingEpochs::get() > 0, "HoldingEpochs must be positive");
			assert!(T::MinimumLiquidity::get() > 0, "MinimumLiquidity must be positive");
			assert!(!T::HandoffBlocks::get().is_zero(), "HandoffBlocks must be positive");
			assert!(!T::AnswerBlocks::get().is_zero(), "AnswerBlocks must be positive");
			assert!(T::MaxDeadlinesPerBlock::get() > 0, "MaxDeadlinesPerBlock must be positive");
			assert!(T::MaxOffersScanned::get() > 0, "MaxOffersScanned must be positive");
			assert!(
				T::LeaseDeposit::get() >= T::HoldingDeposit::get(),
				"a fault refund turns a lease deposit into a holding deposit"
			);
			// LooPIN §5: β ≤ γ and T_min = α / (γ − β) within the longest stake.
			let min = T::DefaultParameters::get().min_stake_epochs();
			assert!(
				min.is_some_and(|min| min <= T::MaxStakeEpochs::get()),
				"DefaultParameters: no stake can break even (need β < γ and α/(γ−β) ≤ MaxStakeEpochs)"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Creates `class`'s pool, empty until a liquidity-provider stake sets its price.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::create_pool())]
		pub fn create_pool(origin: OriginFor<T>, class: ClassId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_create_pool(class)?;
			Self::deposit_event(Event::PoolCreated { class });
			Ok(())
		}

		/// Sets the staking and swap parameters, if some stake of at most `MaxStakeEpochs`
		/// can break even under them. They apply to new stakes and to swaps from now on;
		/// existing stakes keep their fee, deposit and reward terms (`StakeTerms`).
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::set_parameters())]
		pub fn set_parameters(origin: OriginFor<T>, parameters: PoolParameters) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			ensure!(
				parameters.swap_fee <= MAX_FEE && parameters.exchange_fee <= MAX_FEE,
				Error::<T>::FeeTooHigh
			);
			let min_stake_epochs = parameters
				.min_stake_epochs()
				.filter(|min| *min <= T::MaxStakeEpochs::get())
				.ok_or(Error::<T>::NotViable)?;
			Parameters::<T>::put(&parameters);
			Self::deposit_event(Event::ParametersSet { parameters, min_stake_epochs });
			Ok(())
		}

		/// Stakes `hours` of `device` for `epochs` epochs into its class's pool, as `offer`
		/// says. The device must be `Active` and back no other stake; `epochs` must be at least
		/// `T_min`; `hours` at most what the device serves in `epochs`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::stake_provide().max(T::WeightInfo::stake_sell()))]
		pub fn stake(
			origin: OriginFor<T>,
			device: DeviceId,
			hours: u64,
			epochs: u32,
			offer: StakeOffer,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_stake(who, device, hours, epochs, offer)
		}

		/// Extends a live stake by one epoch without a new staking fee, in its last epoch only
		/// (at most once per epoch): one more epoch of its rate enters the pool as the stake did
		/// (`limit` is the most EMB a provider adds, or the least a remover receives), and a
		/// remover's deposit grows by the hours added.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::renew_stake())]
		pub fn renew_stake(origin: OriginFor<T>, stake: StakeId, limit: Balance) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_renew(who, stake, limit)
		}

		/// Settles an expired stake: a provider's share of the pool and its dividends, the
		/// issuance rewards and `γ` for the hours served (less the maintenance burn), and a
		/// remover's deposit.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::claim_stake())]
		pub fn claim_stake(origin: OriginFor<T>, stake: StakeId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_claim(who, stake)
		}

		/// Buys exactly `hours` CH (thousandths of an hour) of `class` for at most `max_emb`.
		/// They last `HoldingEpochs` epochs; the holding's expiry becomes the amount-weighted
		/// mean of its old hours' and the new ones'.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::buy_hours())]
		pub fn buy_hours(
			origin: OriginFor<T>,
			class: ClassId,
			hours: MilliHours,
			max_emb: Balance,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_buy(who, class, hours, max_emb)
		}

		/// Sells `hours` CH of `class` back to the pool for at least `min_emb`.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::sell_hours())]
		pub fn sell_hours(
			origin: OriginFor<T>,
			class: ClassId,
			hours: MilliHours,
			min_emb: Balance,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_sell(who, class, hours, min_emb)
		}

		/// Redeems `hours` whole hours of the device's class for a lease on `device`, which
		/// must be `Active`, staked past the lease's end and free. The base price of the hours
		/// is burned from the caller. `client_key` is the sr25519 public key the miner encrypts
		/// the connection details to.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::redeem())]
		pub fn redeem(
			origin: OriginFor<T>,
			device: DeviceId,
			hours: u32,
			client_key: [u8; 32],
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_redeem(who, device, hours, client_key)
		}

		/// Posts a lease's connection details, sealed to the client's key, with the endpoint's
		/// host key fingerprint and the device key's signature of
		/// [`host_key_message`]`(lease, host_key)` (the device owner only). Posting again
		/// replaces them.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::post_connection())]
		pub fn post_connection(
			origin: OriginFor<T>,
			lease: LeaseId,
			connection: BoundedVec<u8, T::MaxConnectionLen>,
			host_key: [u8; 32],
			signature: [u8; 64],
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_post_connection(who, lease, connection, host_key, signature)
		}

		/// Ends the caller's lease now; unused hours are not refunded.
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::release_lease())]
		pub fn release_lease(origin: OriginFor<T>, lease: LeaseId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let info = Leases::<T>::get(lease).ok_or(Error::<T>::UnknownLease)?;
			ensure!(info.client == who, Error::<T>::NotClient);
			Self::end_lease_early(&info);
			Self::close_lease(lease, &info, 0, LeaseEndReason::Released)
		}

		/// Removes a lease past its end and returns its deposit to the client (anyone may).
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::end_lease())]
		pub fn end_lease(origin: OriginFor<T>, lease: LeaseId) -> DispatchResult {
			ensure_signed(origin)?;
			let info = Leases::<T>::get(lease).ok_or(Error::<T>::UnknownLease)?;
			ensure!(
				frame_system::Pallet::<T>::block_number() >= info.end,
				Error::<T>::LeaseRunning
			);
			Self::close_lease(lease, &info, 0, LeaseEndReason::Expired)
		}

		/// Removes `who`'s expired holding of `class` and returns its deposit to `who` (anyone
		/// may: the hours are gone).
		#[pallet::call_index(11)]
		#[pallet::weight(T::WeightInfo::expire_holding())]
		pub fn expire_holding(
			origin: OriginFor<T>,
			class: ClassId,
			who: T::AccountId,
		) -> DispatchResult {
			ensure_signed(origin)?;
			let holding = Holdings::<T>::get(class, &who).ok_or(Error::<T>::InsufficientHours)?;
			ensure!(holding.expires <= Self::current_epoch(), Error::<T>::HoldingLive);
			Self::remove_holding(class, &who)?;
			Self::deposit_event(Event::HoldingExpired { class, who, amount: holding.amount });
			Ok(())
		}

		/// The lease's client acknowledges a working hand-off (or withdraws its report): the
		/// lease runs its term.
		#[pallet::call_index(12)]
		#[pallet::weight(T::WeightInfo::acknowledge())]
		pub fn acknowledge(origin: OriginFor<T>, lease: LeaseId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_acknowledge(who, lease)
		}

		/// The lease's client reports that its endpoint fails. Unless the provider answers
		/// within `AnswerBlocks` with a heartbeat the client signed since, the lease ends, the
		/// client is refunded the hours not begun now with the base price paid for them, and the
		/// device is penalised.
		#[pallet::call_index(13)]
		#[pallet::weight(T::WeightInfo::report_failure())]
		pub fn report_failure(origin: OriginFor<T>, lease: LeaseId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_report_failure(who, lease)
		}

		/// The device owner answers a failure report with a heartbeat: the lease's client key's
		/// signature of [`heartbeat_message`]`(lease, at)`, `at` no earlier than the report.
		#[pallet::call_index(14)]
		#[pallet::weight(T::WeightInfo::answer_report())]
		pub fn answer_report(
			origin: OriginFor<T>,
			lease: LeaseId,
			at: BlockNumberFor<T>,
			signature: [u8; 64],
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_answer_report(who, lease, at, signature)
		}

		/// Redeems `hours` whole hours of `class` on the best free device the pool offers:
		/// among the first `MaxOffersScanned` staked devices of the class, those `Active`,
		/// free and staked past the lease's end, the best reputation (then the lowest id).
		/// Devices of a class share one pool and one base price, so reputation is the ranking.
		#[pallet::call_index(15)]
		#[pallet::weight(T::WeightInfo::redeem_any(T::MaxOffersScanned::get()))]
		pub fn redeem_any(
			origin: OriginFor<T>,
			class: ClassId,
			hours: u32,
			client_key: [u8; 32],
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let (device, scanned) = Self::best_offer(class, hours)?;
			Self::do_redeem(who, device, hours, client_key)?;
			Ok(Some(T::WeightInfo::redeem_any(scanned)).into())
		}
	}
}

/// Creates what the benchmarks need from other pallets.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// A new `Active` device owned by `owner`, in `class` or else a new class, with a base
	/// price.
	fn active_device(owner: AccountId, class: Option<ClassId>) -> (DeviceId, ClassId);

	/// Makes `key` `device`'s device key (which signs its endpoints' host keys).
	fn set_device_key(device: DeviceId, key: [u8; 32]);
}

impl<T: Config> Pallet<T> {
	/// The account that holds the pools' EMB and the reward pot.
	pub fn account_id() -> T::AccountId {
		T::PalletId::get().into_account_truncating()
	}

	/// The epoch of the current block.
	pub fn current_epoch() -> EpochIndex {
		let now: u64 = frame_system::Pallet::<T>::block_number().saturated_into();
		now.checked_div(T::EpochBlocks::get().saturated_into()).unwrap_or(0).saturated_into()
	}

	/// CH units one device serves in an epoch.
	pub fn epoch_capacity() -> MilliHours {
		let epoch: u128 = T::EpochBlocks::get().saturated_into();
		let hour: u128 = T::BlocksPerHour::get().saturated_into();
		amm::mul_div(epoch, MILLIHOURS_PER_HOUR, hour).unwrap_or(0)
	}

	/// The first block of `epoch`.
	pub fn epoch_start(epoch: EpochIndex) -> BlockNumberFor<T> {
		T::EpochBlocks::get().saturating_mul(epoch.into())
	}

	/// The reward pot: the pallet account's spendable EMB that no pool owns.
	pub fn reward_pot() -> Balance {
		T::Currency::reducible_balance(
			&Self::account_id(),
			Preservation::Preserve,
			Fortitude::Polite,
		)
		.saturating_sub(Accounted::<T>::get())
	}

	/// Splits `amount` (already in the pools' account) over the pools by what each accrued
	/// since the last such credit (`accrued`, which is then reset), adding each share to the
	/// pool's stream (`stream`) to be paid out over the next `RewardStreamEpochs` boundaries;
	/// counts what was credited as the pools'. Returns it.
	fn credit_pools(
		amount: Balance,
		accrued: fn(&mut Accrual) -> &mut u128,
		stream: fn(&mut RewardStreams) -> &mut Stream,
	) -> Balance {
		// At most `MaxPools` pools.
		let weights: alloc::vec::Vec<(ClassId, u128)> = Accruals::<T>::iter_keys()
			.collect::<alloc::vec::Vec<_>>()
			.into_iter()
			.map(|class| {
				let weight =
					Accruals::<T>::mutate(class, |accrual| core::mem::take(accrued(accrual)));
				(class, weight)
			})
			.collect();
		let total = weights.iter().fold(0u128, |sum, (_, weight)| sum.saturating_add(*weight));
		let mut credited: Balance = 0;
		for (class, weight) in weights {
			let Some(share) = amm::mul_div(amount, weight, total) else { continue };
			if share.is_zero() || !Pools::<T>::contains_key(class) {
				continue;
			}
			Streams::<T>::mutate(class, |streams| {
				stream(streams).add(share, T::RewardStreamEpochs::get())
			});
			credited = credited.saturating_add(share);
		}
		Accounted::<T>::mutate(|owned| *owned = owned.saturating_add(credited));
		credited
	}

	/// Up to `limit` `Active` devices of `class` with a live stake and no lease, best reputation
	/// first:
	/// where a client looks for a device to redeem on.
	pub fn offers(class: ClassId, limit: u32) -> alloc::vec::Vec<(DeviceId, sp_runtime::Perbill)> {
		let now = Self::current_epoch();
		let mut offers: alloc::vec::Vec<_> = DeviceStake::<T>::iter()
			.filter(|(device, _)| !DeviceLease::<T>::contains_key(device))
			.filter_map(|(device, id)| Stakes::<T>::get(id).map(|stake| (device, stake)))
			.filter(|(_, stake)| stake.class == class && stake.end > now)
			.filter(|(device, _)| T::Devices::status(*device) == Some(DeviceStatus::Active))
			.map(|(device, _)| (device, T::Reputation::score(device)))
			.collect();
		offers.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
		offers.truncate(limit as usize);
		offers
	}

	/// The shortest viable stake under the current parameters.
	pub fn min_stake_epochs() -> u32 {
		Parameters::<T>::get().min_stake_epochs().unwrap_or(u32::MAX)
	}

	fn do_create_pool(class: ClassId) -> DispatchResult {
		ensure!(!Pools::<T>::contains_key(class), Error::<T>::PoolExists);
		ensure!(Pools::<T>::count() < T::MaxPools::get(), Error::<T>::TooManyPools);
		Pools::<T>::insert(class, Pool::default());
		Ok(())
	}

	/// Burns `amount` from `who`'s free balance (keeping it alive) and counts it.
	fn burn(who: &T::AccountId, amount: Balance) -> DispatchResult {
		if amount.is_zero() {
			return Ok(());
		}
		T::Currency::burn_from(
			who,
			amount,
			Preservation::Preserve,
			Precision::Exact,
			Fortitude::Polite,
		)?;
		Burned::<T>::mutate(|total| *total = total.saturating_add(amount));
		Ok(())
	}

	/// Moves `amount` into the pools' account and counts it as theirs.
	fn pay_in(from: &T::AccountId, amount: Balance) -> DispatchResult {
		T::Currency::transfer(from, &Self::account_id(), amount, Preservation::Preserve)?;
		Self::account_owned(amount, Balance::checked_add)
	}

	/// Changes what the pools own of the pallet account to `op(owned, amount)`.
	fn account_owned(
		amount: Balance,
		op: fn(Balance, Balance) -> Option<Balance>,
	) -> DispatchResult {
		Accounted::<T>::try_mutate(|owned| -> DispatchResult {
			*owned = op(*owned, amount).ok_or(Error::<T>::Overflow)?;
			Ok(())
		})
	}

	/// Pays `amount` the pools owned out to `to`.
	fn pay_out(to: &T::AccountId, amount: Balance) -> DispatchResult {
		if amount.is_zero() {
			return Ok(());
		}
		T::Currency::transfer(&Self::account_id(), to, amount, Preservation::Preserve)?;
		Self::account_owned(amount, Balance::checked_sub)
	}

	/// Burns `amount` the pools owned (an exchange fee).
	fn burn_owned(amount: Balance) -> DispatchResult {
		Self::burn(&Self::account_id(), amount)?;
		Self::account_owned(amount, Balance::checked_sub)
	}

	/// Ends epoch `epoch - 1` in every pool: dissipation, then the stakes expiring now leave.
	/// Returns how many pools it touched.
	fn end_epoch(epoch: EpochIndex) -> u32 {
		// At most `MaxPools` keys.
		let classes: alloc::vec::Vec<ClassId> = Pools::<T>::iter_keys().collect();
		let mut touched = 0u32;
		for class in classes {
			touched = touched.saturating_add(1);
			let result =
				frame_support::storage::with_storage_layer(|| Self::end_pool_epoch(class, epoch));
			if let Err(error) = result {
				log::error!(target: "runtime::compute-pools", "epoch {epoch} of pool {class}: {error:?}");
			}
		}
		touched
	}

	fn end_pool_epoch(class: ClassId, epoch: EpochIndex) -> DispatchResult {
		let mut pool = Pools::<T>::get(class).ok_or(Error::<T>::NoPool)?;
		// The epoch that ends counts toward the pool's share of issuance's next credit.
		let price = T::BasePrice::price(class).unwrap_or(0);
		Accruals::<T>::mutate(class, |accrual| {
			accrual.miners = accrual.miners.saturating_add(pool.rate.saturating_mul(price));
			accrual.providers = accrual.providers.saturating_add(pool.emb);
		});
		let locked = if pool.is_initialized() { T::MinimumLiquidity::get() } else { 0 };
		// The EMB dissipated stays in the pools' account as `unclaimed`, but what the locked
		// shares would earn, which goes to the pot.
		let (ch, emb, mut to_pot) = pool.dissipate(locked).ok_or(Error::<T>::Overflow)?;
		// The streams pay the stakes and shares live in the epoch that ended (before those
		// expiring now leave); what nobody can take goes to the pot.
		let mut streams = Streams::<T>::get(class);
		let to_miners = streams.miners.pay_epoch();
		let to_providers = streams.providers.pay_epoch();
		to_pot = to_pot
			.saturating_add(pool.pay_rate(to_miners).ok_or(Error::<T>::Overflow)?)
			.saturating_add(pool.pay_shares(to_providers, locked).ok_or(Error::<T>::Overflow)?);
		if streams == RewardStreams::default() {
			Streams::<T>::remove(class);
		} else {
			Streams::<T>::insert(class, streams);
		}
		Self::account_owned(to_pot, Balance::checked_sub)?;
		let mut expired = 0u32;
		if let Some(bucket) = Expiring::<T>::take(class, epoch) {
			pool.rate = pool.rate.saturating_sub(bucket.rate);
			let mut exit = ExitRecord {
				emb_per_share: Default::default(),
				dividend_per_share: pool.dividend_per_share,
				reward_per_rate: pool.reward_per_rate,
				unclaimed_stakes: bucket.stakes,
			};
			if bucket.shares > 0 {
				let (_, out) = pool.remove_liquidity(bucket.shares).ok_or(Error::<T>::Overflow)?;
				pool.unclaimed = pool.unclaimed.checked_add(out).ok_or(Error::<T>::Overflow)?;
				exit.emb_per_share =
					amm::per_share(out, bucket.shares).ok_or(Error::<T>::Overflow)?;
			}
			Exits::<T>::insert(class, epoch, exit);
			expired = bucket.stakes;
		}
		Pools::<T>::insert(class, pool);
		if ch > 0 || expired > 0 || to_pot > 0 {
			Self::deposit_event(Event::Dissipated { class, epoch, ch, emb, expired, to_pot });
		}
		Ok(())
	}

	/// Checks the pallet's invariants.
	///
	/// # Invariants
	///
	/// - At most `MaxPools` pools; `Accounted` is the sum of the pools' `emb + unclaimed`, and
	///   the pallet account can pay it while staying alive.
	/// - An initialized pool has both reserves positive; an empty one has none.
	/// - A pool's `rate` is the sum of its live stakes' rates; its shares are the locked
	///   minimum plus its live providers' shares; each expiry bucket sums its stakes.
	/// - Each exit record counts the expired stakes that have not claimed.
	/// - Every stake is its device's `DeviceStake`; every lease its device's `DeviceLease`; and
	///   back: every `DeviceStake` / `DeviceLease` entry points at a record of that device.
	/// - Each pool is solvent: its `unclaimed` covers what every stake of it may claim (a
	///   provider's exit and dividends, every stake's issuance rewards).
	/// - Held deposits match the stakes, holdings and leases that need them; prepaid base
	///   prices belong to holdings, lease prices to leases.
	/// - Every lease has a delivery record and back; no delivery deadline lies in the past;
	///   `ClassDevices` lists exactly the staked devices, under their stakes' classes.
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::btree_map::BTreeMap;
		ensure!(Pools::<T>::count() <= T::MaxPools::get(), "more pools than MaxPools");
		let now = Self::current_epoch();
		let mut owned: Balance = 0;
		let mut rates: BTreeMap<ClassId, (MilliHours, u128)> = BTreeMap::new();
		let mut buckets: BTreeMap<(ClassId, EpochIndex), ExpiryBucket> = BTreeMap::new();
		let mut exits: BTreeMap<(ClassId, EpochIndex), u32> = BTreeMap::new();
		let mut deposits: BTreeMap<T::AccountId, Balance> = BTreeMap::new();
		for id in StakeTerms::<T>::iter_keys() {
			ensure!(Stakes::<T>::contains_key(id), "reward terms of no stake");
		}
		for (id, stake) in Stakes::<T>::iter() {
			ensure!(DeviceStake::<T>::get(stake.device) == Some(id), "stake not indexed by device");
			if stake.end > now {
				let (rate, shares) = rates.entry(stake.class).or_default();
				*rate = rate.saturating_add(stake.rate);
				let bucket = buckets.entry((stake.class, stake.end)).or_default();
				bucket.rate = bucket.rate.saturating_add(stake.rate);
				bucket.stakes = bucket.stakes.saturating_add(1);
				if let StakeKind::Provider { shares: s, .. } = stake.kind {
					*shares = shares.saturating_add(s);
					bucket.shares = bucket.shares.saturating_add(s);
				}
			} else {
				let count = exits.entry((stake.class, stake.end)).or_default();
				*count = count.saturating_add(1);
			}
			if let StakeKind::Remover { deposit } = stake.kind {
				let held = deposits.entry(stake.owner.clone()).or_default();
				*held = held.saturating_add(deposit);
			}
		}
		for (class, streams) in Streams::<T>::iter() {
			ensure!(Pools::<T>::contains_key(class), "a stream without a pool");
			owned =
				owned.saturating_add(streams.miners.left).saturating_add(streams.providers.left);
		}
		for (class, pool) in Pools::<T>::iter() {
			owned = owned.saturating_add(pool.emb).saturating_add(pool.unclaimed);
			ensure!(
				pool.is_initialized() == (pool.ch > 0 && pool.emb > 0),
				"pool reserves and shares disagree"
			);
			let (rate, shares) = rates.get(&class).copied().unwrap_or_default();
			ensure!(pool.rate == rate, "pool rate is not the sum of its live stakes");
			let locked = if pool.is_initialized() { T::MinimumLiquidity::get() } else { 0 };
			ensure!(pool.shares == shares.saturating_add(locked), "pool shares disagree");
		}
		ensure!(owned == Accounted::<T>::get(), "Accounted is not the pools' EMB");
		let account = Self::account_id();
		ensure!(
			T::Currency::reducible_balance(&account, Preservation::Preserve, Fortitude::Polite)
				>= owned,
			"the pools' account cannot pay what the pools own"
		);
		let stored: BTreeMap<_, _> =
			Expiring::<T>::iter().map(|(c, e, bucket)| ((c, e), bucket)).collect();
		ensure!(stored == buckets, "expiry buckets disagree with the stakes");
		let stored: BTreeMap<_, _> =
			Exits::<T>::iter().map(|(c, e, exit)| ((c, e), exit.unclaimed_stakes)).collect();
		ensure!(stored == exits, "exit records disagree with the expired stakes");
		for (owner, deposit) in deposits {
			let held = T::Currency::balance_on_hold(&HoldReason::MaintenanceDeposit.into(), &owner);
			ensure!(held == deposit, "maintenance deposits held disagree");
		}
		for (device, id) in DeviceStake::<T>::iter() {
			ensure!(
				Stakes::<T>::get(id).is_some_and(|stake| stake.device == device),
				"DeviceStake points at no stake of that device"
			);
		}
		for (device, id) in DeviceLease::<T>::iter() {
			ensure!(
				Leases::<T>::get(id).is_some_and(|lease| lease.device == device),
				"DeviceLease points at no lease of that device"
			);
		}
		Self::check_solvency()?;
		for (class, who, _) in Prepaid::<T>::iter() {
			ensure!(
				Holdings::<T>::contains_key(class, &who),
				"a prepaid base price without a holding"
			);
		}
		for (id, _) in LeasePrices::<T>::iter() {
			ensure!(Leases::<T>::contains_key(id), "a lease price without a lease");
		}
		for (id, _) in Deliveries::<T>::iter() {
			ensure!(Leases::<T>::contains_key(id), "a delivery record without a lease");
		}
		let block = frame_system::Pallet::<T>::block_number();
		for (at, _) in DeliveryDeadlines::<T>::iter() {
			ensure!(at > block, "a delivery deadline in the past");
		}
		for (class, device, _) in ClassDevices::<T>::iter() {
			ensure!(
				DeviceStake::<T>::get(device)
					.and_then(Stakes::<T>::get)
					.is_some_and(|stake| stake.class == class),
				"an offer without a stake of its class"
			);
		}
		ensure!(
			ClassDevices::<T>::iter().count() == DeviceStake::<T>::iter().count(),
			"a staked device missing from the offers"
		);
		let mut lease_deposits: BTreeMap<T::AccountId, Balance> = BTreeMap::new();
		for (id, lease) in Leases::<T>::iter() {
			ensure!(Deliveries::<T>::contains_key(id), "a lease without a delivery record");
			ensure!(DeviceLease::<T>::get(lease.device) == Some(id), "lease not indexed by device");
			ensure!(
				ClientLeases::<T>::contains_key(&lease.client, id),
				"lease not indexed by client"
			);
			let held = lease_deposits.entry(lease.client).or_default();
			*held = held.saturating_add(T::LeaseDeposit::get());
		}
		ensure!(
			ClientLeases::<T>::iter().count() == Leases::<T>::iter().count(),
			"client lease index has extra entries"
		);
		for (client, deposit) in lease_deposits {
			let held = T::Currency::balance_on_hold(&HoldReason::LeaseDeposit.into(), &client);
			ensure!(held == deposit, "lease deposits held disagree");
		}
		let mut holding_deposits: BTreeMap<T::AccountId, Balance> = BTreeMap::new();
		for (_, who, holding) in Holdings::<T>::iter() {
			ensure!(holding.amount > 0, "an empty holding is stored");
			let held = holding_deposits.entry(who).or_default();
			*held = held.saturating_add(T::HoldingDeposit::get());
		}
		for (who, deposit) in holding_deposits {
			let held = T::Currency::balance_on_hold(&HoldReason::HoldingDeposit.into(), &who);
			ensure!(held == deposit, "holding deposits held disagree");
		}
		Ok(())
	}
}

impl<T: Config> Pallet<T> {
	/// Per pool, `unclaimed` covers what its stakes may claim.
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	fn check_solvency() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::btree_map::BTreeMap;
		let mut owed: BTreeMap<ClassId, Balance> = BTreeMap::new();
		for (_, stake) in Stakes::<T>::iter() {
			let pool = Pools::<T>::get(stake.class).ok_or("a stake without a pool")?;
			let (exit, dividends_at, rewards_at) = match Exits::<T>::get(stake.class, stake.end)
				.filter(|_| stake.end <= Self::current_epoch())
			{
				Some(exit) => (exit.emb_per_share, exit.dividend_per_share, exit.reward_per_rate),
				None => (Default::default(), pool.dividend_per_share, pool.reward_per_rate),
			};
			let mut due = stake.rewards_owed(rewards_at).ok_or("rewards overflow")?;
			if let StakeKind::Provider { shares, dividend_at } = stake.kind {
				let per_share = exit.saturating_add(dividends_at.saturating_sub(dividend_at));
				due = due.saturating_add(amm::owed(shares, per_share).ok_or("dividends overflow")?);
			}
			let total = owed.entry(stake.class).or_default();
			*total = total.saturating_add(due);
		}
		for (class, due) in owed {
			let pool = Pools::<T>::get(class).ok_or("a stake without a pool")?;
			ensure!(pool.unclaimed >= due, "a pool owes its stakes more than it holds");
		}
		Ok(())
	}
}

impl<T: Config> LeaseInspect<T::AccountId> for Pallet<T> {
	fn lease(lease: u64) -> Option<(DeviceId, T::AccountId)> {
		let now = frame_system::Pallet::<T>::block_number();
		Leases::<T>::get(lease)
			.filter(|lease| now < lease.end)
			.map(|lease| (lease.device, lease.client))
	}
}

impl<T: Config> OnDeviceRetired for Pallet<T> {
	fn on_device_retired(device: DeviceId) -> DispatchResult {
		// A retired device is no longer challenged: its stake and lease end as on a fault. If
		// that cannot happen, the retirement must not either (a live stake on a retired device
		// would be a ghost).
		frame_support::storage::with_storage_layer(|| Self::handle_fault(device))
	}

	fn retired_weight() -> Weight {
		T::WeightInfo::on_fault()
	}
}

impl<T: Config> ember_primitives::LeaseStatus for Pallet<T> {
	fn is_leased(device: DeviceId) -> bool {
		DeviceLease::<T>::contains_key(device)
	}
}

impl<T: Config> StakeInspect for Pallet<T> {
	fn is_staked(device: DeviceId) -> bool {
		DeviceStake::<T>::get(device)
			.and_then(Stakes::<T>::get)
			.is_some_and(|stake| stake.end > Self::current_epoch())
	}
}

impl<T: Config> PoolRewards<T::AccountId> for Pallet<T> {
	fn pot_account() -> T::AccountId {
		Self::account_id()
	}

	fn credit_providers(amount: Balance) -> Balance {
		// Each pool by the EMB it holds, then its shares.
		// Each pool by its EMB, epoch by epoch; then its live shares, epoch by epoch.
		let credited = Self::credit_pools(amount, |a| &mut a.providers, |s| &mut s.providers);
		Self::deposit_event(Event::ProvidersCredited { amount: credited });
		credited
	}

	fn credit_miners(amount: Balance) -> Balance {
		// Each pool by its live stake rate × base price, epoch by epoch (proven staked hours,
		// by value); then each stake by its rate, epoch by epoch.
		let credited = Self::credit_pools(amount, |a| &mut a.miners, |s| &mut s.miners);
		Self::deposit_event(Event::MinersCredited { amount: credited });
		credited
	}

	fn credit_weight() -> Weight {
		// The epoch boundary reads and writes every pool too, and does more with each.
		T::WeightInfo::on_initialize_epoch(T::MaxPools::get())
	}
}

impl<T: Config> OnChallengeOutcome<T::AccountId> for Pallet<T> {
	fn on_challenge_outcome(
		device: DeviceId,
		_owner: &T::AccountId,
		_challenge: ChallengeId,
		outcome: ChallengeOutcome,
	) {
		if outcome == ChallengeOutcome::Success {
			return;
		}
		// A fault must not half-apply: roll back and report if any step fails.
		if let Err(error) =
			frame_support::storage::with_storage_layer(|| Self::handle_fault(device))
		{
			Self::deposit_event(Event::FaultNotHandled { device, error });
		}
	}

	fn outcome_weight() -> Weight {
		T::WeightInfo::on_fault()
	}
}
