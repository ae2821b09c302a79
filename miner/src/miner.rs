//! The miner's work against a node: register a device, seal and commit its dataset, and answer
//! every challenge before its deadline.
//!
//! Answers follow the best chain and are confirmed on the finalized one: a challenge still open
//! at the best block is answered once; if it is still open two blocks later and the answer is
//! no longer in the node's pool (dropped, or lost to a reorg), the same transaction is
//! resubmitted, and rebuilt with a fresh nonce only if the old one went stale. A challenge that
//! is no longer open at the best block is never answered again. Outcomes are counted from
//! finalized blocks only.

use crate::round_server::RoundServer;
use crate::{
	backend::{self, Backend},
	chain::Chain,
	dataset::{self, SealOn, Sealed},
	error::{Error, Result},
	fingerprint::{self, Selected},
	keys,
	metrics::Metrics,
	state::{Paths, State},
};
use ember_pocps::{round::RoundChallenge, NativeSha256};
use ember_primitives::{ChallengeId, ClassId, DeviceId, DeviceStatus};
use ember_runtime::AccountId;
use ember_runtime::{currency::EMB, BlockNumber, Runtime, RuntimeCall, RuntimeEvent};
use frame_support::BoundedVec;
use pallet_device_registry::{Attestation, DeviceClassOf, DeviceInfoOf};
use pallet_pocps::{DeviceStats, OpenChallengeView, SealInfo};
use pallet_verifiers::{AuditRequest, OpenRound, RoundIndex};
use sp_core::{sr25519, Pair, H256};
use std::{
	collections::BTreeMap,
	sync::{atomic::AtomicBool, Arc},
	time::{Duration, Instant},
};

/// Blocks to wait for an answer to land before checking whether it was lost.
const RESUBMIT_AFTER: BlockNumber = 2;

/// A miner bound to one device, one account and one backend.
pub struct Miner {
	/// The node.
	pub chain: Chain,
	/// Pays fees and the device bond.
	pub account: sr25519::Pair,
	/// The compute backend.
	pub backend: std::sync::Arc<dyn Backend>,
	/// The device, as each API numbers it.
	pub gpu: Selected,
	/// Where sealing runs.
	pub seal_on: SealOn,
	/// Set by Ctrl-C: a seal in progress stops at its next chunk.
	pub stop: Arc<AtomicBool>,
	/// Files under the base path.
	pub paths: Paths,
	/// Metrics (registered even when not served).
	pub metrics: Metrics,
	/// Set when this miner serves residency rounds: the endpoint learns each block which
	/// rounds are open for the device and with which committees, and the miner answers its
	/// on-chain audits (as the endpoint's device would: honest unless a test said otherwise).
	pub rounds: Option<Arc<RoundServer>>,
	/// Set when this miner serves its device's leases (`run --lease-endpoint`).
	pub leases: Option<Arc<crate::lease_desk::LeaseDesk>>,
	/// Set when `run` renews the device's stake in its last epoch (`run --renew-limit`).
	pub renew: Option<crate::market::RenewPolicy>,
}

/// A device class as the chain holds it.
pub type Class = DeviceClassOf<Runtime>;

/// An answer in flight.
struct Pending {
	extrinsic: Vec<u8>,
	submitted_at: BlockNumber,
	deadline: BlockNumber,
}

impl Miner {
	fn account_id(&self) -> ember_runtime::AccountId {
		keys::account(&self.account)
	}

	/// Every class on chain, by id.
	pub async fn classes(&self) -> Result<Vec<(ClassId, Class)>> {
		let next: ClassId = self
			.chain
			.storage(&pallet_device_registry::NextClassId::<Runtime>::hashed_key(), None)
			.await?
			.unwrap_or_default();
		let mut classes = Vec::new();
		for id in 0..next {
			let key = pallet_device_registry::Classes::<Runtime>::hashed_key_for(id);
			if let Some(class) = self.chain.storage::<Class>(&key, None).await? {
				classes.push((id, class));
			}
		}
		Ok(classes)
	}

	/// The class named or numbered `wanted`.
	pub async fn find_class(&self, wanted: &str) -> Result<(ClassId, Class)> {
		let classes = self.classes().await?;
		let name = |class: &Class| String::from_utf8_lossy(&class.name).into_owned();
		let found = classes
			.iter()
			.find(|(id, class)| name(class) == wanted || id.to_string() == wanted)
			.cloned();
		found.ok_or_else(|| {
			let known: Vec<String> =
				classes.iter().map(|(id, class)| format!("{} ({id})", name(class))).collect();
			Error::UnknownClass(wanted.into(), known.join(", "))
		})
	}

	/// The device on chain.
	pub async fn device_info(&self, device: DeviceId) -> Result<Option<DeviceInfoOf<Runtime>>> {
		let key = pallet_device_registry::Devices::<Runtime>::hashed_key_for(device);
		self.chain.storage(&key, None).await
	}

	/// The device this miner registered on this chain, if it still exists there.
	pub async fn registered_device(&self) -> Result<Option<DeviceId>> {
		let state = State::load(&self.paths.state())?;
		let Some(device) = state.device_on(self.chain.genesis) else { return Ok(None) };
		let owned = self
			.device_info(device)
			.await?
			.filter(|info| info.owner == self.account_id() && info.status != DeviceStatus::Retired);
		Ok(owned.map(|_| device))
	}

	/// Registers this miner's device in class `class` (a name or number), unless it already is.
	pub async fn register(&self, class: &str) -> Result<DeviceId> {
		if let Some(device) = self.registered_device().await? {
			tracing::info!("device {device} is already registered to this miner");
			return Ok(device);
		}
		let (class_id, class) = self.find_class(class).await?;
		let class_name = String::from_utf8_lossy(&class.name).into_owned();
		let identity = fingerprint::identity(self.backend.kind(), &self.gpu);
		if identity.memory_mib < u64::from(class.min_vram_mib) {
			return Err(Error::TooLittleMemory {
				device: identity.model,
				have: identity.memory_mib,
				need: class.min_vram_mib,
				class: class_name,
			});
		}
		let account = self.account_id();
		let free = self.chain.account(&account).await?.data.free;
		// The bond plus a margin for fees.
		let needed = class.bond.saturating_add(EMB);
		if free < needed {
			return Err(Error::Unfunded {
				account: sp_core::crypto::Ss58Codec::to_ss58check(&account),
				free: format_emb(free),
				needed: format_emb(needed),
				why: format!("the {class_name} bond is {}", format_emb(class.bond)),
			});
		}
		let fingerprint = identity.fingerprint();
		let taken: Option<DeviceId> = self
			.chain
			.storage(
				&pallet_device_registry::Fingerprints::<Runtime>::hashed_key_for(fingerprint),
				None,
			)
			.await?;
		if let Some(device) = taken {
			let owner = self.device_info(device).await?.map(|info| info.owner);
			if owner.as_ref() == Some(&account) {
				tracing::info!("this device is registered to this account as device {device}");
				return self.remember(device);
			}
			return Err(Error::Dispatch {
				call: "register_device",
				error: format!(
					"fingerprint {fingerprint:?} ({}, {}) is already registered as device \
					 {device} by another account: one physical device, one registration",
					identity.model, identity.uuid
				),
			});
		}
		let device_key = keys::device_key(&self.paths.device_key())?;
		let genesis = self.chain.genesis;
		let payload = pallet_device_registry::attestation::registration_payload(
			&account,
			&fingerprint,
			&genesis,
		);
		let signature = device_key.sign(&payload);
		let call = RuntimeCall::DeviceRegistry(pallet_device_registry::Call::register_device {
			class: class_id,
			memory_mib: u32::try_from(identity.memory_mib).unwrap_or(u32::MAX),
			fingerprint,
			device_key: device_key.public().0,
			signature: signature.0,
			attestation: Attestation::SelfSigned,
		});
		tracing::info!(
			"registering {} ({} MiB) as a {class_name} device, fingerprint {fingerprint:?}",
			identity.model,
			identity.memory_mib
		);
		let (_, events) =
			self.chain.submit_and_watch(&self.account, call, "register_device").await?;
		let device = events
			.iter()
			.find_map(|event| match event {
				RuntimeEvent::DeviceRegistry(pallet_device_registry::Event::DeviceRegistered {
					device,
					..
				}) => Some(*device),
				_ => None,
			})
			.ok_or_else(|| Error::State("register_device emitted no DeviceRegistered".into()))?;
		tracing::info!("registered device {device}");
		self.remember(device)
	}

	fn remember(&self, device: DeviceId) -> Result<DeviceId> {
		State { genesis: Some(self.chain.genesis), device: Some(device) }
			.save(&self.paths.state())?;
		Ok(device)
	}

	async fn seal_info(&self, device: DeviceId) -> Result<Option<SealInfo<BlockNumber>>> {
		self.chain.runtime_api("PocpsApi_seal", device, None).await
	}

	/// The device's status on chain.
	pub async fn status(&self, device: DeviceId) -> Result<Option<DeviceStatus>> {
		self.chain.runtime_api("PocpsApi_device_status", device, None).await
	}

	/// Makes sure the device has a committed seal that this miner holds in device memory:
	/// keeps `held` when it still matches the chain (a reconnect costs nothing), loads the
	/// dataset on disk when it does, commits it if the crash came between sealing and
	/// committing, resumes an interrupted seal, and seals afresh otherwise (first seal,
	/// suspension, class change).
	pub async fn ensure_sealed(
		&self,
		device: DeviceId,
		held: Option<Arc<Sealed>>,
	) -> Result<Arc<Sealed>> {
		let info = self
			.device_info(device)
			.await?
			.ok_or_else(|| Error::State(format!("device {device} is not registered")))?;
		let class: Class = self
			.chain
			.storage(&pallet_device_registry::Classes::<Runtime>::hashed_key_for(info.class), None)
			.await?
			.ok_or_else(|| {
				Error::State(format!("device {device}'s class {} is gone", info.class))
			})?;
		let on_chain = self.seal_info(device).await?;
		let chain_nonce = on_chain.as_ref().map(|s| s.nonce).unwrap_or(0);
		let needs_new = matches!(info.status, DeviceStatus::Suspended | DeviceStatus::Registered);
		let committed = |header: &dataset::Header| {
			on_chain.as_ref().is_some_and(|s| s.nonce == header.nonce && s.root == header.root)
		};
		let uncommitted =
			|header: &dataset::Header| header.nonce > chain_nonce && header.params == class.pocps;

		let device_key = keys::load(&self.paths.device_key())?;
		// A dataset sealed under another chain's (or device key's) encoding key is never reused.
		let ours = |header: &dataset::Header| {
			header.device == device
				&& header.ek
					== ember_pocps::encoding_key::<NativeSha256>(
						&self.chain.genesis.0,
						&device_key.public().0,
						header.nonce,
					)
		};
		if let Some(held) = held.filter(|held| ours(held.header())) {
			if committed(held.header()) && !needs_new {
				return Ok(held);
			}
			if uncommitted(held.header()) {
				self.commit(device, held.header()).await?;
				return Ok(held);
			}
		}
		// Anything held otherwise is dropped here, before a load or seal allocates anew.

		let path = self.paths.dataset();
		if path.exists() {
			match dataset::read_header(&path) {
				Ok((header, None))
					if ours(&header)
						&& ((committed(&header) && !needs_new) || uncommitted(&header)) =>
				{
					tracing::info!("loading the dataset on disk (seal {})", header.nonce);
					match self.load(&path).await {
						Ok(data) => {
							if !committed(&header) {
								tracing::info!("committing the sealed dataset on disk");
								self.commit(device, &header).await?;
							} else {
								tracing::info!(
									"dataset on disk matches seal {} on chain",
									header.nonce
								);
							}
							return Ok(data);
						}
						// A committed dataset that no longer hashes to its root is the
						// operator's to look at (the message says what to do), not to paper over.
						Err(error) => return Err(error),
					}
				}
				Ok((header, Some(_))) if header.device == device => {}
				Ok(_) => tracing::info!("the dataset on disk is not this seal's; sealing anew"),
				// An incomplete seal's file (its lanes file beside it) is work in progress,
				// not a committed dataset: start it over rather than refuse.
				Err(error) if dataset::lanes_path(&path).exists() => {
					tracing::warn!("{error}; the interrupted seal starts over")
				}
				Err(error) => return Err(error),
			}
		}

		let nonce = chain_nonce.saturating_add(1);
		let ek = ember_pocps::encoding_key::<NativeSha256>(
			&self.chain.genesis.0,
			&device_key.public().0,
			nonce,
		);
		let params = class.pocps;
		tracing::info!(
			"sealing {} MiB ({} lanes x {} labels, {} iterations) for {}",
			params.dataset_bytes() >> 20,
			params.lanes,
			params.lane_len,
			params.iterations,
			self.backend.device_name()
		);
		let header = dataset::Header { device, nonce, params, ek, root: Default::default() };
		let started = Instant::now();
		let (backend, stop, seal_on) = (self.backend.clone(), self.stop.clone(), self.seal_on);
		let progress = self.metrics.seal_progress();
		let data = blocking(move || {
			dataset::seal(backend.as_ref(), &path, header, seal_on, &stop, &|done| {
				progress.set(done)
			})
		})
		.await?;
		let seconds = started.elapsed().as_secs_f64().max(1e-9);
		self.metrics.hashrate().set(
			(backend::seal_compressions(&params)
				+ backend::merkle_compressions(params.total_labels())) as f64
				/ seconds,
		);
		self.metrics.record_memory(&data);
		self.commit(device, data.header()).await?;
		Ok(Arc::new(data))
	}

	async fn load(&self, path: &std::path::Path) -> Result<Arc<Sealed>> {
		let (backend, stop, path) = (self.backend.clone(), self.stop.clone(), path.to_path_buf());
		let data = blocking(move || dataset::load(backend.as_ref(), &path, &stop)).await?;
		self.metrics.record_memory(&data);
		Ok(Arc::new(data))
	}

	async fn commit(&self, device: DeviceId, header: &dataset::Header) -> Result<()> {
		let call = RuntimeCall::Pocps(pallet_pocps::Call::commit_seal {
			device,
			root: header.root,
			nonce: header.nonce,
			params: header.params,
		});
		self.chain.submit_and_watch(&self.account, call, "commit_seal").await?;
		tracing::info!("committed seal {} (root 0x{})", header.nonce, hex::encode(header.root));
		Ok(())
	}

	/// Answers challenges until the device needs re-sealing (returns `Ok`) or the connection
	/// fails (returns the error).
	pub async fn answer(&self, device: DeviceId, data: &Sealed) -> Result<()> {
		let mut best = self.chain.subscribe_heads(false).await?;
		let mut finalized = self.chain.subscribe_heads(true).await?;
		let mut versions = self.chain.subscribe_runtime_version().await?;
		let mut spec_seen: Option<u64> = None;
		let mut pending: BTreeMap<ChallengeId, Pending> = BTreeMap::new();
		let mut seen: BTreeMap<ChallengeId, Instant> = BTreeMap::new();
		let mut last_finalized: Option<BlockNumber> = None;
		let mut audited: BTreeMap<RoundIndex, ()> = BTreeMap::new();
		let mut market = crate::market::MarketFollow::default();
		loop {
			tokio::select! {
				version = versions.next() => {
					let version = version
						.ok_or_else(|| Error::Rpc { method: "state_subscribeRuntimeVersion".into(), reason: "closed".into() })?
						.map_err(|e| Error::Rpc { method: "state_subscribeRuntimeVersion".into(), reason: e.to_string() })?;
					let field = |name: &str| version.get(name).and_then(serde_json::Value::as_u64);
					let spec = field("specVersion");
					if spec_seen.is_some() && spec != spec_seen {
						tracing::info!(
							"the runtime was upgraded to spec {} (transaction version {}): answers are signed for it",
							spec.unwrap_or_default(),
							field("transactionVersion").unwrap_or_default()
						);
					}
					spec_seen = spec;
				}
				header = best.next() => {
					let header = header
						.ok_or_else(|| Error::Rpc { method: "chain_subscribeNewHeads".into(), reason: "closed".into() })?
						.map_err(|e| Error::Rpc { method: "chain_subscribeNewHeads".into(), reason: e.to_string() })?;
					if !self.on_best(device, data, &header, &mut pending, &mut seen).await? {
						return Ok(());
					}
					if let Some(rounds) = &self.rounds {
						// An audit it cannot answer is logged; storage challenges go on.
						if let Err(error) = self.follow_rounds(device, data, &header, rounds, &mut audited).await {
							if matches!(error, Error::Rpc { .. } | Error::Connect { .. }) {
								return Err(error);
							}
							tracing::warn!("audit not answered: {error}");
						}
					}
					// Stake renewal and lease service: a failure is logged and tried next block.
					if let Err(error) = self.follow_market(device, &header, &mut market).await {
						if matches!(error, Error::Rpc { .. } | Error::Connect { .. }) {
							return Err(error);
						}
						tracing::warn!("market: {error}");
					}
				}
				header = finalized.next() => {
					let header = header
						.ok_or_else(|| Error::Rpc { method: "chain_subscribeFinalizedHeads".into(), reason: "closed".into() })?
						.map_err(|e| Error::Rpc { method: "chain_subscribeFinalizedHeads".into(), reason: e.to_string() })?;
					let from = last_finalized.map(|n| n.saturating_add(1)).unwrap_or(header.number);
					for number in from..=header.number {
						let hash = self.chain.block_hash(number).await?;
						// Counting outcomes is bookkeeping: a block it cannot read is logged
						// and skipped, never a reason to stop answering.
						if let Err(error) = self.on_finalized(device, hash).await {
							if matches!(error, Error::Rpc { .. }) {
								return Err(error);
							}
							tracing::warn!("outcomes of block {number} not counted: {error}");
						}
					}
					last_finalized = Some(header.number);
					// Forget challenges that finality has settled.
					seen.retain(|challenge, _| pending.contains_key(challenge));
				}
			}
		}
	}

	/// Sets the device's round endpoint on chain unless it is `url` already (the owner pays
	/// the deposit once).
	pub async fn ensure_endpoint(&self, device: DeviceId, url: &str) -> Result<()> {
		let key = pallet_verifiers::Endpoints::<Runtime>::hashed_key_for(device);
		let current: Option<pallet_verifiers::EndpointOf<Runtime>> =
			self.chain.storage(&key, None).await?;
		if current.is_some_and(|e| e.url.as_slice() == url.as_bytes()) {
			return Ok(());
		}
		let url: BoundedVec<u8, _> = url.as_bytes().to_vec().try_into().map_err(|_| {
			Error::State(format!("--round-endpoint {url} is longer than the chain allows"))
		})?;
		let call = RuntimeCall::Verifiers(pallet_verifiers::Call::set_endpoint { device, url });
		self.chain.submit_and_watch(&self.account, call, "verifiers.setEndpoint").await?;
		tracing::info!("round endpoint of device {device} set on chain");
		Ok(())
	}

	/// Answers an on-chain audit of this device's passes in the open or the previous round:
	/// re-runs the audited round (the verifier's nonce is on chain) and opens the segments the
	/// chain names. A result the device did not produce is not answered: its verifier forged
	/// it and is slashed.
	async fn follow_rounds(
		&self,
		device: DeviceId,
		data: &Sealed,
		header: &ember_runtime::Header,
		rounds: &RoundServer,
		audited: &mut BTreeMap<RoundIndex, ()>,
	) -> Result<()> {
		let at = Some(header.hash());
		let open: Vec<OpenRound<AccountId>> =
			self.chain.runtime_api("VerifiersApi_device_rounds", device, at).await?;
		rounds.set_open_rounds(open);
		let impostor = rounds.impostor();
		let (current, _): (RoundIndex, [u8; 32]) =
			self.chain.runtime_api("VerifiersApi_current_round", (), at).await?;
		audited.retain(|round, _| round.saturating_add(1) >= current);
		for round in [current, current.saturating_sub(1)] {
			if round == 0 || audited.contains_key(&round) {
				continue;
			}
			let request: Option<AuditRequest> =
				self.chain.runtime_api("VerifiersApi_audit", (round, device), at).await?;
			let Some(request) = request else { continue };
			tracing::info!(
				"audit of round {round}: opening {} segments by block #{}",
				request.segments.len(),
				request.deadline
			);
			let challenge = RoundChallenge {
				device,
				seed: request.seed,
				verifier: request.verifier,
				nonce: request.nonce,
			};
			let run = impostor.run_round(data, &request.round, &challenge)?;
			if run.result() != request.result {
				audited.insert(round, ());
				tracing::warn!(
					"audit of round {round}: the audited result is not this device's; not answered"
				);
				continue;
			}
			let opening = impostor.open_round(data, &run, &request.segments)?;
			let call = RuntimeCall::Verifiers(pallet_verifiers::Call::answer_audit {
				round,
				device,
				opening,
			});
			self.chain.sign_and_submit(&self.account, call).await?;
			// Only once the pool took it: a failed submission is tried again next block.
			audited.insert(round, ());
			tracing::info!("audit of round {round} answered");
		}
		Ok(())
	}

	/// Handles a new best block; returns `false` when the device must re-seal.
	async fn on_best(
		&self,
		device: DeviceId,
		data: &Sealed,
		header: &ember_runtime::Header,
		pending: &mut BTreeMap<ChallengeId, Pending>,
		seen: &mut BTreeMap<ChallengeId, Instant>,
	) -> Result<bool> {
		let at = Some(header.hash());
		let status: Option<DeviceStatus> =
			self.chain.runtime_api("PocpsApi_device_status", device, at).await?;
		if !status.is_some_and(|s| s.is_challengeable()) {
			tracing::warn!("device {device} is {status:?} at block {}: re-sealing", header.number);
			return Ok(false);
		}
		let open: Vec<(ChallengeId, OpenChallengeView<BlockNumber>)> =
			self.chain.runtime_api("PocpsApi_open_challenges", device, at).await?;
		// Answers that landed, or challenges that closed, need nothing more.
		pending.retain(|challenge, _| open.iter().any(|(id, _)| id == challenge));
		for (challenge, OpenChallengeView { info, seed }) in open {
			if header.number >= info.deadline {
				continue;
			}
			// The seed needs the VRF output of the block after the one that opened the
			// challenge: it is on chain from block `opened_at + 2`.
			let Some(seed) = seed else { continue };
			let first_seen = *seen.entry(challenge).or_insert_with(|| {
				self.metrics.received().inc();
				tracing::info!(
					"challenge {challenge} opened at #{}, deadline #{}",
					info.opened_at,
					info.deadline
				);
				Instant::now()
			});
			match pending.get(&challenge) {
				Some(p) if header.number < p.submitted_at.saturating_add(RESUBMIT_AFTER) => {
					continue
				}
				Some(p) if self.chain.is_pending(&p.extrinsic).await? => continue,
				Some(p) => {
					tracing::warn!("answer to challenge {challenge} was lost; resubmitting");
					let extrinsic = p.extrinsic.clone();
					let deadline = p.deadline;
					let extrinsic = match self.chain.submit(&extrinsic).await {
						Ok(_) => extrinsic,
						// Stale (nonce used by something else, or its era): sign a fresh one.
						Err(_) => {
							match self.submit_answer(data, challenge, &seed, info.seal_check).await
							{
								Ok(extrinsic) => extrinsic,
								Err(Error::Rejected(reason)) => {
									Self::refused(challenge, &reason);
									pending.remove(&challenge);
									continue;
								}
								Err(error) => return Err(error),
							}
						}
					};
					pending.insert(
						challenge,
						Pending { extrinsic, submitted_at: header.number, deadline },
					);
				}
				None => {
					let extrinsic =
						match self.submit_answer(data, challenge, &seed, info.seal_check).await {
							Ok(extrinsic) => extrinsic,
							Err(Error::Rejected(reason)) => {
								Self::refused(challenge, &reason);
								continue;
							}
							Err(error) => return Err(error),
						};
					self.metrics.response_seconds().observe(first_seen.elapsed().as_secs_f64());
					self.metrics.last_answer().set(
						std::time::SystemTime::now()
							.duration_since(std::time::UNIX_EPOCH)
							.map(|d| d.as_secs_f64())
							.unwrap_or_default(),
					);
					tracing::info!(
						"answered challenge {challenge} in {:.0?}",
						first_seen.elapsed()
					);
					pending.insert(
						challenge,
						Pending { extrinsic, submitted_at: header.number, deadline: info.deadline },
					);
				}
			}
		}
		Ok(true)
	}

	/// A refused answer is tried again, freshly signed, at the next best block while its
	/// deadline allows: the pool may have judged it against a head that a reorg or a stalled
	/// validator left behind (seen as "ancient birth block" in the chaos test). It must not
	/// stop the miner.
	fn refused(challenge: ChallengeId, reason: &str) {
		tracing::warn!(
			"the node refused the answer to challenge {challenge} ({reason}); trying again at \
			 the next block"
		);
	}

	async fn submit_answer(
		&self,
		data: &Sealed,
		challenge: ChallengeId,
		seed: &[u8; 32],
		seal_check: bool,
	) -> Result<Vec<u8>> {
		let proof = data.prove(seed, seal_check).map_err(|error| {
			Error::State(format!("cannot answer challenge {challenge}: {error}"))
		})?;
		let call =
			RuntimeCall::Pocps(pallet_pocps::Call::respond { challenge, proof: Box::new(proof) });
		self.chain.sign_and_submit(&self.account, call).await
	}

	/// Counts this device's outcomes in a finalized block.
	async fn on_finalized(&self, device: DeviceId, block: H256) -> Result<()> {
		for record in self.chain.events(block).await? {
			match record.event {
				RuntimeEvent::Pocps(pallet_pocps::Event::ChallengeAnswered {
					device: d,
					challenge,
					latency,
				}) if d == device => {
					self.metrics.answered().inc();
					self.metrics.answer_latency_blocks().set(u64::from(latency));
					tracing::info!(
						"challenge {challenge} answered in {latency} blocks (finalized)"
					);
				}
				RuntimeEvent::Pocps(pallet_pocps::Event::ChallengeMissed {
					device: d,
					challenge,
				}) if d == device => {
					self.metrics.missed().inc();
					tracing::warn!("challenge {challenge} was missed (finalized)");
				}
				RuntimeEvent::Pocps(pallet_pocps::Event::ProofRejected {
					device: d,
					challenge,
					reason,
				}) if d == device => {
					self.metrics.missed().inc();
					tracing::error!("answer to challenge {challenge} was rejected: {reason:?}");
				}
				_ => {}
			}
		}
		Ok(())
	}

	/// The device's challenge record.
	pub async fn stats(&self, device: DeviceId) -> Result<DeviceStats> {
		self.chain.runtime_api("PocpsApi_stats", device, None).await
	}

	/// The device's open challenges.
	pub async fn open_challenges(
		&self,
		device: DeviceId,
	) -> Result<Vec<(ChallengeId, OpenChallengeView<BlockNumber>)>> {
		self.chain.runtime_api("PocpsApi_open_challenges", device, None).await
	}
}

/// Runs `work` on a thread where blocking is allowed (sealing, loading), off the async
/// runtime, so Ctrl-C and the node connection stay responsive meanwhile.
async fn blocking<T: Send + 'static>(
	work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
	tokio::task::spawn_blocking(work)
		.await
		.map_err(|e| Error::State(format!("the sealing thread failed: {e}")))?
}

/// `amount` in EMB with three decimals.
pub fn format_emb(amount: u128) -> String {
	let milli = amount / (EMB / 1_000);
	format!("{}.{:03} EMB", milli / 1_000, milli % 1_000)
}

/// Connects to the first of `urls` that answers, trying each in turn with exponential backoff
/// (1 s doubling to 30 s between rounds) until one does: a node restart or a dead node fails
/// over to the next.
pub async fn connect_any(urls: &[String]) -> Chain {
	let mut delay = Duration::from_secs(1);
	loop {
		for url in urls {
			match Chain::connect(url).await {
				Ok(chain) => return chain,
				Err(error) => tracing::warn!("{error}"),
			}
		}
		tracing::warn!("no node reachable; retrying in {delay:?}");
		tokio::time::sleep(delay).await;
		delay = (delay * 2).min(Duration::from_secs(30));
	}
}
