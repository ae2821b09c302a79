//! The score arithmetic, in `Perbill` so it is exact and cannot overflow.

use ember_primitives::{ChallengeOutcome, ChallengeRecord};
use sp_runtime::{PerThing, Perbill, Saturating};

/// A newcomer's score, and where decay leads.
pub const NEUTRAL: Perbill = Perbill::from_percent(50);

/// The weights of the observation's parts (DePX §3.6): success, uptime, speed, stake.
const WEIGHTS: [Perbill; 4] = [
	Perbill::from_percent(30),
	Perbill::from_percent(40),
	Perbill::from_percent(20),
	Perbill::from_percent(10),
];

/// What one challenge outcome says about a device, given its record (which includes it).
pub fn observe(record: &ChallengeRecord, outcome: ChallengeOutcome, staked: bool) -> Perbill {
	let answered_in_time = record.answered.saturating_add(record.invalid);
	let success = ratio(record.answered, answered_in_time);
	let uptime = ratio(answered_in_time, answered_in_time.saturating_add(record.missed));
	// A miss or a bad proof tells nothing good about speed.
	let speed = match outcome {
		ChallengeOutcome::Success => record.last_latency.left_from_one(),
		ChallengeOutcome::Fault | ChallengeOutcome::InvalidProof => Perbill::zero(),
	};
	let stake = if staked { Perbill::one() } else { Perbill::zero() };
	let [w_success, w_uptime, w_speed, w_stake] = WEIGHTS;
	// The weights sum to one, so the sum of the parts is at most one.
	w_success
		.saturating_mul(success)
		.saturating_add(w_uptime.saturating_mul(uptime))
		.saturating_add(w_speed.saturating_mul(speed))
		.saturating_add(w_stake.saturating_mul(stake))
}

/// `n / d`, with an empty record counting as perfect (a newcomer is not penalised for having
/// no history).
fn ratio(n: u32, d: u32) -> Perbill {
	if d == 0 {
		Perbill::one()
	} else {
		Perbill::from_rational(n, d)
	}
}

/// `score` moved a fraction `step` of the way to `target`.
pub fn towards(score: Perbill, target: Perbill, step: Perbill) -> Perbill {
	if target >= score {
		score.saturating_add(step.saturating_mul(target.saturating_sub(score)))
	} else {
		score.saturating_sub(step.saturating_mul(score.saturating_sub(target)))
	}
}

/// `score` after `elapsed` blocks of decay toward [`NEUTRAL`], losing `rate` of its distance
/// from it every `period` blocks (linear within a period).
pub fn decay(score: Perbill, elapsed: u64, period: u64, rate: Perbill) -> Perbill {
	if period == 0 || elapsed == 0 {
		return score;
	}
	let whole = elapsed.checked_div(period).unwrap_or(0);
	let part = elapsed.checked_rem(period).unwrap_or(0);
	let kept = rate.left_from_one();
	// Past ~2^32 periods the distance is gone whatever the rate.
	let whole_kept = kept.saturating_pow(usize::try_from(whole).unwrap_or(usize::MAX));
	let part_kept = rate.saturating_mul(Perbill::from_rational(part, period)).left_from_one();
	let keep = whole_kept.saturating_mul(part_kept);
	if score >= NEUTRAL {
		NEUTRAL.saturating_add(keep.saturating_mul(score.saturating_sub(NEUTRAL)))
	} else {
		NEUTRAL.saturating_sub(keep.saturating_mul(NEUTRAL.saturating_sub(score)))
	}
}

#[cfg(test)]
mod tests {
	#![allow(clippy::arithmetic_side_effects)]
	use super::*;
	use proptest::prelude::*;

	#[test]
	fn a_perfect_staked_answer_scores_one_minus_its_latency_share() {
		let record = ChallengeRecord {
			answered: 10,
			missed: 0,
			invalid: 0,
			last_latency: Perbill::from_percent(10),
		};
		// 0.3 + 0.4 + 0.2 · 0.9 + 0.1 = 0.98
		assert_eq!(observe(&record, ChallengeOutcome::Success, true), Perbill::from_percent(98));
		// Unstaked: 0.88.
		assert_eq!(observe(&record, ChallengeOutcome::Success, false), Perbill::from_percent(88));
	}

	#[test]
	fn a_miss_costs_uptime_and_speed() {
		let record = ChallengeRecord {
			answered: 3,
			missed: 1,
			invalid: 0,
			last_latency: Perbill::from_percent(10),
		};
		// success 1 → 0.3; uptime 3/4 → 0.3; speed 0; unstaked.
		assert_eq!(observe(&record, ChallengeOutcome::Fault, false), Perbill::from_percent(60));
	}

	#[test]
	fn decay_halves_the_distance_in_about_thirteen_weeks() {
		let week = 100_800;
		let one = decay(Perbill::one(), week, week, Perbill::from_percent(5));
		assert_eq!(one, Perbill::from_rational(975u32, 1000u32));
		// 0.95^13 ≈ 0.513
		let later = decay(Perbill::one(), 13 * week, week, Perbill::from_percent(5));
		assert!(later > Perbill::from_percent(75) && later < Perbill::from_percent(76));
		let low = decay(Perbill::zero(), week, week, Perbill::from_percent(5));
		assert_eq!(low, Perbill::from_rational(25u32, 1000u32));
		assert_eq!(decay(Perbill::one(), u64::MAX, week, Perbill::from_percent(5)), NEUTRAL);
	}

	proptest! {
		#[test]
		fn decay_moves_toward_neutral_and_never_past_it(
			score in 0u32..=1_000_000_000,
			elapsed in 0u64..10_000_000,
		) {
			let score = Perbill::from_parts(score);
			let decayed = decay(score, elapsed, 100_800, Perbill::from_percent(5));
			if score >= NEUTRAL {
				prop_assert!(decayed <= score && decayed >= NEUTRAL);
			} else {
				prop_assert!(decayed >= score && decayed <= NEUTRAL);
			}
		}

		#[test]
		fn smoothing_stays_between_score_and_target(a in 0u32..=1_000_000_000, b in 0u32..=1_000_000_000) {
			let (a, b) = (Perbill::from_parts(a), Perbill::from_parts(b));
			let moved = towards(a, b, Perbill::from_percent(10));
			prop_assert!(moved >= a.min(b) && moved <= a.max(b));
		}
	}
}
