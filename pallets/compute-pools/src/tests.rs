//! Unit and property tests: every call's success and error paths, epochs, faults, and the
//! issuance invariant under random operation sequences.

#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

use crate::{mock::*, *};
use ember_primitives::DeviceStatus;
use ember_primitives::PoolRewards;
use frame_support::{
	assert_noop, assert_ok,
	traits::{fungible, fungible::InspectHold, tokens::Preservation},
};
use sp_runtime::{DispatchError, Permill};

fn signed(who: AccountId) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

fn free(who: AccountId) -> u128 {
	Balances::free_balance(who)
}

fn pool() -> Pool {
	Pools::<Test>::get(0).unwrap()
}

/// MINER provides 8 hours of DEVICE over 4 epochs at 1,000 planck per CH unit.
fn provide() {
	assert_ok!(ComputePools::stake(
		signed(MINER),
		DEVICE,
		8,
		4,
		StakeOffer::Provide { min_emb: 0, max_emb: 8_000_000 }
	));
}

/// What the epoch boundaries so far sent to the pot (locked shares' dividends, unpaid
/// streams).
fn to_pot() -> u128 {
	System::events()
		.into_iter()
		.map(|record| match record.event {
			RuntimeEvent::ComputePools(Event::Dissipated { to_pot, .. }) => to_pot,
			_ => 0,
		})
		.sum()
}

/// A host key fingerprint for lease `lease` and `device`'s device key's signature of it.
fn host_key(lease: LeaseId, device: DeviceId) -> ([u8; 32], [u8; 64]) {
	use sp_core::Pair;
	let key = [lease as u8 ^ 0x5a; 32];
	(key, device_pair(device).sign(&host_key_message(&ComputePools::genesis(), lease, &key)).0)
}

/// `miner` posts lease `lease`'s details on `device` and CLIENT acknowledges them.
fn handed_over(lease: LeaseId, device: DeviceId, miner: AccountId) {
	let (key, sig) = host_key(lease, device);
	let sealed: BoundedVec<u8, ConstU32<64>> = vec![9; 40].try_into().unwrap();
	assert_ok!(ComputePools::post_connection(signed(miner), lease, sealed, key, sig));
	assert_ok!(ComputePools::acknowledge(signed(CLIENT), lease));
}

fn fault(device: DeviceId) {
	MockDevices::set_status(device, DeviceStatus::Suspended);
	<ComputePools as OnChallengeOutcome<AccountId>>::on_challenge_outcome(
		device,
		&MINER,
		0,
		ChallengeOutcome::Fault,
	);
}

#[test]
fn genesis_pool_pot_and_t_min() {
	build_and_execute(|| {
		assert_eq!(pool(), Pool::default());
		assert_eq!(ComputePools::reward_pot(), REWARD_POT);
		assert_eq!(ComputePools::min_stake_epochs(), 4);
		assert_eq!(ComputePools::epoch_capacity(), 2_000);
	});
}

#[test]
fn first_provider_sets_the_price_and_burns_the_staking_fee() {
	build_and_execute(|| {
		provide();
		let p = pool();
		assert_eq!((p.ch, p.emb, p.rate), (8_000, 8_000_000, 2_000));
		// sqrt(8,000 · 8,000,000) = 252,982 shares, 1,000 locked.
		assert_eq!(p.shares, 252_982);
		// α · r = 40 · 2 hours per epoch.
		assert_eq!(free(MINER), ENDOWMENT - 8_000_000 - 80);
		assert_eq!(Burned::<Test>::get(), 80);
		let stake = Stakes::<Test>::get(0).unwrap();
		assert_eq!((stake.start, stake.end, stake.staked, stake.rate), (0, 4, 8_000, 2_000));
		assert_eq!(stake.kind, StakeKind::Provider { shares: 251_982, dividend_at: 0.into() });
		assert_eq!(DeviceStake::<Test>::get(DEVICE), Some(0));
		assert_eq!(Expiring::<Test>::get(0, 4).unwrap().stakes, 1);
		System::assert_last_event(
			Event::Staked {
				stake: 0,
				owner: MINER,
				device: DEVICE,
				class: 0,
				hours: 8_000,
				end: 4,
				provider: true,
				emb: 8_000_000,
				fee_burned: 80,
			}
			.into(),
		);
	});
}

#[test]
fn stake_errors_change_nothing() {
	build_and_execute(|| {
		let offer = StakeOffer::Provide { min_emb: 0, max_emb: 8_000_000 };
		assert_noop!(
			ComputePools::stake(signed(MINER2), DEVICE, 8, 4, offer),
			Error::<Test>::NotOwner
		);
		assert_noop!(
			ComputePools::stake(signed(MINER), 99, 8, 4, offer),
			Error::<Test>::UnknownDevice
		);
		assert_noop!(
			ComputePools::stake(signed(MINER), DEVICE, 8, 3, offer),
			Error::<Test>::InvalidDuration
		);
		assert_noop!(
			ComputePools::stake(signed(MINER), DEVICE, 8, 101, offer),
			Error::<Test>::InvalidDuration
		);
		assert_noop!(
			ComputePools::stake(signed(MINER), DEVICE, 0, 4, offer),
			Error::<Test>::InvalidHours
		);
		// 4 epochs of 2 hours: 9 hours is more than the device serves.
		assert_noop!(
			ComputePools::stake(signed(MINER), DEVICE, 9, 4, offer),
			Error::<Test>::InvalidHours
		);
		assert_noop!(
			ComputePools::stake(signed(MINER), DEVICE, 8, 4, StakeOffer::Sell { min_emb: 0 }),
			Error::<Test>::PoolEmpty
		);
		// Too little to cover the locked minimum liquidity.
		assert_noop!(
			ComputePools::stake(
				signed(MINER),
				DEVICE,
				1,
				4,
				StakeOffer::Provide { min_emb: 0, max_emb: 1 }
			),
			Error::<Test>::InsufficientLiquidity
		);
		MockDevices::set_status(DEVICE, DeviceStatus::Sealed);
		assert_noop!(
			ComputePools::stake(signed(MINER), DEVICE, 8, 4, offer),
			Error::<Test>::DeviceNotActive
		);
		MockDevices::set_status(DEVICE, DeviceStatus::Active);
		MockDevices::add(40, MINER, 1);
		assert_noop!(ComputePools::stake(signed(MINER), 40, 8, 4, offer), Error::<Test>::NoPool);

		provide();
		assert_noop!(
			ComputePools::stake(signed(MINER), DEVICE, 8, 4, offer),
			Error::<Test>::AlreadyStaked
		);
		// The price is 1,000 per unit now: 8 hours need 8,000,000.
		assert_noop!(
			ComputePools::stake(
				signed(MINER2),
				DEVICE2,
				8,
				4,
				StakeOffer::Provide { min_emb: 0, max_emb: 7_999_999 }
			),
			Error::<Test>::SlippageExceeded
		);
		assert_noop!(
			ComputePools::stake(
				signed(MINER2),
				DEVICE2,
				8,
				4,
				StakeOffer::Sell { min_emb: 4_000_000 }
			),
			Error::<Test>::SlippageExceeded
		);
		MockDevices::add(60, POOR, 0);
		assert!(ComputePools::stake(signed(POOR), 60, 8, 4, offer).is_err());
	});
}

#[test]
fn remover_sells_pays_burned_exchange_fee_and_holds_deposit() {
	build_and_execute(|| {
		provide();
		let burned = Burned::<Test>::get();
		assert_ok!(ComputePools::stake(
			signed(MINER2),
			DEVICE2,
			8,
			4,
			StakeOffer::Sell { min_emb: 3_900_000 }
		));
		// 8,000 units into 8,000 / 8,000,000 at par: 4,000,000; 1 % exchange fee burned.
		let p = pool();
		assert_eq!((p.ch, p.emb, p.rate), (16_000, 4_000_000, 4_000));
		assert_eq!(free(MINER2), ENDOWMENT - 80 - 240 + 3_960_000);
		assert_eq!(Burned::<Test>::get() - burned, 80 + 40_000);
		assert_eq!(Balances::balance_on_hold(&HoldReason::MaintenanceDeposit.into(), &MINER2), 240);
	});
}

#[test]
fn epochs_dissipate_pro_rata_and_expire_stakes() {
	build_and_execute(|| {
		provide();
		run_to_epoch(1);
		let p = pool();
		// One epoch of 2 hours left with the EMB that keeps the price; the locked 1,000 of the
		// 252,982 shares' part of it (7,905) goes to the pot, since nobody can claim it.
		assert_eq!((p.ch, p.emb, p.unclaimed), (6_000, 6_000_000, 2_000_000 - 7_905));
		System::assert_last_event(
			Event::Dissipated {
				class: 0,
				epoch: 1,
				ch: 2_000,
				emb: 2_000_000,
				expired: 0,
				to_pot: 7_905,
			}
			.into(),
		);
		assert_eq!(ComputePools::reward_pot(), REWARD_POT + 7_905);
		run_to_epoch(4);
		let p = pool();
		assert_eq!(p.rate, 0);
		// The stake's shares left at expiry; only the locked minimum remains.
		assert_eq!(p.shares, 1_000);
		assert!(Expiring::<Test>::get(0, 4).is_none());
		assert_eq!(Exits::<Test>::get(0, 4).unwrap().unclaimed_stakes, 1);
		run_to_epoch(5);
		// Nothing live: nothing dissipates.
		assert_eq!(pool().ch, p.ch);
	});
}

#[test]
fn provider_claims_its_emb_and_the_reward_after_expiry() {
	build_and_execute(|| {
		provide();
		run_to_block(39);
		assert_noop!(ComputePools::claim_stake(signed(MINER), 0), Error::<Test>::StakeLive);
		run_to_epoch(4);
		assert_noop!(ComputePools::claim_stake(signed(MINER2), 0), Error::<Test>::NotOwner);
		assert_noop!(ComputePools::claim_stake(signed(MINER), 7), Error::<Test>::UnknownStake);
		let before = free(MINER);
		assert_ok!(ComputePools::claim_stake(signed(MINER), 0));
		// Every EMB but the locked share's came back; γ · 8 hours = 96 earned, β · 8 = 16 burned.
		let back = free(MINER) - before - 80;
		assert!(back <= 8_000_000 && 8_000_000 - back < 40_000, "{back}");
		// The locked shares' dividends went to the pot instead of staying stranded.
		assert_eq!(ComputePools::reward_pot(), REWARD_POT - 96 + to_pot());
		assert!(Stakes::<Test>::get(0).is_none() && DeviceStake::<Test>::get(DEVICE).is_none());
		assert!(Exits::<Test>::get(0, 4).is_none());
		// The device may stake again.
		assert_ok!(ComputePools::stake(
			signed(MINER),
			DEVICE,
			8,
			4,
			StakeOffer::Provide { min_emb: 0, max_emb: 9_000_000 }
		));
	});
}

/// Issue 18: governance changing γ and β does not reach into a running stake: its claim pays
/// under the terms it was made with, and only stakes made after the change get the new ones.
#[test]
fn a_parameter_change_applies_to_new_stakes_only() {
	build_and_execute(|| {
		provide();
		// γ falls to 4 and β rises to 3 while stake 0 runs.
		let cut = PoolParameters { reward_rate: 4, maintenance_rate: 3, staking_fee: 1, ..PARAMS };
		assert_ok!(ComputePools::set_parameters(RuntimeOrigin::root(), cut));
		let sell = StakeOffer::Sell { min_emb: 0 };
		assert_ok!(ComputePools::stake(signed(MINER2), DEVICE2, 8, 4, sell));
		run_to_epoch(6);
		let pot = ComputePools::reward_pot();
		assert_ok!(ComputePools::claim_stake(signed(MINER), 0));
		// γ · 8 hours = 96 earned and β · 8 = 16 burned, as when it was made.
		let claimed = |id, reward, burned| {
			System::events().iter().any(|record| {
				record.event
					== RuntimeEvent::ComputePools(Event::StakeClaimed {
						stake: id,
						owner: if id == 0 { MINER } else { MINER2 },
						paid: match &record.event {
							RuntimeEvent::ComputePools(Event::StakeClaimed { paid, .. }) => *paid,
							_ => u128::MAX,
						},
						reward,
						deposit_returned: if id == 0 { 0 } else { 240 },
						burned,
					})
			})
		};
		assert!(claimed(0, 80, 16));
		assert_eq!(pot - ComputePools::reward_pot(), 96);
		let pot = ComputePools::reward_pot();
		assert_ok!(ComputePools::claim_stake(signed(MINER2), 1));
		// The later stake: 4 · 8 = 32 earned, 3 · 8 = 24 burned.
		assert!(claimed(1, 8, 24));
		assert_eq!(pot - ComputePools::reward_pot(), 32);
		assert!(StakeTerms::<Test>::iter().next().is_none());
	});
}

#[test]
fn remover_gets_its_deposit_back_at_expiry() {
	build_and_execute(|| {
		provide();
		let sell = StakeOffer::Sell { min_emb: 0 };
		assert_ok!(ComputePools::stake(signed(MINER2), DEVICE2, 8, 4, sell));
		run_to_epoch(4);
		let before = free(MINER2);
		assert_ok!(ComputePools::claim_stake(signed(MINER2), 1));
		assert_eq!(free(MINER2) - before, 240 + 80);
		assert_eq!(Balances::balance_on_hold(&HoldReason::MaintenanceDeposit.into(), &MINER2), 0);
	});
}

/// Scenario 3 of issue 13: a retired device was never challenged again, yet its stake kept
/// earning, `claim` paid it regardless of standing, its client's lease got no refund, and the
/// same GPU could register and stake again: ~4 ghost stakes per GPU.
#[test]
fn retiring_a_device_ends_its_stake_and_lease_as_a_fault() {
	build_and_execute(|| {
		provide();
		let sell = StakeOffer::Sell { min_emb: 0 };
		assert_ok!(ComputePools::stake(signed(MINER2), DEVICE2, 8, 4, sell));
		assert_ok!(ComputePools::buy_hours(signed(CLIENT), 0, 3_000, u128::MAX));
		assert_ok!(ComputePools::redeem(signed(CLIENT), DEVICE2, 3, [7; 32]));
		handed_over(0, DEVICE2, MINER2);
		let paid = 3 * BASE_PRICE;
		assert_eq!(PAID.with(|p| *p.borrow()), paid);
		run_to_block(6);
		// The owner retires DEVICE2 in the lease's second hour.
		MockDevices::set_status(DEVICE2, DeviceStatus::Retired);
		let burned = Burned::<Test>::get();
		assert_ok!(<ComputePools as ember_primitives::OnDeviceRetired>::on_device_retired(DEVICE2));
		// The stake ended at once: no longer live, not offered, its deposit burned.
		assert!(DeviceStake::<Test>::get(DEVICE2).is_none());
		assert_eq!(pool().rate, 2_000);
		assert_eq!(Burned::<Test>::get() - burned, 240);
		assert!(ComputePools::offers(0, 10).iter().all(|(device, _)| *device != DEVICE2));
		// The lease ended: the two hours not begun are back as CH, with their base price as a
		// credit, and stop counting as demand.
		assert!(DeviceLease::<Test>::get(DEVICE2).is_none());
		assert_eq!(Holdings::<Test>::get(0, CLIENT).unwrap().amount, 2_000);
		assert_eq!(Prepaid::<Test>::get(0, CLIENT), Some(2 * BASE_PRICE));
		assert_eq!(ENDED_EARLY.with(|e| e.borrow()[&0]), 1);
		// Redeeming the refunded hours on another device burns no base price again and counts
		// no new payment.
		let before = free(CLIENT);
		assert_ok!(ComputePools::redeem(signed(CLIENT), DEVICE, 2, [7; 32]));
		// Only the lease deposit is held (and the emptied holding's returned).
		assert_eq!(before - free(CLIENT), LEASE_DEPOSIT - HOLDING_DEPOSIT);
		assert_eq!(PAID.with(|p| *p.borrow()), paid);
		assert!(Prepaid::<Test>::get(0, CLIENT).is_none());
	});
}

#[test]
fn fault_returns_provider_emb_and_burns_remover_deposit() {
	build_and_execute(|| {
		provide();
		assert_ok!(ComputePools::stake(
			signed(MINER2),
			DEVICE2,
			8,
			4,
			StakeOffer::Sell { min_emb: 0 }
		));
		run_to_epoch(1);
		let before = free(MINER);
		fault(DEVICE);
		assert!(free(MINER) > before);
		assert!(DeviceStake::<Test>::get(DEVICE).is_none());
		assert_eq!(pool().rate, 2_000);
		let burned = Burned::<Test>::get();
		fault(DEVICE2);
		assert_eq!(Burned::<Test>::get() - burned, 240);
		assert_eq!(pool().rate, 0);
		assert!(Expiring::<Test>::iter().next().is_none());
		// Success and devices without stakes change nothing.
		<ComputePools as OnChallengeOutcome<AccountId>>::on_challenge_outcome(
			DEVICE3,
			&MINER3,
			1,
			ChallengeOutcome::Success,
		);
		fault(DEVICE3);
	});
}

#[test]
fn renewal_extends_without_a_new_fee() {
	build_and_execute(|| {
		provide();
		run_to_epoch(2);
		// Not before the stake's last epoch.
		assert_noop!(
			ComputePools::renew_stake(signed(MINER), 0, u128::MAX),
			Error::<Test>::RenewTooEarly
		);
		run_to_epoch(3);
		let burned = Burned::<Test>::get();
		assert_noop!(
			ComputePools::renew_stake(signed(MINER2), 0, u128::MAX),
			Error::<Test>::NotOwner
		);
		assert_noop!(
			ComputePools::renew_stake(signed(MINER), 0, 1),
			Error::<Test>::SlippageExceeded
		);
		assert_ok!(ComputePools::renew_stake(signed(MINER), 0, u128::MAX));
		assert_eq!(Burned::<Test>::get(), burned);
		let stake = Stakes::<Test>::get(0).unwrap();
		assert_eq!((stake.end, stake.staked), (5, 10_000));
		assert!(Expiring::<Test>::get(0, 4).is_none());
		assert_eq!(Expiring::<Test>::get(0, 5).unwrap().stakes, 1);
		// Once per epoch.
		assert_noop!(
			ComputePools::renew_stake(signed(MINER), 0, u128::MAX),
			Error::<Test>::RenewTooEarly
		);
		run_to_epoch(5);
		assert_noop!(
			ComputePools::renew_stake(signed(MINER), 0, u128::MAX),
			Error::<Test>::StakeExpired
		);
		assert_ok!(ComputePools::claim_stake(signed(MINER), 0));
	});
}

#[test]
fn renewal_errors_change_nothing() {
	build_and_execute(|| {
		// 100 epochs is the longest stake: a stake of 100 cannot grow.
		assert_ok!(ComputePools::stake(
			signed(MINER),
			DEVICE,
			8,
			100,
			StakeOffer::Provide { min_emb: 0, max_emb: 8_000_000 }
		));
		assert_noop!(ComputePools::renew_stake(signed(MINER), 9, 0), Error::<Test>::UnknownStake);
		assert_ok!(ComputePools::stake(
			signed(MINER2),
			DEVICE2,
			8,
			4,
			StakeOffer::Sell { min_emb: 0 }
		));
		run_to_epoch(3);
		MockDevices::set_status(DEVICE2, DeviceStatus::Suspended);
		assert_noop!(
			ComputePools::renew_stake(signed(MINER2), 1, 0),
			Error::<Test>::DeviceNotActive
		);
		run_to_epoch(99);
		assert_noop!(
			ComputePools::renew_stake(signed(MINER), 0, u128::MAX),
			Error::<Test>::InvalidDuration
		);
	});
}

/// Scenario 4 of issue 13: 708 `renewStake` calls in one block sold 720 h into the pool
/// against the first stake's 0.6 EMB of deposit, with no new staking fee.
#[test]
fn a_removers_renewals_hold_their_deposit_and_come_once_per_epoch() {
	build_and_execute(|| {
		provide();
		assert_ok!(ComputePools::stake(
			signed(MINER2),
			DEVICE2,
			8,
			4,
			StakeOffer::Sell { min_emb: 0 }
		));
		let held = || Balances::balance_on_hold(&HoldReason::MaintenanceDeposit.into(), &MINER2);
		assert_eq!(held(), 240);
		run_to_epoch(3);
		assert_ok!(ComputePools::renew_stake(signed(MINER2), 1, 0));
		// Two more hours (one epoch of its rate) sold: 30 per hour more held.
		assert_eq!(held(), 240 + 60);
		assert_eq!(Stakes::<Test>::get(1).unwrap().kind, StakeKind::Remover { deposit: 300 });
		// A second renewal in the same block (or epoch) is refused.
		for _ in 0..3 {
			assert_noop!(
				ComputePools::renew_stake(signed(MINER2), 1, 0),
				Error::<Test>::RenewTooEarly
			);
		}
		run_to_epoch(4);
		assert_ok!(ComputePools::renew_stake(signed(MINER2), 1, 0));
		assert_eq!(held(), 360);
		run_to_epoch(6);
		assert_ok!(ComputePools::claim_stake(signed(MINER2), 1));
		assert_eq!(held(), 0);
	});
}

#[test]
fn extreme_amounts_fail_cleanly() {
	build_and_execute(|| {
		assert_noop!(
			ComputePools::stake(
				signed(MINER),
				DEVICE,
				u64::MAX,
				4,
				StakeOffer::Provide { min_emb: 0, max_emb: u128::MAX }
			),
			Error::<Test>::InvalidHours
		);
		provide();
		assert_noop!(
			ComputePools::buy_hours(signed(CLIENT), 0, u128::MAX, u128::MAX),
			Error::<Test>::InsufficientLiquidity
		);
		assert_noop!(
			ComputePools::buy_hours(signed(CLIENT), 0, 0, u128::MAX),
			Error::<Test>::InsufficientLiquidity
		);
		// One unit is worth about 1,000 planck: dust still trades, and a client without the EMB
		// fails in the currency, changing nothing.
		assert_ok!(ComputePools::buy_hours(signed(CLIENT), 0, 1, u128::MAX));
		assert!(ComputePools::buy_hours(signed(POOR), 0, 1_000, u128::MAX).is_err());
		assert_noop!(
			ComputePools::sell_hours(signed(CLIENT), 0, u128::MAX, 0),
			Error::<Test>::InsufficientHours
		);
	});
}

#[test]
fn donations_to_the_pools_account_fund_the_pot_not_the_pools() {
	build_and_execute(|| {
		provide();
		let before = pool();
		assert_ok!(Balances::transfer_allow_death(
			signed(CLIENT),
			ComputePools::account_id(),
			5_000
		));
		assert_eq!(pool(), before);
		assert_eq!(ComputePools::reward_pot(), REWARD_POT + 5_000);
		assert_eq!(ComputePools::quote_buy(0, 1_000), Some(1_146_297));
	});
}

#[test]
fn clients_buy_and_sell_hours() {
	build_and_execute(|| {
		assert_noop!(
			ComputePools::buy_hours(signed(CLIENT), 0, 1_000, u128::MAX),
			Error::<Test>::PoolEmpty
		);
		assert_noop!(
			ComputePools::buy_hours(signed(CLIENT), 1, 1_000, u128::MAX),
			Error::<Test>::NoPool
		);
		provide();
		let quote = ComputePools::quote_buy(0, 1_000).unwrap();
		// 1,000 of 8,000 units against 8,000,000 with 0.3 % fee: ⌊8e15 / (7,000 · 997,000)⌋ + 1.
		assert_eq!(quote, 1_146_297);
		assert_noop!(
			ComputePools::buy_hours(signed(CLIENT), 0, 1_000, quote - 1),
			Error::<Test>::SlippageExceeded
		);
		assert_noop!(
			ComputePools::buy_hours(signed(CLIENT), 0, 8_000, u128::MAX),
			Error::<Test>::InsufficientLiquidity
		);
		assert_ok!(ComputePools::buy_hours(signed(CLIENT), 0, 1_000, quote));
		assert_eq!(free(CLIENT), ENDOWMENT - quote - HOLDING_DEPOSIT);
		assert_eq!(Holdings::<Test>::get(0, CLIENT), Some(Holding { amount: 1_000, expires: 3 }));
		assert_noop!(
			ComputePools::sell_hours(signed(CLIENT), 0, 1_001, 0),
			Error::<Test>::InsufficientHours
		);
		assert_noop!(
			ComputePools::sell_hours(signed(CLIENT2), 0, 1, 0),
			Error::<Test>::InsufficientHours
		);
		let back = ComputePools::quote_sell(0, 1_000).unwrap();
		assert!(back < quote);
		assert_noop!(
			ComputePools::sell_hours(signed(CLIENT), 0, 1_000, back + 1),
			Error::<Test>::SlippageExceeded
		);
		assert_ok!(ComputePools::sell_hours(signed(CLIENT), 0, 1_000, back));
		// The round trip cost two fees; the emptied holding returned its deposit.
		assert_eq!(free(CLIENT), ENDOWMENT - quote + back);
		assert!(Holdings::<Test>::get(0, CLIENT).is_none());
	});
}

#[test]
fn hours_expire() {
	build_and_execute(|| {
		provide();
		assert_ok!(ComputePools::buy_hours(signed(CLIENT), 0, 1_000, u128::MAX));
		run_to_epoch(3);
		assert_noop!(
			ComputePools::sell_hours(signed(CLIENT), 0, 1_000, 0),
			Error::<Test>::InsufficientHours
		);
		// Buying again drops the expired hours and keeps the deposit.
		assert_ok!(ComputePools::buy_hours(signed(CLIENT), 0, 500, u128::MAX));
		assert_eq!(Holdings::<Test>::get(0, CLIENT), Some(Holding { amount: 500, expires: 6 }));
		assert_eq!(
			Balances::balance_on_hold(&HoldReason::HoldingDeposit.into(), &CLIENT),
			HOLDING_DEPOSIT
		);
	});
}

#[test]
fn redeem_burns_the_base_price_and_starts_a_lease() {
	build_and_execute(|| {
		provide();
		assert_ok!(ComputePools::buy_hours(signed(CLIENT), 0, 3_000, u128::MAX));
		let issuance = Balances::total_issuance();
		assert_ok!(ComputePools::redeem(signed(CLIENT), DEVICE, 2, [7; 32]));
		assert_eq!(issuance - Balances::total_issuance(), 2 * BASE_PRICE);
		assert_eq!(REDEEMED.with(|r| r.borrow()[&0]), 2);
		let lease = Leases::<Test>::get(0).unwrap();
		assert_eq!((lease.client, lease.device, lease.start, lease.end), (CLIENT, DEVICE, 1, 11));
		assert_eq!(Holdings::<Test>::get(0, CLIENT).unwrap().amount, 1_000);
		assert_eq!(
			Balances::balance_on_hold(&HoldReason::LeaseDeposit.into(), &CLIENT),
			LEASE_DEPOSIT
		);
		assert_eq!(ComputePools::client_leases(CLIENT).len(), 1);
		System::assert_last_event(
			Event::LeaseStarted {
				lease: 0,
				client: CLIENT,
				device: DEVICE,
				class: 0,
				hours: 2,
				end: 11,
				base_price: 2 * BASE_PRICE,
			}
			.into(),
		);
		// Busy until block 11.
		assert_noop!(
			ComputePools::redeem(signed(CLIENT), DEVICE, 1, [7; 32]),
			Error::<Test>::DeviceBusy
		);
		run_to_block(11);
		assert_ok!(ComputePools::redeem(signed(CLIENT), DEVICE, 1, [7; 32]));
		// The old lease was cleared and its deposit returned.
		assert!(Leases::<Test>::get(0).is_none());
		assert_eq!(
			Balances::balance_on_hold(&HoldReason::LeaseDeposit.into(), &CLIENT),
			LEASE_DEPOSIT
		);
	});
}

#[test]
fn redeem_errors_change_nothing() {
	build_and_execute(|| {
		provide();
		assert_noop!(
			ComputePools::redeem(signed(CLIENT), DEVICE, 1, [0; 32]),
			Error::<Test>::InsufficientHours
		);
		assert_ok!(ComputePools::buy_hours(signed(CLIENT), 0, 2_000, u128::MAX));
		assert_noop!(
			ComputePools::redeem(signed(CLIENT), DEVICE, 0, [0; 32]),
			Error::<Test>::InsufficientHours
		);
		assert_noop!(
			ComputePools::redeem(signed(CLIENT), DEVICE, 3, [0; 32]),
			Error::<Test>::InsufficientHours
		);
		assert_noop!(
			ComputePools::redeem(signed(CLIENT), 99, 1, [0; 32]),
			Error::<Test>::UnknownDevice
		);
		// Unstaked device, and a lease past the stake's end (block 40).
		assert_noop!(
			ComputePools::redeem(signed(CLIENT), DEVICE2, 1, [0; 32]),
			Error::<Test>::NoCapacity
		);
		run_to_block(35);
		assert_noop!(
			ComputePools::redeem(signed(CLIENT), DEVICE, 2, [0; 32]),
			Error::<Test>::NoCapacity
		);
		MockDevices::set_status(DEVICE, DeviceStatus::Suspended);
		assert_noop!(
			ComputePools::redeem(signed(CLIENT), DEVICE, 1, [0; 32]),
			Error::<Test>::DeviceNotActive
		);
		MockDevices::set_status(DEVICE, DeviceStatus::Active);
		// A class without a base price.
		UNPRICED.with(|u| u.borrow_mut().insert(1));
		assert_ok!(ComputePools::create_pool(RuntimeOrigin::root(), 1));
		MockDevices::add(40, MINER, 1);
		assert_ok!(ComputePools::stake(
			signed(MINER),
			40,
			8,
			4,
			StakeOffer::Provide { min_emb: 0, max_emb: 8_000_000 }
		));
		assert_ok!(ComputePools::buy_hours(signed(CLIENT), 1, 1_000, u128::MAX));
		assert_noop!(
			ComputePools::redeem(signed(CLIENT), 40, 1, [0; 32]),
			DispatchError::Other("class not priced")
		);
	});
}

#[test]
fn connection_release_and_end() {
	build_and_execute(|| {
		provide();
		assert_ok!(ComputePools::buy_hours(signed(CLIENT), 0, 2_000, u128::MAX));
		assert_ok!(ComputePools::redeem(signed(CLIENT), DEVICE, 1, [7; 32]));
		let sealed: BoundedVec<u8, ConstU32<64>> = vec![1, 2, 3].try_into().unwrap();
		let (key, sig) = host_key(0, DEVICE);
		assert_noop!(
			ComputePools::post_connection(signed(CLIENT), 0, sealed.clone(), key, sig),
			Error::<Test>::NotOwner
		);
		assert_noop!(
			ComputePools::post_connection(signed(MINER), 9, sealed.clone(), key, sig),
			Error::<Test>::UnknownLease
		);
		assert_ok!(ComputePools::post_connection(signed(MINER), 0, sealed.clone(), key, sig));
		assert_eq!(Leases::<Test>::get(0).unwrap().connection, Some(sealed.clone()));
		assert_eq!(Deliveries::<Test>::get(0).unwrap().host_key, Some(key));
		assert_noop!(ComputePools::release_lease(signed(MINER), 0), Error::<Test>::NotClient);
		assert_noop!(ComputePools::end_lease(signed(MINER), 0), Error::<Test>::LeaseRunning);
		run_to_block(6);
		assert_noop!(
			ComputePools::post_connection(signed(MINER), 0, sealed, key, sig),
			Error::<Test>::LeaseOver
		);
		assert_ok!(ComputePools::end_lease(signed(MINER), 0));
		assert_noop!(ComputePools::end_lease(signed(MINER), 0), Error::<Test>::UnknownLease);
		assert_ok!(ComputePools::redeem(signed(CLIENT), DEVICE, 1, [7; 32]));
		assert_ok!(ComputePools::release_lease(signed(CLIENT), 1));
		assert_eq!(Balances::balance_on_hold(&HoldReason::LeaseDeposit.into(), &CLIENT), 0);
	});
}

#[test]
fn fault_during_a_lease_refunds_unused_hours() {
	build_and_execute(|| {
		provide();
		assert_ok!(ComputePools::buy_hours(signed(CLIENT), 0, 4_000, u128::MAX));
		assert_ok!(ComputePools::redeem(signed(CLIENT), DEVICE, 4, [7; 32]));
		handed_over(0, DEVICE, MINER);
		// 6 blocks in: two hours begun, two unused.
		run_to_block(7);
		fault(DEVICE);
		System::assert_has_event(
			Event::LeaseEnded { lease: 0, refunded: 2_000, reason: LeaseEndReason::DeviceFaulted }
				.into(),
		);
		assert_eq!(Holdings::<Test>::get(0, CLIENT).unwrap().amount, 2_000);
		assert!(DeviceLease::<Test>::get(DEVICE).is_none());
		assert_eq!(Balances::balance_on_hold(&HoldReason::LeaseDeposit.into(), &CLIENT), 0);
	});
}

#[test]
fn governance_calls() {
	build_and_execute(|| {
		assert_noop!(ComputePools::create_pool(signed(MINER), 1), DispatchError::BadOrigin);
		assert_noop!(
			ComputePools::create_pool(RuntimeOrigin::root(), 0),
			Error::<Test>::PoolExists
		);
		assert_ok!(ComputePools::create_pool(RuntimeOrigin::root(), 1));
		assert_noop!(
			ComputePools::create_pool(RuntimeOrigin::root(), 2),
			Error::<Test>::TooManyPools
		);

		let set = |p: PoolParameters| ComputePools::set_parameters(RuntimeOrigin::root(), p);
		assert_noop!(
			set(PoolParameters { maintenance_rate: 13, ..PARAMS }),
			Error::<Test>::NotViable
		);
		assert_noop!(
			set(PoolParameters { maintenance_rate: 12, ..PARAMS }),
			Error::<Test>::NotViable
		);
		// 40 / 0.3 → T_min 134 > MaxStakeEpochs.
		assert_noop!(
			set(PoolParameters { reward_rate: 3, maintenance_rate: 2, staking_fee: 134, ..PARAMS }),
			Error::<Test>::NotViable
		);
		assert_noop!(ComputePools::set_parameters(signed(MINER), PARAMS), DispatchError::BadOrigin);
		// Issue 18: fees have a ceiling.
		assert_noop!(
			set(PoolParameters { swap_fee: Permill::from_percent(11), ..PARAMS }),
			Error::<Test>::FeeTooHigh
		);
		assert_noop!(
			set(PoolParameters { exchange_fee: Permill::from_percent(11), ..PARAMS }),
			Error::<Test>::FeeTooHigh
		);
		let cheaper =
			PoolParameters { staking_fee: 10, swap_fee: Permill::from_percent(1), ..PARAMS };
		assert_ok!(set(cheaper.clone()));
		System::assert_last_event(
			Event::ParametersSet { parameters: cheaper, min_stake_epochs: 1 }.into(),
		);
		assert_eq!(ComputePools::min_stake_epochs(), 1);
		// β = γ with no staking fee: every stake breaks even.
		assert_ok!(set(PoolParameters { staking_fee: 0, maintenance_rate: 12, ..PARAMS }));
		assert_eq!(ComputePools::min_stake_epochs(), 0);
	});
}

mod properties {
	use super::*;
	use proptest::prelude::*;

	#[derive(Clone, Debug)]
	enum Op {
		Stake { miner: u8, hours: u64, epochs: u32, provide: bool },
		Renew { miner: u8 },
		Claim { miner: u8 },
		Buy { client: u8, class: u8, units: u128 },
		Sell { client: u8, class: u8, units: u128 },
		Redeem { client: u8, miner: u8, hours: u32 },
		Release { client: u8 },
		Fault { miner: u8 },
		Retire { miner: u8 },
		Credit { amount: u128, miners: bool },
		Advance { blocks: u64 },
	}

	fn op() -> impl Strategy<Value = Op> {
		prop_oneof![
			(0u8..4, 1u64..20, 4u32..10, any::<bool>()).prop_map(
				|(miner, hours, epochs, provide)| Op::Stake { miner, hours, epochs, provide }
			),
			(0u8..4).prop_map(|miner| Op::Renew { miner }),
			(0u8..4).prop_map(|miner| Op::Claim { miner }),
			(0u8..2, 0u8..2, 1u128..5_000).prop_map(|(client, class, units)| Op::Buy {
				client,
				class,
				units
			}),
			(0u8..2, 0u8..2, 1u128..5_000).prop_map(|(client, class, units)| Op::Sell {
				client,
				class,
				units
			}),
			(0u8..2, 0u8..4, 1u32..4).prop_map(|(client, miner, hours)| Op::Redeem {
				client,
				miner,
				hours
			}),
			(0u8..2).prop_map(|client| Op::Release { client }),
			(0u8..4).prop_map(|miner| Op::Fault { miner }),
			(0u8..4).prop_map(|miner| Op::Retire { miner }),
			(1u128..1_000_000, any::<bool>())
				.prop_map(|(amount, miners)| Op::Credit { amount, miners }),
			(1u64..15).prop_map(|blocks| Op::Advance { blocks }),
		]
	}

	/// Three devices of class 0, one (40) of class 1.
	const MINERS: [(AccountId, DeviceId); 4] =
		[(MINER, DEVICE), (MINER2, DEVICE2), (MINER3, DEVICE3), (MINER3, 40)];
	const CLIENTS: [AccountId; 2] = [CLIENT, CLIENT2];

	/// Errors a call may fail with for what the caller asked (no hours, no liquidity, wrong
	/// timing, a busy or inactive device...). Anything else — an overflow, an unknown record,
	/// an arithmetic error — is a bug.
	fn expected(error: DispatchError) -> bool {
		use Error::*;
		let allowed: [Error<Test>; 13] = [
			InsufficientHours,
			InsufficientLiquidity,
			SlippageExceeded,
			DeviceNotActive,
			AlreadyStaked,
			InvalidDuration,
			InvalidHours,
			NoCapacity,
			DeviceBusy,
			PoolEmpty,
			RenewTooEarly,
			StakeExpired,
			StakeLive,
		];
		allowed.into_iter().any(|e| error == DispatchError::from(e))
	}

	fn apply(op: Op) {
		let stake_of = |device| DeviceStake::<Test>::get(device);
		let result = match op.clone() {
			Op::Stake { miner, hours, epochs, provide } => {
				let (who, device) = MINERS[miner as usize];
				let offer = if provide {
					StakeOffer::Provide { min_emb: 0, max_emb: u128::from(hours) * 1_000_000 }
				} else {
					StakeOffer::Sell { min_emb: 0 }
				};
				ComputePools::stake(signed(who), device, hours, epochs, offer)
			}
			Op::Renew { miner } => {
				let (who, device) = MINERS[miner as usize];
				match stake_of(device) {
					Some(id) => ComputePools::renew_stake(signed(who), id, u128::MAX),
					None => Ok(()),
				}
			}
			Op::Claim { miner } => {
				let (who, device) = MINERS[miner as usize];
				match stake_of(device).and_then(|id| Some((id, Stakes::<Test>::get(id)?))) {
					Some((id, stake)) => {
						let result = ComputePools::claim_stake(signed(who), id);
						// An expired stake can always be claimed.
						if stake.end <= ComputePools::current_epoch() {
							assert_eq!(result, Ok(()), "claim of expired stake {stake:?}");
						}
						result
					}
					None => Ok(()),
				}
			}
			Op::Buy { client, class, units } => ComputePools::buy_hours(
				signed(CLIENTS[client as usize]),
				class.into(),
				units,
				u128::MAX,
			),
			Op::Sell { client, class, units } => {
				ComputePools::sell_hours(signed(CLIENTS[client as usize]), class.into(), units, 0)
			}
			Op::Redeem { client, miner, hours } => {
				// Buys the hours first, so that most redemptions reach the lease rules.
				let (who, device) = (CLIENTS[client as usize], MINERS[miner as usize].1);
				let class = if device == 40 { 1 } else { 0 };
				let units = u128::from(hours) * 1_000;
				match ComputePools::buy_hours(signed(who), class, units, u128::MAX) {
					Ok(()) => ComputePools::redeem(signed(who), device, hours, [1; 32]),
					Err(error) => Err(error),
				}
			}
			Op::Release { client } => {
				let who = CLIENTS[client as usize];
				match ClientLeases::<Test>::iter_key_prefix(who).next() {
					Some(id) => {
						let result = ComputePools::release_lease(signed(who), id);
						assert_eq!(result, Ok(()), "a client releases its own lease");
						result
					}
					None => Ok(()),
				}
			}
			Op::Fault { miner } => {
				fault(MINERS[miner as usize].1);
				MockDevices::set_status(MINERS[miner as usize].1, DeviceStatus::Active);
				Ok(())
			}
			Op::Retire { miner } => {
				// Retirement ends the stake; the mock registry then lets the same device come
				// back, as a new registration of the GPU would.
				let device = MINERS[miner as usize].1;
				MockDevices::set_status(device, DeviceStatus::Retired);
				assert_ok!(<ComputePools as ember_primitives::OnDeviceRetired>::on_device_retired(
					device
				));
				if let Some(stake) = stake_of(device).and_then(Stakes::<Test>::get) {
					assert!(
						stake.end <= ComputePools::current_epoch(),
						"a retired device's stake is live"
					);
				}
				assert!(!<ComputePools as ember_primitives::StakeInspect>::is_staked(device));
				MockDevices::set_status(device, DeviceStatus::Active);
				Ok(())
			}
			Op::Credit { amount, miners } => {
				let f = if miners {
					ComputePools::credit_miners
				} else {
					ComputePools::credit_providers
				};
				assert!(credit(amount, f) <= amount);
				Ok(())
			}
			Op::Advance { blocks } => {
				run_to_block(System::block_number() + blocks);
				Ok(())
			}
		};
		if let Err(error) = result {
			// A caller short of funds fails its own payment; a payment out of the pools'
			// account never may (that would be insolvency).
			let pays = matches!(
				op,
				Op::Stake { .. } | Op::Renew { .. } | Op::Buy { .. } | Op::Redeem { .. }
			);
			// pallet-balances reports a transfer beyond the free balance as a token error or,
			// when the amount exceeds the balance outright, an arithmetic underflow (the
			// pallet's own arithmetic fails with `Error::Overflow`, never this).
			let short = pays
				&& matches!(
					error,
					DispatchError::Token(_)
						| DispatchError::Arithmetic(sp_runtime::ArithmeticError::Underflow)
				);
			assert!(short || expected(error), "{op:?} failed unexpectedly: {error:?}");
		}
	}

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(48))]

		/// Under any sequence of calls, epochs, faults, retirements and issuance credits over
		/// two pools: no call fails but for what its caller asked, the invariants (solvency
		/// included) hold after every step, total issuance falls by exactly what the pallet
		/// burned, and no fault handling is rolled back.
		#[test]
		fn issuance_and_invariants_hold(ops in proptest::collection::vec(op(), 1..80)) {
			new_test_ext().execute_with(|| {
				assert_ok!(ComputePools::create_pool(RuntimeOrigin::root(), 1));
				MockDevices::add(40, MINER3, 1);
				let issuance = Balances::total_issuance();
				provide();
				for op in ops {
					let minted_before = Balances::total_issuance() + Burned::<Test>::get();
					apply(op);
					ComputePools::do_try_state().unwrap();
					// Credits move EMB in from an account; nothing else creates or destroys any.
					assert_eq!(Balances::total_issuance() + Burned::<Test>::get(), minted_before);
				}
				assert_eq!(Balances::total_issuance() + Burned::<Test>::get(), issuance);
				assert!(!System::events().iter().any(|e| matches!(
					e.event,
					RuntimeEvent::ComputePools(Event::FaultNotHandled { .. })
				)));
			});
		}
	}
}

/// Mints `amount` into the pools' account (as issuance does) and credits it with `credit`.
fn credit(amount: u128, credit: fn(u128) -> u128) -> u128 {
	assert_ok!(<Balances as fungible::Mutate<_>>::transfer(
		&CLIENT,
		&ComputePools::account_id(),
		amount,
		Preservation::Preserve
	));
	credit(amount)
}

/// What a stake's issuance rewards come to now (until its exit, once expired).
fn issuance_owed(stake: StakeId) -> u128 {
	let stake = Stakes::<Test>::get(stake).unwrap();
	let per_rate = match Exits::<Test>::get(stake.class, stake.end) {
		Some(exit) if stake.end <= ComputePools::current_epoch() => exit.reward_per_rate,
		_ => Pools::<Test>::get(stake.class).unwrap().reward_per_rate,
	};
	stake.rewards_owed(per_rate).unwrap()
}

/// Scenario 5 of issue 13 (miners): issuance's miner share was split by a snapshot at the
/// period's end, so a 12-hour stake placed just before got a full month's share.
#[test]
fn a_stake_placed_just_before_a_mint_earns_only_for_its_epochs() {
	build_and_execute(|| {
		provide();
		// A: 80 hours over 40 epochs (2,000 units per epoch), staked from the start.
		let sell = StakeOffer::Sell { min_emb: 0 };
		assert_ok!(ComputePools::stake(signed(MINER2), DEVICE2, 80, 40, sell));
		run_to_epoch(10);
		// B: the same rate, for the shortest stake (4 epochs), in the mint's last block.
		run_to_block(10 * EPOCH + 9);
		assert_ok!(ComputePools::stake(signed(MINER3), DEVICE3, 8, 4, sell));
		run_to_epoch(11);
		let minted = 2_000_000;
		assert_eq!(credit(minted, ComputePools::credit_miners), minted);
		// Nothing is paid at once: the mint streams over the next 20 epochs.
		assert_eq!((issuance_owed(1), issuance_owed(2)), (0, 0));
		run_to_epoch(15);
		let b = issuance_owed(2);
		run_to_epoch(31);
		let a = issuance_owed(1);
		// B was live in 3 of the 20 epochs the mint streams over (11 to 13), beside A:
		// 3 × (1/20 ÷ 2) = 3/40 of the mint; A the rest. A snapshot split (before) gave B half.
		assert!(b.abs_diff(minted * 3 / 40) <= 2, "{b}");
		assert!(a.abs_diff(minted * 37 / 40) <= 2, "{a}");
		assert!(Streams::<Test>::get(0) == RewardStreams::default());
		// B claims what it earned; A's issuance reward survives its fault (proven epochs).
		assert_ok!(ComputePools::claim_stake(signed(MINER3), 2));
		let before = free(MINER2);
		fault(DEVICE2);
		assert!(free(MINER2) - before >= a);
	});
}

/// Scenario 5 of issue 13 (providers): a provider inflated its pool's EMB for one block by
/// buying hours, and took the providers' share of every pool by that snapshot.
#[test]
fn a_pool_inflated_for_one_epoch_gains_one_epochs_weight() {
	build_and_execute(|| {
		// Two pools of equal EMB, class 0 and class 1, each with a 40-epoch provider.
		assert_ok!(ComputePools::create_pool(RuntimeOrigin::root(), 1));
		MockDevices::add(40, MINER3, 1);
		let offer = StakeOffer::Provide { min_emb: 0, max_emb: 8_000_000 };
		assert_ok!(ComputePools::stake(signed(MINER), DEVICE, 8, 40, offer));
		assert_ok!(ComputePools::stake(signed(MINER3), 40, 8, 40, offer));
		run_to_block(20 * EPOCH - 1);
		// Just before the boundary that closes the period, a client buys most of pool 1's hours:
		// its EMB grows many times over for that one epoch boundary.
		assert_ok!(ComputePools::buy_hours(signed(CLIENT), 1, 3_000, u128::MAX));
		let inflated = Pools::<Test>::get(1).unwrap().emb;
		assert!(inflated > 3 * pool().emb, "{inflated}");
		run_to_epoch(20);
		let minted = 1_000_000;
		// Split pro rata, rounded down (the dust stays in the pot).
		let credited = credit(minted, ComputePools::credit_providers);
		assert!(minted - credited <= 1);
		let to_one = Streams::<Test>::get(1).providers.left;
		let to_zero = Streams::<Test>::get(0).providers.left;
		assert_eq!(to_one + to_zero, credited);
		// Time-weighted over the 20 epochs, the inflated epoch counts once: pool 1 gets a little
		// more than half, far from the snapshot's share (inflated / (inflated + pool 0)).
		let snapshot = minted * inflated / (inflated + pool().emb);
		assert!(to_one > to_zero && to_one < minted * 6 / 10, "{to_one} vs snapshot {snapshot}");
		assert!(snapshot > minted * 3 / 4);
	});
}

#[test]
fn a_drained_pool_is_priced_afresh_and_its_dust_funds_the_pot() {
	build_and_execute(|| {
		provide();
		run_to_epoch(4);
		assert_ok!(ComputePools::claim_stake(signed(MINER), 0));
		// Only the locked minimum's dust is left, at whatever price rounding left it.
		let dust = pool().emb;
		assert!(pool().shares == 1_000 && dust > 0);
		let pot = ComputePools::reward_pot();
		// The next provider sets a new price: 8 hours for 16,000,000 (2,000 per CH unit).
		assert_ok!(ComputePools::stake(
			signed(MINER2),
			DEVICE2,
			8,
			4,
			StakeOffer::Provide { min_emb: 0, max_emb: 16_000_000 }
		));
		let p = pool();
		assert_eq!((p.ch, p.emb), (8_000, 16_000_000));
		assert_eq!(ComputePools::reward_pot(), pot + dust);
	});
}

/// Issue 13, smaller items: bought hours never expired if topped up by one unit, and an expired
/// holding kept its deposit held.
#[test]
fn a_top_up_does_not_keep_a_holding_alive_and_expired_holdings_can_be_cleared() {
	build_and_execute(|| {
		provide();
		assert_ok!(ComputePools::buy_hours(signed(CLIENT), 0, 2_000, u128::MAX));
		assert_eq!(Holdings::<Test>::get(0, CLIENT).unwrap().expires, 3);
		run_to_epoch(2);
		// One unit more moves the expiry by its weight, (2,000 · 3 + 1 · 5) / 2,001: not at all.
		assert_ok!(ComputePools::buy_hours(signed(CLIENT), 0, 1, u128::MAX));
		assert_eq!(
			Holdings::<Test>::get(0, CLIENT).unwrap(),
			Holding { amount: 2_001, expires: 3 }
		);
		// As many hours again: the mean of the two expiries, 3 and 5.
		assert_ok!(ComputePools::buy_hours(signed(CLIENT), 0, 2_001, u128::MAX));
		assert_eq!(Holdings::<Test>::get(0, CLIENT).unwrap().expires, 4);
		assert_noop!(
			ComputePools::expire_holding(signed(MINER), 0, CLIENT),
			Error::<Test>::HoldingLive
		);
		run_to_epoch(4);
		let before = free(CLIENT);
		assert_ok!(ComputePools::expire_holding(signed(MINER), 0, CLIENT));
		assert!(Holdings::<Test>::get(0, CLIENT).is_none());
		assert_eq!(free(CLIENT) - before, HOLDING_DEPOSIT);
		assert_eq!(Balances::balance_on_hold(&HoldReason::HoldingDeposit.into(), &CLIENT), 0);
		assert_noop!(
			ComputePools::expire_holding(signed(MINER), 0, CLIENT),
			Error::<Test>::InsufficientHours
		);
	});
}

/// Issue 13, smaller items: `Provide` had no lower price bound, so a provider could be made to
/// add its hours to a pool whose price was pushed down.
#[test]
fn a_provider_refuses_a_pool_priced_below_its_limit() {
	build_and_execute(|| {
		provide();
		// 8 hours at the pool's 1,000 per unit: 8,000,000; the provider wants at least 9,000,000.
		assert_noop!(
			ComputePools::stake(
				signed(MINER2),
				DEVICE2,
				8,
				4,
				StakeOffer::Provide { min_emb: 9_000_000, max_emb: u128::MAX }
			),
			Error::<Test>::SlippageExceeded
		);
		assert_ok!(ComputePools::stake(
			signed(MINER2),
			DEVICE2,
			8,
			4,
			StakeOffer::Provide { min_emb: 8_000_000, max_emb: 8_000_000 }
		));
	});
}

/// CLIENT's sr25519 lease key (the key it gives at redeem; the miner seals to it and the
/// client signs heartbeats with it).
fn lease_pair() -> sp_core::sr25519::Pair {
	use sp_core::Pair;
	sp_core::sr25519::Pair::from_seed(&[4; 32])
}

fn lease_key() -> [u8; 32] {
	use sp_core::Pair;
	lease_pair().public().0
}

/// The client's heartbeat for `lease` at block `at`, signed by `pair`.
fn heartbeat(pair: &sp_core::sr25519::Pair, lease: LeaseId, at: u64) -> [u8; 64] {
	use sp_core::Pair;
	pair.sign(&heartbeat_message(&ComputePools::genesis(), lease, at)).0
}

/// MINER's DEVICE staked; CLIENT leases it for 4 hours (20 blocks) from block 1 and the miner
/// posts the connection details.
fn leased_and_posted() {
	provide();
	assert_ok!(ComputePools::buy_hours(signed(CLIENT), 0, 4_000, u128::MAX));
	assert_ok!(ComputePools::redeem(signed(CLIENT), DEVICE, 4, lease_key()));
	let (key, sig) = host_key(0, DEVICE);
	let sealed: BoundedVec<u8, ConstU32<64>> = vec![9; 40].try_into().unwrap();
	assert_ok!(ComputePools::post_connection(signed(MINER), 0, sealed, key, sig));
}

fn undelivered() -> Vec<(DeviceId, LeaseId)> {
	UNDELIVERED.with(|u| u.borrow().clone())
}

#[test]
fn a_lease_whose_details_are_never_posted_is_refunded_in_full_and_the_provider_penalised() {
	build_and_execute(|| {
		provide();
		assert_ok!(ComputePools::buy_hours(signed(CLIENT), 0, 4_000, u128::MAX));
		assert_ok!(ComputePools::redeem(signed(CLIENT), DEVICE, 4, lease_key()));
		assert_eq!(
			Deliveries::<Test>::get(0).unwrap().state,
			DeliveryState::AwaitingHandoff { deadline: 1 + HANDOFF }
		);
		assert_noop!(ComputePools::acknowledge(signed(CLIENT), 0), Error::<Test>::NoConnection);
		run_to_block(HANDOFF);
		assert!(Leases::<Test>::contains_key(0));
		run_to_block(1 + HANDOFF);
		System::assert_has_event(
			Event::LeaseEnded { lease: 0, refunded: 4_000, reason: LeaseEndReason::NotHandedOver }
				.into(),
		);
		// Every hour back, with the base price paid for them as a credit; the deposit back.
		assert_eq!(Holdings::<Test>::get(0, CLIENT).unwrap().amount, 4_000);
		assert_eq!(Prepaid::<Test>::get(0, CLIENT), Some(4 * BASE_PRICE));
		assert_eq!(Balances::balance_on_hold(&HoldReason::LeaseDeposit.into(), &CLIENT), 0);
		assert!(Deliveries::<Test>::get(0).is_none());
		assert!(DeliveryDeadlines::<Test>::iter().next().is_none());
		assert_eq!(undelivered(), vec![(DEVICE, 0)]);
		// The device is free again; the refunded hours redeem without paying the price again.
		let before = free(CLIENT);
		assert_ok!(ComputePools::redeem(signed(CLIENT), DEVICE, 2, lease_key()));
		assert_eq!(free(CLIENT), before - LEASE_DEPOSIT);
	});
}

#[test]
fn posted_details_never_acknowledged_are_refunded_without_a_penalty() {
	build_and_execute(|| {
		provide();
		assert_ok!(ComputePools::buy_hours(signed(CLIENT), 0, 4_000, u128::MAX));
		assert_ok!(ComputePools::redeem(signed(CLIENT), DEVICE, 4, lease_key()));
		// Posted at block 5: the client has HANDOFF blocks from then to acknowledge.
		run_to_block(5);
		let (key, sig) = host_key(0, DEVICE);
		let sealed: BoundedVec<u8, ConstU32<64>> = vec![9; 40].try_into().unwrap();
		assert_ok!(ComputePools::post_connection(signed(MINER), 0, sealed.clone(), key, sig));
		assert_eq!(
			Deliveries::<Test>::get(0).unwrap().state,
			DeliveryState::AwaitingHandoff { deadline: 5 + HANDOFF }
		);
		assert!(DeliveryDeadlines::<Test>::get(1 + HANDOFF).is_empty());
		// Posting again does not extend it.
		run_to_block(6);
		assert_ok!(ComputePools::post_connection(signed(MINER), 0, sealed, key, sig));
		assert_eq!(
			Deliveries::<Test>::get(0).unwrap().state,
			DeliveryState::AwaitingHandoff { deadline: 5 + HANDOFF }
		);
		run_to_block(5 + HANDOFF);
		// The chain cannot tell whether the endpoint or the client failed: a refund of every
		// hour, no penalty.
		System::assert_has_event(
			Event::LeaseEnded {
				lease: 0,
				refunded: 4_000,
				reason: LeaseEndReason::NotAcknowledged,
			}
			.into(),
		);
		assert!(undelivered().is_empty());
	});
}

#[test]
fn only_the_leases_client_may_acknowledge_or_report() {
	build_and_execute(|| {
		leased_and_posted();
		for who in [MINER, CLIENT2] {
			assert_noop!(ComputePools::acknowledge(signed(who), 0), Error::<Test>::NotClient);
			assert_noop!(ComputePools::report_failure(signed(who), 0), Error::<Test>::NotClient);
		}
		assert_noop!(ComputePools::report_failure(signed(CLIENT), 7), Error::<Test>::UnknownLease);
	});
}

#[test]
fn an_unanswered_failure_report_refunds_the_hours_not_begun_and_penalises_the_provider() {
	build_and_execute(|| {
		leased_and_posted();
		assert_ok!(ComputePools::acknowledge(signed(CLIENT), 0));
		// Block 8: the lease's second hour (blocks 6–10) has begun; two are left.
		run_to_block(8);
		assert_ok!(ComputePools::report_failure(signed(CLIENT), 0));
		System::assert_has_event(Event::FailureReported { lease: 0, deadline: 8 + ANSWER }.into());
		assert_noop!(
			ComputePools::report_failure(signed(CLIENT), 0),
			Error::<Test>::WrongDeliveryState
		);
		run_to_block(8 + ANSWER);
		System::assert_has_event(
			Event::LeaseEnded {
				lease: 0,
				refunded: 2_000,
				reason: LeaseEndReason::ReportUnanswered,
			}
			.into(),
		);
		assert_eq!(Holdings::<Test>::get(0, CLIENT).unwrap().amount, 2_000);
		assert_eq!(Prepaid::<Test>::get(0, CLIENT), Some(2 * BASE_PRICE));
		assert_eq!(undelivered(), vec![(DEVICE, 0)]);
	});
}

#[test]
fn a_report_answered_with_a_fresh_client_heartbeat_keeps_the_lease() {
	build_and_execute(|| {
		leased_and_posted();
		run_to_block(5);
		let old = heartbeat(&lease_pair(), 0, 4);
		run_to_block(6);
		assert_ok!(ComputePools::report_failure(signed(CLIENT), 0));
		// Nothing to answer before a report; only the owner answers.
		let fresh = heartbeat(&lease_pair(), 0, 6);
		assert_noop!(
			ComputePools::answer_report(signed(CLIENT), 0, 6, fresh),
			Error::<Test>::NotOwner
		);
		// A heartbeat from before the report does not answer it.
		assert_noop!(
			ComputePools::answer_report(signed(MINER), 0, 4, old),
			Error::<Test>::StaleHeartbeat
		);
		// Nor one dated in the future.
		run_to_block(7);
		let future = heartbeat(&lease_pair(), 0, 9);
		assert_noop!(
			ComputePools::answer_report(signed(MINER), 0, 9, future),
			Error::<Test>::StaleHeartbeat
		);
		// Nor one signed by another key, or for another lease.
		use sp_core::Pair;
		let forged = heartbeat(&sp_core::sr25519::Pair::from_seed(&[1; 32]), 0, 7);
		assert_noop!(
			ComputePools::answer_report(signed(MINER), 0, 7, forged),
			Error::<Test>::BadSignature
		);
		let other = heartbeat(&lease_pair(), 1, 7);
		assert_noop!(
			ComputePools::answer_report(signed(MINER), 0, 7, other),
			Error::<Test>::BadSignature
		);
		assert_ok!(ComputePools::answer_report(signed(MINER), 0, 6, fresh));
		System::assert_has_event(Event::ReportAnswered { lease: 0, at: 6 }.into());
		assert_eq!(Deliveries::<Test>::get(0).unwrap().state, DeliveryState::Delivered);
		assert_noop!(
			ComputePools::answer_report(signed(MINER), 0, 6, fresh),
			Error::<Test>::WrongDeliveryState
		);
		// The report's deadline passes without effect; so does the hand-off's.
		run_to_block(1 + HANDOFF + ANSWER);
		assert!(undelivered().is_empty());
		assert!(Leases::<Test>::contains_key(0));
	});
}

#[test]
fn a_host_key_must_be_signed_by_the_devices_key() {
	build_and_execute(|| {
		provide();
		assert_ok!(ComputePools::buy_hours(signed(CLIENT), 0, 4_000, u128::MAX));
		assert_ok!(ComputePools::redeem(signed(CLIENT), DEVICE, 4, lease_key()));
		let sealed: BoundedVec<u8, ConstU32<64>> = vec![9; 40].try_into().unwrap();
		// Signed by another device's key, or for another lease, or another host key.
		let (key, by_other) = host_key(0, DEVICE2);
		assert_noop!(
			ComputePools::post_connection(signed(MINER), 0, sealed.clone(), key, by_other),
			Error::<Test>::BadSignature
		);
		let (_, other_lease) = host_key(1, DEVICE);
		let (key, sig) = host_key(0, DEVICE);
		assert_noop!(
			ComputePools::post_connection(signed(MINER), 0, sealed.clone(), key, other_lease),
			Error::<Test>::BadSignature
		);
		assert_noop!(
			ComputePools::post_connection(signed(MINER), 0, sealed.clone(), [0; 32], sig),
			Error::<Test>::BadSignature
		);
		assert_ok!(ComputePools::post_connection(signed(MINER), 0, sealed, key, sig));
		System::assert_has_event(Event::ConnectionPosted { lease: 0, host_key: key }.into());
	});
}

#[test]
fn a_report_before_any_hand_off_refunds_every_hour() {
	build_and_execute(|| {
		leased_and_posted();
		// Block 8: two hours begun, but nothing was ever delivered.
		run_to_block(8);
		assert_ok!(ComputePools::report_failure(signed(CLIENT), 0));
		assert!(
			DeliveryDeadlines::<Test>::get(1 + HANDOFF).is_empty(),
			"the hand-off deadline goes"
		);
		run_to_block(8 + ANSWER);
		System::assert_has_event(
			Event::LeaseEnded {
				lease: 0,
				refunded: 4_000,
				reason: LeaseEndReason::ReportUnanswered,
			}
			.into(),
		);
		assert_eq!(undelivered(), vec![(DEVICE, 0)]);
	});
}

#[test]
fn a_report_too_close_to_the_end_is_refused() {
	build_and_execute(|| {
		leased_and_posted();
		assert_ok!(ComputePools::acknowledge(signed(CLIENT), 0));
		// The lease ends at 21: a report at 17 would leave the provider until 21, past it.
		run_to_block(17);
		assert_noop!(
			ComputePools::report_failure(signed(CLIENT), 0),
			Error::<Test>::TooLateToReport
		);
	});
}

#[test]
fn reports_withdrawn_and_repeated_keep_one_deadline_per_lease() {
	build_and_execute(|| {
		leased_and_posted();
		assert_ok!(ComputePools::acknowledge(signed(CLIENT), 0));
		// Report and withdraw (acknowledge) over and over in one block: the queue holds at most
		// the one live deadline, so nobody can fill it for others.
		for _ in 0..5 {
			assert_ok!(ComputePools::report_failure(signed(CLIENT), 0));
			assert_ok!(ComputePools::acknowledge(signed(CLIENT), 0));
		}
		assert!(DeliveryDeadlines::<Test>::iter().next().is_none());
		assert_ok!(ComputePools::report_failure(signed(CLIENT), 0));
		let listed: usize = DeliveryDeadlines::<Test>::iter().map(|(_, due)| due.len()).sum();
		assert_eq!(listed, 1);
		// Answered: gone too.
		assert_ok!(ComputePools::answer_report(
			signed(MINER),
			0,
			1,
			heartbeat(&lease_pair(), 0, 1)
		));
		assert!(DeliveryDeadlines::<Test>::iter().next().is_none());
	});
}

#[test]
fn a_fault_before_any_hand_off_refunds_every_hour() {
	build_and_execute(|| {
		leased_and_posted();
		run_to_block(8);
		fault(DEVICE);
		System::assert_has_event(
			Event::LeaseEnded { lease: 0, refunded: 4_000, reason: LeaseEndReason::DeviceFaulted }
				.into(),
		);
	});
}

#[test]
fn heartbeats_and_host_keys_name_the_chain() {
	build_and_execute(|| {
		use sp_core::Pair;
		leased_and_posted();
		assert_ok!(ComputePools::acknowledge(signed(CLIENT), 0));
		run_to_block(3);
		assert_ok!(ComputePools::report_failure(signed(CLIENT), 0));
		// Signed for another chain (another genesis hash): refused.
		let elsewhere = lease_pair().sign(&heartbeat_message(&sp_core::H256([7; 32]), 0, 3u64)).0;
		assert_noop!(
			ComputePools::answer_report(signed(MINER), 0, 3, elsewhere),
			Error::<Test>::BadSignature
		);
		let key = [1; 32];
		let signed_elsewhere =
			device_pair(DEVICE).sign(&host_key_message(&sp_core::H256([7; 32]), 0, &key)).0;
		let sealed: BoundedVec<u8, ConstU32<64>> = vec![9; 40].try_into().unwrap();
		assert_noop!(
			ComputePools::post_connection(signed(MINER), 0, sealed, key, signed_elsewhere),
			Error::<Test>::BadSignature
		);
	});
}

#[test]
fn the_v1_migration_gives_running_leases_a_record_and_lists_staked_devices() {
	build_and_execute(|| {
		use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
		leased_and_posted();
		// As a version-0 chain held it: no delivery records, no class index.
		let _ = Deliveries::<Test>::clear(u32::MAX, None);
		let _ = ClassDevices::<Test>::clear(u32::MAX, None);
		StorageVersion::new(0).put::<ComputePools>();
		crate::migrations::v1::Migrate::<Test>::on_runtime_upgrade();
		assert_eq!(ComputePools::on_chain_storage_version(), 1);
		let record = Deliveries::<Test>::get(0).unwrap();
		assert_eq!(record.state, DeliveryState::Delivered);
		assert!(record.delivered);
		assert!(ClassDevices::<Test>::contains_key(0, DEVICE));
		// Run again (already at 1): nothing changes.
		crate::migrations::v1::Migrate::<Test>::on_runtime_upgrade();
		assert_eq!(ClassDevices::<Test>::iter().count(), 1);
	});
}

#[test]
fn deadlines_spill_to_the_next_block_with_room_and_then_refuse() {
	build_and_execute(|| {
		// Two deadlines fit a block (mock); redeems in one block spill over 8 blocks, then fail.
		for device in 100..117u64 {
			MockDevices::add(device, MINER, 0);
			assert_ok!(ComputePools::stake(
				signed(MINER),
				device,
				8,
				4,
				StakeOffer::Provide { min_emb: 0, max_emb: 8_000_000 }
			));
		}
		assert_ok!(ComputePools::buy_hours(signed(CLIENT), 0, 68_000, u128::MAX));
		for device in 100..116u64 {
			assert_ok!(ComputePools::redeem(signed(CLIENT), device, 4, lease_key()));
		}
		for block in 1 + HANDOFF..1 + HANDOFF + 8 {
			assert_eq!(DeliveryDeadlines::<Test>::get(block).len(), 2);
		}
		assert_noop!(
			ComputePools::redeem(signed(CLIENT), 116, 4, lease_key()),
			Error::<Test>::DeadlinesFull
		);
		// Each ends at its own deadline.
		run_to_block(1 + HANDOFF + 7);
		assert_eq!(undelivered().len(), 16);
	});
}

#[test]
fn redeem_any_picks_a_free_device_staked_long_enough() {
	build_and_execute(|| {
		assert_noop!(
			ComputePools::redeem_any(signed(CLIENT), 0, 1, lease_key()),
			Error::<Test>::NoOffer
		);
		provide();
		assert_ok!(ComputePools::stake(
			signed(MINER2),
			DEVICE2,
			8,
			4,
			StakeOffer::Provide { min_emb: 0, max_emb: 8_000_000 }
		));
		assert_ok!(ComputePools::buy_hours(signed(CLIENT), 0, 9_000, u128::MAX));
		// Both stakes end at block 40: no device can serve 8 hours (40 blocks) from block 1.
		assert_noop!(
			ComputePools::redeem_any(signed(CLIENT), 0, 8, lease_key()),
			Error::<Test>::NoOffer
		);
		// Equal reputations: the lowest id.
		assert_ok!(ComputePools::redeem_any(signed(CLIENT), 0, 4, lease_key()));
		System::assert_has_event(
			Event::LeaseStarted {
				lease: 0,
				client: CLIENT,
				device: DEVICE,
				class: 0,
				hours: 4,
				end: 21,
				base_price: 4 * BASE_PRICE,
			}
			.into(),
		);
		// DEVICE is busy now; a suspended DEVICE2 offers nothing either.
		MockDevices::set_status(DEVICE2, DeviceStatus::Suspended);
		assert_noop!(
			ComputePools::redeem_any(signed(CLIENT), 0, 1, lease_key()),
			Error::<Test>::NoOffer
		);
		MockDevices::set_status(DEVICE2, DeviceStatus::Active);
		assert_ok!(ComputePools::redeem_any(signed(CLIENT), 0, 1, lease_key()));
		assert_eq!(DeviceLease::<Test>::get(DEVICE2), Some(1));
		// A class with no pool offers nothing.
		assert_noop!(
			ComputePools::redeem_any(signed(CLIENT), 1, 1, lease_key()),
			Error::<Test>::NoOffer
		);
	});
}

#[test]
fn a_faulted_device_leaves_the_offers() {
	build_and_execute(|| {
		provide();
		assert!(ClassDevices::<Test>::contains_key(0, DEVICE));
		fault(DEVICE);
		assert!(!ClassDevices::<Test>::contains_key(0, DEVICE));
	});
}
