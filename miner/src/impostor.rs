//! A device that cheats at residency rounds, for testing the verifiers end to end (never for a
//! real miner: it fails its rounds). It holds its dataset whole for storage proofs (as a device
//! keeping it on an SSD would) but walks rounds either from only part of it (`drop_every`: every
//! n-th block reads as zeros, the part not held in fast memory) or slowly (`delay`: the time a
//! slower medium would add). The first is caught by audits, the second by the deadline.

use crate::{
	dataset::{RoundRun, Sealed},
	error::{Error, Result},
};
use ember_pocps::{
	merkle::MerkleTree,
	proof::{MerklePath, Opening},
	round::{
		block_bytes, open_segments, run_walk, RoundChallenge, RoundOpening, RoundParams, SegmentId,
		BLOCK_BYTES, BLOCK_LABELS,
	},
	Hash, NativeSha256,
};
use std::time::{Duration, Instant};

/// How this miner cheats; the default is honest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Impostor {
	/// Every n-th block (index divisible by n) is missing from fast memory.
	pub drop_every: Option<u64>,
	/// Time added to every round before the result is signed.
	pub delay: Duration,
}

impl Impostor {
	/// Whether it answers rounds like an honest device.
	pub fn is_honest(&self) -> bool {
		self.drop_every.is_none() && self.delay.is_zero()
	}

	fn missing(&self, block: u64) -> bool {
		self.drop_every.is_some_and(|n| n > 0 && block.is_multiple_of(n))
	}

	/// Runs a round as this device would: on the device when honest about its data, else on the
	/// host from the labels it "has"; then waits out `delay`.
	pub fn run_round(
		&self,
		data: &Sealed,
		round: &RoundParams,
		challenge: &RoundChallenge,
	) -> Result<RoundRun> {
		let started = Instant::now();
		let run = match self.drop_every {
			None => data.run_round(round, challenge)?,
			Some(_) => {
				let labels = data.read_labels()?;
				let params = data.header().params;
				let mut checkpoints = Vec::new();
				for walk in 0..round.walks {
					let read = |block: u64| -> Option<[u8; BLOCK_BYTES]> {
						if self.missing(block) {
							return Some([0u8; BLOCK_BYTES]);
						}
						let first = usize::try_from(block.checked_mul(BLOCK_LABELS)?).ok()?;
						let four: [Hash; 4] =
							labels.get(first..first.checked_add(4)?)?.try_into().ok()?;
						Some(block_bytes(&four))
					};
					checkpoints.extend(
						run_walk::<NativeSha256>(&params, round, challenge, walk, read)
							.ok_or_else(|| {
								Error::State("a walk read outside the dataset".into())
							})?,
					);
				}
				RoundRun::from_checkpoints(
					*round,
					*challenge,
					data.root(),
					&checkpoints,
					started.elapsed(),
				)?
			}
		};
		std::thread::sleep(self.delay);
		Ok(run)
	}

	/// Opens `asked` as this device would: the real paths (it has the upper tree) but zeros for
	/// the labels it does not hold.
	pub fn open_round(
		&self,
		data: &Sealed,
		run: &RoundRun,
		asked: &[SegmentId],
	) -> Result<RoundOpening> {
		if self.drop_every.is_none() {
			return data.open_round(run, asked);
		}
		let tree = MerkleTree::build::<NativeSha256>(data.read_labels()?)
			.ok_or_else(|| Error::State("no tree over the labels".into()))?;
		let params = data.header().params;
		open_segments::<NativeSha256>(
			&params,
			run.round(),
			run.challenge(),
			run.tree(),
			asked,
			|leaf| {
				let (label, path) = tree.open(leaf)?;
				let label = if self.missing(leaf / BLOCK_LABELS) { [0u8; 32] } else { label };
				Some(Opening { label, path: MerklePath::try_from(path).ok()? })
			},
		)
		.ok_or_else(|| Error::State("cannot open these segments".into()))
	}
}
