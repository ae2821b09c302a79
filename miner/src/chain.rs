//! The node client: jsonrpsee over WebSocket, typed by the runtime crate itself (calls, events,
//! storage keys and transaction extensions come from `ember-runtime`, so a change there is a
//! compile error here, not a wrong byte on the wire), and checked against the node's metadata
//! where the running runtime may be newer than this build:
//!
//! - transactions name the spec and transaction versions of the runtime at the best block,
//!   read for every signature, so a `set_code` does not invalidate the miner's answers;
//! - events are split into records by the metadata of the runtime that emitted them, then
//!   decoded with this build's types: a record it does not know (a new pallet's) is skipped,
//!   not fatal;
//! - signing is serialised per account, across processes on one host (a lock file), and a
//!   rejection that a fresh nonce or birth block fixes is re-signed and retried, so several
//!   miners (one per GPU) can share one account.

use crate::error::{Error, Result};
use codec::{Decode, DecodeAll, Encode};
use ember_runtime::{
	AccountId, Address, BlockNumber, Header, Nonce, Runtime, RuntimeCall, RuntimeError,
	RuntimeEvent, Signature, SignedPayload, TxExtension, UncheckedExtrinsic,
};
use frame_system::{EventRecord, Phase};
use jsonrpsee::{
	core::{
		client::{ClientT, Subscription, SubscriptionClientT},
		params::ArrayParams,
	},
	rpc_params,
	ws_client::{WsClient, WsClientBuilder},
};
use scale_info::PortableRegistry;
use sp_core::{crypto::Ss58Codec, sr25519, Pair, H256};
use sp_runtime::{generic::Era, DispatchError};
use std::{
	sync::{Arc, Mutex},
	time::Duration,
};

/// Blocks a transaction stays valid for: long enough to survive a short stall, short enough that
/// a stale answer cannot be replayed much later.
const MORTALITY: u64 = 64;

/// Times a rejected transaction is re-signed and resubmitted before giving up.
const SUBMIT_ATTEMPTS: u32 = 4;

/// A connection to an Ember node.
pub struct Chain {
	client: WsClient,
	/// The node's URL.
	pub url: String,
	/// The chain's genesis hash.
	pub genesis: H256,
	spec_version: u32,
	transaction_version: u32,
	/// The event layout of the last runtime version events were read under.
	events_layout: Mutex<Option<(u32, Arc<EventLayout>)>>,
	/// Where the per-account signing lock files live: a directory every miner process of
	/// this operator shares (the parent of their base paths); `None` signs without one.
	pub signing_lock_dir: Option<std::path::PathBuf>,
}

/// Longest wait for another process's signing lock before signing without it (a retry then
/// sorts out any nonce collision): a stuck process must not stall the others past a deadline.
const LOCK_WAIT: Duration = Duration::from_secs(10);

/// How a runtime's `System::Events` records are laid out, from its metadata.
struct EventLayout {
	types: PortableRegistry,
	/// The type of one `EventRecord`.
	record: u32,
}

impl EventLayout {
	/// Reads the layout from SCALE-encoded `RuntimeMetadataPrefixed`.
	fn from_metadata(bytes: &[u8]) -> Option<Self> {
		use frame_metadata::{v14::StorageEntryType, RuntimeMetadata, RuntimeMetadataPrefixed};
		let prefixed = RuntimeMetadataPrefixed::decode(&mut &bytes[..]).ok()?;
		let (types, pallets) = match prefixed.1 {
			RuntimeMetadata::V14(m) => {
				(m.types, m.pallets.into_iter().map(|p| (p.name, p.storage)).collect::<Vec<_>>())
			}
			RuntimeMetadata::V15(m) => {
				(m.types, m.pallets.into_iter().map(|p| (p.name, p.storage)).collect())
			}
			_ => return None,
		};
		let storage = pallets.into_iter().find(|(name, _)| name == "System")?.1?;
		let entry = storage.entries.into_iter().find(|e| e.name == "Events")?;
		let vector = match entry.ty {
			StorageEntryType::Plain(ty) => ty.id,
			StorageEntryType::Map { value, .. } => value.id,
		};
		let record = match &types.resolve(vector)?.type_def {
			scale_info::TypeDef::Sequence(sequence) => sequence.type_param.id,
			_ => return None,
		};
		Some(EventLayout { types, record })
	}

	/// Splits encoded `Vec<EventRecord>` into one byte slice per record.
	fn records<'a>(&self, mut bytes: &'a [u8]) -> Option<Vec<&'a [u8]>> {
		let count = codec::Compact::<u32>::decode(&mut bytes).ok()?.0;
		// The count comes from the node: no allocation beyond what the bytes can hold.
		let mut records = Vec::with_capacity((count as usize).min(bytes.len()));
		for _ in 0..count {
			let before = bytes;
			scale_decode::visitor::decode_with_visitor(
				&mut bytes,
				self.record,
				&self.types,
				scale_decode::visitor::IgnoreVisitor::<PortableRegistry>::new(),
			)
			.ok()?;
			records.push(before.get(..before.len().saturating_sub(bytes.len()))?);
		}
		Some(records)
	}

	/// The records of encoded `Vec<EventRecord>` that this build's types decode, skipping the
	/// rest; `None` if the bytes do not fit the layout at all.
	fn known_events(&self, bytes: &[u8]) -> Option<Vec<EventRecord<RuntimeEvent, H256>>> {
		let records = self.records(bytes)?;
		let mut known = Vec::with_capacity(records.len());
		for record in records {
			match EventRecord::<RuntimeEvent, H256>::decode_all(&mut &record[..]) {
				Ok(event) => known.push(event),
				Err(_) => tracing::debug!(
					"skipping an event this miner does not know ({} bytes)",
					record.len()
				),
			}
		}
		Some(known)
	}
}

/// A JSON-RPC error answer is the pool refusing the transaction; anything else (a closed
/// socket, a timeout) is the connection failing, which reconnects.
fn pool_or_transport(error: jsonrpsee::core::client::Error) -> Error {
	match error {
		jsonrpsee::core::client::Error::Call(answer) => Error::Rejected(answer.to_string()),
		other => rpc_error("author_submitExtrinsic", other),
	}
}

/// Whether a pool rejection is one a re-signed transaction can get past: a nonce another
/// transaction took (`1014 Priority is too low`, `1010 … Outdated/Stale`), or a birth block the
/// pool no longer knows (`ancient birth block`), or a spec version that just changed.
pub fn retryable(reason: &str) -> bool {
	let reason = reason.to_ascii_lowercase();
	[
		"1014",
		"priority is too low",
		"stale",
		"outdated",
		"ancient birth block",
		"in the future",
		"bad signature",
		"badproof",
	]
	.iter()
	.any(|needle| reason.contains(needle))
}

fn rpc_error(method: &str, error: impl std::fmt::Display) -> Error {
	Error::Rpc { method: method.into(), reason: error.to_string() }
}

fn hex_bytes(value: &str) -> Option<Vec<u8>> {
	hex::decode(value.trim_start_matches("0x")).ok()
}

/// What a dispatch error means, by pallet and variant name where the runtime knows it.
pub fn describe(error: DispatchError) -> String {
	match RuntimeError::from_dispatch_error(error) {
		Some(known) => format!("{known:?}"),
		None => format!("{error:?}"),
	}
}

impl Chain {
	/// Connects and reads the chain's identity.
	pub async fn connect(url: &str) -> Result<Self> {
		let client = WsClientBuilder::default()
			.connection_timeout(Duration::from_secs(5))
			.request_timeout(Duration::from_secs(60))
			.max_request_size(16 << 20)
			.max_response_size(64 << 20)
			.build(url)
			.await
			.map_err(|e| Error::Connect { url: url.into(), reason: e.to_string() })?;
		let genesis: H256 = client
			.request("chain_getBlockHash", rpc_params![0u32])
			.await
			.map_err(|e| rpc_error("chain_getBlockHash", e))?;
		let version: serde_json::Value = client
			.request("state_getRuntimeVersion", rpc_params![])
			.await
			.map_err(|e| rpc_error("state_getRuntimeVersion", e))?;
		let field = |name: &str| version.get(name).and_then(serde_json::Value::as_u64);
		let spec_name = version.get("specName").and_then(|v| v.as_str()).unwrap_or_default();
		if spec_name != "ember" {
			return Err(Error::Connect {
				url: url.into(),
				reason: format!("it runs `{spec_name}`, not an Ember chain"),
			});
		}
		let spec_version = field("specVersion").unwrap_or_default() as u32;
		let transaction_version = field("transactionVersion").unwrap_or_default() as u32;
		if spec_version != ember_runtime::VERSION.spec_version {
			tracing::warn!(
				"node runs spec {spec_version}, this miner was built for {}: calls may not decode",
				ember_runtime::VERSION.spec_version
			);
		}
		Ok(Chain {
			client,
			url: url.into(),
			genesis,
			spec_version,
			transaction_version,
			events_layout: Mutex::new(None),
			signing_lock_dir: None,
		})
	}

	async fn request<R: serde::de::DeserializeOwned>(
		&self,
		method: &str,
		params: ArrayParams,
	) -> Result<R> {
		self.client.request(method, params).await.map_err(|e| rpc_error(method, e))
	}

	fn decode<T: Decode>(&self, what: &str, bytes: &[u8]) -> Result<T> {
		T::decode(&mut &bytes[..]).map_err(|e| Error::Decode {
			what: what.into(),
			reason: e.to_string(),
			spec_version: self.spec_version,
		})
	}

	/// Reads and decodes the storage item at `key` in block `at` (best if `None`).
	pub async fn storage<T: Decode>(&self, key: &[u8], at: Option<H256>) -> Result<Option<T>> {
		let value: Option<String> = self
			.request("state_getStorage", rpc_params![format!("0x{}", hex::encode(key)), at])
			.await?;
		match value {
			None => Ok(None),
			Some(hex) => {
				let bytes =
					hex_bytes(&hex).ok_or_else(|| rpc_error("state_getStorage", "not hex"))?;
				self.decode(std::any::type_name::<T>(), &bytes).map(Some)
			}
		}
	}

	/// Calls runtime API `method` (e.g. `PocpsApi_seal`) with SCALE-encoded `args`.
	pub async fn runtime_api<T: Decode>(
		&self,
		method: &str,
		args: impl Encode,
		at: Option<H256>,
	) -> Result<T> {
		let hex: String = self
			.request(
				"state_call",
				rpc_params![method, format!("0x{}", hex::encode(args.encode())), at],
			)
			.await?;
		let bytes = hex_bytes(&hex).ok_or_else(|| rpc_error("state_call", "not hex"))?;
		self.decode(method, &bytes)
	}

	/// The hash of block `number` of the best chain.
	pub async fn block_hash(&self, number: BlockNumber) -> Result<H256> {
		let hash: Option<H256> = self.request("chain_getBlockHash", rpc_params![number]).await?;
		hash.ok_or_else(|| rpc_error("chain_getBlockHash", format!("no block {number}")))
	}

	/// The best block's header.
	pub async fn best_header(&self) -> Result<Header> {
		self.request("chain_getHeader", rpc_params![]).await
	}

	/// The last finalized block's hash.
	pub async fn finalized_hash(&self) -> Result<H256> {
		self.request("chain_getFinalizedHead", rpc_params![]).await
	}

	/// The events layout of the runtime at block `at` (cached per spec version).
	async fn events_layout(&self, at: H256) -> Result<Arc<EventLayout>> {
		let (spec, _) = self.versions_at(at).await?;
		if let Ok(cached) = self.events_layout.lock() {
			if let Some((version, layout)) = cached.as_ref().filter(|(v, _)| *v == spec) {
				tracing::trace!("events layout of spec {version} cached");
				return Ok(layout.clone());
			}
		}
		let hex: String = self.request("state_getMetadata", rpc_params![at]).await?;
		let bytes = hex_bytes(&hex).ok_or_else(|| rpc_error("state_getMetadata", "not hex"))?;
		let layout = Arc::new(EventLayout::from_metadata(&bytes).ok_or_else(|| Error::Decode {
			what: "the runtime metadata's System::Events type".into(),
			reason: "not found".into(),
			spec_version: spec,
		})?);
		if let Ok(mut cached) = self.events_layout.lock() {
			*cached = Some((spec, layout.clone()));
		}
		Ok(layout)
	}

	/// Every event of block `at` that this build knows; records it cannot decode (a pallet or
	/// event added by a later runtime) are skipped, with a debug line.
	pub async fn events(&self, at: H256) -> Result<Vec<EventRecord<RuntimeEvent, H256>>> {
		// `System::Events` (its storage alias is private to frame-system).
		let key = frame_support::storage::storage_prefix(b"System", b"Events");
		let value: Option<String> = self
			.request("state_getStorage", rpc_params![format!("0x{}", hex::encode(key)), at])
			.await?;
		let Some(hex) = value else { return Ok(Vec::new()) };
		let bytes = hex_bytes(&hex).ok_or_else(|| rpc_error("state_getStorage", "not hex"))?;
		// The common case: every record known to this build.
		if let Ok(all) = Vec::<EventRecord<RuntimeEvent, H256>>::decode_all(&mut &bytes[..]) {
			return Ok(all);
		}
		let layout = self.events_layout(at).await?;
		layout.known_events(&bytes).ok_or_else(|| Error::Decode {
			what: format!("the events of block {at:?}"),
			reason: "they do not match the runtime's own metadata".into(),
			spec_version: self.spec_version,
		})
	}

	/// An account's balances.
	pub async fn account(
		&self,
		who: &AccountId,
	) -> Result<frame_system::AccountInfo<Nonce, pallet_balances::AccountData<u128>>> {
		let key = frame_system::Account::<Runtime>::hashed_key_for(who);
		Ok(self.storage(&key, None).await?.unwrap_or_default())
	}

	/// New best (`finalized == false`) or finalized block headers, as the node imports them.
	pub async fn subscribe_heads(&self, finalized: bool) -> Result<Subscription<Header>> {
		let (subscribe, unsubscribe) = if finalized {
			("chain_subscribeFinalizedHeads", "chain_unsubscribeFinalizedHeads")
		} else {
			("chain_subscribeNewHeads", "chain_unsubscribeNewHeads")
		};
		self.client
			.subscribe(subscribe, rpc_params![], unsubscribe)
			.await
			.map_err(|e| rpc_error(subscribe, e))
	}

	/// The runtime version, now and after every upgrade the node imports.
	pub async fn subscribe_runtime_version(&self) -> Result<Subscription<serde_json::Value>> {
		self.client
			.subscribe(
				"state_subscribeRuntimeVersion",
				rpc_params![],
				"state_unsubscribeRuntimeVersion",
			)
			.await
			.map_err(|e| rpc_error("state_subscribeRuntimeVersion", e))
	}

	/// The spec and transaction versions of the runtime at block `at`: what a transaction
	/// signed for that block must name. Read for every signature, so that the miner's answers
	/// stay valid across a runtime upgrade (the chaos test's `set_code`).
	async fn versions_at(&self, at: H256) -> Result<(u32, u32)> {
		let version: serde_json::Value =
			self.request("state_getRuntimeVersion", rpc_params![at]).await?;
		let field = |name: &str| {
			version
				.get(name)
				.and_then(serde_json::Value::as_u64)
				.and_then(|v| u32::try_from(v).ok())
		};
		match (field("specVersion"), field("transactionVersion")) {
			(Some(spec), Some(transaction)) => {
				if spec != self.spec_version || transaction != self.transaction_version {
					tracing::debug!("signing for spec {spec}, transaction version {transaction}");
				}
				Ok((spec, transaction))
			}
			_ => Err(rpc_error("state_getRuntimeVersion", "no specVersion or transactionVersion")),
		}
	}

	/// Signs `call` with the next nonce (transaction pool included), valid for [`MORTALITY`]
	/// blocks from the best block.
	pub async fn sign(&self, signer: &sr25519::Pair, call: RuntimeCall) -> Result<Vec<u8>> {
		let account = AccountId::from(signer.public());
		let nonce: Nonce =
			self.request("system_accountNextIndex", rpc_params![account.to_ss58check()]).await?;
		let best = self.best_header().await?;
		let (spec_version, transaction_version) = self.versions_at(best.hash()).await?;
		let era = Era::mortal(MORTALITY, u64::from(best.number));
		let birth = self.block_hash(era.birth(u64::from(best.number)) as BlockNumber).await?;
		let extension: TxExtension = (
			frame_system::AuthorizeCall::<Runtime>::new(),
			frame_system::CheckNonZeroSender::<Runtime>::new(),
			frame_system::CheckSpecVersion::<Runtime>::new(),
			frame_system::CheckTxVersion::<Runtime>::new(),
			frame_system::CheckGenesis::<Runtime>::new(),
			frame_system::CheckEra::<Runtime>::from(era),
			frame_system::CheckNonce::<Runtime>::from(nonce),
			frame_system::CheckWeight::<Runtime>::new(),
			pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(0),
			frame_metadata_hash_extension::CheckMetadataHash::<Runtime>::new(false),
			pallet_pocps::PrioritizeAnswers::<Runtime>::new(),
			frame_system::WeightReclaim::<Runtime>::new(),
		);
		let implicit = (
			(),
			(),
			spec_version,
			transaction_version,
			self.genesis,
			birth,
			(),
			(),
			(),
			None,
			(),
			(),
		);
		let payload = SignedPayload::from_raw(call.clone(), extension.clone(), implicit);
		let signature = payload.using_encoded(|bytes| signer.sign(bytes));
		Ok(UncheckedExtrinsic::new_signed(
			call,
			Address::Id(account),
			Signature::Sr25519(signature),
			extension,
		)
		.encode())
	}

	/// Holds this account's signing lock until the returned guard drops: a lock file in
	/// [`Chain::signing_lock_dir`], so every miner process of this operator that signs for the
	/// account takes nonces one after another (each sees the other's transaction in the pool).
	/// Waits at most [`LOCK_WAIT`]; a lock that cannot be had is logged and signing goes on.
	async fn signing_lock(&self, signer: &sr25519::Pair) -> Option<std::fs::File> {
		let dir = self.signing_lock_dir.as_ref()?;
		let account = AccountId::from(signer.public()).to_ss58check();
		let path = dir.join(format!(".ember-miner-{account}.lock"));
		let opened = std::fs::create_dir_all(dir).and_then(|()| {
			std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&path)
		});
		let file = match opened {
			Ok(file) => file,
			Err(error) => {
				tracing::warn!("signing without the lock {}: {error}", path.display());
				return None;
			}
		};
		let started = std::time::Instant::now();
		loop {
			match file.try_lock() {
				Ok(()) => return Some(file),
				Err(std::fs::TryLockError::WouldBlock) if started.elapsed() < LOCK_WAIT => {
					tokio::time::sleep(Duration::from_millis(20)).await
				}
				Err(error) => {
					tracing::warn!("signing without the lock {}: {error}", path.display());
					return None;
				}
			}
		}
	}

	/// Signs `call` and hands it to the pool, holding the account's signing lock, and re-signs
	/// (fresh nonce, birth block and versions) when the pool refuses it for a reason that
	/// fixes. Returns the encoded extrinsic the pool accepted.
	pub async fn sign_and_submit(
		&self,
		signer: &sr25519::Pair,
		call: RuntimeCall,
	) -> Result<Vec<u8>> {
		let _lock = self.signing_lock(signer).await;
		let mut attempt = 1;
		loop {
			let extrinsic = self.sign(signer, call.clone()).await?;
			match self.submit(&extrinsic).await {
				Ok(_) => return Ok(extrinsic),
				Err(Error::Rejected(reason)) if retryable(&reason) && attempt < SUBMIT_ATTEMPTS => {
					tracing::debug!("the pool refused a transaction ({reason}); re-signing");
					attempt += 1;
					tokio::time::sleep(Duration::from_millis(200)).await;
				}
				Err(error) => return Err(error),
			}
		}
	}

	/// Hands an encoded extrinsic to the node's pool; returns its hash.
	pub async fn submit(&self, extrinsic: &[u8]) -> Result<H256> {
		self.client
			.request("author_submitExtrinsic", rpc_params![format!("0x{}", hex::encode(extrinsic))])
			.await
			.map_err(pool_or_transport)
	}

	/// Whether an encoded extrinsic is still waiting in the node's pool.
	pub async fn is_pending(&self, extrinsic: &[u8]) -> Result<bool> {
		let pending: Vec<String> = self.request("author_pendingExtrinsics", rpc_params![]).await?;
		let ours = format!("0x{}", hex::encode(extrinsic));
		Ok(pending.iter().any(|p| p.eq_ignore_ascii_case(&ours)))
	}

	/// Signs and submits `call`, waits until it is in a block, and returns that block and the
	/// call's events; a failed call becomes [`Error::Dispatch`] with the runtime's error name.
	pub async fn submit_and_watch(
		&self,
		signer: &sr25519::Pair,
		call: RuntimeCall,
		name: &'static str,
	) -> Result<(H256, Vec<RuntimeEvent>)> {
		let lock = self.signing_lock(signer).await;
		let mut attempt = 1;
		let (hex, mut statuses) = loop {
			let extrinsic = self.sign(signer, call.clone()).await?;
			let hex = format!("0x{}", hex::encode(&extrinsic));
			let subscribed: std::result::Result<Subscription<serde_json::Value>, _> = self
				.client
				.subscribe(
					"author_submitAndWatchExtrinsic",
					rpc_params![hex.clone()],
					"author_unwatchExtrinsic",
				)
				.await;
			match subscribed {
				Ok(statuses) => break (hex, statuses),
				Err(e) if retryable(&e.to_string()) && attempt < SUBMIT_ATTEMPTS => {
					tracing::debug!("the pool refused {name} ({e}); re-signing");
					attempt += 1;
					tokio::time::sleep(Duration::from_millis(200)).await;
				}
				Err(e) => return Err(pool_or_transport(e)),
			}
		};
		drop(lock);
		while let Some(status) = statuses.next().await {
			let status = status.map_err(|e| rpc_error("author_submitAndWatchExtrinsic", e))?;
			if let Some(block) = status.get("inBlock").and_then(|b| b.as_str()) {
				let block = H256::from_slice(
					&hex_bytes(block).filter(|b| b.len() == 32).unwrap_or_else(|| vec![0; 32]),
				);
				return self.outcome(block, &hex, name).await.map(|events| (block, events));
			}
			for terminal in ["invalid", "dropped", "usurped", "finalityTimeout"] {
				if status.as_str() == Some(terminal) || status.get(terminal).is_some() {
					return Err(Error::Rejected(format!("{name} was {terminal} by the pool")));
				}
			}
		}
		Err(rpc_error("author_submitAndWatchExtrinsic", "the node closed the subscription"))
	}

	/// The events of extrinsic `hex` in `block`, or its dispatch error.
	async fn outcome(
		&self,
		block: H256,
		hex: &str,
		name: &'static str,
	) -> Result<Vec<RuntimeEvent>> {
		let body: serde_json::Value = self.request("chain_getBlock", rpc_params![block]).await?;
		let index = body
			.pointer("/block/extrinsics")
			.and_then(|x| x.as_array())
			.and_then(|all| {
				all.iter().position(|x| x.as_str().is_some_and(|x| x.eq_ignore_ascii_case(hex)))
			})
			.ok_or_else(|| rpc_error("chain_getBlock", format!("{name} not found in its block")))?;
		let events: Vec<RuntimeEvent> = self
			.events(block)
			.await?
			.into_iter()
			.filter(|record| record.phase == Phase::ApplyExtrinsic(index as u32))
			.map(|record| record.event)
			.collect();
		for event in &events {
			if let RuntimeEvent::System(frame_system::Event::ExtrinsicFailed {
				dispatch_error,
				..
			}) = event
			{
				return Err(Error::Dispatch { call: name, error: describe(*dispatch_error) });
			}
		}
		Ok(events)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use codec::DecodeWithMemTracking;
	use scale_info::TypeInfo;

	/// A newer runtime's events: the System pallet as this build knows it, and a pallet this
	/// build has never heard of.
	#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
	enum NewerEvent {
		#[codec(index = 0)]
		System(frame_system::Event<Runtime>),
		#[codec(index = 200)]
		Brand { amount: u64, memo: Vec<u8> },
	}

	#[test]
	fn records_a_newer_runtime_adds_are_skipped_and_the_rest_decoded() {
		let mut registry = scale_info::Registry::new();
		let record =
			registry.register_type(&scale_info::meta_type::<EventRecord<NewerEvent, H256>>());
		let layout = EventLayout { types: registry.into(), record: record.id };
		let record = |event, index| EventRecord {
			phase: Phase::ApplyExtrinsic(index),
			event,
			topics: vec![H256::repeat_byte(index as u8)],
		};
		let events = vec![
			record(
				NewerEvent::System(frame_system::Event::CodeUpdated { hash: H256::repeat_byte(1) }),
				0,
			),
			record(NewerEvent::Brand { amount: 7, memo: vec![1, 2, 3] }, 1),
			record(
				NewerEvent::System(frame_system::Event::Remarked {
					sender: [5u8; 32].into(),
					hash: H256::repeat_byte(9),
				}),
				2,
			),
		];
		let bytes = events.encode();
		// This build's types alone cannot read the whole vector…
		assert!(Vec::<EventRecord<RuntimeEvent, H256>>::decode_all(&mut &bytes[..]).is_err());
		// …but split by the runtime's layout, the two it knows are read and the other skipped.
		let known = layout.known_events(&bytes).unwrap();
		assert_eq!(known.len(), 2);
		assert_eq!(known[0].phase, Phase::ApplyExtrinsic(0));
		assert!(matches!(
			known[0].event,
			RuntimeEvent::System(frame_system::Event::CodeUpdated { .. })
		));
		assert_eq!(known[1].phase, Phase::ApplyExtrinsic(2));
		assert_eq!(known[1].topics, vec![H256::repeat_byte(2)]);
		// Bytes that do not fit the layout are an error, not a guess.
		assert!(layout.known_events(&bytes[..bytes.len() - 1]).is_none());
	}

	#[test]
	fn the_layout_is_found_in_this_runtimes_own_metadata() {
		let metadata = ember_runtime::Runtime::metadata().encode();
		let layout = EventLayout::from_metadata(&metadata).unwrap();
		let events: Vec<EventRecord<RuntimeEvent, H256>> = vec![EventRecord {
			phase: Phase::Initialization,
			event: RuntimeEvent::System(frame_system::Event::CodeUpdated {
				hash: H256::repeat_byte(1),
			}),
			topics: vec![],
		}];
		assert_eq!(layout.known_events(&events.encode()).unwrap().len(), 1);
	}

	#[test]
	fn only_rejections_a_fresh_signature_fixes_are_retried() {
		assert!(retryable("1014: Priority is too low: (0 vs 0)"));
		assert!(retryable("1010: Invalid Transaction: Transaction has an ancient birth block"));
		assert!(retryable("1010: Invalid Transaction: Transaction is outdated"));
		assert!(!retryable("1010: Invalid Transaction: Inability to pay some fees"));
		assert!(!retryable("1002: Verification Error: Runtime error: Execution failed"));
	}
}
