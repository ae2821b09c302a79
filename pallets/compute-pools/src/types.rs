//! Types stored by the compute pools.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use ember_primitives::{ClassId, DeviceId};
use frame_support::{
	traits::Get, BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use scale_info::TypeInfo;
use sp_core::U256;
use sp_runtime::Permill;

/// EMB in planck.
pub type Balance = u128;
/// An amount of compute-hour (CH) tokens, in thousandths of an hour.
pub type MilliHours = u128;
/// An epoch: `EpochBlocks` blocks; epoch `e` starts at block `e · EpochBlocks`.
pub type EpochIndex = u32;
/// A stake, numbered in order of creation.
pub type StakeId = u64;
/// A lease, numbered in order of creation.
pub type LeaseId = u64;

/// CH units in one compute-hour.
pub const MILLIHOURS_PER_HOUR: MilliHours = 1_000;

/// Scale of the per-share accumulators (EMB per pool share, times 10^18).
pub const ACC_SCALE: u128 = 1_000_000_000_000_000_000;

/// The economic parameters of staking and swapping (LooPIN §5's α, β, γ, plus fees).
///
/// A stake of `S` hours over `T` epochs serves at the rate `r = S / T` hours per epoch. It burns
/// `α · r` when made, earns `γ` per hour served and burns `β` per hour served, so it breaks even
/// after `T_min = α / (γ − β)` epochs ([`Self::min_stake_epochs`]).
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
pub struct PoolParameters {
	/// α: burned when a stake is made, per hour of its rate (hours per epoch).
	pub staking_fee: Balance,
	/// β: burned per hour served, out of the reward.
	pub maintenance_rate: Balance,
	/// γ: paid per hour served from the reward pot, when the stake ends.
	pub reward_rate: Balance,
	/// Held from a liquidity-removal miner per hour staked; returned at expiry, burned on a
	/// fault.
	pub deposit_per_hour: Balance,
	/// Fee on the input of a client's swap; it stays in the pool (Uniswap v2's 0.3 %).
	pub swap_fee: Permill,
	/// Fee on what a liquidity-removal miner receives for its hours; burned.
	pub exchange_fee: Permill,
}

/// The highest swap or exchange fee governance may set: 10 %.
pub const MAX_FEE: Permill = Permill::from_percent(10);

impl PoolParameters {
	/// `T_min = ⌈α / (γ − β)⌉` epochs: the shortest stake that does not lose money. `None` when
	/// no stake can break even (`β > γ`, or `β = γ` with a positive staking fee).
	pub fn min_stake_epochs(&self) -> Option<u32> {
		let margin = self.reward_rate.checked_sub(self.maintenance_rate)?;
		if margin == 0 {
			return (self.staking_fee == 0).then_some(0);
		}
		u32::try_from(self.staking_fee.div_ceil(margin)).ok()
	}
}

/// The reward terms a stake was made under: what its claim pays per hour served (`γ`) and burns
/// of that (`β`). Governance's later changes apply to new stakes only.
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
pub struct RewardTerms {
	/// γ per hour served.
	pub reward_rate: Balance,
	/// β per hour served.
	pub maintenance_rate: Balance,
}

impl From<&PoolParameters> for RewardTerms {
	fn from(parameters: &PoolParameters) -> Self {
		Self { reward_rate: parameters.reward_rate, maintenance_rate: parameters.maintenance_rate }
	}
}

/// One class's pool: CH tokens against EMB, with the shares of the liquidity-provider stakes.
#[derive(
	Clone,
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
pub struct Pool {
	/// CH in the pool.
	pub ch: MilliHours,
	/// EMB in the pool.
	pub emb: Balance,
	/// Pool shares outstanding, including the locked `MINIMUM_LIQUIDITY`.
	pub shares: u128,
	/// CH that dissipates at each epoch boundary: the sum of the live stakes' rates.
	pub rate: MilliHours,
	/// EMB paid out per share by dissipation so far, times [`ACC_SCALE`].
	pub dividend_per_share: U256,
	/// EMB the pool account holds for stakes that have not claimed it yet (dissipation,
	/// exits and miner rewards).
	pub unclaimed: Balance,
	/// CH clients bought that has not yet stood in for dissipation: bought hours are the
	/// stakes' hours put to use, so they do not also dissipate.
	pub sold: MilliHours,
	/// Issuance's miner rewards so far per CH unit of stake rate, times [`ACC_SCALE`]: paid
	/// per proven staked hour, providers and removers alike.
	pub reward_per_rate: U256,
}

/// How a stake's compute-hours reach the pool.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub enum StakeKind {
	/// A liquidity-provider miner: added its CH with the equivalent EMB; no deposit.
	Provider {
		/// Its pool shares.
		shares: u128,
		/// The pool's `dividend_per_share` when the shares were minted.
		dividend_at: U256,
	},
	/// A liquidity-removal miner: sold its CH into the pool; a maintenance deposit is held.
	Remover {
		/// The held maintenance deposit.
		deposit: Balance,
	},
}

/// A stake record: the non-transferable "st-token" of LooPIN §3.2.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Stake<AccountId> {
	/// The device's owner.
	pub owner: AccountId,
	/// The device that backs it.
	pub device: DeviceId,
	/// The device's class (the pool).
	pub class: ClassId,
	/// CH staked so far (renewals add to it).
	pub staked: MilliHours,
	/// CH that dissipate per epoch.
	pub rate: MilliHours,
	/// The epoch it was made in; it dissipates from the next boundary.
	pub start: EpochIndex,
	/// The epoch at whose start it expires.
	pub end: EpochIndex,
	/// Provider or remover.
	pub kind: StakeKind,
	/// The pool's `reward_per_rate` when the stake was made.
	pub reward_at: U256,
}

impl<AccountId> Stake<AccountId> {
	/// The miner rewards this stake earned until the pool's `reward_per_rate` reached
	/// `reward_per_rate`.
	pub fn rewards_owed(&self, reward_per_rate: U256) -> Option<Balance> {
		crate::amm::owed(self.rate, reward_per_rate.saturating_sub(self.reward_at))
	}
}

/// The stakes of one pool that expire at one epoch boundary, aggregated (Filecoin's
/// `ExpirationQueue`): the boundary removes them in O(1).
#[derive(
	Clone,
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
pub struct ExpiryBucket {
	/// The sum of their rates.
	pub rate: MilliHours,
	/// The sum of their providers' shares.
	pub shares: u128,
	/// How many stakes.
	pub stakes: u32,
}

/// What the expired stakes of one boundary are owed, per share, until each claims.
#[derive(
	Clone,
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
pub struct ExitRecord {
	/// EMB per share the exit redeemed, times [`ACC_SCALE`].
	pub emb_per_share: U256,
	/// The pool's `dividend_per_share` at the exit.
	pub dividend_per_share: U256,
	/// The pool's `reward_per_rate` at the exit.
	pub reward_per_rate: U256,
	/// Stakes yet to claim.
	pub unclaimed_stakes: u32,
}

/// A client's compute-hours of a class, bought and not yet redeemed.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Holding {
	/// CH held.
	pub amount: MilliHours,
	/// The epoch at whose start they are gone (an hour not used is gone).
	pub expires: EpochIndex,
}

/// A lease: hours of one device for one client.
#[derive(
	CloneNoBound,
	DebugNoBound,
	PartialEqNoBound,
	EqNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
#[scale_info(skip_type_params(MaxConnection))]
pub struct Lease<AccountId, BlockNumber, MaxConnection>
where
	AccountId: Clone + core::fmt::Debug + PartialEq + Eq,
	BlockNumber: Clone + core::fmt::Debug + PartialEq + Eq,
	MaxConnection: Get<u32>,
{
	/// Who redeemed it.
	pub client: AccountId,
	/// The leased device.
	pub device: DeviceId,
	/// The device's class.
	pub class: ClassId,
	/// Whole hours leased.
	pub hours: u32,
	/// The block it started in.
	pub start: BlockNumber,
	/// The block at whose start it ends.
	pub end: BlockNumber,
	/// The client's sr25519 public key (a fresh one, not its account's), to which the miner
	/// encrypts the connection details.
	pub client_key: [u8; 32],
	/// The connection details encrypted to `client_key`, once the miner posts them: the
	/// miner's ephemeral sr25519 public key (32 bytes) ‖ nonce (24) ‖ NaCl secretbox
	/// (xsalsa20-poly1305) under their sr25519 agreement. The chain never sees them in clear.
	pub connection: Option<BoundedVec<u8, MaxConnection>>,
}

/// Issuance EMB a pool pays out evenly over the epochs after it was credited, so that what a
/// stake or share earns is proportional to the time it was live (reward per rate-epoch).
#[derive(
	Clone,
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
pub struct Stream {
	/// EMB still to pay out.
	pub left: Balance,
	/// Epoch boundaries left to pay it over.
	pub epochs: u32,
}

impl Stream {
	/// Adds `amount`, to be paid over the next `epochs` boundaries with what is left.
	pub fn add(&mut self, amount: Balance, epochs: u32) {
		self.left = self.left.saturating_add(amount);
		self.epochs = epochs.max(1);
	}

	/// What this boundary pays: an even share of what is left (all of it at the last).
	pub fn pay_epoch(&mut self) -> Balance {
		if self.epochs <= 1 {
			self.epochs = 0;
			return core::mem::take(&mut self.left);
		}
		let pay = self.left.checked_div(self.epochs.into()).unwrap_or(0);
		self.left = self.left.saturating_sub(pay);
		self.epochs = self.epochs.saturating_sub(1);
		pay
	}
}

/// A pool's issuance streams: miners (per unit of stake rate) and liquidity providers (per
/// live share).
#[derive(
	Clone,
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
pub struct RewardStreams {
	/// To the live stakes, by rate.
	pub miners: Stream,
	/// To the live provider shares.
	pub providers: Stream,
}

/// What a pool accrued, epoch by epoch, since issuance last credited the pools: its weight
/// in the next credit, so that a pool's share is time-weighted rather than a snapshot.
#[derive(
	Clone,
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
pub struct Accrual {
	/// Σ over epochs of the live stake rate × the class's base price (the value staked).
	pub miners: u128,
	/// Σ over epochs of the pool's EMB.
	pub providers: u128,
}

/// Where a lease's delivery stands: the client confirms what it got, the provider answers a
/// report with the client's own signature.
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
pub enum DeliveryState<BlockNumber> {
	/// Not handed over yet. Until the miner posts the connection details, `deadline` is the
	/// lease's start plus `HandoffBlocks` (no details by then: the lease ends refunded and the
	/// device is penalised); once posted, it moves to `HandoffBlocks` after the posting, for
	/// the client to acknowledge (no acknowledgment by then: the lease ends refunded, with no
	/// penalty, since the chain cannot tell which side failed).
	AwaitingHandoff { deadline: BlockNumber },
	/// The client acknowledged a working hand-off (or the provider answered its report).
	Delivered,
	/// The client reported at block `since` that the endpoint fails; unless the provider
	/// answers with a heartbeat the client signed at or after `since`, the lease ends at
	/// `deadline`, the client is refunded the hours not begun at `since` (every hour, if the
	/// lease was never delivered) and the device is penalised.
	Reported { since: BlockNumber, deadline: BlockNumber },
}

impl<BlockNumber: Copy> DeliveryState<BlockNumber> {
	/// The block this state ends at unless something happens first.
	pub fn deadline(&self) -> Option<BlockNumber> {
		match self {
			Self::AwaitingHandoff { deadline } | Self::Reported { deadline, .. } => Some(*deadline),
			Self::Delivered => None,
		}
	}
}

/// A lease's delivery record (covered by the lease deposit).
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
pub struct Delivery<BlockNumber> {
	/// Where it stands.
	pub state: DeliveryState<BlockNumber>,
	/// Whether the lease was ever delivered (acknowledged, or a report answered): a lease
	/// never delivered is refunded from its start.
	pub delivered: bool,
	/// The endpoint's host key fingerprint (SHA-256 of the SSH host public key blob, or of a
	/// TLS certificate's public key), signed by the device key when the connection details
	/// were posted: a client checks the server it reaches presents this key.
	pub host_key: Option<[u8; 32]>,
}

/// Why a lease ended.
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
pub enum LeaseEndReason {
	/// It ran its term.
	Expired,
	/// Its client released it.
	Released,
	/// Its device faulted in PoCPS or retired.
	DeviceFaulted,
	/// Its miner posted no connection details in time.
	NotHandedOver,
	/// Its client acknowledged no hand-off in time after the details were posted.
	NotAcknowledged,
	/// Its client reported a failure the provider did not answer with a client-signed
	/// heartbeat in time.
	ReportUnanswered,
}

/// What a device key signs to bind an endpoint's host key to a lease of the chain whose
/// genesis hash is `genesis`: the client checks the signature's key is the proven device's.
pub fn host_key_message<Hash: Encode>(
	genesis: &Hash,
	lease: LeaseId,
	host_key: &[u8; 32],
) -> alloc::vec::Vec<u8> {
	(b"ember/host-key", genesis, lease, host_key).encode()
}

/// What a lease's client key signs (off chain, to the provider) while the endpoint works: a
/// heartbeat at block `at` of lease `lease` on the chain whose genesis hash is `genesis`.
pub fn heartbeat_message<Hash: Encode, BlockNumber: Encode>(
	genesis: &Hash,
	lease: LeaseId,
	at: BlockNumber,
) -> alloc::vec::Vec<u8> {
	(b"ember/heartbeat", genesis, lease, at).encode()
}
