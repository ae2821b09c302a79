//! One residency round against one device: challenge, time, check the signature, audit.

use codec::Decode;
use ember_miner::round_server::{
	round_request_message, ChallengeAnswer, ChallengeRequest, OpenAnswer, OpenRequest,
	SegmentRequest,
};
use ember_pocps::{
	round::{audit_segments, round_message, verify_round, RoundChallenge, RoundOpening},
	NativeSha256,
};
use jsonrpsee::{
	core::{client::ClientT, params::ObjectParams},
	http_client::HttpClientBuilder,
	ws_client::WsClientBuilder,
};
use pallet_verifiers::{Assignment, FailReason, Verdict};
use rand::RngCore;
use sp_core::{sr25519, Pair};
use std::time::{Duration, Instant};

/// How a round against a device went.
#[derive(Debug)]
pub struct Outcome {
	/// The verdict to post.
	pub verdict: Verdict,
	/// From challenge sent to signed result received, if one came.
	pub round_trip: Option<Duration>,
	/// Why it failed, in words, for the log.
	pub detail: String,
}

fn hex32(bytes: &[u8]) -> String {
	format!("0x{}", hex::encode(bytes))
}

fn parse<const N: usize>(text: &str) -> Option<[u8; N]> {
	let bytes = hex::decode(text.strip_prefix("0x").unwrap_or(text)).ok()?;
	bytes.try_into().ok()
}

/// Runs the round of `assignment` as `verifier`: sends the challenge (the verifier's signature
/// over the device, seed and a fresh nonce), measures the time to the signed `R`, checks the
/// device key's signature, asks for `audits` random segments and checks them with
/// `verify_round`. Any failure is a `Fail` verdict with its reason; only a network or protocol
/// failure before the result counts as `Unreachable`.
pub async fn run_round(
	assignment: &Assignment,
	verifier: &sr25519::Pair,
	timeout: Duration,
	skip_audit: bool,
) -> Outcome {
	let mut nonce = [0u8; 32];
	rand::thread_rng().fill_bytes(&mut nonce);
	let fail = |reason, round_trip, detail: String| Outcome {
		verdict: Verdict::Fail(reason),
		round_trip,
		detail,
	};
	let url = String::from_utf8_lossy(&assignment.endpoint).into_owned();
	let client = match Client::connect(&url, timeout).await {
		Ok(client) => client,
		Err(e) => return fail(FailReason::Unreachable, None, format!("connect {url}: {e}")),
	};
	let request = round_request_message(assignment.device, &assignment.seed, &nonce);
	let mut params = ObjectParams::new();
	let challenge_params = ChallengeRequest {
		device: assignment.device,
		seed: hex32(&assignment.seed),
		nonce: hex32(&nonce),
		round: assignment.params,
		verifier: hex32(&verifier.public().0),
		signature: hex32(&verifier.sign(&request).0),
	};
	if let Err(e) = insert_all(&mut params, &challenge_params) {
		return fail(FailReason::Unreachable, None, e);
	}
	let sent = Instant::now();
	let answer: Result<ChallengeAnswer, String> = client.request("round_challenge", params).await;
	let round_trip = sent.elapsed();
	let answer = match answer {
		Ok(answer) => answer,
		Err(e) => return fail(FailReason::Unreachable, None, format!("round_challenge: {e}")),
	};
	let (Some(result), Some(signature)) =
		(parse::<32>(&answer.result), parse::<64>(&answer.signature))
	else {
		return fail(FailReason::BadSignature, Some(round_trip), "malformed answer".into());
	};
	let challenge = RoundChallenge {
		device: assignment.device,
		seed: assignment.seed,
		verifier: pallet_verifiers::verifier_id(&sp_core::crypto::AccountId32::from(
			verifier.public().0,
		)),
		nonce,
	};
	let signed = sr25519::Pair::verify(
		&sr25519::Signature::from_raw(signature),
		round_message(&challenge, &result),
		&sr25519::Public::from_raw(assignment.device_key),
	);
	if !signed {
		return fail(
			FailReason::BadSignature,
			Some(round_trip),
			"the device key did not sign R".into(),
		);
	}
	let deadline = Duration::from_millis(u64::from(assignment.params.deadline_ms));
	if round_trip > deadline {
		return fail(
			FailReason::Late,
			Some(round_trip),
			format!("{} ms > deadline {} ms", round_trip.as_millis(), deadline.as_millis()),
		);
	}
	if skip_audit {
		return Outcome {
			verdict: Verdict::Pass { nonce, result, signature },
			round_trip: Some(round_trip),
			detail: "audit skipped (--unsafe-skip-audit)".into(),
		};
	}
	// The segments are drawn only now, after R: the device could not know them while walking.
	let mut selector = [0u8; 32];
	rand::thread_rng().fill_bytes(&mut selector);
	let asked =
		audit_segments::<NativeSha256>(&assignment.params, &selector, assignment.params.audits);
	let open = OpenRequest {
		device: assignment.device,
		seed: hex32(&assignment.seed),
		nonce: hex32(&nonce),
		verifier: hex32(&verifier.public().0),
		segments: asked
			.iter()
			.map(|s| SegmentRequest { walk: s.walk, segment: s.segment })
			.collect(),
	};
	let mut params = ObjectParams::new();
	if let Err(e) = insert_all(&mut params, &open) {
		return fail(FailReason::BadAudit, Some(round_trip), e);
	}
	let opened: Result<OpenAnswer, String> = client.request("round_open", params).await;
	let opening = opened.and_then(|a| {
		let bytes = hex::decode(a.opening.trim_start_matches("0x")).map_err(|e| e.to_string())?;
		RoundOpening::decode(&mut &bytes[..]).map_err(|e| e.to_string())
	});
	let opening = match opening {
		Ok(opening) => opening,
		Err(e) => return fail(FailReason::BadAudit, Some(round_trip), format!("round_open: {e}")),
	};
	let verified = verify_round::<NativeSha256>(
		&assignment.dataset.params,
		&assignment.params,
		&assignment.dataset.root,
		&challenge,
		&result,
		&asked,
		&opening,
	);
	match verified {
		Ok(()) => Outcome {
			verdict: Verdict::Pass { nonce, result, signature },
			round_trip: Some(round_trip),
			detail: String::new(),
		},
		Err(e) => fail(FailReason::BadAudit, Some(round_trip), format!("audit: {e:?}")),
	}
}

fn insert_all<T: serde::Serialize>(params: &mut ObjectParams, value: &T) -> Result<(), String> {
	let serde_json::Value::Object(map) = serde_json::to_value(value).map_err(|e| e.to_string())?
	else {
		return Err("not an object".into());
	};
	for (key, value) in map {
		params.insert(&key, value).map_err(|e| e.to_string())?;
	}
	Ok(())
}

/// A WebSocket or HTTP JSON-RPC client, by the URL's scheme.
enum Client {
	Ws(jsonrpsee::ws_client::WsClient),
	Http(Box<jsonrpsee::http_client::HttpClient>),
}

impl Client {
	async fn connect(url: &str, timeout: Duration) -> Result<Self, String> {
		if url.starts_with("ws://") || url.starts_with("wss://") {
			let client = WsClientBuilder::default()
				.request_timeout(timeout)
				.connection_timeout(timeout)
				.max_response_size(64 << 20)
				.build(url)
				.await
				.map_err(|e| e.to_string())?;
			Ok(Client::Ws(client))
		} else {
			let client = HttpClientBuilder::default()
				.request_timeout(timeout)
				.max_response_size(64 << 20)
				.build(url)
				.map_err(|e| e.to_string())?;
			Ok(Client::Http(Box::new(client)))
		}
	}

	async fn request<R: serde::de::DeserializeOwned>(
		&self,
		method: &str,
		params: ObjectParams,
	) -> Result<R, String> {
		match self {
			Client::Ws(c) => c.request(method, params).await.map_err(|e| e.to_string()),
			Client::Http(c) => c.request(method, params).await.map_err(|e| e.to_string()),
		}
	}
}
