//! The node client: jsonrpsee over WebSocket, typed by the runtime crate itself (calls, events,
//! storage keys and transaction extensions come from `ember-runtime`, so a change there is a
//! compile error here, not a wrong byte on the wire). The runtime version is checked on connect.

use crate::error::{Error, Result};
use codec::{Decode, Encode};
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
use sp_core::{crypto::Ss58Codec, sr25519, Pair, H256};
use sp_runtime::{generic::Era, DispatchError};
use std::time::Duration;

/// Blocks a transaction stays valid for: long enough to survive a short stall, short enough that
/// a stale answer cannot be replayed much later.
const MORTALITY: u64 = 64;

/// A connection to an Ember node.
pub struct Chain {
	client: WsClient,
	/// The node's URL.
	pub url: String,
	/// The chain's genesis hash.
	pub genesis: H256,
	spec_version: u32,
	transaction_version: u32,
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
		Ok(Chain { client, url: url.into(), genesis, spec_version, transaction_version })
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

	/// Every event of block `at`.
	pub async fn events(&self, at: H256) -> Result<Vec<EventRecord<RuntimeEvent, H256>>> {
		// `System::Events` (its storage alias is private to frame-system).
		let key = frame_support::storage::storage_prefix(b"System", b"Events");
		Ok(self.storage(&key, Some(at)).await?.unwrap_or_default())
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

	/// Hands an encoded extrinsic to the node's pool; returns its hash.
	pub async fn submit(&self, extrinsic: &[u8]) -> Result<H256> {
		self.client
			.request("author_submitExtrinsic", rpc_params![format!("0x{}", hex::encode(extrinsic))])
			.await
			.map_err(|e| Error::Rejected(e.to_string()))
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
		let extrinsic = self.sign(signer, call).await?;
		let hex = format!("0x{}", hex::encode(&extrinsic));
		let mut statuses: Subscription<serde_json::Value> = self
			.client
			.subscribe(
				"author_submitAndWatchExtrinsic",
				rpc_params![hex.clone()],
				"author_unwatchExtrinsic",
			)
			.await
			.map_err(|e| Error::Rejected(e.to_string()))?;
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
