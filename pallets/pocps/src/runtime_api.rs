//! The PoCPS runtime API: what a miner (or a dashboard) asks about a device.

use crate::types::{ChallengeInfo, DeviceStats, SealInfo};
use alloc::vec::Vec;
use ember_primitives::{ChallengeId, DeviceId, DeviceStatus};

sp_api::decl_runtime_apis! {
	/// PoCPS state of devices.
	pub trait PocpsApi<BlockNumber> where BlockNumber: codec::Codec {
		/// The device's status, or `None` if it is not registered.
		fn device_status(device: DeviceId) -> Option<DeviceStatus>;
		/// The device's committed seal.
		fn seal(device: DeviceId) -> Option<SealInfo<BlockNumber>>;
		/// The device's open challenges (at most one at a time).
		fn open_challenges(device: DeviceId) -> Vec<(ChallengeId, ChallengeInfo<BlockNumber>)>;
		/// The device's challenge record.
		fn stats(device: DeviceId) -> DeviceStats;
		/// The block at which the device's next challenge opens, if one is scheduled.
		fn next_challenge_at(device: DeviceId) -> Option<BlockNumber>;
	}
}
