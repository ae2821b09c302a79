//! Every way the miner can fail, each with a message that says what to do about it.

use std::path::PathBuf;

/// A miner error. `main` prints it on one line and exits non-zero; nothing panics.
#[derive(Debug, thiserror::Error)]
pub enum Error {
	/// The node could not be reached.
	#[error("cannot connect to the node at {url}: {reason}. Is ember-node running there? Pass --url ws://HOST:PORT")]
	Connect { url: String, reason: String },
	/// An RPC call failed after connecting.
	#[error("node RPC `{method}` failed: {reason}")]
	Rpc { method: String, reason: String },
	/// The node answered with bytes this miner cannot decode: a different runtime.
	#[error("cannot decode {what} from the node: {reason}. Is this miner built for the node's runtime (spec {spec_version})?")]
	Decode { what: String, reason: String, spec_version: u32 },
	/// The transaction pool refused a transaction.
	#[error("the node refused the transaction: {0}")]
	Rejected(String),
	/// A transaction was included but its call failed.
	#[error("{call} failed on chain: {error}")]
	Dispatch { call: &'static str, error: String },
	/// The account cannot pay for what it asked.
	#[error("account {account} has {free} free but {needed} is needed ({why}); fund it first (e.g. a transfer from //Alice on a dev chain)")]
	Unfunded { account: String, free: String, needed: String, why: String },
	/// No such device class on chain.
	#[error("unknown device class `{0}`; classes on chain: {1}")]
	UnknownClass(String, String),
	/// The device is too small for the class.
	#[error("{device} has {have} MiB of memory but class `{class}` needs {need} MiB; choose a smaller class")]
	TooLittleMemory { device: String, have: u64, need: u32, class: String },
	/// A key file or secret URI is unusable.
	#[error("key error: {0}")]
	Key(String),
	/// A file could not be read or written.
	#[error("{path}: {reason}")]
	Io { path: PathBuf, reason: String },
	/// The dataset file does not hold what its header says.
	#[error(
		"dataset file {path} is corrupted ({reason}); delete it and run `ember-miner seal` again"
	)]
	CorruptDataset { path: PathBuf, reason: String },
	/// The requested backend cannot run here.
	#[error("backend {backend} is unavailable: {reason}")]
	BackendUnavailable { backend: &'static str, reason: String },
	/// A backend failed while computing.
	#[error("backend {backend} failed: {reason}")]
	Backend { backend: &'static str, reason: String },
	/// The operator stopped the work (Ctrl-C); what it says is kept.
	#[error("{0}")]
	Stopped(String),
	/// The miner's local state does not fit the chain.
	#[error("{0}")]
	State(String),
}

/// The miner's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
	/// An I/O error on `path`.
	pub fn io(path: impl Into<PathBuf>, error: impl std::fmt::Display) -> Self {
		Error::Io { path: path.into(), reason: error.to_string() }
	}
}
