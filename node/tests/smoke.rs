//! The node smoke test: a dev chain authors and finalizes blocks, and a restart on the same base
//! path carries on from where it stopped.

mod common;

use common::DevNode;
use std::time::Duration;

#[tokio::test]
async fn dev_chain_finalizes_and_survives_a_restart() {
	let base = tempfile::tempdir().unwrap();

	let mut node = DevNode::start(base.path());
	let finalized = node.wait_for_block(3, true, Duration::from_secs(120)).await;
	node.stop();

	// Same base path: the chain is still there, from its last finalized block on.
	let node = DevNode::start(base.path());
	let resumed = node.wait_for_block(0, true, Duration::from_secs(60)).await;
	assert!(resumed >= finalized, "restarted at finalized #{resumed}, had #{finalized}");
	// And it keeps going.
	node.wait_for_block(finalized + 2, false, Duration::from_secs(120)).await;
	node.wait_for_block(finalized + 1, true, Duration::from_secs(120)).await;
}
