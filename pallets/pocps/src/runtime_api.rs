//! The PoCPS runtime API: what a miner (or a dashboard) asks about a device.

use crate::types::{Capacity, DeviceStats, OpenChallengeView, SealInfo};
use alloc::vec::Vec;
use ember_primitives::{ChallengeId, DeviceId, DeviceStatus};

sp_api::decl_runtime_apis! {
	/// PoCPS state of devices.
	pub trait PocpsApi<BlockNumber> where BlockNumber: codec::Codec {
		/// The device's status, or `None` if it is not registered.
		fn device_status(device: DeviceId) -> Option<DeviceStatus>;
		/// The device's committed seal.
		fn seal(device: DeviceId) -> Option<SealInfo<BlockNumber>>;
		/// The device's open challenges (at most one at a time), each with its seed once the
		/// VRF output it needs is on chain. There is no "next challenge" to ask for: each block
		/// draws its challenges, and nobody knows them in advance.
		fn open_challenges(device: DeviceId) -> Vec<(ChallengeId, OpenChallengeView<BlockNumber>)>;
		/// The device's challenge record.
		fn stats(device: DeviceId) -> DeviceStats;
		/// How much of the answer space admitted devices use.
		fn capacity() -> Capacity;
	}
}
