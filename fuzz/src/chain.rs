//! A chain the fuzzer drives block by block, as a node's block builder would: BABE pre-digest
//! with a real VRF signature, the timestamp inherent, extrinsics through `apply_extrinsic`
//! (validation, pre-dispatch, dispatch, post-dispatch), `finalize_block`, and the oracles after
//! every block.

use crate::oracles::{self, Failure, Oracles};
use codec::Encode;
use ember_pocps::prover::Dataset;
use ember_runtime::{
	currency::{EMB, MILLI_EMB},
	genesis_config_presets, AccountId, Executive, Header, Runtime, RuntimeCall, SignedPayload,
	System, TxExtension, UncheckedExtrinsic,
};
use frame_support::storage::{with_transaction, TransactionOutcome};
use sp_consensus_babe::{
	digests::{PreDigest, SecondaryVRFPreDigest},
	Slot, BABE_ENGINE_ID,
};
use sp_core::{crypto::VrfSecret, Pair, H256};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{
	traits::Header as _,
	transaction_validity::{InvalidTransaction, TransactionValidityError},
	ApplyExtrinsicResult, Digest, DigestItem,
};
use std::{
	collections::BTreeMap,
	sync::OnceLock,
	time::{Duration, Instant},
};

/// The accounts the fuzzer signs with: the endowed dev accounts. Alice is the sudo key and the
/// only validator of the `development` preset.
pub const ACCOUNTS: [Sr25519Keyring; 6] = [
	Sr25519Keyring::Alice,
	Sr25519Keyring::Bob,
	Sr25519Keyring::Charlie,
	Sr25519Keyring::Dave,
	Sr25519Keyring::Eve,
	Sr25519Keyring::Ferdie,
];

/// The class the fuzzer adds in its first block: 256 labels (8 KiB), sealed and proven with the
/// real prover in microseconds, challenged every 2–4 blocks.
pub const TINY_CLASS: u32 = 3;
/// The tiny class's dataset shape.
pub const TINY_PARAMS: ember_pocps::Params =
	ember_pocps::Params { lanes: 4, lane_len: 64, parents: 2, iterations: 1, challenges: 2 };
/// Its bond.
pub const TINY_BOND: u128 = 100 * EMB;

/// Most blocks one input may run, so that every input ends in bounded time.
pub const MAX_BLOCKS: u32 = 1_200;

/// What the fuzzer keeps of a device it registered: the miner's side.
pub struct Miner {
	pub owner: Sr25519Keyring,
	pub key: sp_core::sr25519::Pair,
	/// The sealed dataset (tiny-class devices only), and its nonce.
	pub dataset: Option<(Dataset, u64)>,
	/// Whether the miner answers its open challenges at the start of every block.
	pub auto: bool,
}

/// Counters of one run (or, added up, of many).
#[derive(Clone, Debug, Default)]
pub struct Stats {
	pub blocks: u64,
	pub extrinsics: u64,
	pub dispatched_ok: u64,
	pub dispatch_failed: u64,
	pub invalid: u64,
	pub answers: u64,
}

impl Stats {
	pub const ZERO: Stats = Stats {
		blocks: 0,
		extrinsics: 0,
		dispatched_ok: 0,
		dispatch_failed: 0,
		invalid: 0,
		answers: 0,
	};

	/// Adds another run's counters.
	pub fn add(&mut self, run: &Stats) {
		self.blocks = self.blocks.saturating_add(run.blocks);
		self.extrinsics = self.extrinsics.saturating_add(run.extrinsics);
		self.dispatched_ok = self.dispatched_ok.saturating_add(run.dispatched_ok);
		self.dispatch_failed = self.dispatch_failed.saturating_add(run.dispatch_failed);
		self.invalid = self.invalid.saturating_add(run.invalid);
		self.answers = self.answers.saturating_add(run.answers);
	}
}

impl std::fmt::Display for Stats {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		write!(
			f,
			"{} blocks, {} extrinsics ({} dispatched, {} failed in dispatch, {} invalid), {} answers",
			self.blocks,
			self.extrinsics,
			self.dispatched_ok,
			self.dispatch_failed,
			self.invalid,
			self.answers
		)
	}
}

/// The storage every run starts from: the `development` preset's genesis.
fn genesis() -> &'static sp_runtime::Storage {
	static GENESIS: OnceLock<sp_runtime::Storage> = OnceLock::new();
	GENESIS.get_or_init(|| {
		genesis_config_presets::preset_storage("development")
			.unwrap_or_else(|error| panic!("the development preset builds: {error}"))
	})
}

/// Fresh externalities at genesis.
pub fn new_externalities() -> sp_io::TestExternalities {
	sp_io::TestExternalities::new(genesis().clone())
}

/// The chain between and inside blocks. Methods run inside the externalities.
pub struct Chain {
	pub oracles: Oracles,
	pub stats: Stats,
	pub miners: BTreeMap<u64, Miner>,
	/// Devices registered so far (for fresh keys and fingerprints).
	pub registered: u32,
	parent_hash: H256,
	number: u32,
	/// Runtime time spent on the open block.
	block_time: Duration,
	/// Extrinsics applied in the open block, for `try_execute_block` replays.
	pub block_extrinsics: Vec<UncheckedExtrinsic>,
}

impl Chain {
	/// Opens block 1 and, through sudo, adds the tiny class with its price and pool.
	pub fn start(oracles: Oracles) -> Result<Self, Failure> {
		let mut chain = Chain {
			oracles,
			stats: Stats::default(),
			miners: BTreeMap::new(),
			registered: 0,
			parent_hash: System::block_hash(0),
			number: 0,
			block_time: Duration::ZERO,
			block_extrinsics: Vec::new(),
		};
		chain.open_block()?;
		let class = pallet_device_registry::DeviceClass {
			name: b"fuzz-tiny".to_vec().try_into().map_err(|_| Failure::setup("class name"))?,
			min_vram_mib: 1,
			pocps: TINY_PARAMS,
			response_deadline: genesis_config_presets::RESPONSE_DEADLINE,
			min_challenge_interval: 2,
			max_challenge_interval: 4,
			bond: TINY_BOND,
			require_certificate: false,
		};
		for call in [
			RuntimeCall::DeviceRegistry(pallet_device_registry::Call::create_class { class }),
			RuntimeCall::ComputePrice(pallet_compute_price::Call::add_price {
				class: TINY_CLASS,
				price: 10 * MILLI_EMB,
				floor: MILLI_EMB / 2,
				target: 100,
			}),
			RuntimeCall::ComputePools(pallet_compute_pools::Call::create_pool {
				class: TINY_CLASS,
			}),
		] {
			let result = chain.submit_root(call.clone())?;
			if result != Ok(Ok(())) || !oracles::sudo_succeeded() {
				return Err(Failure::setup(&format!("{call:?} -> {result:?}")));
			}
		}
		Ok(chain)
	}

	/// The open block's number.
	pub fn number(&self) -> u32 {
		self.number
	}

	/// Opens the next block: BABE's pre-digest for the next slot (secondary VRF, signed by
	/// Alice's BABE key, as her node would), `on_initialize`, the timestamp inherent; then the
	/// miners that answer by themselves answer.
	pub fn open_block(&mut self) -> Result<(), Failure> {
		self.number = self.number.saturating_add(1);
		let slot = Slot::from(u64::from(self.number));
		let (epoch, randomness) = Self::epoch_of(self.number, slot);
		let sign_data = sp_consensus_babe::make_vrf_sign_data(&randomness, slot, epoch);
		let vrf_signature = Sr25519Keyring::Alice.pair().vrf_sign(&sign_data);
		let pre_digest = PreDigest::SecondaryVRF(SecondaryVRFPreDigest {
			authority_index: 0,
			slot,
			vrf_signature,
		});
		let digest =
			Digest { logs: vec![DigestItem::PreRuntime(BABE_ENGINE_ID, pre_digest.encode())] };
		let header = Header::new(
			self.number,
			Default::default(),
			Default::default(),
			self.parent_hash,
			digest,
		);
		self.block_extrinsics.clear();
		let start = Instant::now();
		Executive::initialize_block(&header);
		if pallet_babe::EpochIndex::<Runtime>::get() != epoch {
			return Err(Failure::setup("the VRF was signed for the wrong BABE epoch"));
		}
		let timestamp = RuntimeCall::Timestamp(pallet_timestamp::Call::set {
			now: u64::from(slot) * ember_runtime::time::SLOT_DURATION,
		});
		let inherent = UncheckedExtrinsic::new_bare(timestamp);
		let applied = Executive::apply_extrinsic(inherent.clone());
		self.block_time = start.elapsed();
		if applied != Ok(Ok(())) {
			return Err(Failure::Panicked(format!("timestamp inherent: {applied:?}")));
		}
		self.block_extrinsics.push(inherent);
		self.answer_automatically()
	}

	/// The BABE epoch (index and randomness) block `number` at `slot` is in once initialized:
	/// BABE checks its VRF against them, and the block that starts an epoch enacts it first.
	fn epoch_of(number: u32, slot: Slot) -> (u64, [u8; 32]) {
		let index = pallet_babe::EpochIndex::<Runtime>::get();
		let next_start = u64::from(pallet_babe::GenesisSlot::<Runtime>::get()).saturating_add(
			index.saturating_add(1).saturating_mul(ember_runtime::time::EPOCH_DURATION_IN_SLOTS),
		);
		if number > 1 && u64::from(slot) >= next_start {
			(index.saturating_add(1), pallet_babe::NextRandomness::<Runtime>::get())
		} else {
			(index, pallet_babe::Randomness::<Runtime>::get())
		}
	}

	/// Finalizes the open block and runs the oracles on it.
	pub fn close_block(&mut self) -> Result<Header, Failure> {
		let start = Instant::now();
		let header = Executive::finalize_block();
		self.block_time += start.elapsed();
		self.parent_hash = header.hash();
		self.stats.blocks = self.stats.blocks.saturating_add(1);
		oracles::after_block(&self.oracles, self.number, self.block_time)?;
		Ok(header)
	}

	/// Closes the open block and opens the next, `count` times.
	pub fn advance(&mut self, count: u32) -> Result<(), Failure> {
		for _ in 0..count {
			if self.number >= MAX_BLOCKS {
				return Ok(());
			}
			self.close_block()?;
			self.open_block()?;
		}
		Ok(())
	}

	/// Signs `call` for `signer` with its next nonce, immortal and without tip, as a wallet
	/// does.
	pub fn sign(signer: Sr25519Keyring, call: RuntimeCall) -> UncheckedExtrinsic {
		let nonce = System::account_nonce(signer.to_account_id());
		let extension: TxExtension = (
			frame_system::AuthorizeCall::<Runtime>::new(),
			frame_system::CheckNonZeroSender::<Runtime>::new(),
			frame_system::CheckSpecVersion::<Runtime>::new(),
			frame_system::CheckTxVersion::<Runtime>::new(),
			frame_system::CheckGenesis::<Runtime>::new(),
			frame_system::CheckEra::<Runtime>::from(sp_runtime::generic::Era::Immortal),
			frame_system::CheckNonce::<Runtime>::from(nonce),
			frame_system::CheckWeight::<Runtime>::new(),
			pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(0),
			frame_metadata_hash_extension::CheckMetadataHash::<Runtime>::new(false),
			pallet_pocps::PrioritizeAnswers::<Runtime>::new(),
			frame_system::WeightReclaim::<Runtime>::new(),
		);
		let genesis = System::block_hash(0);
		let implicit = (
			(),
			(),
			ember_runtime::VERSION.spec_version,
			ember_runtime::VERSION.transaction_version,
			genesis,
			genesis,
			(),
			(),
			(),
			None,
			(),
			(),
		);
		let payload = SignedPayload::from_raw(call.clone(), extension.clone(), implicit);
		let signature = payload.using_encoded(|bytes| signer.pair().sign(bytes));
		UncheckedExtrinsic::new_signed(
			call,
			sp_runtime::MultiAddress::Id(signer.to_account_id()),
			sp_runtime::MultiSignature::Sr25519(signature),
			extension,
		)
	}

	/// Submits `call` signed by `signer`.
	pub fn submit_signed(
		&mut self,
		signer: Sr25519Keyring,
		call: RuntimeCall,
	) -> Result<ApplyExtrinsicResult, Failure> {
		let timed = oracles::weight_is_charged(&call);
		self.submit(Self::sign(signer, call), timed)
	}

	/// Submits `call` as root: wrapped in `Sudo::sudo` and signed by the sudo key.
	pub fn submit_root(&mut self, call: RuntimeCall) -> Result<ApplyExtrinsicResult, Failure> {
		let sudo = RuntimeCall::Sudo(pallet_sudo::Call::sudo { call: Box::new(call) });
		self.submit_signed(Sr25519Keyring::Alice, sudo)
	}

	/// Submits `call` unsigned (a bare extrinsic: the none origin).
	pub fn submit_bare(&mut self, call: RuntimeCall) -> Result<ApplyExtrinsicResult, Failure> {
		let timed = oracles::weight_is_charged(&call);
		self.submit(UncheckedExtrinsic::new_bare(call), timed)
	}

	/// Applies `xt` in the open block; a block that is full is closed first and `xt` tried
	/// once more in the next. The measured time of an applied extrinsic is held against the
	/// weight the block charged for it (`timed`).
	pub fn submit(
		&mut self,
		xt: UncheckedExtrinsic,
		timed: bool,
	) -> Result<ApplyExtrinsicResult, Failure> {
		let mut result = self.apply(xt.clone(), timed)?;
		if matches!(
			result,
			Err(TransactionValidityError::Invalid(InvalidTransaction::ExhaustsResources))
		) && self.number < MAX_BLOCKS
		{
			self.advance(1)?;
			result = self.apply(xt, timed)?;
		}
		self.stats.extrinsics = self.stats.extrinsics.saturating_add(1);
		match &result {
			Ok(Ok(())) => self.stats.dispatched_ok = self.stats.dispatched_ok.saturating_add(1),
			Ok(Err(_)) => self.stats.dispatch_failed = self.stats.dispatch_failed.saturating_add(1),
			Err(_) => self.stats.invalid = self.stats.invalid.saturating_add(1),
		}
		Ok(result)
	}

	/// One application of `xt`, timed. Applied inside a storage transaction so that a
	/// measurement over the bound can be taken again (up to three times, keeping the least):
	/// a context switch must not read as an under-charged weight, a real one still does.
	fn apply(
		&mut self,
		xt: UncheckedExtrinsic,
		timed: bool,
	) -> Result<ApplyExtrinsicResult, Failure> {
		const ATTEMPTS: u32 = 3;
		let mut least = Duration::MAX;
		for attempt in 1..=ATTEMPTS {
			let outcome = with_transaction(|| {
				let before = oracles::block_ref_time();
				let start = Instant::now();
				let result = Executive::apply_extrinsic(xt.clone());
				let spent = start.elapsed();
				let charged = oracles::block_ref_time().saturating_sub(before);
				let over = timed
					&& self.oracles.weights
					&& result.is_ok()
					&& !oracles::within_weight(spent, charged);
				let outcome = (result, spent, charged, over);
				if over && attempt < ATTEMPTS {
					TransactionOutcome::Rollback(Ok::<_, sp_runtime::DispatchError>(outcome))
				} else {
					TransactionOutcome::Commit(Ok(outcome))
				}
			});
			let (result, spent, charged, over) =
				outcome.map_err(|error| Failure::Panicked(format!("storage layer: {error:?}")))?;
			least = least.min(spent);
			if !over {
				self.block_time += spent;
				if result.is_ok() {
					self.block_extrinsics.push(xt);
				}
				return Ok(result);
			}
			if attempt == ATTEMPTS {
				return Err(Failure::Overweight {
					call: format!("{:?}", xt.function),
					nanos: least.as_nanos(),
					charged_ref_time: charged,
				});
			}
		}
		Err(Failure::setup("unreachable: every attempt returns"))
	}

	/// The signer of `account`, if it is one of the fuzzer's.
	pub fn keyring_of(account: &AccountId) -> Option<Sr25519Keyring> {
		ACCOUNTS.into_iter().find(|k| &k.to_account_id() == account)
	}

	/// Every device that answers by itself answers its open challenge, once its seed is out.
	fn answer_automatically(&mut self) -> Result<(), Failure> {
		let auto: Vec<u64> = self
			.miners
			.iter()
			.filter(|(_, m)| m.auto && m.dataset.is_some())
			.map(|(d, _)| *d)
			.collect();
		for device in auto {
			if let Some((challenge, proof)) = self.honest_answer(device) {
				let owner = self.miners.get(&device).map(|m| m.owner);
				if let Some(owner) = owner {
					let call = RuntimeCall::Pocps(pallet_pocps::Call::respond {
						challenge,
						proof: Box::new(proof),
					});
					if self.submit_signed(owner, call)? == Ok(Ok(())) {
						self.stats.answers = self.stats.answers.saturating_add(1);
					}
				}
			}
		}
		Ok(())
	}

	/// The device's open challenge whose seed is out, with the honest proof from its dataset.
	pub fn honest_answer(&self, device: u64) -> Option<(u64, ember_pocps::Proof)> {
		let (dataset, _) = self.miners.get(&device)?.dataset.as_ref()?;
		let (id, view) = ember_runtime::Pocps::open_challenges(device).pop()?;
		let seed = view.seed?;
		let proof = dataset.prove::<pallet_pocps::HostSha256>(&seed, view.info.seal_check)?;
		Some((id, proof))
	}
}
