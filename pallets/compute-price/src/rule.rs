//! The price rule, as pure integer functions: what the pallet applies once per period, and what
//! the property tests check. docs/economics.md defines it with worked numbers.
//!
//! With `p` the price, `u` the hours redeemed in the period, `u*` the target, `δ` the largest
//! step, `γ` the inertia:
//!
//! ```text
//! d  = clamp((u − u*) / u*, −1, 1)            the demand signal (EIP-1559)
//! p̂  = p · (1 + δ·d)                          the unsmoothed EIP-1559 price
//! p' = γ·p + (1 − γ)·p̂ = p · (1 + (1 − γ)·δ·d) the smoothed price
//! p' ≥ p + 1 when u > u*                       (a price rounded to a standstill still rises)
//! p' ≥ floor                                   (and a floor above zero to rise from)
//! p' ∈ [max(W) / (1 + b), min(W) · (1 + b)]    W = the last N period prices, b = the band
//! ```
//!
//! The last clamp is the 24-hour guarantee: every new price is within a factor `1 + b` of each of
//! the previous `N` prices, so any `N + 1` consecutive prices (all a 24-hour window can touch when
//! a period is `24h / N`) have max/min ≤ 1 + b.

use sp_runtime::{
	helpers_128bit::multiply_by_rational_with_rounding, PerThing, Perbill, Permill, Rounding,
};

/// `a · num / den`, rounded as asked, saturating (and `a` when `den` is zero).
fn ratio(a: u128, num: u128, den: u128, rounding: Rounding) -> u128 {
	if den == 0 {
		return a;
	}
	multiply_by_rational_with_rounding(a, num, den, rounding).unwrap_or(u128::MAX)
}

/// The smoothed EIP-1559 update of `price` for `used` hours against `target`, before the floor
/// and the band.
pub fn step(price: u128, used: u128, target: u128, max_step: Perbill, inertia: Perbill) -> u128 {
	if target == 0 || used == target {
		return price;
	}
	let (distance, up) = if used > target {
		(used.saturating_sub(target), true)
	} else {
		(target.saturating_sub(used), false)
	};
	let fraction = ratio(price, distance.min(target), target, Rounding::Down);
	let change = sp_runtime::traits::Saturating::saturating_sub(Perbill::one(), inertia)
		.mul_floor(max_step.mul_floor(fraction));
	if up {
		price.saturating_add(change.max(1))
	} else {
		price.saturating_sub(change)
	}
}

/// The band `[lowest, highest]` a new price may take given the previous prices in `window`:
/// within a factor `1 + band` of each. `None` if the window is empty (no constraint).
pub fn band_limits(window: &[u128], band: Permill) -> Option<(u128, u128)> {
	let min = window.iter().copied().min()?;
	let max = window.iter().copied().max()?;
	let scale = u128::from(Permill::ACCURACY);
	let widened = scale.saturating_add(u128::from(band.deconstruct()));
	let highest = ratio(min, widened, scale, Rounding::Down);
	let lowest = ratio(max, scale, widened, Rounding::Up);
	Some((lowest, highest))
}

/// The next price: [`step`], then the floor, then the band.
#[allow(clippy::too_many_arguments)]
pub fn next_price(
	price: u128,
	used: u128,
	target: u128,
	floor: u128,
	window: &[u128],
	max_step: Perbill,
	inertia: Perbill,
	band: Permill,
) -> u128 {
	let stepped = step(price, used, target, max_step, inertia).max(floor);
	match band_limits(window, band) {
		// Clamp without `clamp`, which panics if the bounds cross (they cannot while the window
		// is within the band, but runtime code must not rely on that).
		Some((lowest, highest)) => stepped.min(highest).max(lowest.min(highest)),
		None => stepped,
	}
}

/// Whether every pair of prices in `prices` is within a factor `1 + band`.
pub fn within_band(prices: &[u128], band: Permill) -> bool {
	match (prices.iter().min(), prices.iter().max()) {
		(Some(&min), Some(&max)) => {
			let scale = u128::from(Permill::ACCURACY);
			let widened = scale.saturating_add(u128::from(band.deconstruct()));
			// max / min ≤ widened / scale  ⇔  ⌈max · scale / widened⌉ ≤ min (min is whole).
			ratio(max, scale, widened, Rounding::Up) <= min
		}
		_ => true,
	}
}
