//! Residency rounds on the miner: every backend walks exactly as `ember_pocps::round::run_walk`
//! (Vulkan also with its dataset split over many buffers), a sealed dataset's round opens byte
//! for byte as the reference prover's and verifies, and the round endpoint answers verifiers,
//! refusing bad input with typed errors that leave it working.

#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]
use codec::Decode;
use ember_miner::{
	backend::{self, Backend},
	dataset::{self, Header, SealOn, Sealed},
	fingerprint::Selected,
	metrics::Metrics,
	round_server::{self, round_request_message, RoundServer},
};
use ember_pocps::{
	prover::Dataset,
	round::{
		audit_segments, blocks_of, round_message, run_walk, verify_round, walk_start,
		RoundChallenge, RoundOpening, RoundParams, SegmentId,
	},
	NativeSha256 as H, Params,
};
use jsonrpsee::{
	core::{client::ClientT, params::ObjectParams},
	ws_client::{WsClient, WsClientBuilder},
};
use serde_json::{json, Value};
use sp_core::{crypto::AccountId32, sr25519, Pair};
use std::sync::{atomic::AtomicBool, Arc};

const PARAMS: Params =
	Params { lanes: 16, lane_len: 1024, parents: 6, iterations: 1, challenges: 4 };
const EK: [u8; 32] = [0x42; 32];
const DEVICE: u64 = 7;

fn round() -> RoundParams {
	RoundParams {
		walks: 16,
		steps: 256,
		segment: 32,
		audits: 8,
		chain_audits: 2,
		deadline_ms: 60_000,
	}
}

fn vulkan() -> Option<backend::vulkan::VulkanBackend> {
	let selected = Selected { vulkan: Some(0), ..Default::default() };
	match backend::vulkan::VulkanBackend::open(&selected, true) {
		Ok(vulkan) => Some(vulkan),
		Err(error) if std::env::var_os("EMBER_REQUIRE_VULKAN").is_some() => {
			panic!("Vulkan required: {error}")
		}
		Err(error) => {
			eprintln!("skipping Vulkan: {error}");
			None
		}
	}
}

/// The CPU, Vulkan in one buffer, Vulkan in buffers of `chunk_bytes`, and CUDA where present.
fn backends(chunk_bytes: u64) -> Vec<(String, Box<dyn Backend>)> {
	let mut all: Vec<(String, Box<dyn Backend>)> =
		vec![("cpu".into(), Box::new(backend::cpu::CpuBackend::new()))];
	if vulkan().is_some() {
		all.push(("vulkan".into(), Box::new(vulkan().unwrap())));
		all.push((
			format!("vulkan in {chunk_bytes}-byte chunks"),
			Box::new(vulkan().unwrap().with_max_chunk(chunk_bytes)),
		));
	}
	match backend::open(Some(backend::BackendKind::Cuda), "0") {
		Ok(cuda) => all.push(("cuda".into(), Box::new(CudaBox(cuda)))),
		Err(error) => eprintln!("skipping CUDA: {error}"),
	}
	all
}

/// An `Arc<dyn Backend>` as a `Box<dyn Backend>`.
struct CudaBox(Arc<dyn Backend>);

impl Backend for CudaBox {
	fn kind(&self) -> backend::BackendKind {
		self.0.kind()
	}
	fn device_name(&self) -> String {
		self.0.device_name()
	}
	fn allocate(&self, params: &Params) -> ember_miner::error::Result<Box<dyn backend::Resident>> {
		self.0.allocate(params)
	}
}

#[test]
fn every_backend_walks_exactly_like_the_reference() {
	let challenge = RoundChallenge { device: 3, seed: [1; 32], verifier: [5; 32], nonce: [2; 32] };
	// Long lanes (64 blocks each), one-block lanes (a block's lane is its index), and enough
	// steps that lavapipe takes several dispatches per walk.
	let shapes = [
		(Params { lanes: 16, lane_len: 256, parents: 4, iterations: 1, challenges: 1 }, 2),
		(Params { lanes: 256, lane_len: 4, parents: 2, iterations: 1, challenges: 1 }, 32),
	];
	let rounds = [round(), RoundParams { walks: 128, steps: 1024, segment: 64, ..round() }];
	for (params, lanes_per_chunk) in shapes {
		let reference = Dataset::seal::<H>(params, EK).unwrap();
		let chunk_bytes = u64::from(params.lane_len) * 32 * lanes_per_chunk;
		for (name, backend) in backends(chunk_bytes) {
			let mut resident = backend.allocate(&params).unwrap();
			if name.contains("chunks") {
				assert_eq!(resident.lanes_per_chunk(), lanes_per_chunk as u32, "{name}");
			}
			resident.write_lanes(0, reference.labels()).unwrap();
			for round in rounds {
				let starts: Vec<_> =
					(0..round.walks).map(|w| walk_start::<H>(&challenge, w)).collect();
				let expected: Vec<_> = (0..round.walks)
					.flat_map(|w| {
						run_walk::<H>(&params, &round, &challenge, w, |b| reference.block(b))
							.unwrap()
					})
					.collect();
				let walked = resident.walk(&round, &starts, blocks_of(&params)).unwrap();
				assert_eq!(walked.len(), expected.len(), "{name}");
				assert!(
					walked == expected,
					"{name}: {} walks of {} steps",
					round.walks,
					round.steps
				);
			}
		}
	}
}

fn seal(backend: &dyn Backend, dir: &std::path::Path) -> Sealed {
	let header = Header { device: DEVICE, nonce: 1, params: PARAMS, ek: EK, root: [0; 32] };
	let stop = AtomicBool::new(false);
	dataset::seal(backend, &dir.join("dataset.bin"), header, SealOn::Device, &stop, &|_| ())
		.unwrap()
}

#[test]
fn a_sealed_dataset_runs_and_opens_rounds_like_the_reference_prover() {
	let reference = Dataset::seal::<H>(PARAMS, EK).unwrap();
	let round = round();
	let challenge =
		RoundChallenge { device: DEVICE, seed: [8; 32], verifier: [5; 32], nonce: [9; 32] };
	let tree = reference.run_round::<H>(&round, &challenge).unwrap();
	let mut asked = audit_segments::<H>(&round, &[4; 32], round.audits);
	// A walk's first segment (no start checkpoint) and its last.
	asked.extend([SegmentId { walk: 3, segment: 0 }, SegmentId { walk: 15, segment: 7 }]);
	let expected = reference.open_round::<H>(&round, &challenge, &tree, &asked).unwrap();
	for (name, backend) in backends(u64::from(PARAMS.lane_len) * 32 * 2) {
		let dir = tempfile::tempdir().unwrap();
		let sealed = seal(backend.as_ref(), dir.path());
		let run = sealed.run_round(&round, &challenge).unwrap();
		assert_eq!(run.result(), tree.root(), "{name}");
		let opening = sealed.open_round(&run, &asked).unwrap();
		assert!(opening == expected, "{name}: the opening differs from the reference's");
		assert_eq!(codec::Encode::encode(&opening), codec::Encode::encode(&expected));
		assert_eq!(
			verify_round::<H>(
				&PARAMS,
				&round,
				&sealed.root(),
				&challenge,
				&run.result(),
				&asked,
				&opening
			),
			Ok(())
		);
		// Outside the round: refused, not opened.
		let outside = [SegmentId { walk: 16, segment: 0 }];
		assert!(sealed.open_round(&run, &outside).is_err());
	}
}

struct Fixture {
	server: RoundServer,
	client: WsClient,
	verifier: sr25519::Pair,
	device_key: sr25519::Pair,
	metrics: Metrics,
	data: Arc<Sealed>,
	_dir: tempfile::TempDir,
}

async fn fixture(sealed: bool) -> Fixture {
	let dir = tempfile::tempdir().unwrap();
	let data = Arc::new(seal(&backend::cpu::CpuBackend::new(), dir.path()));
	let metrics = Metrics::register(&Default::default(), "cpu", "cpu").unwrap();
	let server =
		RoundServer::start("127.0.0.1:0".parse().unwrap(), Some(metrics.clone())).await.unwrap();
	let device_key = sr25519::Pair::from_seed(&[5; 32]);
	server.set_device(DEVICE, device_key.clone());
	if sealed {
		server.set_dataset(Some(data.clone()));
	}
	let client =
		WsClientBuilder::default().build(format!("ws://{}", server.local_addr())).await.unwrap();
	Fixture {
		server,
		client,
		verifier: sr25519::Pair::from_seed(&[6; 32]),
		device_key,
		metrics,
		data,
		_dir: dir,
	}
}

fn hex(bytes: impl AsRef<[u8]>) -> String {
	format!("0x{}", hex::encode(bytes))
}

fn object(value: Value) -> ObjectParams {
	let mut params = ObjectParams::new();
	for (key, value) in value.as_object().unwrap() {
		params.insert(key, value).unwrap();
	}
	params
}

impl Fixture {
	/// A correctly signed `round_challenge` for nonce `[nonce; 32]`.
	fn challenge_request(&self, nonce: u8) -> Value {
		let (seed, nonce) = ([8u8; 32], [nonce; 32]);
		let signature = self.verifier.sign(&round_request_message(DEVICE, &seed, &nonce));
		json!({
			"device": DEVICE,
			"seed": hex(seed),
			"nonce": hex(nonce),
			"round": serde_json::to_value(round()).unwrap(),
			"verifier": hex(self.verifier.public()),
			"signature": hex(signature.0),
		})
	}

	fn open_request(&self, nonce: u8, segments: &[SegmentId]) -> Value {
		let segments: Vec<Value> =
			segments.iter().map(|s| json!({ "walk": s.walk, "segment": s.segment })).collect();
		json!({
			"device": DEVICE,
			"seed": hex([8u8; 32]),
			"nonce": hex([nonce; 32]),
			"verifier": hex(self.verifier.public()),
			"segments": segments,
		})
	}

	async fn call(&self, method: &str, params: Value) -> Result<Value, i32> {
		match self.client.request::<Value, _>(method, object(params)).await {
			Ok(value) => Ok(value),
			Err(jsonrpsee::core::client::Error::Call(error)) => Err(error.code()),
			Err(error) => panic!("{method}: {error}"),
		}
	}

	/// Runs the round for `nonce`, checks the device's signature over `R`, opens an audit and
	/// verifies it: the full exchange a verifier makes.
	async fn exchange(&self, nonce: u8) {
		let answer = self.call("round_challenge", self.challenge_request(nonce)).await.unwrap();
		let result: [u8; 32] = hex_field(&answer["result"]);
		let signature: [u8; 64] = hex_field(&answer["signature"]);
		let challenge = RoundChallenge {
			device: DEVICE,
			seed: [8; 32],
			verifier: pallet_verifiers::verifier_id(&AccountId32::from(self.verifier.public().0)),
			nonce: [nonce; 32],
		};
		assert!(sr25519::Pair::verify(
			&sr25519::Signature::from_raw(signature),
			round_message(&challenge, &result),
			&self.device_key.public(),
		));
		let asked = audit_segments::<H>(&round(), &[nonce; 32], round().audits);
		let answer = self.call("round_open", self.open_request(nonce, &asked)).await.unwrap();
		let bytes =
			hex::decode(answer["opening"].as_str().unwrap().trim_start_matches("0x")).unwrap();
		let opening = RoundOpening::decode(&mut &bytes[..]).unwrap();
		assert_eq!(
			verify_round::<H>(
				&PARAMS,
				&round(),
				&self.data.root(),
				&challenge,
				&result,
				&asked,
				&opening
			),
			Ok(())
		);
	}
}

fn hex_field<const N: usize>(value: &Value) -> [u8; N] {
	hex::decode(value.as_str().unwrap().trim_start_matches("0x")).unwrap().try_into().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verifier_gets_a_signed_result_and_an_opening_that_verifies() {
	let f = fixture(true).await;
	f.exchange(1).await;
	f.exchange(2).await;
	assert_eq!(f.metrics.rounds_served().get(), 2);
	assert!(f.metrics.round_walk_ms().get() > 0.0);
	// Params as an array holding the one object are accepted too.
	let params = jsonrpsee::rpc_params![f.challenge_request(3)];
	let answer: Value = f.client.request("round_challenge", params).await.unwrap();
	assert!(answer["result"].as_str().unwrap().starts_with("0x"));
	f.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_verifiers_queue_and_each_gets_its_own_round() {
	let f = Arc::new(fixture(true).await);
	let (a, b) = (f.clone(), f.clone());
	let (first, second) = tokio::join!(
		tokio::spawn(async move { a.exchange(10).await }),
		tokio::spawn(async move { b.exchange(11).await })
	);
	first.unwrap();
	second.unwrap();
	assert_eq!(f.metrics.rounds_served().get(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_device_is_refused() {
	let f = fixture(true).await;
	let mut request = f.challenge_request(1);
	request["device"] = json!(DEVICE + 1);
	assert_eq!(f.call("round_challenge", request).await, Err(round_server::UNKNOWN_DEVICE));
	assert_eq!(f.metrics.rounds_served().get(), 0);
	f.exchange(1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_round_before_the_dataset_is_sealed_is_refused() {
	let f = fixture(false).await;
	assert_eq!(
		f.call("round_challenge", f.challenge_request(1)).await,
		Err(round_server::NOT_SEALED)
	);
	f.server.set_dataset(Some(f.data.clone()));
	f.exchange(1).await;
	// Re-sealing lets the dataset go and forgets its runs.
	f.server.set_dataset(None);
	let asked = [SegmentId { walk: 0, segment: 0 }];
	assert_eq!(
		f.call("round_open", f.open_request(1, &asked)).await,
		Err(round_server::NOT_SEALED)
	);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_verifier_signature_is_refused() {
	let f = fixture(true).await;
	let mut request = f.challenge_request(1);
	// Signed for another nonce.
	let other = f.verifier.sign(&round_request_message(DEVICE, &[8; 32], &[2; 32]));
	request["signature"] = json!(hex(other.0));
	assert_eq!(f.call("round_challenge", request).await, Err(round_server::BAD_SIGNATURE));
	assert_eq!(f.metrics.rounds_served().get(), 0);
	f.exchange(1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_round_parameters_are_refused() {
	let f = fixture(true).await;
	for bad in [
		RoundParams { walks: 3, ..round() },
		RoundParams { segment: 512, steps: 1024, ..round() },
		RoundParams { audits: 0, ..round() },
	] {
		let mut request = f.challenge_request(1);
		request["round"] = serde_json::to_value(bad).unwrap();
		assert_eq!(f.call("round_challenge", request).await, Err(round_server::INVALID_ROUND));
	}
	f.exchange(1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opening_a_round_never_run_is_refused() {
	let f = fixture(true).await;
	let asked = [SegmentId { walk: 0, segment: 0 }];
	assert_eq!(
		f.call("round_open", f.open_request(4, &asked)).await,
		Err(round_server::UNKNOWN_RUN)
	);
	f.exchange(4).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_segments_are_refused() {
	let f = fixture(true).await;
	f.call("round_challenge", f.challenge_request(1)).await.unwrap();
	let asked: Vec<SegmentId> =
		(0..65).map(|i| SegmentId { walk: i % 16, segment: (i / 16) % 8 }).collect();
	assert_eq!(
		f.call("round_open", f.open_request(1, &asked)).await,
		Err(round_server::TOO_MANY_SEGMENTS)
	);
	// The run is still there to open.
	f.call("round_open", f.open_request(1, &asked[..64])).await.unwrap();
	f.exchange(2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_segment_outside_the_round_is_refused() {
	let f = fixture(true).await;
	f.call("round_challenge", f.challenge_request(1)).await.unwrap();
	for outside in [SegmentId { walk: 16, segment: 0 }, SegmentId { walk: 0, segment: 8 }] {
		assert_eq!(
			f.call("round_open", f.open_request(1, &[outside])).await,
			Err(round_server::SEGMENT_OUT_OF_RANGE)
		);
	}
	f.call("round_open", f.open_request(1, &[SegmentId { walk: 15, segment: 7 }])).await.unwrap();
	f.exchange(2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_hex_is_refused() {
	let f = fixture(true).await;
	for (field, value) in
		[("seed", "0xzz"), ("nonce", "0x0102"), ("verifier", "not hex"), ("signature", "0x00")]
	{
		let mut request = f.challenge_request(1);
		request[field] = json!(value);
		assert_eq!(
			f.call("round_challenge", request).await,
			Err(round_server::MALFORMED),
			"{field}"
		);
	}
	let mut open = f.open_request(1, &[]);
	open["seed"] = json!("0x1234");
	assert_eq!(f.call("round_open", open).await, Err(round_server::MALFORMED));
	assert_eq!(f.metrics.rounds_served().get(), 0);
	f.exchange(1).await;
}

/// Once the miner follows the chain, only the committees of rounds open on chain are served:
/// anyone else asking would make the device walk and delay its real verifiers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verifier_not_on_an_open_rounds_committee_is_refused() {
	let f = fixture(true).await;
	f.server.set_open_rounds(Vec::new());
	assert_eq!(
		f.call("round_challenge", f.challenge_request(1)).await,
		Err(round_server::NOT_ASSIGNED)
	);
	let me = AccountId32::from(f.verifier.public().0);
	let open = |seed: [u8; 32], committee: Vec<AccountId32>| pallet_verifiers::OpenRound {
		round: 1,
		seed,
		params: round(),
		committee,
	};
	// Another seed, or another committee: still refused.
	f.server.set_open_rounds(vec![open([9; 32], vec![me.clone()])]);
	assert_eq!(
		f.call("round_challenge", f.challenge_request(1)).await,
		Err(round_server::NOT_ASSIGNED)
	);
	f.server.set_open_rounds(vec![open([8; 32], vec![AccountId32::from([1u8; 32])])]);
	assert_eq!(
		f.call("round_challenge", f.challenge_request(1)).await,
		Err(round_server::NOT_ASSIGNED)
	);
	assert_eq!(f.metrics.rounds_served().get(), 0);
	// On the committee of the open round: served.
	f.server.set_open_rounds(vec![open([8; 32], vec![me])]);
	f.exchange(1).await;
	f.server.stop().await;
}
