//! sr25519 keys: the miner's account (pays fees and the device bond) and each device's key
//! (part of the PoCPS encoding key; signs the registration). Key files hold a secret seed and
//! are written owner-only (0600).

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use sp_core::{
	crypto::{AccountId32, Ss58Codec},
	sr25519, Pair,
};
use std::{io::Write, os::unix::fs::OpenOptionsExt, path::Path};

/// A key file's contents.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyFile {
	/// The 32-byte secret seed, 0x-prefixed hex.
	pub secret_seed: String,
	/// The public key, 0x-prefixed hex.
	pub public_key: String,
	/// The public key as an SS58 address.
	pub ss58_address: String,
}

/// Generates a key and writes it to `path` with mode 0600; refuses to overwrite unless `force`.
pub fn generate(path: &Path, force: bool) -> Result<sr25519::Pair> {
	let (pair, seed) = sr25519::Pair::generate();
	let file = KeyFile {
		secret_seed: format!("0x{}", hex::encode(seed)),
		public_key: format!("0x{}", hex::encode(pair.public())),
		ss58_address: pair.public().to_ss58check(),
	};
	let json = serde_json::to_vec_pretty(&file).map_err(|e| Error::io(path, e))?;
	if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
		std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
	}
	let mut options = std::fs::OpenOptions::new();
	options.write(true).mode(0o600);
	if force {
		options.create(true).truncate(true);
	} else {
		options.create_new(true);
	}
	let mut out = options.open(path).map_err(|e| {
		if e.kind() == std::io::ErrorKind::AlreadyExists {
			Error::Key(format!("{} exists; pass --force to replace it", path.display()))
		} else {
			Error::io(path, e)
		}
	})?;
	out.write_all(&json).map_err(|e| Error::io(path, e))?;
	Ok(pair)
}

/// Reads a key file.
pub fn load(path: &Path) -> Result<sr25519::Pair> {
	let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
	let file: KeyFile = serde_json::from_slice(&bytes).map_err(|e| {
		Error::Key(format!("{} is not an ember-miner key file: {e}", path.display()))
	})?;
	let seed = hex::decode(file.secret_seed.trim_start_matches("0x"))
		.ok()
		.and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
		.ok_or_else(|| Error::Key(format!("{}: secretSeed is not 32 hex bytes", path.display())))?;
	Ok(sr25519::Pair::from_seed(&seed))
}

/// A key from a secret URI (`//Alice`, a mnemonic, or a hex seed).
pub fn from_suri(suri: &str) -> Result<sr25519::Pair> {
	sr25519::Pair::from_string(suri, None)
		.map_err(|e| Error::Key(format!("invalid secret URI: {e:?}")))
}

/// Loads the device key at `path`, generating it on first use.
pub fn device_key(path: &Path) -> Result<sr25519::Pair> {
	if path.exists() {
		load(path)
	} else {
		generate(path, false)
	}
}

/// The account of a key.
pub fn account(pair: &sr25519::Pair) -> AccountId32 {
	AccountId32::from(pair.public())
}
