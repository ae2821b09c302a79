//! Economic properties checked on the real runtime (the simulator's world): wash trading loses
//! money, stakes shorter than T_min are refused and would lose money, and short runs of the
//! experiments keep every pallet's invariants and the base price's 24-hour band.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ember_runtime::{currency::EMB, time::HOURS, Balance, ComputePools, Issuance, Runtime};
use ember_sim::{
	market::{self, Model},
	world::{self, account, check, fund, signed, wealth},
};
use pallet_compute_pools::{StakeOffer, MILLIHOURS_PER_HOUR};
use pallet_issuance::Recipient;
use sp_runtime::Perbill;

const CLASS: u32 = 2;

/// A self-dealer owns the only device of its class and is the pool's only provider, so every
/// share of issuance that reaches miners or providers reaches it. Over one 30-day issuance
/// period it stakes its device; with `wash`, it also buys 24 hours from its own pool on each of
/// the first ten days and redeems them on its own device (a stake's hours dissipate whether
/// bought or not, so ten days of leases is what its 720 hours allow alongside dissipation). Returns its wealth after claiming, and what the chain
/// minted.
fn self_dealer(wash: bool) -> (Balance, Balance) {
	let mut ext = world::preset("development").unwrap();
	ext.execute_with(|| {
		world::next_hour();
		let dealer = account("self-dealer");
		fund(&dealer, 50_000 * EMB).unwrap();
		let device = world::active_device(&dealer, CLASS, 0).unwrap();
		check(
			"stake",
			ComputePools::stake(
				signed(&dealer),
				device,
				720,
				720,
				StakeOffer::Provide { min_emb: 0, max_emb: 360 * EMB },
			),
		)
		.unwrap();
		let stake = pallet_compute_pools::DeviceStake::<Runtime>::get(device).unwrap();
		let minted = pallet_issuance::TotalMinted::<Runtime>::get();
		for hour in 1..=722u32 {
			world::next_hour();
			if wash && hour % 24 == 1 && hour < 24 * 10 {
				check(
					"buy_hours",
					ComputePools::buy_hours(
						signed(&dealer),
						CLASS,
						24 * MILLIHOURS_PER_HOUR,
						Balance::MAX,
					),
				)
				.unwrap();
				check("redeem", ComputePools::redeem(signed(&dealer), device, 24, [1; 32]))
					.unwrap();
				let lease = pallet_compute_pools::DeviceLease::<Runtime>::get(device).unwrap();
				world::hand_over(lease).unwrap();
			}
			if let Some(lease) = pallet_compute_pools::DeviceLease::<Runtime>::get(device) {
				let end = pallet_compute_pools::Leases::<Runtime>::get(lease).unwrap().end;
				if frame_system::Pallet::<Runtime>::block_number() >= end {
					check("end_lease", ComputePools::end_lease(signed(&dealer), lease)).unwrap();
				}
			}
		}
		assert!(frame_system::Pallet::<Runtime>::block_number() > 30 * 24 * HOURS);
		check("claim_stake", ComputePools::claim_stake(signed(&dealer), stake)).unwrap();
		world::try_state().unwrap();
		(wealth(&dealer), pallet_issuance::TotalMinted::<Runtime>::get() - minted)
	})
}

#[test]
fn wash_trading_with_ones_own_miner_loses_money() {
	let (honest, honest_minted) = self_dealer(false);
	let (washed, washed_minted) = self_dealer(true);
	// The wash trades were paid for and issuance minted more because of them...
	assert!(washed_minted > honest_minted, "{washed_minted} vs {honest_minted}");
	// ...but the self-dealer ends poorer than had it not traded, by at least a fifth of the
	// extra mint's half (what it burned): it recovers at most 80 % of its burn.
	assert!(washed < honest, "wash trading paid: {washed} vs {honest}");
	assert!((honest - washed) * 10 >= (washed_minted - honest_minted), "{honest} {washed}");
	let cost = (honest - washed) as f64 / EMB as f64;
	let extra_mint = (washed_minted - honest_minted) as f64 / EMB as f64;
	println!("wash trading cost the self-dealer {cost:.3} EMB while issuance minted {extra_mint:.3} EMB more");
}

#[test]
fn the_paper_rule_that_pays_wash_trading_is_refused() {
	let mut ext = world::preset("development").unwrap();
	ext.execute_with(|| {
		// Minting payments × (1 + subsidy) to miners and providers alone (DePX).
		let paper = vec![
			(Recipient::Miners, Perbill::from_percent(60)),
			(Recipient::LiquidityProviders, Perbill::from_percent(40)),
		];
		let refused = Issuance::set_recipients(ember_runtime::RuntimeOrigin::root(), paper);
		assert_eq!(refused, Err(pallet_issuance::Error::<Runtime>::WashTradingProfitable.into()));
	});
}

#[test]
fn stakes_shorter_than_t_min_are_refused_and_would_lose_money() {
	let t_min = ember_runtime::configs::DefaultPoolParameters::get().min_stake_epochs().unwrap();
	assert_eq!(t_min, 12);
	let refusal = market::stake_result(t_min - 1).unwrap_err().to_string();
	assert!(refusal.contains("InvalidDuration"), "{refusal}");
	let results: Vec<(f64, f64)> = (t_min..t_min + 6)
		.map(|epochs| (f64::from(epochs), market::stake_result(epochs).unwrap() as f64))
		.collect();
	// Each epoch more earns γ − β more: a straight line in the stake's length...
	let slope = (results[5].1 - results[0].1) / 5.0;
	assert!(slope > 0.0);
	for pair in results.windows(2) {
		let step = pair[1].1 - pair[0].1;
		assert!((step - slope).abs() < slope * 0.05, "{results:?}");
	}
	// ...which is below zero one epoch short of T_min: such a stake would lose money.
	let shorter = results[0].1 - slope;
	assert!(shorter < 0.0, "{results:?}");
}

#[test]
fn short_runs_keep_the_band_and_every_invariant() {
	let model = Model { miners: 4, demand: 2.0, months: 1, ..Model::default() };
	let points = market::price_run(&model, 1, 96).unwrap();
	assert_eq!(points.len(), 96);
	// The pallet's band: over any 24 hours, max/min ≤ 1.1 (rounding to a planck aside).
	assert!(
		market::worst_daily_swing(&points) <= 0.100_001,
		"{}",
		market::worst_daily_swing(&points)
	);
	let (months, prices) = market::survival_run(&model, 3).unwrap();
	assert_eq!(months.len(), 1);
	assert_eq!(prices.len(), 720);
	assert!(months[0].served > 0.0, "{months:?}");
	assert!(market::worst_daily_swing(&prices) <= 0.100_001);
}
