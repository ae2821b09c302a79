//! Bad input gets a short error that says what to do, and a non-zero exit.

mod common;

use common::{free_port, run};
use std::net::TcpListener;

fn stderr(output: &std::process::Output) -> String {
	String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn unknown_flag_is_refused_with_a_pointer_to_help() {
	let out = run(&["--no-such-flag"]);
	assert!(!out.status.success());
	let err = stderr(&out);
	assert!(err.contains("unexpected argument '--no-such-flag'"), "{err}");
	assert!(err.contains("--help"), "{err}");
}

#[test]
fn missing_chain_spec_says_what_to_pass() {
	let out = run(&["--chain", "/nonexistent/spec.json", "--tmp"]);
	assert!(!out.status.success());
	let err = stderr(&out);
	assert!(err.contains("no chain spec at `/nonexistent/spec.json`"), "{err}");
	assert!(err.contains("--chain dev"), "{err}");
	assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
}

#[test]
fn malformed_chain_spec_says_how_to_regenerate_it() {
	let dir = tempfile::tempdir().unwrap();
	let spec = dir.path().join("spec.json");
	std::fs::write(&spec, "{ not json").unwrap();
	let out = run(&["--chain", spec.to_str().unwrap(), "--tmp"]);
	assert!(!out.status.success());
	let err = stderr(&out);
	assert!(err.contains("is not a valid chain spec"), "{err}");
	assert!(err.contains("build-spec"), "{err}");
}

#[tokio::test]
async fn occupied_rpc_port_is_reported() {
	let taken = TcpListener::bind("127.0.0.1:0").unwrap();
	let port = taken.local_addr().unwrap().port().to_string();
	let p2p = free_port().to_string();
	let out = tokio::task::spawn_blocking(move || {
		run(&["--dev", "--tmp", "--no-prometheus", "--rpc-port", &port, "--port", &p2p])
	})
	.await
	.unwrap();
	assert!(!out.status.success());
	let err = stderr(&out);
	let last = err.trim().lines().last().unwrap_or_default();
	assert!(last.contains("already in use"), "{err}");
	assert!(last.contains("--rpc-port"), "{err}");
}

#[test]
fn build_spec_emits_the_local_testnet_preset() {
	let out = run(&["build-spec", "--chain", "local"]);
	assert!(out.status.success(), "{}", stderr(&out));
	let spec: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
	assert_eq!(spec["id"], "ember_local_testnet");
	let keys = &spec["genesis"]["runtimeGenesis"]["patch"]["session"]["keys"];
	assert_eq!(keys.as_array().map(Vec::len), Some(4), "{keys}");
}
