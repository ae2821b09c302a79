//! The miner's side of a lease (`run --lease-endpoint …`): on the lease of its device it
//! prepares the endpoint (the operator's hook script), posts the connection details sealed to
//! the client with the endpoint's host key signed by the device key, collects the client's
//! heartbeats, answers the client's failure reports with the latest, and releases the endpoint
//! when the lease ends.
//!
//! The lease endpoint is a JSON-RPC server (HTTP and WebSocket on one port; the web app uses
//! WebSocket) with three methods, byte strings as 0x-hex:
//!
//! - `lease_heartbeat { lease, at, signature }`: the client key's sr25519 signature over
//!   `pallet_compute_pools::heartbeat_message(lease, at)`; kept (the latest) to answer a report.
//! - `lease_authorize { lease, sshKey, signature }`: the client key's signature over
//!   [`authorize_message`]; the hook installs the SSH key (`authorize`).
//! - `lease_status { lease }`: `{ heartbeats, lastAt }`, what the client's tooling shows.
//!
//! The hook is called as `HOOK start|authorize|stop` with `EMBER_LEASE`, `EMBER_CLIENT`
//! (SS58), `EMBER_CLIENT_KEY` (0x-hex), `EMBER_LEASE_END` (block) and, for `authorize`,
//! `EMBER_SSH_KEY` in its environment; it must be idempotent (a restarted miner calls `start`
//! again for a running lease). A `start` that fails is logged and tried again three blocks
//! later; until it succeeds no details are posted, and a lease never handed over ends refunded
//! at its hand-off deadline. A failing `stop` is logged.

use crate::{
	error::{Error, Result},
	round_server::{error, hex_bytes, parse, MALFORMED},
};
use codec::Encode;
use jsonrpsee::{
	server::{Server, ServerHandle},
	types::ErrorObjectOwned,
	RpcModule,
};
use pallet_compute_pools::LeaseId;
use serde::{Deserialize, Serialize};
use sp_core::{sr25519, Pair, H256};
use std::{
	collections::BTreeMap,
	net::SocketAddr,
	path::PathBuf,
	sync::{Arc, Mutex},
};

/// The lease is not one this miner serves now.
pub const UNKNOWN_LEASE: i32 = -32101;
/// The client key's signature does not verify.
pub const BAD_SIGNATURE: i32 = -32102;
/// A heartbeat dated after the chain's best block.
pub const FUTURE_HEARTBEAT: i32 = -32103;
/// The hook failed to install the SSH key; the message says how.
pub const HOOK_FAILED: i32 = -32104;

/// Longest a hook may run before it is killed.
pub const HOOK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Blocks ahead of this miner's best block a heartbeat may be dated (the client's node may be
/// a block or two ahead); it is used once the chain gets there.
pub const HEARTBEAT_LEAD: u32 = 2;

/// What a client key signs to have `ssh_key` installed for `lease` on the chain whose genesis
/// hash is `genesis`.
pub fn authorize_message(genesis: &H256, lease: LeaseId, ssh_key: &str) -> Vec<u8> {
	(b"ember/authorize", genesis, lease, ssh_key.as_bytes()).encode()
}

/// How this miner hands its device over.
#[derive(Clone, Debug)]
pub struct LeaseConfig {
	/// What the client connects to (e.g. `ssh://lease@203.0.113.7:2222`).
	pub endpoint: String,
	/// The endpoint's host key fingerprint (SHA-256 of the SSH host key blob).
	pub host_key: [u8; 32],
	/// The operator's hook script.
	pub hook: Option<PathBuf>,
	/// Where clients send heartbeats (this desk's URL as they reach it).
	pub heartbeat_url: String,
}

/// What the client gets, sealed to its lease key: JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionDetails {
	/// What to connect to.
	pub endpoint: String,
	/// The host key fingerprint the endpoint must present (`SHA256:…`, as `ssh-keygen -l`).
	pub host_key: String,
	/// Where to send heartbeats and the SSH key (JSON-RPC, WebSocket).
	pub heartbeat: String,
	/// The lease.
	pub lease: LeaseId,
}

/// A lease this miner serves.
#[derive(Clone, Debug)]
pub struct Served {
	/// The client's lease key (heartbeats and SSH keys are signed by it).
	pub client_key: [u8; 32],
	/// The client account (SS58), for the hook.
	pub client: String,
	/// The block at whose start the lease ends.
	pub end: u32,
	/// Heartbeats accepted.
	pub heartbeats: u64,
	/// The latest heartbeat: its block and signature.
	pub latest: Option<(u32, [u8; 64])>,
}

#[derive(Default)]
struct Shared {
	served: Mutex<BTreeMap<LeaseId, Served>>,
	best: Mutex<u32>,
	genesis: Mutex<H256>,
	hook: Option<PathBuf>,
}

/// The lease endpoint and what it knows of the leases it serves.
pub struct LeaseDesk {
	/// How the device is handed over.
	pub config: LeaseConfig,
	shared: Arc<Shared>,
	handle: ServerHandle,
	address: SocketAddr,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HeartbeatRequest {
	lease: LeaseId,
	at: u32,
	signature: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AuthorizeRequest {
	lease: LeaseId,
	ssh_key: String,
	signature: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusRequest {
	lease: LeaseId,
}

/// `lease_status`'s answer.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaseStatusAnswer {
	/// Heartbeats accepted.
	pub heartbeats: u64,
	/// The latest heartbeat's block.
	pub last_at: Option<u32>,
}

fn verify(key: &[u8; 32], message: &[u8], signature: &str) -> Result<(), ErrorObjectOwned> {
	let signature = sr25519::Signature::from_raw(hex_bytes::<64>("signature", signature)?);
	if sr25519::Pair::verify(&signature, message, &sr25519::Public::from_raw(*key)) {
		Ok(())
	} else {
		Err(error(BAD_SIGNATURE, "the signature is not the lease's client key's"))
	}
}

impl Shared {
	fn client_key(&self, lease: LeaseId) -> Result<Served, ErrorObjectOwned> {
		let served = self.served.lock().map_err(|_| error(MALFORMED, "state poisoned"))?;
		served.get(&lease).cloned().ok_or_else(|| {
			error(UNKNOWN_LEASE, format!("lease {lease} is not served by this miner now"))
		})
	}

	fn heartbeat(&self, request: HeartbeatRequest) -> Result<bool, ErrorObjectOwned> {
		let served = self.client_key(request.lease)?;
		let genesis = self.genesis.lock().map(|g| *g).unwrap_or_default();
		let message = pallet_compute_pools::heartbeat_message(&genesis, request.lease, request.at);
		verify(&served.client_key, &message, &request.signature)?;
		let best = self.best.lock().map(|best| *best).unwrap_or(0);
		if request.at > best.saturating_add(HEARTBEAT_LEAD) {
			return Err(error(
				FUTURE_HEARTBEAT,
				format!("heartbeat at block {} is after the best block {best}", request.at),
			));
		}
		let signature = hex_bytes::<64>("signature", &request.signature)?;
		let mut all = self.served.lock().map_err(|_| error(MALFORMED, "state poisoned"))?;
		if let Some(entry) = all.get_mut(&request.lease) {
			entry.heartbeats = entry.heartbeats.saturating_add(1);
			if entry.latest.is_none_or(|(at, _)| request.at >= at) {
				entry.latest = Some((request.at, signature));
			}
		}
		Ok(true)
	}

	fn authorize(&self, request: AuthorizeRequest) -> Result<bool, ErrorObjectOwned> {
		let served = self.client_key(request.lease)?;
		let key = request.ssh_key.trim();
		if key.is_empty() || key.contains('\n') || key.len() > 4096 {
			return Err(error(MALFORMED, "sshKey must be one OpenSSH public key line"));
		}
		let genesis = self.genesis.lock().map(|g| *g).unwrap_or_default();
		let message = authorize_message(&genesis, request.lease, key);
		verify(&served.client_key, &message, &request.signature)?;
		run_hook(self.hook.as_ref(), "authorize", request.lease, &served, Some(key))
			.map_err(|e| error(HOOK_FAILED, e.to_string()))?;
		Ok(true)
	}

	fn status(&self, request: StatusRequest) -> Result<LeaseStatusAnswer, ErrorObjectOwned> {
		let served = self.client_key(request.lease)?;
		Ok(LeaseStatusAnswer {
			heartbeats: served.heartbeats,
			last_at: served.latest.map(|(at, _)| at),
		})
	}
}

/// Runs the operator's hook for `action` on `lease` (nothing without a hook).
fn run_hook(
	hook: Option<&PathBuf>,
	action: &str,
	lease: LeaseId,
	served: &Served,
	ssh_key: Option<&str>,
) -> Result<()> {
	let Some(hook) = hook else { return Ok(()) };
	let mut command = std::process::Command::new(hook);
	command
		.arg(action)
		.env("EMBER_LEASE", lease.to_string())
		.env("EMBER_CLIENT", &served.client)
		.env("EMBER_CLIENT_KEY", format!("0x{}", hex::encode(served.client_key)))
		.env("EMBER_LEASE_END", served.end.to_string());
	if let Some(key) = ssh_key {
		command.env("EMBER_SSH_KEY", key);
	}
	let cannot = |e: std::io::Error| {
		Error::State(format!("cannot run the lease hook {}: {e}", hook.display()))
	};
	let mut child = command
		.stdout(std::process::Stdio::null())
		.stderr(std::process::Stdio::piped())
		.spawn()
		.map_err(cannot)?;
	let started = std::time::Instant::now();
	let status = loop {
		if let Some(status) = child.try_wait().map_err(cannot)? {
			break status;
		}
		if started.elapsed() > HOOK_TIMEOUT {
			let _ = child.kill();
			let _ = child.wait();
			return Err(Error::State(format!(
				"the lease hook {} {action} for lease {lease} ran over {}s and was stopped",
				hook.display(),
				HOOK_TIMEOUT.as_secs()
			)));
		}
		std::thread::sleep(std::time::Duration::from_millis(50));
	};
	if !status.success() {
		let mut stderr = String::new();
		if let Some(mut pipe) = child.stderr.take() {
			use std::io::Read;
			let _ = pipe.read_to_string(&mut stderr);
		}
		return Err(Error::State(format!(
			"the lease hook {} {action} for lease {lease} failed ({status}): {}",
			hook.display(),
			stderr.trim()
		)));
	}
	Ok(())
}

impl LeaseDesk {
	/// Serves the lease endpoint on `address` (port 0 picks a free one).
	pub async fn start(address: SocketAddr, config: LeaseConfig) -> Result<Self> {
		let cannot = |e: &dyn std::fmt::Display| {
			Error::State(format!(
				"cannot serve the lease endpoint on {address}: {e}; pass another --lease-listen"
			))
		};
		let server = Server::builder().build(address).await.map_err(|e| cannot(&e))?;
		let address = server.local_addr().map_err(|e| cannot(&e))?;
		let shared = Arc::new(Shared { hook: config.hook.clone(), ..Default::default() });
		let mut module = RpcModule::new(shared.clone());
		module
			.register_method("lease_heartbeat", |params, shared, _| {
				shared.heartbeat(parse(&params)?)
			})
			.map_err(|e| cannot(&e))?;
		module
			.register_blocking_method("lease_authorize", |params, shared, _| {
				shared.authorize(parse(&params)?)
			})
			.map_err(|e| cannot(&e))?;
		module
			.register_method("lease_status", |params, shared, _| shared.status(parse(&params)?))
			.map_err(|e| cannot(&e))?;
		let handle = server.start(module);
		tracing::info!("lease endpoint (heartbeats) served on {address}");
		Ok(LeaseDesk { config, shared, handle, address })
	}

	/// Where it listens.
	pub fn local_addr(&self) -> SocketAddr {
		self.address
	}

	/// The chain's genesis hash and best block (heartbeats name the chain, and are refused
	/// more than [`HEARTBEAT_LEAD`] blocks after the best).
	pub fn set_chain(&self, genesis: H256, best: u32) {
		if let Ok(mut current) = self.shared.genesis.lock() {
			*current = genesis;
		}
		if let Ok(mut current) = self.shared.best.lock() {
			*current = best;
		}
	}

	/// The leases served now.
	pub fn served(&self) -> Vec<LeaseId> {
		self.shared.served.lock().map(|s| s.keys().copied().collect()).unwrap_or_default()
	}

	/// Whether `lease` is served now.
	pub fn is_served(&self, lease: LeaseId) -> bool {
		self.shared.served.lock().is_ok_and(|s| s.contains_key(&lease))
	}

	/// Starts serving `lease`: the hook prepares the endpoint (on a blocking thread, at most
	/// [`HOOK_TIMEOUT`]). A hook that fails leaves the lease unserved (no details are posted
	/// for an endpoint that is not ready).
	pub async fn begin(&self, lease: LeaseId, served: Served) -> Result<()> {
		let (hook, for_hook) = (self.config.hook.clone(), served.clone());
		tokio::task::spawn_blocking(move || {
			run_hook(hook.as_ref(), "start", lease, &for_hook, None)
		})
		.await
		.map_err(|e| Error::State(format!("the lease hook's thread failed: {e}")))??;
		if let Ok(mut all) = self.shared.served.lock() {
			all.insert(lease, served);
		}
		Ok(())
	}

	/// Stops serving `lease`: the hook releases the endpoint.
	pub async fn end(&self, lease: LeaseId) {
		let served = self.shared.served.lock().ok().and_then(|mut all| all.remove(&lease));
		if let Some(served) = served {
			let hook = self.config.hook.clone();
			let result = tokio::task::spawn_blocking(move || {
				run_hook(hook.as_ref(), "stop", lease, &served, None)
			})
			.await;
			match result {
				Ok(Ok(())) => {}
				Ok(Err(error)) => tracing::warn!("{error}"),
				Err(error) => tracing::warn!("the lease hook's thread failed: {error}"),
			}
		}
	}

	/// The latest heartbeat of `lease` dated from `since` to `until`.
	pub fn heartbeat_between(
		&self,
		lease: LeaseId,
		since: u32,
		until: u32,
	) -> Option<(u32, [u8; 64])> {
		let all = self.shared.served.lock().ok()?;
		all.get(&lease)?.latest.filter(|(at, _)| *at >= since && *at <= until)
	}

	/// The connection details of `lease`, as JSON.
	pub fn details(&self, lease: LeaseId) -> Vec<u8> {
		let details = ConnectionDetails {
			endpoint: self.config.endpoint.clone(),
			host_key: crate::sealed_box::ssh_fingerprint_string(&self.config.host_key),
			heartbeat: self.config.heartbeat_url.clone(),
			lease,
		};
		serde_json::to_vec(&details).unwrap_or_default()
	}

	/// Stops serving and waits until it has.
	pub async fn stop(self) {
		if self.handle.stop().is_ok() {
			self.handle.stopped().await;
		}
	}
}
