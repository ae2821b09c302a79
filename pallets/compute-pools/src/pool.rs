//! A pool's own arithmetic: liquidity in and out, dissipation, swaps. Pure functions on
//! [`Pool`]; each returns `None` and leaves the pool unchanged when the trade cannot be served
//! (overflow, an empty side, or too little liquidity). The pallet moves the EMB.

use crate::{amm, Balance, MilliHours, Pool};
use sp_runtime::Permill;

impl Pool {
	/// Whether the pool has had its first liquidity (the locked shares keep it from emptying).
	pub fn is_initialized(&self) -> bool {
		self.shares > 0
	}

	/// Adds `ch` with the EMB that keeps the price (rounded up, in the pool's favour), or with
	/// `first_emb` when the pool is empty, whose price it then sets. Returns the EMB taken and
	/// the shares minted; the first liquidity locks `minimum_liquidity` shares forever (Uniswap
	/// v2), so the pool's reserves never reach zero.
	pub fn add_liquidity(
		&mut self,
		ch: MilliHours,
		first_emb: Balance,
		minimum_liquidity: u128,
	) -> Option<(Balance, u128)> {
		if ch == 0 {
			return None;
		}
		let (emb, minted, total) = if self.is_initialized() {
			let emb = amm::mul_div_up(ch, self.emb, self.ch)?;
			let by_ch = amm::mul_div(ch, self.shares, self.ch)?;
			let by_emb = amm::mul_div(emb, self.shares, self.emb)?;
			let minted = by_ch.min(by_emb);
			(emb, minted, self.shares.checked_add(minted)?)
		} else {
			let total = amm::sqrt_product(ch, first_emb)?;
			(first_emb, total.checked_sub(minimum_liquidity)?, total)
		};
		if minted == 0 {
			return None;
		}
		self.ch = self.ch.checked_add(ch)?;
		self.emb = self.emb.checked_add(emb)?;
		self.shares = total;
		Some((emb, minted))
	}

	/// Redeems `shares`: both sides leave pro rata (rounded down), so the price holds. The CH
	/// leaving is destroyed (its hours are over); the EMB is returned.
	pub fn remove_liquidity(&mut self, shares: u128) -> Option<(MilliHours, Balance)> {
		if shares >= self.shares {
			// The locked minimum liquidity never leaves.
			return None;
		}
		let ch = amm::mul_div(self.ch, shares, self.shares)?;
		let emb = amm::mul_div(self.emb, shares, self.shares)?;
		self.ch = self.ch.checked_sub(ch)?;
		self.emb = self.emb.checked_sub(emb)?;
		self.shares = self.shares.checked_sub(shares)?;
		Some((ch, emb))
	}

	/// One epoch of dissipation: the live stakes' `rate` of CH leaves with the EMB that keeps the
	/// price (rounded down), at most all but one CH unit, so the price stays defined. The EMB is
	/// a dividend of the shares but the `locked` ones ([`Self::pay_shares`]). Returns `(ch, emb,
	/// to_pot)`: removed, and what of it nobody owns.
	pub fn dissipate(&mut self, locked: u128) -> Option<(MilliHours, Balance, Balance)> {
		// Hours clients bought are the stakes' hours put to use, now or in the epochs their
		// leases run: they take the place of that much dissipation, epoch by epoch.
		let used = self.rate.min(self.sold);
		self.sold = self.sold.saturating_sub(used);
		let idle = self.rate.saturating_sub(used);
		let ch = idle.min(self.ch.saturating_sub(1));
		if ch == 0 || !self.is_initialized() {
			return Some((0, 0, 0));
		}
		let emb = amm::mul_div(ch, self.emb, self.ch)?;
		self.ch = self.ch.checked_sub(ch)?;
		self.emb = self.emb.checked_sub(emb)?;
		let to_pot = self.pay_shares(emb, locked)?;
		Some((ch, emb, to_pot))
	}

	/// Credits `emb` (already in the pools' account) to the live stakes by their rate. Returns
	/// what was not credited (all of it when no stake is live), for the pot.
	pub fn pay_rate(&mut self, emb: Balance) -> Option<Balance> {
		if self.rate == 0 || emb == 0 {
			return Some(emb);
		}
		self.reward_per_rate = self.reward_per_rate.checked_add(amm::per_share(emb, self.rate)?)?;
		// Rounding stays with the pool: the stakes' claims are floored, so it covers them.
		self.unclaimed = self.unclaimed.checked_add(emb)?;
		Some(0)
	}

	/// Credits `emb` (already in the pools' account) to the shares as a dividend. The `locked`
	/// minimum's part is not credited, since nobody can ever claim it: it is returned, for the
	/// pot (all of it when only the locked shares are left).
	pub fn pay_shares(&mut self, emb: Balance, locked: u128) -> Option<Balance> {
		if self.shares <= locked || emb == 0 {
			return Some(emb);
		}
		let per_share = amm::per_share(emb, self.shares)?;
		let to_pot = amm::owed(locked, per_share)?;
		self.dividend_per_share = self.dividend_per_share.checked_add(per_share)?;
		// Rounding stays with the pool: the shares' claims are floored, so it covers them.
		self.unclaimed = self.unclaimed.checked_add(emb.checked_sub(to_pot)?)?;
		Some(to_pot)
	}

	/// Sells `ch` into the pool with no fee (a liquidity-removal miner pays its exchange fee
	/// out of the result instead). Returns the EMB out.
	pub fn sell_at_par(&mut self, ch: MilliHours) -> Option<Balance> {
		self.sell(ch, Permill::zero())
	}

	/// Sells `ch` for EMB after `fee` on the input. Returns the EMB out.
	pub fn sell(&mut self, ch: MilliHours, fee: Permill) -> Option<Balance> {
		if !self.is_initialized() {
			return None;
		}
		let emb = amm::amount_out(ch, self.ch, self.emb, fee)?;
		if emb == 0 {
			return None;
		}
		self.ch = self.ch.checked_add(ch)?;
		self.emb = self.emb.checked_sub(emb)?;
		Some(emb)
	}

	/// Buys exactly `ch` with EMB after `fee` on the input. Returns the EMB in.
	pub fn buy(&mut self, ch: MilliHours, fee: Permill) -> Option<Balance> {
		if !self.is_initialized() {
			return None;
		}
		let emb = amm::amount_in(ch, self.emb, self.ch, fee)?;
		self.ch = self.ch.checked_sub(ch)?;
		self.emb = self.emb.checked_add(emb)?;
		self.sold = self.sold.saturating_add(ch);
		Some(emb)
	}
}

#[cfg(test)]
mod tests {
	#![allow(clippy::unwrap_used, clippy::arithmetic_side_effects)]
	use super::*;
	use proptest::prelude::*;
	use sp_core::U256;

	const FEE: Permill = Permill::from_parts(3_000);

	/// EMB per CH unit as a fraction `(emb, ch)`, for comparisons without rounding.
	fn price(pool: &Pool) -> (U256, U256) {
		(U256::from(pool.emb), U256::from(pool.ch))
	}

	fn pool(ch: u128, emb: u128, rate: u128) -> Pool {
		let mut pool = Pool::default();
		pool.add_liquidity(ch, emb, 1_000).unwrap();
		pool.rate = rate;
		pool
	}

	#[test]
	fn hours_bought_do_not_also_dissipate() {
		let mut p = pool(100_000, 1_000_000, 2_000);
		p.buy(500, FEE).unwrap();
		let (ch, _, _) = p.dissipate(1_000).unwrap();
		assert_eq!(ch, 1_500);
		assert_eq!(p.sold, 0);
		// A purchase of more than an epoch's hours stands in for the next epochs' dissipation.
		p.buy(5_000, FEE).unwrap();
		assert_eq!(p.dissipate(1_000).unwrap(), (0, 0, 0));
		assert_eq!(p.dissipate(1_000).unwrap(), (0, 0, 0));
		assert_eq!(p.dissipate(1_000).unwrap().0, 1_000);
		assert_eq!(p.dissipate(1_000).unwrap().0, 2_000);
	}

	#[test]
	fn first_liquidity_locks_minimum() {
		let mut p = Pool::default();
		assert_eq!(p.add_liquidity(1_000_000, 4_000_000, 1_000), Some((4_000_000, 1_999_000)));
		assert_eq!(p.shares, 2_000_000);
		// Too little to cover the lock.
		assert_eq!(Pool::default().add_liquidity(10, 10, 1_000), None);
		// Later liquidity pays the price, rounded up.
		assert_eq!(p.add_liquidity(1_000, 0, 1_000), Some((4_000, 2_000)));
		// Everything but the locked shares can leave.
		assert_eq!(p.remove_liquidity(p.shares), None);
		let (ch, emb) = p.remove_liquidity(p.shares - 1_000).unwrap();
		assert_eq!((p.ch, p.emb, p.shares), (1_001_000 - ch, 4_004_000 - emb, 1_000));
		assert!(p.ch > 0 && p.emb > 0);
	}

	#[test]
	fn dissipation_keeps_the_price() {
		let mut p = pool(1_000_000, 4_000_000, 100_000);
		// 2,000,000 shares, 1,000 of them locked: their 200 of the dividend go to the pot.
		assert_eq!(p.dissipate(1_000), Some((100_000, 400_000, 200)));
		assert_eq!((p.ch, p.emb, p.unclaimed), (900_000, 3_600_000, 399_800));
		// Never the last unit.
		p.rate = u128::MAX;
		assert_eq!(p.dissipate(1_000).map(|(ch, emb, _)| (ch, emb)), Some((899_999, 3_599_996)));
		assert_eq!(p.ch, 1);
	}

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(512))]

		/// The epoch boundary moves the price by less than the swap fee: dissipation takes both
		/// sides pro rata; only rounding (in the pool's favour) moves it.
		#[test]
		fn epoch_boundary_jump_within_fee(
			ch in 1_000_000u128..1u128 << 80,
			emb in 1_000_000u128..1u128 << 80,
			rate_share in 0u32..1_000,
		) {
			let mut p = pool(ch, emb, 0);
			p.rate = ch * u128::from(rate_share) / 1_000;
			let (e0, c0) = price(&p);
			p.dissipate(1_000).unwrap();
			let (e1, c1) = price(&p);
			// |e1/c1 − e0/c0| ≤ fee · e0/c0  ⇔  |e1·c0 − e0·c1| · 10^6 ≤ 3000 · e0·c1
			let (a, b) = (e1 * c0, e0 * c1);
			let diff = if a > b { a - b } else { b - a };
			prop_assert!(diff * U256::from(1_000_000u32) <= U256::from(FEE.deconstruct()) * b);
			prop_assert!(p.ch >= 1 && p.emb >= 1);
		}

		/// Dividends owed to the live shares never exceed what was credited, and what is
		/// credited plus what goes to the pot is exactly what dissipation removed.
		#[test]
		fn dividends_bounded(
			ch in 1_000_000u128..1u128 << 64,
			emb in 1_000_000u128..1u128 << 64,
			rates in proptest::collection::vec(0u128..1u128 << 40, 1..20),
		) {
			let mut p = pool(ch, emb, 0);
			let mut removed = 0;
			let mut to_pot = 0;
			for rate in rates {
				p.rate = rate;
				let (_, emb, pot) = p.dissipate(1_000).unwrap();
				removed += emb;
				to_pot += pot;
			}
			let owed = amm::owed(p.shares - 1_000, p.dividend_per_share).unwrap();
			prop_assert!(owed <= p.unclaimed);
			prop_assert_eq!(p.unclaimed + to_pot, removed);
		}
	}
}
