#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use crate::{mock::*, *};
use frame_support::{assert_noop, assert_ok};

fn fast() -> Perbill {
	Perbill::from_percent(10)
}

#[test]
fn newcomers_are_neutral_and_earn_the_plain_reward() {
	build_and_execute(|| {
		assert_eq!(Reputation::score(7), Perbill::from_percent(50));
		assert_eq!(Reputation::reward_multiplier(7), sp_runtime::FixedU128::from_u32(1));
	});
}

#[test]
fn honest_answers_raise_the_score_and_misses_lower_it() {
	build_and_execute(|| {
		register(0, 1);
		STAKED.with(|s| s.borrow_mut().insert(0, true));
		for _ in 0..30 {
			outcome(0, ChallengeOutcome::Success, fast());
		}
		let good = Reputation::score(0);
		// Converges toward 0.98 (0.3 + 0.4 + 0.2 · 0.9 + 0.1).
		assert!(good > Perbill::from_percent(97), "{good:?}");
		let multiplier = Reputation::reward_multiplier(0);
		assert!(multiplier > sp_runtime::FixedU128::from_rational(119, 100));

		for _ in 0..5 {
			outcome(0, ChallengeOutcome::Fault, fast());
		}
		assert!(Reputation::score(0) < good);
		assert!(Reputation::score(0) < Perbill::from_percent(90));
	});
}

#[test]
fn scores_decay_toward_neutral_when_idle() {
	build_and_execute(|| {
		register(0, 1);
		for _ in 0..30 {
			outcome(0, ChallengeOutcome::Success, fast());
		}
		let before = Reputation::score(0);
		System::set_block_number(1 + WEEK);
		let after = Reputation::score(0);
		// 5 % of the distance to 0.5 is gone after a week.
		let expected = Perbill::from_percent(50)
			.saturating_add(Perbill::from_percent(95) * (before - Perbill::from_percent(50)));
		assert_eq!(after, expected);
		System::set_block_number(1 + 1_000 * WEEK);
		assert_eq!(Reputation::score(0), Perbill::from_percent(50));
	});
}

#[test]
fn a_byzantine_slash_halves_the_score_and_others_do_not() {
	build_and_execute(|| {
		register(0, 1);
		for _ in 0..30 {
			outcome(0, ChallengeOutcome::Success, fast());
		}
		let before = Reputation::score(0);
		Reputation::on_slash(0, Offence::ResultMismatch);
		assert_eq!(Reputation::score(0), before);
		Reputation::on_slash(0, Offence::Byzantine);
		assert_eq!(Reputation::score(0), before / 2);
		System::assert_last_event(Event::ScoreHalved { device: 0, score: before / 2 }.into());
		// Below 0.5, the multiplier is below one.
		assert!(Reputation::reward_multiplier(0) < sp_runtime::FixedU128::from_u32(1));
	});
}

#[test]
fn only_scores_of_departed_devices_are_pruned() {
	build_and_execute(|| {
		register(0, 1);
		assert_noop!(Reputation::prune(RuntimeOrigin::signed(2), 0), Error::<Test>::NoScore);
		outcome(0, ChallengeOutcome::Success, fast());
		assert_noop!(
			Reputation::prune(RuntimeOrigin::signed(2), 0),
			Error::<Test>::StillRegistered
		);
		DEVICES.with(|d| d.borrow_mut().remove(&0));
		assert_ok!(Reputation::prune(RuntimeOrigin::signed(2), 0));
		assert!(!Scores::<Test>::contains_key(0));
		System::assert_last_event(Event::ScorePruned { device: 0 }.into());
	});
}

#[test]
fn integrity_test_passes() {
	build_and_execute(|| {
		use frame_support::traits::Hooks;
		Reputation::integrity_test();
	});
}
