//! The verifiers runtime API: what a verifier (or a miner) asks the chain off chain.

use crate::types::{Assignment, RoundIndex};
use alloc::vec::Vec;
use ember_pocps::round::SegmentId;
use ember_primitives::DeviceId;

sp_api::decl_runtime_apis! {
	/// Rounds, assignments and audits.
	pub trait VerifiersApi<AccountId> where AccountId: codec::Codec {
		/// The open round's number and seed (round 0: none yet).
		fn current_round() -> (RoundIndex, [u8; 32]);
		/// Every device `verifier` must still test: in the open round, and open re-tests.
		fn assignments(verifier: AccountId) -> Vec<Assignment>;
		/// The open audit of `device` in `round`: the round's seed, the audited nonce and
		/// result, and the segments to open.
		fn audit(round: RoundIndex, device: DeviceId) -> Option<([u8; 32], [u8; 32], [u8; 32], Vec<SegmentId>)>;
	}
}
