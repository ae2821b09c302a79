//! Residency rounds: an honest device passes its audit; a device that holds only part of its
//! dataset, or that tampers with its answer, does not.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use ember_pocps::{
	prover::Dataset,
	round::{
		audit_segments, block_bytes, round_message, verify_round, BlockOpening, RoundChallenge,
		RoundError, RoundOpening, RoundParams, SegmentId, BLOCK_LABELS,
	},
	NativeSha256 as H, Params,
};

fn dataset() -> Dataset {
	let params = Params { lanes: 8, lane_len: 256, parents: 3, iterations: 1, challenges: 4 };
	Dataset::seal::<H>(params, [7u8; 32]).unwrap()
}

fn round() -> RoundParams {
	RoundParams {
		walks: 16,
		steps: 256,
		segment: 32,
		audits: 16,
		chain_audits: 4,
		deadline_ms: 1000,
	}
}

fn make_challenge(nonce: u8) -> RoundChallenge {
	RoundChallenge { device: 3, seed: [1u8; 32], verifier: [4u8; 32], nonce: [nonce; 32] }
}

#[test]
fn an_honest_device_passes_its_audit() {
	let data = dataset();
	let (round, challenge) = (round(), make_challenge(9));
	let tree = data.run_round::<H>(&round, &challenge).unwrap();
	let asked = audit_segments::<H>(&round, &[5u8; 32], round.audits);
	assert_eq!(asked.len(), 16);
	let opening = data.open_round::<H>(&round, &challenge, &tree, &asked).unwrap();
	assert_eq!(
		verify_round::<H>(
			data.params(),
			&round,
			&data.root(),
			&challenge,
			&tree.root(),
			&asked,
			&opening
		),
		Ok(())
	);
	// A walk run for one nonce answers no other (a device that walked slowly from disk before
	// the challenge cannot reuse it): every step of every segment depends on the nonce.
	let other = data.run_round::<H>(&round, &make_challenge(10)).unwrap();
	assert_ne!(other.root(), tree.root());
	assert_ne!(
		round_message(&challenge, &tree.root()),
		round_message(&make_challenge(10), &tree.root())
	);
	assert_eq!(
		verify_round::<H>(
			data.params(),
			&round,
			&data.root(),
			&make_challenge(10),
			&tree.root(),
			&asked,
			&opening
		),
		Err(RoundError::BlockPath)
	);
}

#[test]
fn audits_are_distinct_segments_of_the_round() {
	let round = round();
	let asked = audit_segments::<H>(&round, &[2u8; 32], 64);
	assert_eq!(asked.len(), 64);
	for (i, a) in asked.iter().enumerate() {
		assert!(a.walk < round.walks && a.segment < round.segments());
		assert!(!asked[..i].contains(a));
	}
	// More than the round has: every segment once.
	let small = RoundParams { walks: 2, steps: 64, segment: 32, ..round };
	assert_eq!(audit_segments::<H>(&small, &[2u8; 32], 16).len(), 4);
}

/// The impostor of the issue: it kept 15/16 of the blocks (every block whose index is not 0 mod
/// 16) and fills a missing one with zeros, then restarts honestly from the next checkpoint it
/// computes. Each 32-step segment misses a block with probability 1 − (15/16)^32 ≈ 87 %, and
/// 16 audited segments catch it.
#[test]
fn a_device_holding_fifteen_sixteenths_of_its_dataset_fails_the_audit() {
	let data = dataset();
	let (round, challenge) = (round(), make_challenge(4));
	let params = *data.params();
	let blocks = params.total_labels() / BLOCK_LABELS;
	let kept = |b: u64| !b.is_multiple_of(16);
	let mut checkpoints = Vec::new();
	for walk in 0..round.walks {
		checkpoints.extend(
			ember_pocps::round::run_walk::<H>(&params, &round, &challenge, walk, |b| {
				Some(if kept(b) { data.block(b).unwrap() } else { [0u8; 128] })
			})
			.unwrap(),
		);
	}
	let tree = ember_pocps::round::checkpoint_tree::<H>(&checkpoints).unwrap();
	let honest = data.run_round::<H>(&round, &challenge).unwrap();
	assert_ne!(tree.root(), honest.root());
	let asked = audit_segments::<H>(&round, &[8u8; 32], round.audits);
	// Its best opening: the real block where it has it, zeros with the real path where it does
	// not (it cannot know the labels it dropped).
	let opening = ember_pocps::round::open_segments::<H>(
		&params,
		&round,
		&challenge,
		&tree,
		&asked,
		|leaf| {
			let mut opening = data.opening(leaf)?;
			if !kept(leaf / BLOCK_LABELS) {
				opening.label = [0u8; 32];
			}
			Some(opening)
		},
	)
	.unwrap();
	assert!(blocks > 16);
	assert_eq!(
		verify_round::<H>(
			&params,
			&round,
			&data.root(),
			&challenge,
			&tree.root(),
			&asked,
			&opening
		),
		Err(RoundError::BlockPath)
	);
}

#[test]
fn a_tampered_opening_is_refused_with_its_reason() {
	let data = dataset();
	let (round, challenge) = (round(), make_challenge(1));
	let tree = data.run_round::<H>(&round, &challenge).unwrap();
	let asked = audit_segments::<H>(&round, &[3u8; 32], 4);
	let good = data.open_round::<H>(&round, &challenge, &tree, &asked).unwrap();
	let check = |asked: &[SegmentId], opening: &RoundOpening| {
		verify_round::<H>(
			data.params(),
			&round,
			&data.root(),
			&challenge,
			&tree.root(),
			asked,
			opening,
		)
	};
	assert_eq!(check(&asked, &good), Ok(()));

	assert_eq!(check(&asked[..3], &good), Err(RoundError::WrongSegmentCount));

	let mut bad = good.clone();
	bad.segments[0].end.label[0] ^= 1;
	assert_eq!(check(&asked, &bad), Err(RoundError::CheckpointPath));

	let mut bad = good.clone();
	bad.segments[1].blocks.pop();
	assert_eq!(check(&asked, &bad), Err(RoundError::WrongBlockCount));

	let mut bad = good.clone();
	bad.segments[2].blocks[5].labels[1][3] ^= 1;
	assert_eq!(check(&asked, &bad), Err(RoundError::BlockPath));

	// A block that is in the dataset but is not the one the walk reads.
	let mut bad = good.clone();
	let honest = &bad.segments[3].blocks[0];
	let elsewhere = (0..data.params().total_labels() / BLOCK_LABELS)
		.map(|b| {
			BlockOpening::from_leaves(
				&data.opening(b * 4).unwrap(),
				&data.opening(b * 4 + 2).unwrap(),
			)
			.unwrap()
		})
		.find(|b| b != honest)
		.unwrap();
	bad.segments[3].blocks[0] = elsewhere;
	assert_eq!(check(&asked, &bad), Err(RoundError::BlockPath));

	// A first segment with a start, or a later one without.
	let first = SegmentId { walk: 0, segment: 0 };
	let later = SegmentId { walk: 0, segment: 1 };
	let mut opened = data.open_round::<H>(&round, &challenge, &tree, &[first, later]).unwrap();
	assert_eq!(check(&[first, later], &opened), Ok(()));
	opened.segments[0].start = opened.segments[1].start.clone();
	assert_eq!(check(&[first, later], &opened), Err(RoundError::StartShape));

	// Walk or segment out of range.
	let beyond = SegmentId { walk: round.walks, segment: 0 };
	assert_eq!(
		check(&[beyond], &data.open_round::<H>(&round, &challenge, &tree, &[first]).unwrap()),
		Err(RoundError::WrongSegmentCount)
	);
}

#[test]
fn round_parameters_are_checked() {
	let params = *dataset().params();
	let ok = round();
	assert_eq!(ok.validate(&params), Ok(()));
	use ember_pocps::round::RoundParamsError as E;
	assert_eq!(RoundParams { walks: 3, ..ok }.validate(&params), Err(E::Shape));
	assert_eq!(RoundParams { steps: 96, ..ok }.validate(&params), Err(E::Shape));
	assert_eq!(RoundParams { steps: 250, ..ok }.validate(&params), Err(E::Shape));
	assert_eq!(RoundParams { segment: 512, steps: 512, ..ok }.validate(&params), Err(E::TooLarge));
	assert_eq!(RoundParams { audits: 0, ..ok }.validate(&params), Err(E::Audits));
	assert_eq!(RoundParams { chain_audits: 17, ..ok }.validate(&params), Err(E::Audits));
	assert_eq!(RoundParams { deadline_ms: 0, ..ok }.validate(&params), Err(E::Deadline));
	let tiny = Params { lanes: 1, lane_len: 4, ..params };
	assert_eq!(ok.validate(&tiny), Err(E::Dataset));
	assert_eq!(ok.reads(), 16 * 256);
	assert_eq!(ok.bytes_read(), 16 * 256 * 128);
	assert_eq!(block_bytes(&[[1; 32], [2; 32], [3; 32], [4; 32]])[96], 4);
}
