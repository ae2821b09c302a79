//! Spawning the real `ember-node` binary for the integration tests.

#![allow(dead_code)]

use jsonrpsee::{core::client::ClientT, http_client::HttpClientBuilder, rpc_params};
use std::{
	net::TcpListener,
	path::Path,
	process::{Child, Command, Output, Stdio},
	time::{Duration, Instant},
};

pub const NODE: &str = env!("CARGO_BIN_EXE_ember-node");

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
	TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Runs `ember-node` with `args` to completion (for commands expected to fail fast).
pub fn run(args: &[&str]) -> Output {
	Command::new(NODE).args(args).output().expect("ember-node runs")
}

/// A running dev node, stopped (SIGINT, then waited for) on drop.
pub struct DevNode {
	pub child: Child,
	pub rpc_port: u16,
}

impl DevNode {
	/// Starts `ember-node --dev` on free ports with its database under `base`.
	pub fn start(base: &Path) -> Self {
		let rpc_port = free_port();
		let p2p_port = free_port();
		let log = std::fs::File::create(base.join(format!("node-{rpc_port}.log"))).unwrap();
		let child = Command::new(NODE)
			.args(["--dev", "--no-prometheus", "--no-telemetry", "--no-mdns"])
			.arg("--base-path")
			.arg(base.join("db"))
			.args(["--rpc-port", &rpc_port.to_string(), "--port", &p2p_port.to_string()])
			.stdout(Stdio::null())
			.stderr(log)
			.spawn()
			.expect("ember-node starts");
		DevNode { child, rpc_port }
	}

	fn url(&self) -> String {
		format!("http://127.0.0.1:{}", self.rpc_port)
	}

	/// The number of the block `method` (chain_getFinalizedHead or chain_getBlockHash) names.
	pub async fn block_number(&self, finalized: bool) -> Option<u64> {
		let client = HttpClientBuilder::default().build(self.url()).ok()?;
		let hash: String = if finalized {
			client.request("chain_getFinalizedHead", rpc_params![]).await.ok()?
		} else {
			client.request("chain_getBlockHash", rpc_params![]).await.ok()?
		};
		let header: serde_json::Value =
			client.request("chain_getHeader", rpc_params![hash]).await.ok()?;
		u64::from_str_radix(header["number"].as_str()?.trim_start_matches("0x"), 16).ok()
	}

	/// Waits (up to `timeout`) until the finalized (or best) block reaches `number`.
	pub async fn wait_for_block(&self, number: u64, finalized: bool, timeout: Duration) -> u64 {
		let deadline = Instant::now() + timeout;
		loop {
			if let Some(n) = self.block_number(finalized).await {
				if n >= number {
					return n;
				}
			}
			assert!(
				Instant::now() < deadline,
				"no block #{number} (finalized: {finalized}) in {timeout:?}"
			);
			tokio::time::sleep(Duration::from_millis(500)).await;
		}
	}

	/// Stops the node the way an operator would (Ctrl-C) and waits for it to exit.
	pub fn stop(&mut self) {
		let _ = Command::new("kill").args(["-INT", &self.child.id().to_string()]).status();
		let _ = self.child.wait();
	}
}

impl Drop for DevNode {
	fn drop(&mut self) {
		if matches!(self.child.try_wait(), Ok(None)) {
			self.stop();
		}
	}
}
