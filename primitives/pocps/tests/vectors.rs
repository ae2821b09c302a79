//! Test vectors: the labels, root and a proof for fixed inputs, checked in under
//! `test-vectors/`. Every implementation (the miner's CPU, Vulkan and CUDA backends) must
//! reproduce them bit for bit. Regenerate with `EMBER_WRITE_VECTORS=1 cargo test --release -p
//! ember-pocps --test vectors` only when the construction changes on purpose.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use codec::Encode;
use ember_pocps::{encoding_key, prover::Dataset, NativeSha256 as H, Params};
use serde_json::{json, Value};

fn vector(name: &str, params: Params) -> Value {
	let genesis = [0xe0u8; 32];
	let device = [0xd1u8; 32];
	let nonce = 42u64;
	let ek = encoding_key::<H>(&genesis, &device, nonce);
	let data = Dataset::seal::<H>(params, ek).unwrap();
	let seed = [0x5eu8; 32];
	let seal_proof = data.prove::<H>(&seed, true).unwrap();
	let storage_proof = data.prove::<H>(&seed, false).unwrap();
	let lane_len = params.lane_len as usize;
	json!({
		"name": name,
		"params": {
			"lanes": params.lanes, "lane_len": params.lane_len, "parents": params.parents,
			"iterations": params.iterations, "challenges": params.challenges,
		},
		"genesis_hash": hex::encode(genesis),
		"device_id": hex::encode(device),
		"seal_nonce": nonce,
		"encoding_key": hex::encode(ek),
		"first_labels": data.labels().chunks(lane_len).map(|l| hex::encode(l[0])).collect::<Vec<_>>(),
		"last_labels": data.labels().chunks(lane_len).map(|l| hex::encode(l[lane_len - 1])).collect::<Vec<_>>(),
		"labels_sha256": hex::encode(sp_crypto_hashing::sha2_256(&data.labels().concat())),
		"root": hex::encode(data.root()),
		"challenge_seed": hex::encode(seed),
		"seal_proof_scale": hex::encode(seal_proof.encode()),
		"storage_proof_scale": hex::encode(storage_proof.encode()),
	})
}

#[test]
fn vectors_match_the_checked_in_files() {
	let vectors = json!([
		vector("tiny", Params { lanes: 2, lane_len: 8, parents: 2, iterations: 1, challenges: 2 }),
		vector(
			"small",
			Params { lanes: 16, lane_len: 256, parents: 6, iterations: 4, challenges: 8 }
		),
	]);
	let path = concat!(env!("CARGO_MANIFEST_DIR"), "/test-vectors/vectors.json");
	let rendered = serde_json::to_string_pretty(&vectors).unwrap() + "\n";
	if std::env::var_os("EMBER_WRITE_VECTORS").is_some() {
		std::fs::write(path, &rendered).unwrap();
	}
	let on_disk = std::fs::read_to_string(path).expect("test-vectors/vectors.json exists");
	assert_eq!(on_disk, rendered, "the construction changed; see this file's doc comment");
}
