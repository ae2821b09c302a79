//! What the miner remembers between runs, under `--base-path`: the device it registered (per
//! chain), its device key and its dataset.

use crate::error::{Error, Result};
use ember_primitives::DeviceId;
use serde::{Deserialize, Serialize};
use sp_core::H256;
use std::path::{Path, PathBuf};

/// Files under the base path.
#[derive(Clone, Debug)]
pub struct Paths {
	/// The base directory.
	pub base: PathBuf,
}

impl Paths {
	/// The device key (generated on first registration).
	pub fn device_key(&self) -> PathBuf {
		self.base.join("device.key")
	}
	/// The sealed dataset.
	pub fn dataset(&self) -> PathBuf {
		self.base.join("dataset.bin")
	}
	/// The state file.
	pub fn state(&self) -> PathBuf {
		self.base.join("state.json")
	}
}

/// The state file.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct State {
	/// The chain the device is registered on.
	pub genesis: Option<H256>,
	/// The registered device.
	pub device: Option<DeviceId>,
}

impl State {
	/// Reads the state file (empty if there is none).
	pub fn load(path: &Path) -> Result<Self> {
		match std::fs::read(path) {
			Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
				Error::State(format!(
					"{} is unreadable ({e}); delete it to start over",
					path.display()
				))
			}),
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
			Err(e) => Err(Error::io(path, e)),
		}
	}

	/// Writes the state file (to a temporary name, then renamed).
	pub fn save(&self, path: &Path) -> Result<()> {
		let temporary = path.with_extension("partial");
		let json = serde_json::to_vec_pretty(self).map_err(|e| Error::io(path, e))?;
		if let Some(parent) = path.parent() {
			std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
		}
		std::fs::write(&temporary, json).map_err(|e| Error::io(&temporary, e))?;
		std::fs::rename(&temporary, path).map_err(|e| Error::io(path, e))
	}

	/// The registered device on chain `genesis`, if any.
	pub fn device_on(&self, genesis: H256) -> Option<DeviceId> {
		self.device.filter(|_| self.genesis == Some(genesis))
	}
}
