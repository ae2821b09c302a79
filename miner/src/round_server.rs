//! The residency-round endpoint verifiers call off chain (`run --round-listen IP:PORT`).
//!
//! A JSON-RPC server (HTTP and WebSocket on one port) with two methods, each taking one JSON
//! object as its params, byte strings as 0x-hex:
//!
//! - `round_challenge { device, seed, nonce, round, verifier, signature }`: the verifier's
//!   sr25519 `signature` over [`round_request_message`] is checked, the round (its
//!   [`RoundParams`], camelCase, as the chain holds them) is run on the device, and the answer
//!   is `{ result: R, signature }`, the device key's signature over
//!   [`ember_pocps::round::round_message`].
//! - `round_open { device, seed, nonce, segments: [{ walk, segment }] }`: the opening of those
//!   segments of a round this server ran recently (the last [`KEPT_RUNS`]), as
//!   `{ opening: SCALE-encoded RoundOpening }`, which `ember_pocps::round::verify_round` checks.
//!
//! Rounds run one at a time per device, on a blocking thread: a second verifier queues behind
//! the first rather than sharing the memory bandwidth its timing measures, and the server keeps
//! answering meanwhile. Bad input gets one of the error codes below with a message saying
//! what was wrong, and changes nothing.

use crate::{
	dataset::{RoundRun, Sealed},
	error::{Error, Result},
	impostor::Impostor,
	metrics::Metrics,
};
use codec::Encode;
use ember_pocps::{
	round::{round_message, RoundChallenge, RoundParams, SegmentId, MAX_AUDITS},
	Hash,
};
use ember_primitives::DeviceId;
use jsonrpsee::{
	server::{Server, ServerHandle},
	types::{ErrorObjectOwned, Params},
	RpcModule,
};
use pallet_verifiers::OpenRound;
use serde::{Deserialize, Serialize};
use sp_core::{crypto::AccountId32, sr25519, Pair};
use std::{
	collections::VecDeque,
	net::SocketAddr,
	sync::{Arc, Mutex, RwLock},
};

/// Runs kept for `round_open`: enough for several verifiers' audits in flight.
pub const KEPT_RUNS: usize = 16;

/// The request names a device this miner does not hold.
pub const UNKNOWN_DEVICE: i32 = -32001;
/// This miner has no sealed dataset to walk yet (sealing, or re-sealing).
pub const NOT_SEALED: i32 = -32002;
/// The verifier's signature does not match the request.
pub const BAD_SIGNATURE: i32 = -32003;
/// The round parameters do not validate against the dataset's.
pub const INVALID_ROUND: i32 = -32004;
/// `round_open` for a round this server has not run (or no longer keeps).
pub const UNKNOWN_RUN: i32 = -32005;
/// More segments asked than [`MAX_AUDITS`].
pub const TOO_MANY_SEGMENTS: i32 = -32006;
/// A segment outside the round's walks or segments.
pub const SEGMENT_OUT_OF_RANGE: i32 = -32007;
/// The verifier is not on the device's committee for a round open on chain with that seed and
/// those parameters.
pub const NOT_ASSIGNED: i32 = -32010;
/// A byte string is not 0x-hex of the right length.
pub const MALFORMED: i32 = -32008;
/// The device failed while walking or opening; the message says how.
pub const DEVICE_FAILED: i32 = -32009;

/// The bytes a verifier signs to ask for a round: SCALE of
/// `(b"EMBRNDRQ", device, seed, nonce)`.
pub fn round_request_message(device: u64, seed: &Hash, nonce: &Hash) -> Vec<u8> {
	(b"EMBRNDRQ", device, seed, nonce).encode()
}

/// `round_challenge`'s params.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChallengeRequest {
	/// The device asked.
	pub device: u64,
	/// The chain's round seed, 0x + 32 bytes.
	pub seed: String,
	/// The verifier's nonce, 0x + 32 bytes.
	pub nonce: String,
	/// The round's shape, as the chain holds it for the device's class.
	pub round: RoundParams,
	/// The verifier's sr25519 public key, 0x + 32 bytes.
	pub verifier: String,
	/// The verifier's signature over [`round_request_message`], 0x + 64 bytes.
	pub signature: String,
}

/// `round_challenge`'s answer.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ChallengeAnswer {
	/// `R`, 0x + 32 bytes.
	pub result: String,
	/// The device key's signature over `round_message(challenge, R)`, 0x + 64 bytes.
	pub signature: String,
}

/// One segment asked for.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentRequest {
	/// The walk.
	pub walk: u32,
	/// The segment within it.
	pub segment: u32,
}

/// `round_open`'s params.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenRequest {
	/// The device asked.
	pub device: u64,
	/// The round's seed, 0x + 32 bytes.
	pub seed: String,
	/// The verifier's nonce, 0x + 32 bytes.
	pub nonce: String,
	/// The verifier's sr25519 public key, 0x + 32 bytes (the round was run for it).
	pub verifier: String,
	/// The segments to open, in the order the opening lists them.
	pub segments: Vec<SegmentRequest>,
}

/// `round_open`'s answer.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OpenAnswer {
	/// The SCALE-encoded `RoundOpening`, 0x-hex.
	pub opening: String,
}

/// What the server answers from: set by the run loop as the device and its dataset change.
#[derive(Default)]
struct Held {
	device: Option<(DeviceId, sr25519::Pair)>,
	data: Option<Arc<Sealed>>,
}

struct Shared {
	held: RwLock<Held>,
	/// One round (or opening) on the device at a time.
	device: tokio::sync::Mutex<()>,
	/// The last [`KEPT_RUNS`] runs, oldest first; cleared when the dataset changes.
	runs: Mutex<VecDeque<Arc<RoundRun>>>,
	metrics: Option<Metrics>,
	/// Honest unless a test asked for a cheating device.
	impostor: RwLock<Impostor>,
	/// The rounds open on chain for this device, with their committees: only those verifiers,
	/// seeds and parameters are served (anyone else could make the device walk, and delay the
	/// real verifiers behind it). `None` serves any signed request (tests without a chain).
	open: RwLock<Option<Vec<OpenRound<AccountId32>>>>,
}

/// The running endpoint; dropping it does not stop the server, [`RoundServer::stop`] does.
pub struct RoundServer {
	shared: Arc<Shared>,
	handle: ServerHandle,
	address: SocketAddr,
}

pub(crate) fn error(code: i32, message: impl Into<String>) -> ErrorObjectOwned {
	ErrorObjectOwned::owned(code, message.into(), None::<()>)
}

pub(crate) fn hex_bytes<const N: usize>(
	field: &str,
	value: &str,
) -> Result<[u8; N], ErrorObjectOwned> {
	let digits = value
		.strip_prefix("0x")
		.ok_or_else(|| error(MALFORMED, format!("{field} must be 0x-prefixed hex of {N} bytes")))?;
	let bytes =
		hex::decode(digits).map_err(|e| error(MALFORMED, format!("{field} is not hex: {e}")))?;
	let length = bytes.len();
	bytes
		.try_into()
		.map_err(|_| error(MALFORMED, format!("{field} is {length} bytes where {N} are expected")))
}

/// Params as one JSON object, or an array holding one.
pub(crate) fn parse<T: serde::de::DeserializeOwned>(
	params: &Params<'_>,
) -> Result<T, ErrorObjectOwned> {
	if params.as_str().is_some_and(|raw| raw.trim_start().starts_with('[')) {
		params.one()
	} else {
		params.parse()
	}
}

impl Shared {
	/// Refuses a request for a round that is not open on chain for this device with these
	/// parameters, or from a verifier not on its committee.
	fn check_assigned(
		&self,
		seed: &Hash,
		round: &RoundParams,
		verifier: &[u8; 32],
	) -> Result<(), ErrorObjectOwned> {
		let open = self.open.read().map_err(|_| error(DEVICE_FAILED, "state poisoned"))?;
		let Some(open) = open.as_ref() else { return Ok(()) };
		let who = AccountId32::from(*verifier);
		let assigned = open
			.iter()
			.any(|o| &o.seed == seed && &o.params == round && o.committee.contains(&who));
		if assigned {
			Ok(())
		} else {
			Err(error(
				NOT_ASSIGNED,
				"no round open on chain for this device with this seed and these parameters has \
				 this verifier on its committee",
			))
		}
	}

	fn impostor(&self) -> Impostor {
		self.impostor.read().map(|i| *i).unwrap_or_default()
	}

	/// The device key and dataset, if the request is for this miner's device and it has one.
	fn current(&self, device: u64) -> Result<(sr25519::Pair, Arc<Sealed>), ErrorObjectOwned> {
		let held = self.held.read().map_err(|_| error(DEVICE_FAILED, "state poisoned"))?;
		let Some((ours, key)) = &held.device else {
			return Err(error(NOT_SEALED, "this miner has no registered device yet"));
		};
		if *ours != device {
			return Err(error(
				UNKNOWN_DEVICE,
				format!("this miner holds device {ours}, not device {device}"),
			));
		}
		match &held.data {
			Some(data) if data.header().device == device => Ok((key.clone(), data.clone())),
			_ => Err(error(
				NOT_SEALED,
				format!("device {device}'s dataset is not sealed yet; ask again once it is"),
			)),
		}
	}

	async fn challenge(
		&self,
		request: ChallengeRequest,
	) -> Result<ChallengeAnswer, ErrorObjectOwned> {
		let seed: Hash = hex_bytes("seed", &request.seed)?;
		let nonce: Hash = hex_bytes("nonce", &request.nonce)?;
		let verifier: [u8; 32] = hex_bytes("verifier", &request.verifier)?;
		let signature: [u8; 64] = hex_bytes("signature", &request.signature)?;
		let (key, data) = self.current(request.device)?;
		let message = round_request_message(request.device, &seed, &nonce);
		if !sr25519::Pair::verify(
			&sr25519::Signature::from_raw(signature),
			&message,
			&sr25519::Public::from_raw(verifier),
		) {
			return Err(error(
				BAD_SIGNATURE,
				"signature is not the verifier's over (b\"EMBRNDRQ\", device, seed, nonce)",
			));
		}
		request.round.validate(&data.header().params).map_err(|e| {
			error(INVALID_ROUND, format!("round parameters invalid for this dataset: {e:?}"))
		})?;
		self.check_assigned(&seed, &request.round, &verifier)?;
		let challenge = RoundChallenge {
			device: request.device,
			seed,
			verifier: pallet_verifiers::verifier_id(&AccountId32::from(verifier)),
			nonce,
		};
		let round = request.round;
		let run = {
			let _device = self.device.lock().await;
			let data = data.clone();
			let impostor = self.impostor();
			tokio::task::spawn_blocking(move || impostor.run_round(&data, &round, &challenge))
				.await
				.map_err(|e| error(DEVICE_FAILED, format!("the round's thread failed: {e}")))?
				.map_err(|e| error(DEVICE_FAILED, e.to_string()))?
		};
		let result = run.result();
		let signature = key.sign(&round_message(&challenge, &result));
		let walk_ms = run.walk_time().as_secs_f64() * 1e3;
		if walk_ms > f64::from(round.deadline_ms) {
			tracing::warn!(
				"round for verifier 0x{} walked in {walk_ms:.0} ms, past its {} ms deadline",
				hex::encode(verifier),
				round.deadline_ms
			);
		}
		tracing::info!(
			"round for verifier 0x{}: {} walks x {} steps in {walk_ms:.1} ms",
			hex::encode(verifier),
			round.walks,
			round.steps
		);
		if let Some(metrics) = &self.metrics {
			metrics.rounds_served().inc();
			metrics.round_walk_ms().set(walk_ms);
		}
		let mut runs = self.runs.lock().map_err(|_| error(DEVICE_FAILED, "state poisoned"))?;
		runs.retain(|kept| kept.challenge() != &challenge);
		if runs.len() >= KEPT_RUNS {
			runs.pop_front();
		}
		runs.push_back(Arc::new(run));
		Ok(ChallengeAnswer {
			result: format!("0x{}", hex::encode(result)),
			signature: format!("0x{}", hex::encode(signature.0)),
		})
	}

	async fn open(&self, request: OpenRequest) -> Result<OpenAnswer, ErrorObjectOwned> {
		let seed: Hash = hex_bytes("seed", &request.seed)?;
		let nonce: Hash = hex_bytes("nonce", &request.nonce)?;
		let verifier: [u8; 32] = hex_bytes("verifier", &request.verifier)?;
		let (_, data) = self.current(request.device)?;
		if request.segments.len() > MAX_AUDITS as usize {
			return Err(error(
				TOO_MANY_SEGMENTS,
				format!("{} segments asked; at most {MAX_AUDITS}", request.segments.len()),
			));
		}
		let challenge = RoundChallenge {
			device: request.device,
			seed,
			verifier: pallet_verifiers::verifier_id(&AccountId32::from(verifier)),
			nonce,
		};
		let run = self
			.runs
			.lock()
			.map_err(|_| error(DEVICE_FAILED, "state poisoned"))?
			.iter()
			.find(|run| run.challenge() == &challenge)
			.cloned()
			.ok_or_else(|| {
				error(
					UNKNOWN_RUN,
					"no round of this device, seed and nonce was run here recently: call \
					 round_challenge first",
				)
			})?;
		let round = *run.round();
		let asked: Vec<SegmentId> = request
			.segments
			.iter()
			.map(|s| SegmentId { walk: s.walk, segment: s.segment })
			.collect();
		if let Some(id) =
			asked.iter().find(|id| id.walk >= round.walks || id.segment >= round.segments())
		{
			return Err(error(
				SEGMENT_OUT_OF_RANGE,
				format!(
					"segment {} of walk {} is outside the round's {} walks of {} segments",
					id.segment,
					id.walk,
					round.walks,
					round.segments()
				),
			));
		}
		let opening = {
			let _device = self.device.lock().await;
			let impostor = self.impostor();
			tokio::task::spawn_blocking(move || impostor.open_round(&data, &run, &asked))
				.await
				.map_err(|e| error(DEVICE_FAILED, format!("the opening's thread failed: {e}")))?
				.map_err(|e| error(DEVICE_FAILED, e.to_string()))?
		};
		Ok(OpenAnswer { opening: format!("0x{}", hex::encode(opening.encode())) })
	}
}

impl RoundServer {
	/// Serves the round methods on `address` (port 0 picks a free one); counts rounds in
	/// `metrics` if given.
	pub async fn start(address: SocketAddr, metrics: Option<Metrics>) -> Result<Self> {
		let cannot = |e: &dyn std::fmt::Display| {
			Error::State(format!(
				"cannot serve rounds on {address}: {e}; pass another --round-listen"
			))
		};
		let server = Server::builder().build(address).await.map_err(|e| cannot(&e))?;
		let address = server.local_addr().map_err(|e| cannot(&e))?;
		let shared = Arc::new(Shared {
			held: RwLock::new(Held::default()),
			device: tokio::sync::Mutex::new(()),
			runs: Mutex::new(VecDeque::new()),
			metrics,
			impostor: RwLock::new(Impostor::default()),
			open: RwLock::new(None),
		});
		let mut module = RpcModule::new(shared.clone());
		module
			.register_async_method("round_challenge", |params, shared, _| async move {
				shared.challenge(parse(&params)?).await
			})
			.map_err(|e| cannot(&e))?;
		module
			.register_async_method("round_open", |params, shared, _| async move {
				shared.open(parse(&params)?).await
			})
			.map_err(|e| cannot(&e))?;
		let handle = server.start(module);
		tracing::info!("residency rounds served on {address}");
		Ok(RoundServer { shared, handle, address })
	}

	/// Where it listens.
	pub fn local_addr(&self) -> SocketAddr {
		self.address
	}

	/// The device this miner holds and its device key (which signs every `R`).
	pub fn set_device(&self, device: DeviceId, key: sr25519::Pair) {
		if let Ok(mut held) = self.shared.held.write() {
			held.device = Some((device, key));
		}
	}

	/// The dataset rounds walk, or `None` while there is none (sealing, re-sealing): the server
	/// must not keep an old dataset's device memory alive. Forgets every run.
	pub fn set_dataset(&self, data: Option<Arc<Sealed>>) {
		if let Ok(mut held) = self.shared.held.write() {
			held.data = data;
		}
		if let Ok(mut runs) = self.shared.runs.lock() {
			runs.clear();
		}
	}

	/// The rounds open on chain for the device, with their committees (the run loop sets them
	/// every block); from the first call on, requests outside them are refused.
	pub fn set_open_rounds(&self, rounds: Vec<OpenRound<AccountId32>>) {
		if let Ok(mut open) = self.shared.open.write() {
			*open = Some(rounds);
		}
	}

	/// How this endpoint answers rounds (honest unless a test set otherwise).
	pub fn impostor(&self) -> Impostor {
		self.shared.impostor()
	}

	/// Makes this endpoint answer as a cheating device (tests of the verifiers only).
	pub fn set_impostor(&self, impostor: Impostor) {
		if let Ok(mut current) = self.shared.impostor.write() {
			*current = impostor;
		}
	}

	/// Stops serving and waits until it has.
	pub async fn stop(self) {
		if self.handle.stop().is_ok() {
			self.handle.stopped().await;
		}
	}
}
