//! EMB balances and transaction fees.
//!
//! Fees: a weight fee (a polynomial calibrated so the base extrinsic weight costs 1 milli-EMB),
//! a length fee per byte, and a multiplier that targets 25 % block fullness: it rises when
//! blocks are fuller and falls when emptier, never below `MinimumMultiplier`, so it can always
//! recover (the stuck-at-zero multiplier bug cannot occur).

use crate::{
	currency::{EXISTENTIAL_DEPOSIT, MICRO_EMB, MILLI_EMB},
	Balance, Balances, Runtime, RuntimeEvent, RuntimeFreezeReason, RuntimeHoldReason,
};
use frame_support::{
	parameter_types,
	traits::{ConstU32, ConstU8},
	weights::{
		constants::ExtrinsicBaseWeight, ConstantMultiplier, WeightToFeeCoefficient,
		WeightToFeeCoefficients, WeightToFeePolynomial,
	},
};
use pallet_transaction_payment::{FungibleAdapter, Multiplier, TargetedFeeAdjustment};
use sp_runtime::{traits::Bounded, FixedPointNumber, Perbill, Perquintill};

parameter_types! {
	pub const ExistentialDeposit: Balance = EXISTENTIAL_DEPOSIT;
	/// 10 micro-EMB per byte: a 200-byte transfer pays 2 milli-EMB for its length.
	pub const TransactionByteFee: Balance = 10 * MICRO_EMB;
	/// Blocks a quarter full keep the multiplier where it is.
	pub const TargetBlockFullness: Perquintill = Perquintill::from_percent(25);
	/// How fast the multiplier moves: with full blocks it roughly doubles in a day (Polkadot's
	/// value).
	pub AdjustmentVariable: Multiplier = Multiplier::saturating_from_rational(75, 1_000_000);
	/// The floor the multiplier can recover from: fees never fall below a tenth of their base.
	pub MinimumMultiplier: Multiplier = Multiplier::saturating_from_rational(1, 10u128);
	pub MaximumMultiplier: Multiplier = Bounded::max_value();
}

impl pallet_balances::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
	type Balance = Balance;
	// Dust from reaped accounts is destroyed (reduces total issuance).
	type DustRemoval = ();
	type ExistentialDeposit = ExistentialDeposit;
	type AccountStore = crate::System;
	type ReserveIdentifier = [u8; 8];
	type FreezeIdentifier = RuntimeFreezeReason;
	// Bounds the per-account lock, reserve, hold and freeze vectors.
	type MaxLocks = ConstU32<50>;
	type MaxReserves = ConstU32<50>;
	type MaxFreezes = ConstU32<8>;
	type DoneSlashHandler = ();
}

/// Maps weight to fee: `ExtrinsicBaseWeight` costs exactly 1 milli-EMB, and fees grow linearly
/// with ref-time.
pub struct WeightToFee;
impl WeightToFeePolynomial for WeightToFee {
	type Balance = Balance;
	fn polynomial() -> WeightToFeeCoefficients<Self::Balance> {
		let p = MILLI_EMB;
		let q = Balance::from(ExtrinsicBaseWeight::get().ref_time()).max(1);
		let mut coefficients = WeightToFeeCoefficients::new();
		coefficients.push(WeightToFeeCoefficient {
			degree: 1,
			negative: false,
			coeff_frac: Perbill::from_rational(p.checked_rem(q).unwrap_or(0), q),
			coeff_integer: p.checked_div(q).unwrap_or(0),
		});
		coefficients
	}
}

impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	// Fees and tips go to no one (they are burned) until the treasury and validator rewards of
	// the issuance pallet exist.
	type OnChargeTransaction = FungibleAdapter<Balances, ()>;
	type WeightToFee = WeightToFee;
	type LengthToFee = ConstantMultiplier<Balance, TransactionByteFee>;
	type FeeMultiplierUpdate = TargetedFeeAdjustment<
		Self,
		TargetBlockFullness,
		AdjustmentVariable,
		MinimumMultiplier,
		MaximumMultiplier,
	>;
	// Operational transactions pay 5x the tip-free priority boost.
	type OperationalFeeMultiplier = ConstU8<5>;
	type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}
