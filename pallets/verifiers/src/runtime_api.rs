//! The verifiers runtime API: what a verifier (or a miner) asks the chain off chain.

use crate::types::{Assignment, AuditRequest, OpenRound, RoundIndex};
use alloc::vec::Vec;
use ember_primitives::DeviceId;

sp_api::decl_runtime_apis! {
	/// Rounds, assignments and audits.
	pub trait VerifiersApi<AccountId> where AccountId: codec::Codec {
		/// The open round's number and seed (round 0: none yet).
		fn current_round() -> (RoundIndex, [u8; 32]);
		/// Every device `verifier` must still test: in the open round, and open re-tests.
		fn assignments(verifier: AccountId) -> Vec<Assignment>;
		/// The rounds `device` may be challenged in now, each with its committee: a miner's
		/// endpoint serves those verifiers only.
		fn device_rounds(device: DeviceId) -> Vec<OpenRound<AccountId>>;
		/// The open audit of `device` in `round`, with the segments to open.
		fn audit(round: RoundIndex, device: DeviceId) -> Option<AuditRequest>;
	}
}
