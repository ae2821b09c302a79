//! The lease endpoint a client's tooling calls: heartbeats signed by the lease key are kept to
//! answer a report, anything else is refused with its code; the operator's hook prepares,
//! authorizes and releases the endpoint.

#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used, clippy::indexing_slicing)]

use ember_miner::lease_desk::{
	authorize_message, LeaseConfig, LeaseDesk, Served, BAD_SIGNATURE, FUTURE_HEARTBEAT,
	UNKNOWN_LEASE,
};
use jsonrpsee::{
	core::{client::ClientT, params::ObjectParams},
	ws_client::WsClientBuilder,
};
use serde_json::{json, Value};
use sp_core::{sr25519, Pair, H256};
use std::{os::unix::fs::PermissionsExt, path::Path};

const LEASE: u64 = 7;
const GENESIS: H256 = H256([3; 32]);

fn object(value: Value) -> ObjectParams {
	let mut params = ObjectParams::new();
	for (key, value) in value.as_object().unwrap() {
		params.insert(key, value).unwrap();
	}
	params
}

/// A hook that appends `ACTION LEASE [SSH KEY]` to `log`, and fails while `broken` exists.
fn hook(dir: &Path) -> std::path::PathBuf {
	let path = dir.join("hook.sh");
	let log = dir.join("hook.log");
	let broken = dir.join("broken");
	std::fs::write(
		&path,
		format!(
			"#!/bin/sh\n[ -e {} ] && {{ echo endpoint down >&2; exit 3; }}\necho \"$1 $EMBER_LEASE $EMBER_SSH_KEY\" >> {}\n",
			broken.display(),
			log.display()
		),
	)
	.unwrap();
	std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
	path
}

fn client_pair() -> sr25519::Pair {
	sr25519::Pair::from_seed(&[4; 32])
}

fn served() -> Served {
	Served {
		client_key: client_pair().public().0,
		client: "5client".into(),
		end: 100,
		heartbeats: 0,
		latest: None,
	}
}

fn beat(pair: &sr25519::Pair, lease: u64, at: u32) -> Value {
	let signature = pair.sign(&pallet_compute_pools::heartbeat_message(&GENESIS, lease, at));
	json!({ "lease": lease, "at": at, "signature": format!("0x{}", hex::encode(signature.0)) })
}

#[tokio::test]
async fn heartbeats_signed_by_the_lease_key_answer_reports_and_the_hook_runs() {
	let dir = tempfile::tempdir().unwrap();
	let config = LeaseConfig {
		endpoint: "ssh://lease@127.0.0.1:2222".into(),
		host_key: [9; 32],
		hook: Some(hook(dir.path())),
		heartbeat_url: String::new(),
	};
	let desk = LeaseDesk::start("127.0.0.1:0".parse().unwrap(), config).await.unwrap();
	let url = format!("ws://{}", desk.local_addr());
	let client = WsClientBuilder::default().build(&url).await.unwrap();
	let call = |method: &'static str, params: Value| {
		let client = &client;
		async move {
			match client.request::<Value, _>(method, object(params)).await {
				Ok(value) => Ok(value),
				Err(jsonrpsee::core::client::Error::Call(error)) => Err(error.code()),
				Err(error) => panic!("{method}: {error}"),
			}
		}
	};

	// Not served yet.
	assert_eq!(call("lease_heartbeat", beat(&client_pair(), LEASE, 1)).await, Err(UNKNOWN_LEASE));
	// A hook that fails leaves the lease unserved.
	std::fs::write(dir.path().join("broken"), "").unwrap();
	assert!(desk.begin(LEASE, served()).await.is_err());
	assert!(!desk.is_served(LEASE));
	std::fs::remove_file(dir.path().join("broken")).unwrap();
	desk.begin(LEASE, served()).await.unwrap();
	desk.set_chain(GENESIS, 10);

	// The right key, an earlier and a later heartbeat: the latest is kept.
	assert_eq!(call("lease_heartbeat", beat(&client_pair(), LEASE, 8)).await, Ok(json!(true)));
	assert_eq!(call("lease_heartbeat", beat(&client_pair(), LEASE, 10)).await, Ok(json!(true)));
	assert_eq!(call("lease_heartbeat", beat(&client_pair(), LEASE, 9)).await, Ok(json!(true)));
	let (at, signature) = desk.heartbeat_between(LEASE, 9, 10).unwrap();
	assert_eq!(at, 10);
	assert!(sr25519::Pair::verify(
		&sr25519::Signature::from_raw(signature),
		pallet_compute_pools::heartbeat_message(&GENESIS, LEASE, 10u32),
		&client_pair().public()
	));
	assert!(desk.heartbeat_between(LEASE, 11, 20).is_none());
	assert!(desk.heartbeat_between(LEASE, 8, 9).is_none(), "the latest is after block 9");
	assert_eq!(
		call("lease_status", json!({ "lease": LEASE })).await,
		Ok(json!({ "heartbeats": 3, "lastAt": 10 }))
	);
	// Another key, another lease's signature, a future block, malformed input: refused, kept
	// nothing.
	let stranger = sr25519::Pair::from_seed(&[5; 32]);
	assert_eq!(call("lease_heartbeat", beat(&stranger, LEASE, 10)).await, Err(BAD_SIGNATURE));
	let mut other = beat(&client_pair(), LEASE + 1, 10);
	other["lease"] = json!(LEASE);
	assert_eq!(call("lease_heartbeat", other).await, Err(BAD_SIGNATURE));
	// Two blocks ahead of the miner's best are taken (the client's node may lead); three not.
	assert_eq!(
		call("lease_heartbeat", beat(&client_pair(), LEASE, 13)).await,
		Err(FUTURE_HEARTBEAT)
	);
	let mut short = beat(&client_pair(), LEASE, 10);
	short["signature"] = json!("0x1234");
	assert_eq!(call("lease_heartbeat", short).await, Err(ember_miner::round_server::MALFORMED));
	assert_eq!(
		call("lease_status", json!({ "lease": LEASE })).await,
		Ok(json!({ "heartbeats": 3, "lastAt": 10 }))
	);

	// An SSH key signed by the lease key is installed by the hook; a stranger's is refused.
	let ssh_key =
		"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIInz6TL69iMw5J9n2uo3Lf50W/FtyHJgEYE7T0tEXD58 renter";
	let signed = |pair: &sr25519::Pair| {
		let signature = pair.sign(&authorize_message(&GENESIS, LEASE, ssh_key));
		json!({ "lease": LEASE, "sshKey": ssh_key, "signature": format!("0x{}", hex::encode(signature.0)) })
	};
	assert_eq!(call("lease_authorize", signed(&stranger)).await, Err(BAD_SIGNATURE));
	assert_eq!(call("lease_authorize", signed(&client_pair())).await, Ok(json!(true)));

	desk.end(LEASE).await;
	assert!(!desk.is_served(LEASE));
	assert_eq!(call("lease_heartbeat", beat(&client_pair(), LEASE, 10)).await, Err(UNKNOWN_LEASE));
	let log = std::fs::read_to_string(dir.path().join("hook.log")).unwrap();
	assert_eq!(
		log.lines().collect::<Vec<_>>(),
		vec!["start 7 ".to_string(), format!("authorize 7 {ssh_key}"), "stop 7 ".to_string()]
	);

	// The details a client gets name the endpoint, the host key and where to send heartbeats.
	let details: Value = serde_json::from_slice(&desk.details(LEASE)).unwrap();
	assert_eq!(details["endpoint"], "ssh://lease@127.0.0.1:2222");
	assert_eq!(details["lease"], LEASE);
	assert!(details["hostKey"].as_str().unwrap().starts_with("SHA256:"));
	desk.stop().await;
}
