//! The agent models and the three experiments.
//!
//! What the chain decides, the chain computes: pool prices, base prices, fees, dissipation,
//! issuance, rewards. What it cannot know is modelled here, with these stated assumptions:
//!
//! - **Miners** own one device each (class `gpu-24g`, 5,000 EMB bond) and stake its hours for
//!   30 days (720 hourly epochs) at a time: they sell them to the pool upfront when an hour
//!   fetches more than twice their running cost, and provide them as liquidity otherwise. A miner's result for a stake
//!   is its change in EMB (free and held) from staking to claiming, valued at the EMB price of
//!   the claim, less its running cost (`cost_usd` per hour). At each claim a miner that lost
//!   money leaves with probability `exit_probability`; otherwise it stakes again. Each month,
//!   when the miners who claimed that month made money on average, new miners enter: a tenth of
//!   the gap between the devices demand needs at 80 % use and the devices there are (DePX's
//!   entry rule).
//! - **Clients** (one aggregate account) want `demand · (1 + growth)^month` device-hours per
//!   hour, less during a shock, and buy only while an hour costs them (pool price + base price,
//!   in USD) no more than `value_usd`, proportionally less above it (unit elasticity), and never
//!   pay the pool more than a lease is worth to them (slippage limit). They buy leases of 12 to
//!   36 hours on the free staked devices the pools rank first by reputation.
//! - **The EMB price** moves monthly with net cash flow: clients buy EMB for what they spend,
//!   miners sell EMB for their running costs; `p ← p · exp((buy − sell) / depth) · (1 ± 5 %)`,
//!   the exponent clamped to ±1 (at most a factor e a month).
//! - **Shocks**: each month with probability `shock_probability`, demand halves for three months
//!   (DePX's stress test).
//! - **Survival**: the network survives when it ends with at least half its initial miners.

use crate::world::{self, account, check, fund, signed, wealth};
use anyhow::{anyhow, Result};
use ember_primitives::{ClassId, DeviceId};
use ember_runtime::{
	currency::EMB, time::HOURS, AccountId, Balance, ComputePools, ComputePrice, Runtime,
	RuntimeOrigin,
};
use pallet_compute_pools::{StakeId, StakeOffer, MILLIHOURS_PER_HOUR};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Hours in a simulated month (and in a stake).
pub const MONTH: u32 = 720;

/// The stated assumptions of a run.
#[derive(Clone, Debug)]
pub struct Model {
	/// The device class simulated.
	pub class: ClassId,
	/// Miners at the start.
	pub miners: u32,
	/// Device-hours per hour clients want at the start.
	pub demand: f64,
	/// Monthly demand growth.
	pub growth: f64,
	/// Months simulated.
	pub months: u32,
	/// What a client will pay for a device-hour, in USD.
	pub value_usd: f64,
	/// What running a device costs its miner per hour, in USD.
	pub cost_usd: f64,
	/// The EMB price at the start, in USD.
	pub token_usd: f64,
	/// USD of net flow that moves the EMB price by a factor e.
	pub depth_usd: f64,
	/// Chance a month starts a demand shock.
	pub shock_probability: f64,
	/// How a loss-making miner leaves at its claim.
	pub exit_probability: f64,
	/// The pool price the first miner sets, in planck per hour.
	pub start_price: Balance,
	/// Most miners entering in one month (keeps runs bounded).
	pub max_entrants: u32,
}

impl Default for Model {
	fn default() -> Self {
		Self {
			class: 2,
			miners: 20,
			demand: 10.0,
			growth: 0.12,
			months: 24,
			value_usd: 1.20,
			cost_usd: 0.30,
			token_usd: 1.0,
			depth_usd: 200_000.0,
			shock_probability: 0.05,
			exit_probability: 0.5,
			start_price: EMB / 2,
			max_entrants: 20,
		}
	}
}

/// One month of one run.
#[derive(Clone, Debug, serde::Serialize)]
pub struct MonthRecord {
	pub seed: u64,
	pub growth: f64,
	pub month: u32,
	/// Miners with a device at the month's end.
	pub miners: u32,
	/// Device-hours per hour clients wanted (shock included).
	pub demand: f64,
	/// Device-hours per hour leased, on average over the month.
	pub served: f64,
	/// EMB price in USD at the month's end.
	pub token_usd: f64,
	/// Pool price of an hour, EMB.
	pub pool_price: f64,
	/// Base price of an hour, EMB.
	pub base_price: f64,
	/// Average result of the stakes claimed this month, USD per miner-month.
	pub miner_profit_usd: f64,
	/// EMB issuance minted in the month.
	pub minted: f64,
	/// Whether a demand shock was on.
	pub shock: bool,
}

/// A run's hourly base price, for the band check.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PricePoint {
	pub seed: u64,
	pub hour: u32,
	pub demand: f64,
	pub base_price: f64,
}

struct Miner {
	owner: AccountId,
	device: DeviceId,
	stake: Option<(StakeId, Balance)>,
}

/// The running economy inside one chain state.
struct Economy {
	model: Model,
	rng: ChaCha8Rng,
	token_usd: f64,
	/// The pool's last price with live stakes (a drained pool is re-priced at it).
	price: Balance,
	miners: Vec<Miner>,
	joined: u64,
	client: AccountId,
	leases: Vec<(u64, u32)>,
	// This month's flows.
	client_spent: Balance,
	leased_hours: u64,
	profits: Vec<f64>,
}

fn planck_to_emb(planck: Balance) -> f64 {
	planck as f64 / EMB as f64
}

fn root() -> RuntimeOrigin {
	RuntimeOrigin::root()
}

impl Economy {
	fn new(model: Model, seed: u64) -> Result<Self> {
		world::next_hour();
		let client = account("client");
		fund(&client, 10_000_000 * EMB)?;
		let demand = model.demand.round().max(1.0) as u64;
		let price =
			ComputePrice::base_price(model.class).ok_or_else(|| anyhow!("class unpriced"))?;
		// Governance calibrates the class's target to the demand it expects at launch.
		check(
			"compute_price.set_parameters",
			ComputePrice::set_parameters(root(), model.class, price / 20, demand),
		)?;
		let mut economy = Self {
			token_usd: model.token_usd,
			price: model.start_price,
			rng: ChaCha8Rng::seed_from_u64(seed),
			model,
			miners: Vec::new(),
			joined: 0,
			client,
			leases: Vec::new(),
			client_spent: 0,
			leased_hours: 0,
			profits: Vec::new(),
		};
		for _ in 0..economy.model.miners {
			economy.enter()?;
		}
		Ok(economy)
	}

	/// The pool price (planck per hour) above which a miner sells its hours rather than
	/// provides them: twice its running cost.
	fn sell_above(&self) -> Balance {
		(2.0 * self.model.cost_usd / self.token_usd * EMB as f64) as Balance
	}

	/// A new miner: funds, a registered and proven device, and a first stake.
	fn enter(&mut self) -> Result<()> {
		let owner = account(&format!("miner-{}", self.joined));
		fund(&owner, 50_000 * EMB)?;
		let device = world::active_device(&owner, self.model.class, self.joined)?;
		self.joined += 1;
		let mut miner = Miner { owner, device, stake: None };
		// First stakes of 20 to 30 days, so that renewals spread out.
		let epochs = self.rng.gen_range(MONTH * 2 / 3..=MONTH);
		if Self::stake(&mut miner, self.model.class, epochs, self.price, self.sell_above()).is_ok()
		{
			self.miners.push(miner);
		} else {
			// The pool could not take its hours (drained of EMB, or priced beyond its means).
			check(
				"retire_device",
				pallet_device_registry::Pallet::<Runtime>::retire_device(
					signed(&miner.owner),
					device,
				),
			)?;
		}
		Ok(())
	}

	/// Stakes `epochs` of the miner's hours: sells them to the pool when an hour fetches more
	/// than `sell_above` planck, else provides them as liquidity (into a drained pool at
	/// `price` planck per hour).
	fn stake(
		miner: &mut Miner,
		class: ClassId,
		epochs: u32,
		price: Balance,
		sell_above: Balance,
	) -> Result<()> {
		let before = wealth(&miner.owner);
		let drained =
			pallet_compute_pools::Pools::<Runtime>::get(class).is_none_or(|pool| pool.rate == 0);
		let spendable = pallet_balances::Pallet::<Runtime>::free_balance(&miner.owner) / 2;
		let offer = if drained {
			StakeOffer::Provide {
				min_emb: 0,
				max_emb: (price * Balance::from(epochs)).min(spendable),
			}
		} else if price > sell_above {
			StakeOffer::Sell { min_emb: 0 }
		} else {
			StakeOffer::Provide { min_emb: 0, max_emb: spendable }
		};
		check(
			"stake",
			ComputePools::stake(signed(&miner.owner), miner.device, epochs.into(), epochs, offer),
		)?;
		let id = pallet_compute_pools::DeviceStake::<Runtime>::get(miner.device)
			.ok_or_else(|| anyhow!("stake not recorded"))?;
		miner.stake = Some((id, before));
		Ok(())
	}

	/// Claims the stakes that ended; each miner then stays (stakes again) or leaves.
	fn settle(&mut self) -> Result<()> {
		let now = world::hour();
		let sell_above = self.sell_above();
		let mut leaving = Vec::new();
		for (index, miner) in self.miners.iter_mut().enumerate() {
			let Some((id, before)) = miner.stake else { continue };
			let ended =
				pallet_compute_pools::Stakes::<Runtime>::get(id).is_none_or(|s| s.end <= now);
			if !ended {
				continue;
			}
			check("claim_stake", ComputePools::claim_stake(signed(&miner.owner), id))?;
			miner.stake = None;
			let profit_emb = wealth(&miner.owner) as f64 - before as f64;
			let profit_usd =
				profit_emb / EMB as f64 * self.token_usd - self.model.cost_usd * f64::from(MONTH);
			self.profits.push(profit_usd);
			let stays = profit_usd >= 0.0 || !self.rng.gen_bool(self.model.exit_probability);
			// A miner that cannot afford to provide at the pool's price leaves too.
			if !stays
				|| Self::stake(miner, self.model.class, MONTH, self.price, sell_above).is_err()
			{
				leaving.push(index);
			}
		}
		for index in leaving.into_iter().rev() {
			let miner = self.miners.swap_remove(index);
			check(
				"retire_device",
				pallet_device_registry::Pallet::<Runtime>::retire_device(
					signed(&miner.owner),
					miner.device,
				),
			)?;
		}
		Ok(())
	}

	/// An hour: the chain's hooks, ended leases closed, new leases up to what clients want.
	fn hour(&mut self, wanted: f64) -> Result<()> {
		world::next_hour();
		self.settle()?;
		let block = frame_system::Pallet::<Runtime>::block_number();
		let client = self.client.clone();
		let mut open = Vec::new();
		for (lease, end) in self.leases.drain(..) {
			if !pallet_compute_pools::Leases::<Runtime>::contains_key(lease) {
				// Ended by its device's retirement (the unused hours were refunded).
				continue;
			}
			if block >= end {
				check("end_lease", ComputePools::end_lease(signed(&client), lease))?;
			} else {
				open.push((lease, end));
			}
		}
		self.leases = open;
		// Hours leased this hour (leases started below count from the next).
		self.leased_hours += self.leases.len() as u64;

		let class = self.model.class;
		if let Some(pool) =
			pallet_compute_pools::Pools::<Runtime>::get(class).filter(|p| p.rate > 0)
		{
			self.price = pool.emb.saturating_mul(MILLIHOURS_PER_HOUR) / pool.ch.max(1);
		}
		let unit = ComputePools::quote_buy(class, MILLIHOURS_PER_HOUR)
			.zip(ComputePrice::base_price(class))
			.map(|(pool, base)| planck_to_emb(pool + base) * self.token_usd);
		let Some(unit_usd) = unit else { return Ok(()) };
		let affordable = (self.model.value_usd / unit_usd).min(1.0);
		let target = (wanted * affordable).round() as usize;
		if self.leases.len() >= target {
			return Ok(());
		}
		let free = ComputePools::offers(class, (target - self.leases.len()) as u32 + 8);
		for (device, _) in free {
			if self.leases.len() >= target {
				break;
			}
			let Some((_, stake)) = ComputePools::device_stake(device) else { continue };
			let left = ComputePools::epoch_start(stake.end).saturating_sub(block) / HOURS;
			// Leases of 12 to 36 hours (a day on average), so they do not all renew together.
			let hours = left.min(self.rng.gen_range(12..=36));
			if hours == 0 {
				continue;
			}
			let before = wealth(&client);
			// Never more for the pool's hours than they are worth to the client, base price
			// aside.
			let base = ComputePrice::quote(class, hours.into()).unwrap_or_default();
			let worth = f64::from(hours) * self.model.value_usd / self.token_usd * EMB as f64;
			let max_emb = (worth as Balance).saturating_sub(base);
			let bought = ComputePools::buy_hours(
				signed(&client),
				class,
				u128::from(hours) * MILLIHOURS_PER_HOUR,
				max_emb,
			);
			if bought.is_err() {
				// Too dear for the hours wanted, or the pool has too few: demand goes unserved.
				break;
			}
			check("redeem", ComputePools::redeem(signed(&client), device, hours, [7; 32]))?;
			let lease = pallet_compute_pools::DeviceLease::<Runtime>::get(device)
				.ok_or_else(|| anyhow!("lease not recorded"))?;
			world::hand_over(lease)?;
			let end = pallet_compute_pools::Leases::<Runtime>::get(lease)
				.map(|l| l.end)
				.ok_or_else(|| anyhow!("lease missing"))?;
			self.leases.push((lease, end));
			self.client_spent += before - wealth(&client);
		}
		Ok(())
	}

	/// A month's end: the EMB price moves with the month's cash flow and miners enter.
	fn month_end(&mut self, demand: f64) -> Result<f64> {
		let bought = planck_to_emb(self.client_spent) * self.token_usd;
		let sold = self.miners.len() as f64 * self.model.cost_usd * f64::from(MONTH);
		let noise = self.rng.gen_range(-0.05..0.05);
		// At most a factor e a month either way: a deeper market than the flow alone implies.
		let pressure = ((bought - sold) / self.model.depth_usd).clamp(-1.0, 1.0);
		self.token_usd = (self.token_usd * pressure.exp() * (1.0 + noise)).max(0.001);
		let profit = mean(&self.profits);
		let needed = (demand / 0.8).ceil();
		let have = self.miners.len() as f64;
		if profit.is_none_or(|p| p > 0.0) && needed > have {
			let entrants = ((needed - have) * 0.1).ceil() as u32;
			for _ in 0..entrants.min(self.model.max_entrants) {
				self.enter()?;
			}
		}
		Ok(profit.unwrap_or(0.0))
	}
}

fn mean(values: &[f64]) -> Option<f64> {
	(!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// One survival run: `model.months` months with shocks; returns the months and the hourly
/// base price.
pub fn survival_run(model: &Model, seed: u64) -> Result<(Vec<MonthRecord>, Vec<PricePoint>)> {
	let mut ext = world::preset("development")?;
	ext.execute_with(|| {
		let mut economy = Economy::new(model.clone(), seed)?;
		let (mut months, mut prices) = (Vec::new(), Vec::new());
		let mut shock_left = 0u32;
		for month in 0..model.months {
			if shock_left == 0 && economy.rng.gen_bool(model.shock_probability) {
				shock_left = 3;
			}
			let shock = shock_left > 0;
			let demand = model.demand
				* (1.0 + model.growth).powi(month as i32)
				* if shock { 0.5 } else { 1.0 };
			let minted_before = pallet_issuance::TotalMinted::<Runtime>::get();
			economy.leased_hours = 0;
			economy.client_spent = 0;
			economy.profits.clear();
			for hour in 0..MONTH {
				economy.hour(demand)?;
				prices.push(PricePoint {
					seed,
					hour: month * MONTH + hour,
					demand,
					base_price: planck_to_emb(
						ComputePrice::base_price(model.class).unwrap_or_default(),
					),
				});
			}
			let profit = economy.month_end(demand)?;
			shock_left = shock_left.saturating_sub(1);
			months.push(MonthRecord {
				seed,
				growth: model.growth,
				month,
				miners: economy.miners.len() as u32,
				demand,
				served: economy.leased_hours as f64 / f64::from(MONTH),
				token_usd: economy.token_usd,
				pool_price: ComputePools::quote_buy(model.class, MILLIHOURS_PER_HOUR)
					.map_or(0.0, planck_to_emb),
				base_price: planck_to_emb(
					ComputePrice::base_price(model.class).unwrap_or_default(),
				),
				miner_profit_usd: profit,
				minted: planck_to_emb(
					pallet_issuance::TotalMinted::<Runtime>::get() - minted_before,
				),
				shock,
			});
		}
		world::try_state()?;
		Ok((months, prices))
	})
}

/// Whether a run survived: it ended with at least half its initial miners.
pub fn survived(model: &Model, months: &[MonthRecord]) -> bool {
	months.last().is_some_and(|m| 2 * m.miners >= model.miners)
}

/// The base price over `hours` hours of demand around a steady `model.demand`, hit by shocks:
/// each day with probability 1/3, demand jumps to 3× or falls to 0.2× for 6 to 24 hours.
pub fn price_run(model: &Model, seed: u64, hours: u32) -> Result<Vec<PricePoint>> {
	let mut ext = world::preset("development")?;
	ext.execute_with(|| {
		let mut model = model.clone();
		// Enough devices for the largest shock, and no one leaves or joins: only demand moves.
		model.miners = (model.demand * 3.5).ceil() as u32;
		model.exit_probability = 0.0;
		let mut economy = Economy::new(model.clone(), seed)?;
		let mut points = Vec::new();
		let (mut factor, mut shock_left) = (1.0, 0u32);
		for hour in 0..hours {
			if hour % 24 == 0 && shock_left == 0 && economy.rng.gen_bool(1.0 / 3.0) {
				factor = if economy.rng.gen_bool(0.5) { 3.0 } else { 0.2 };
				shock_left = economy.rng.gen_range(6..=24);
			}
			if shock_left == 0 {
				factor = 1.0;
			}
			let demand = model.demand * factor;
			economy.hour(demand)?;
			shock_left = shock_left.saturating_sub(1);
			points.push(PricePoint {
				seed,
				hour,
				demand,
				base_price: planck_to_emb(
					ComputePrice::base_price(model.class).unwrap_or_default(),
				),
			});
		}
		world::try_state()?;
		Ok(points)
	})
}

/// The largest max/min − 1 of the base price over any 24 consecutive hours.
pub fn worst_daily_swing(points: &[PricePoint]) -> f64 {
	points
		.windows(25)
		.map(|window| {
			let max = window.iter().map(|p| p.base_price).fold(f64::MIN, f64::max);
			let min = window.iter().map(|p| p.base_price).fold(f64::MAX, f64::min);
			max / min - 1.0
		})
		.fold(0.0, f64::max)
}

/// What a liquidity-providing miner ends with, in planck, after staking one device-hour per
/// epoch for `epochs` epochs into a pool with no client (a foundation miner has set the price),
/// then claiming: the α fee against γ − β per hour. `Err` names the pallet's refusal.
pub fn stake_result(epochs: u32) -> Result<i128> {
	let mut ext = world::preset("development")?;
	ext.execute_with(|| {
		world::next_hour();
		let class = 2;
		let mut foundation = Miner { owner: account("foundation"), device: 0, stake: None };
		fund(&foundation.owner, 20_000 * EMB)?;
		foundation.device = world::active_device(&foundation.owner, class, 0)?;
		Economy::stake(&mut foundation, class, MONTH, EMB / 2, Balance::MAX)?;

		let owner = account("miner");
		fund(&owner, 20_000 * EMB)?;
		let device = world::active_device(&owner, class, 1)?;
		let before = wealth(&owner);
		check(
			"stake",
			ComputePools::stake(
				signed(&owner),
				device,
				epochs.into(),
				epochs,
				StakeOffer::Provide { min_emb: 0, max_emb: 1_000 * EMB },
			),
		)?;
		let id = pallet_compute_pools::DeviceStake::<Runtime>::get(device)
			.ok_or_else(|| anyhow!("no stake"))?;
		for _ in 0..epochs {
			world::next_hour();
		}
		check("claim_stake", ComputePools::claim_stake(signed(&owner), id))?;
		world::try_state()?;
		Ok(wealth(&owner) as i128 - before as i128)
	})
}

/// How a day's demand arrives in [`batched_run`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrival {
	/// `target` one-hour leases every hour.
	Steady,
	/// `factor × target` day-long leases in the first hour of each day, nothing after.
	Daily { factor: u32 },
}

/// Compute-hours per hour at which the base price holds in [`batched_run`].
pub const BATCH_TARGET: u64 = 10;

/// The base price, hour by hour over `days` days, of a class whose demand arrives as `arrival`
/// says against a target of [`BATCH_TARGET`] hours per hour; `seed` labels the run. Enough
/// devices stake for the whole run; nothing else moves.
pub fn batched_run(arrival: Arrival, seed: u64, days: u32) -> Result<Vec<PricePoint>> {
	let mut ext = world::preset("development")?;
	ext.execute_with(|| {
		world::next_hour();
		let class = Model::default().class;
		let floor = pallet_compute_price::Prices::<Runtime>::get(class)
			.map(|p| p.floor)
			.ok_or_else(|| anyhow!("class {class} has no price"))?;
		check(
			"set_parameters",
			ComputePrice::set_parameters(RuntimeOrigin::root(), class, floor, BATCH_TARGET),
		)?;
		let (per_day, lease_hours) = match arrival {
			Arrival::Steady => (BATCH_TARGET, 1u32),
			Arrival::Daily { factor } => (BATCH_TARGET * u64::from(factor), 24),
		};
		// The pool's price is set by the first provider; every device stakes the whole run, twice
		// as many as the leases need, so that the pool keeps hours to sell to the end.
		let epochs = days * 24 + 2;
		let mut devices = Vec::new();
		for index in 0..2 * per_day {
			let owner = account(&format!("batch-miner-{index}"));
			fund(&owner, 50_000 * EMB)?;
			let device = world::active_device(&owner, class, index)?;
			let offer = StakeOffer::Provide { min_emb: 0, max_emb: Balance::from(epochs) * EMB };
			check(
				"stake",
				ComputePools::stake(signed(&owner), device, epochs.into(), epochs, offer),
			)?;
			devices.push(device);
		}
		let client = account("batch-client");
		fund(&client, 5_000_000 * EMB)?;
		let mut points = Vec::new();
		for hour in 0..days * 24 {
			let leases = match arrival {
				Arrival::Steady => per_day,
				Arrival::Daily { .. } if hour % 24 == 0 => per_day,
				Arrival::Daily { .. } => 0,
			};
			for device in devices.iter().take(leases as usize) {
				let units = u128::from(lease_hours) * MILLIHOURS_PER_HOUR;
				check(
					"buy_hours",
					ComputePools::buy_hours(signed(&client), class, units, Balance::MAX),
				)?;
				check(
					"redeem",
					ComputePools::redeem(signed(&client), *device, lease_hours, [7; 32]),
				)?;
				let lease = pallet_compute_pools::DeviceLease::<Runtime>::get(*device)
					.ok_or_else(|| anyhow!("lease not recorded"))?;
				world::hand_over(lease)?;
			}
			points.push(PricePoint {
				seed,
				hour,
				demand: (leases * u64::from(lease_hours)) as f64,
				base_price: planck_to_emb(ComputePrice::base_price(class).unwrap_or_default()),
			});
			world::next_hour();
		}
		world::try_state()?;
		Ok(points)
	})
}
