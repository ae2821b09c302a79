//! Constant-product math (Uniswap v2) in `U256` with checked operations. Every function returns
//! `None` where the result would overflow or the reserves cannot serve the trade; the pallet maps
//! that to a typed error.

use sp_core::U256;
use sp_runtime::{PerThing, Permill};

fn wide(x: u128) -> U256 {
	U256::from(x)
}

fn narrow(x: U256) -> Option<u128> {
	u128::try_from(x).ok()
}

/// `x · y / z`, rounded down.
pub fn mul_div(x: u128, y: u128, z: u128) -> Option<u128> {
	if z == 0 {
		return None;
	}
	narrow(wide(x).checked_mul(wide(y))?.checked_div(wide(z))?)
}

/// `x · y / z`, rounded up.
pub fn mul_div_up(x: u128, y: u128, z: u128) -> Option<u128> {
	if z == 0 {
		return None;
	}
	let product = wide(x).checked_mul(wide(y))?;
	let (quotient, remainder) = product.div_mod(wide(z));
	let up = if remainder.is_zero() { quotient } else { quotient.checked_add(U256::one())? };
	narrow(up)
}

/// What `amount_in` buys from a pool of `reserve_in` and `reserve_out` after `fee` on the
/// input (rounded down, so `k` never decreases).
pub fn amount_out(
	amount_in: u128,
	reserve_in: u128,
	reserve_out: u128,
	fee: Permill,
) -> Option<u128> {
	if amount_in == 0 || reserve_in == 0 || reserve_out == 0 {
		return None;
	}
	let accuracy = wide(Permill::ACCURACY.into());
	let after_fee = wide(Permill::ACCURACY.saturating_sub(fee.deconstruct()).into());
	let in_with_fee = wide(amount_in).checked_mul(after_fee)?;
	let numerator = in_with_fee.checked_mul(wide(reserve_out))?;
	let denominator = wide(reserve_in).checked_mul(accuracy)?.checked_add(in_with_fee)?;
	narrow(numerator.checked_div(denominator)?)
}

/// What buying `amount_out` from a pool of `reserve_in` and `reserve_out` costs after `fee` on
/// the input (rounded up, so `k` never decreases).
pub fn amount_in(
	amount_out: u128,
	reserve_in: u128,
	reserve_out: u128,
	fee: Permill,
) -> Option<u128> {
	if amount_out == 0 || reserve_in == 0 || amount_out >= reserve_out {
		return None;
	}
	let accuracy = wide(Permill::ACCURACY.into());
	let after_fee = wide(Permill::ACCURACY.saturating_sub(fee.deconstruct()).into());
	let numerator = wide(reserve_in).checked_mul(wide(amount_out))?.checked_mul(accuracy)?;
	let denominator = wide(reserve_out.checked_sub(amount_out)?).checked_mul(after_fee)?;
	narrow(numerator.checked_div(denominator)?.checked_add(U256::one())?)
}

/// The integer square root of `x · y` (the first liquidity's shares).
pub fn sqrt_product(x: u128, y: u128) -> Option<u128> {
	narrow(wide(x).checked_mul(wide(y))?.integer_sqrt())
}

/// `amount · ACC_SCALE / shares`: an amount per share for an accumulator.
pub fn per_share(amount: u128, shares: u128) -> Option<U256> {
	if shares == 0 {
		return None;
	}
	wide(amount).checked_mul(wide(crate::ACC_SCALE))?.checked_div(wide(shares))
}

/// `shares · per_share / ACC_SCALE`: what `shares` are owed from an accumulator difference.
pub fn owed(shares: u128, per_share: U256) -> Option<u128> {
	narrow(wide(shares).checked_mul(per_share)?.checked_div(wide(crate::ACC_SCALE))?)
}

#[cfg(test)]
mod tests {
	#![allow(clippy::unwrap_used, clippy::arithmetic_side_effects)]
	use super::*;
	use proptest::prelude::*;

	const FEE: Permill = Permill::from_parts(3_000);

	#[test]
	fn worked_swap() {
		// 1,000 CH against 1,000 EMB; selling 10 with 0.3 % fee: 9.97 · 1000 / 1009.97.
		assert_eq!(amount_out(10, 1_000, 1_000, FEE), Some(9));
		assert_eq!(amount_out(10_000, 1_000_000, 1_000_000, FEE), Some(9_871));
		assert_eq!(amount_in(9_871, 1_000_000, 1_000_000, FEE), Some(10_000));
		assert_eq!(amount_in(1_000, 1_000, 1_000, FEE), None);
		assert_eq!(amount_out(u128::MAX, u128::MAX, u128::MAX, FEE), None);
		assert_eq!(sqrt_product(4, 9), Some(6));
		assert_eq!(mul_div_up(7, 3, 2), Some(11));
	}

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(512))]

		/// k = x · y never decreases through a swap either way, and the pool never empties.
		#[test]
		fn k_never_decreases(
			x in 1_000u128..1u128 << 100,
			y in 1_000u128..1u128 << 100,
			trade in 1u128..1u128 << 100,
			fee in 0u32..100_000,
			exact_out in any::<bool>(),
		) {
			let fee = Permill::from_parts(fee);
			let (paid, got) = if exact_out {
				let out = trade % y;
				match amount_in(out, x, y, fee) { Some(i) => (i, out), None => return Ok(()) }
			} else {
				match amount_out(trade, x, y, fee) { Some(o) => (trade, o), None => return Ok(()) }
			};
			prop_assert!(got < y);
			let before = U256::from(x) * U256::from(y);
			let after = (U256::from(x) + U256::from(paid)) * U256::from(y - got);
			prop_assert!(after >= before);
		}
	}
}
