//! What a fuzz input says to do. An input is a sequence of SCALE-encoded [`Op`]s: the fuzzer
//! mutates bytes, seeds and regressions are written with `Encode`, and the seeded mode draws
//! ops from a PRNG. Each op picks its accounts, devices, stakes, leases and slashes among those
//! that exist (by index modulo their count), so that most inputs reach the deep paths; the
//! `Call` op reaches everything else.

use crate::{
	chain::{Chain, Miner, ACCOUNTS, TINY_CLASS, TINY_PARAMS},
	oracles::Failure,
};
use codec::{Decode, DecodeLimit, Encode};
use ember_pocps::prover::Dataset;
use ember_primitives::{Incident, Offence};
use ember_runtime::{currency::EMB, Runtime, RuntimeCall};
use pallet_compute_pools::StakeOffer;
use sp_core::{Pair, H256};
use sp_keyring::Sr25519Keyring;

/// One step of an input.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum Op {
	/// Closes the open block and runs `1 + n` more (up to 256; hours are 8 blocks, days 32).
	Blocks(u8),
	/// Registers a new self-signed device for an account, mostly of the tiny class.
	Register { owner: u8, class: u8 },
	/// Seals a device with the real prover (`honest`) or commits a root it has no dataset for.
	Seal { device: u8, honest: bool },
	/// Answers a device's open challenge now; `tamper` flips one byte of the proof.
	Answer { device: u8, tamper: Option<u16> },
	/// Has a device's miner answer by itself at the start of each block, or stop.
	Auto { device: u8, on: bool },
	/// Stakes a device's hours: as a provider (`sell` false) adding up to `emb` EMB, or sold.
	Stake { device: u8, hours: u8, epochs: u8, sell: bool, emb: u16 },
	/// Renews a stake with a limit of `limit` EMB.
	Renew { stake: u8, limit: u16 },
	/// Claims a stake.
	Claim { stake: u8 },
	/// Buys `hours` tenths of an hour of a class for at most `max_emb` EMB.
	Buy { who: u8, class: u8, hours: u16, max_emb: u16 },
	/// Sells `hours` tenths of an hour of a class back.
	Sell { who: u8, class: u8, hours: u16 },
	/// Redeems whole hours for a lease on a device.
	Redeem { who: u8, device: u8, hours: u8 },
	/// Acts on a lease: post its connection (0), release it (1), end it (2).
	Lease { lease: u8, action: u8 },
	/// Removes an account's expired holding.
	ExpireHolding { who: u8, class: u8 },
	/// Reports a device: the offence (by index) and the incident (a lease or a challenge).
	Report { who: u8, device: u8, offence: u8, incident: u8 },
	/// Acts on a pending slash: uphold (0) or cancel (1) by root, or a cancel signed by its
	/// reporter (2), which only governance may do.
	Slash { id: u8, action: u8 },
	/// The owner retires a device.
	Retire { device: u8 },
	/// The owner withdraws a retired device's bond.
	Withdraw { device: u8 },
	/// Any call, decoded from `call`, from the none origin (`origin` 0), root (1) or an
	/// account.
	Call { origin: u8, call: Vec<u8> },
}

/// Most ops one input runs.
pub const MAX_OPS: usize = 512;

/// Decodes as many ops as `input` holds (stopping at the first that does not decode).
pub fn decode(mut input: &[u8]) -> Vec<Op> {
	let mut ops = Vec::new();
	while !input.is_empty() && ops.len() < MAX_OPS {
		match Op::decode_with_depth_limit(8, &mut input) {
			Ok(op) => ops.push(op),
			Err(_) => break,
		}
	}
	ops
}

/// Encodes ops as an input.
pub fn encode(ops: &[Op]) -> Vec<u8> {
	ops.iter().flat_map(Encode::encode).collect()
}

fn account(index: u8) -> Sr25519Keyring {
	ACCOUNTS[usize::from(index) % ACCOUNTS.len()]
}

/// Mostly the tiny class; sometimes a preset class or one that does not exist.
fn class(index: u8) -> u32 {
	match index % 8 {
		0..=4 => TINY_CLASS,
		5 => 0,
		6 => 1,
		_ => 99,
	}
}

/// The `index`-th of `items` (modulo their count), or an id nothing has.
fn pick<T: Copy>(items: &[T], index: u8, none: T) -> T {
	if items.is_empty() {
		return none;
	}
	items[usize::from(index) % items.len()]
}

fn devices() -> Vec<u64> {
	sorted(pallet_device_registry::Devices::<Runtime>::iter_keys())
}

fn stakes() -> Vec<u64> {
	sorted(pallet_compute_pools::Stakes::<Runtime>::iter_keys())
}

fn leases() -> Vec<u64> {
	sorted(pallet_compute_pools::Leases::<Runtime>::iter_keys())
}

fn slashes() -> Vec<u64> {
	sorted(pallet_slashing::Pending::<Runtime>::iter_keys())
}

/// Storage iteration order is by hashed key; sorting makes an index mean the same item on
/// every replay.
fn sorted(keys: impl Iterator<Item = u64>) -> Vec<u64> {
	let mut keys: Vec<u64> = keys.collect();
	keys.sort_unstable();
	keys
}

/// The device's owner, as one of the fuzzer's signers.
fn owner_of(device: u64) -> Option<Sr25519Keyring> {
	pallet_device_registry::Devices::<Runtime>::get(device)
		.and_then(|info| Chain::keyring_of(&info.owner))
}

/// Whether a call may run: those that would end the run (replace the code, write or kill raw
/// storage, hand away the sudo key) are left out, however deeply nested.
pub fn allowed(call: &RuntimeCall) -> bool {
	use frame_system::Call as System;
	match call {
		RuntimeCall::System(
			System::set_code { .. }
			| System::set_code_without_checks { .. }
			| System::set_storage { .. }
			| System::kill_storage { .. }
			| System::kill_prefix { .. }
			| System::authorize_upgrade { .. }
			| System::authorize_upgrade_without_checks { .. }
			| System::apply_authorized_upgrade { .. },
		) => false,
		RuntimeCall::Sudo(pallet_sudo::Call::set_key { .. } | pallet_sudo::Call::remove_key {}) => {
			false
		}
		RuntimeCall::Sudo(
			pallet_sudo::Call::sudo { call }
			| pallet_sudo::Call::sudo_unchecked_weight { call, .. }
			| pallet_sudo::Call::sudo_as { call, .. },
		)
		| RuntimeCall::Utility(
			pallet_utility::Call::as_derivative { call, .. }
			| pallet_utility::Call::dispatch_as { call, .. }
			| pallet_utility::Call::dispatch_as_fallible { call, .. }
			| pallet_utility::Call::with_weight { call, .. },
		) => allowed(call),
		RuntimeCall::Utility(
			pallet_utility::Call::batch { calls }
			| pallet_utility::Call::batch_all { calls }
			| pallet_utility::Call::force_batch { calls },
		) => calls.iter().all(allowed),
		RuntimeCall::Utility(pallet_utility::Call::if_else { main, fallback }) => {
			allowed(main) && allowed(fallback)
		}
		// Governance runs nested calls too: a motion's proposal (with its body's origin), and
		// a whitelisted call (as root). One dispatched by hash comes from a preimage whose bytes
		// are not checked here: left out.
		RuntimeCall::Council(pallet_collective::Call::propose { proposal, .. })
		| RuntimeCall::TechnicalCommittee(pallet_collective::Call::propose { proposal, .. }) => {
			allowed(proposal)
		}
		RuntimeCall::Whitelist(
			pallet_whitelist::Call::dispatch_whitelisted_call_with_preimage { call },
		) => allowed(call),
		RuntimeCall::Whitelist(pallet_whitelist::Call::dispatch_whitelisted_call { .. }) => false,
		_ => true,
	}
}

impl Chain {
	/// Runs one op in the open block.
	pub fn run(&mut self, op: &Op) -> Result<(), Failure> {
		use pallet_compute_pools::Call as Pools;
		match *op {
			Op::Blocks(n) => self.advance(u32::from(n).saturating_add(1)),
			Op::Register { owner, class: c } => self.register(account(owner), class(c)),
			Op::Seal { device, honest } => self.seal(pick(&devices(), device, u64::MAX), honest),
			Op::Answer { device, tamper } => {
				self.answer(pick(&devices(), device, u64::MAX), tamper)
			}
			Op::Auto { device, on } => {
				let device = pick(&devices(), device, u64::MAX);
				if let Some(miner) = self.miners.get_mut(&device) {
					miner.auto = on;
				}
				Ok(())
			}
			Op::Stake { device, hours, epochs, sell, emb } => {
				let device = pick(&devices(), device, u64::MAX);
				let epochs = pallet_compute_pools::Pallet::<Runtime>::min_stake_epochs()
					.saturating_add(u32::from(epochs % 24));
				let hours = 1 + u64::from(hours) % u64::from(epochs);
				let emb = u128::from(emb) * EMB / 100;
				let offer = if sell {
					StakeOffer::Sell { min_emb: 0 }
				} else {
					StakeOffer::Provide { min_emb: 0, max_emb: emb }
				};
				let signer = owner_of(device).unwrap_or(Sr25519Keyring::Bob);
				let call = RuntimeCall::ComputePools(Pools::stake { device, hours, epochs, offer });
				self.submit_signed(signer, call).map(drop)
			}
			Op::Renew { stake, limit } => {
				let stake = pick(&stakes(), stake, u64::MAX);
				let signer = stake_owner(stake);
				let limit = u128::from(limit) * EMB / 100;
				self.submit_signed(
					signer,
					RuntimeCall::ComputePools(Pools::renew_stake { stake, limit }),
				)
				.map(drop)
			}
			Op::Claim { stake } => {
				let stake = pick(&stakes(), stake, u64::MAX);
				self.submit_signed(
					stake_owner(stake),
					RuntimeCall::ComputePools(Pools::claim_stake { stake }),
				)
				.map(drop)
			}
			Op::Buy { who, class: c, hours, max_emb } => {
				let call = RuntimeCall::ComputePools(Pools::buy_hours {
					class: class(c),
					hours: u128::from(hours) * 100,
					max_emb: u128::from(max_emb) * EMB / 100,
				});
				self.submit_signed(account(who), call).map(drop)
			}
			Op::Sell { who, class: c, hours } => {
				let call = RuntimeCall::ComputePools(Pools::sell_hours {
					class: class(c),
					hours: u128::from(hours) * 100,
					min_emb: 0,
				});
				self.submit_signed(account(who), call).map(drop)
			}
			Op::Redeem { who, device, hours } => {
				let devices = devices();
				let signer = account(who);
				let hours = u32::from(hours % 16) + 1;
				let client_key = signer.public().0;
				// One in four lets the pool pick the device.
				let call = if device % 4 == 3 {
					let class = devices.first().and_then(|d| {
						<pallet_device_registry::Pallet<Runtime> as ember_primitives::DeviceInspect<
							ember_runtime::AccountId,
						>>::class(*d)
					});
					RuntimeCall::ComputePools(Pools::redeem_any {
						class: class.unwrap_or_default(),
						hours,
						client_key,
					})
				} else {
					let device = pick(&devices, device, u64::MAX);
					RuntimeCall::ComputePools(Pools::redeem { device, hours, client_key })
				};
				self.submit_signed(signer, call).map(drop)
			}
			Op::Lease { lease, action } => {
				let lease = pick(&leases(), lease, u64::MAX);
				let info = pallet_compute_pools::Leases::<Runtime>::get(lease);
				let client = info
					.as_ref()
					.and_then(|l| Chain::keyring_of(&l.client))
					.unwrap_or(Sr25519Keyring::Bob);
				let owner = info.as_ref().and_then(|l| owner_of(l.device)).unwrap_or(client);
				let (signer, call) = match action % 6 {
					0 => {
						let connection = vec![0xc0; 48].try_into().unwrap_or_default();
						// The fuzzer does not hold device keys: a refused host key signature.
						let (host_key, signature) = ([0x11; 32], [0x22; 64]);
						(owner, Pools::post_connection { lease, connection, host_key, signature })
					}
					1 => (client, Pools::release_lease { lease }),
					2 => (client, Pools::acknowledge { lease }),
					3 => (client, Pools::report_failure { lease }),
					4 => {
						// The client's lease key is its account key here (Op::Redeem).
						let at = frame_system::Pallet::<Runtime>::block_number();
						let genesis = frame_system::Pallet::<Runtime>::block_hash(0);
						let message = pallet_compute_pools::heartbeat_message(&genesis, lease, at);
						let signature = client.pair().sign(&message).0;
						(owner, Pools::answer_report { lease, at, signature })
					}
					_ => (Sr25519Keyring::Ferdie, Pools::end_lease { lease }),
				};
				self.submit_signed(signer, RuntimeCall::ComputePools(call)).map(drop)
			}
			Op::ExpireHolding { who, class: c } => {
				let call = RuntimeCall::ComputePools(Pools::expire_holding {
					class: class(c),
					who: account(who).to_account_id(),
				});
				self.submit_signed(Sr25519Keyring::Ferdie, call).map(drop)
			}
			Op::Report { who, device, offence, incident } => {
				let device = pick(&devices(), device, u64::MAX);
				let offence = match offence % 4 {
					0 => Offence::ResultMismatch,
					1 => Offence::InvalidSignature,
					2 => Offence::Performance,
					_ => Offence::Byzantine,
				};
				let incident = if incident % 2 == 0 {
					Incident::Lease(pick(&leases(), incident / 2, u64::from(incident)))
				} else {
					let open = pallet_pocps::OpenChallenge::<Runtime>::get(device);
					Incident::Challenge(open.unwrap_or(u64::from(incident)))
				};
				let call = RuntimeCall::Slashing(pallet_slashing::Call::report {
					device,
					offence,
					incident,
				});
				self.submit_signed(account(who), call).map(drop)
			}
			Op::Slash { id, action } => {
				let id = pick(&slashes(), id, u64::MAX);
				let call = match action % 3 {
					0 => pallet_slashing::Call::uphold { id },
					_ => pallet_slashing::Call::cancel { id },
				};
				let call = RuntimeCall::Slashing(call);
				if action % 3 == 2 {
					let reporter = pallet_slashing::Pending::<Runtime>::get(id)
						.and_then(|p| p.reporter)
						.and_then(|(who, _)| Chain::keyring_of(&who))
						.unwrap_or(Sr25519Keyring::Charlie);
					self.submit_signed(reporter, call).map(drop)
				} else {
					self.submit_root(call).map(drop)
				}
			}
			Op::Retire { device } => {
				let device = pick(&devices(), device, u64::MAX);
				let signer = owner_of(device).unwrap_or(Sr25519Keyring::Bob);
				let call =
					RuntimeCall::DeviceRegistry(pallet_device_registry::Call::retire_device {
						device,
					});
				self.submit_signed(signer, call).map(drop)
			}
			Op::Withdraw { device } => {
				let device = pick(&devices(), device, u64::MAX);
				let signer = owner_of(device).unwrap_or(Sr25519Keyring::Bob);
				let call =
					RuntimeCall::DeviceRegistry(pallet_device_registry::Call::withdraw_bond {
						device,
					});
				self.submit_signed(signer, call).map(drop)
			}
			Op::Call { origin, ref call } => {
				let Ok(call) =
					RuntimeCall::decode_with_depth_limit(MAX_CALL_DEPTH, &mut call.as_slice())
				else {
					return Ok(());
				};
				if !allowed(&call) {
					return Ok(());
				}
				match origin % 8 {
					0 => self.submit_bare(call).map(drop),
					1 => self.submit_root(call).map(drop),
					n => self.submit_signed(account(n), call).map(drop),
				}
			}
		}
	}

	/// Registers a new device of `class` for `owner` (self-signed; keys and fingerprint fresh).
	fn register(&mut self, owner: Sr25519Keyring, class: u32) -> Result<(), Failure> {
		self.registered = self.registered.saturating_add(1);
		let mut seed = [0u8; 32];
		seed[..4].copy_from_slice(&self.registered.to_le_bytes());
		let key = sp_core::sr25519::Pair::from_seed(&seed);
		let fingerprint = H256::from(sp_io::hashing::blake2_256(&seed));
		let genesis = H256::from_slice(ember_runtime::System::block_hash(0).as_ref());
		let who = owner.to_account_id();
		let payload =
			pallet_device_registry::attestation::registration_payload(&who, &fingerprint, &genesis);
		let signature = key.sign(&payload).0;
		let device = pallet_device_registry::NextDeviceId::<Runtime>::get();
		let call = RuntimeCall::DeviceRegistry(pallet_device_registry::Call::register_device {
			class,
			memory_mib: u32::MAX,
			fingerprint,
			device_key: key.public().0,
			signature,
			attestation: pallet_device_registry::Attestation::SelfSigned,
		});
		if self.submit_signed(owner, call)? == Ok(Ok(())) {
			self.miners.insert(device, Miner { owner, key, dataset: None, auto: false });
		}
		Ok(())
	}

	/// Seals `device` with its next nonce: honestly (tiny class only: the real prover) or with
	/// a root of nothing.
	fn seal(&mut self, device: u64, honest: bool) -> Result<(), Failure> {
		let Some(miner) = self.miners.get(&device) else { return Ok(()) };
		let owner = miner.owner;
		let nonce = pallet_pocps::Seals::<Runtime>::get(device).map_or(1, |s| s.nonce + 1);
		let class = pallet_device_registry::Devices::<Runtime>::get(device).map(|d| d.class);
		let params = pallet_device_registry::Classes::<Runtime>::get(class.unwrap_or(u32::MAX))
			.map(|c| c.pocps)
			.unwrap_or(TINY_PARAMS);
		let dataset = if honest && params == TINY_PARAMS {
			let ek = pallet_pocps::encoding_key::<Runtime>(&miner.key.public().0, nonce);
			Dataset::seal::<pallet_pocps::HostSha256>(params, ek).ok()
		} else {
			None
		};
		let root = dataset.as_ref().map_or([7u8; 32], Dataset::root);
		let call =
			RuntimeCall::Pocps(pallet_pocps::Call::commit_seal { device, root, nonce, params });
		let sealed = self.submit_signed(owner, call)? == Ok(Ok(()));
		if let Some(miner) = self.miners.get_mut(&device) {
			if sealed {
				miner.dataset = dataset.map(|d| (d, nonce));
			}
		}
		Ok(())
	}

	/// Answers `device`'s open challenge: honestly, or with one byte of the proof flipped.
	fn answer(&mut self, device: u64, tamper: Option<u16>) -> Result<(), Failure> {
		let Some(owner) = self.miners.get(&device).map(|m| m.owner) else { return Ok(()) };
		let Some((challenge, proof)) = self.honest_answer(device) else { return Ok(()) };
		let proof = match tamper {
			None => proof,
			Some(position) => {
				let mut bytes = proof.encode();
				let at = usize::from(position) % bytes.len().max(1);
				if let Some(byte) = bytes.get_mut(at) {
					*byte ^= 0x5a;
				}
				match ember_pocps::Proof::decode(&mut bytes.as_slice()) {
					Ok(proof) => proof,
					Err(_) => return Ok(()),
				}
			}
		};
		let call =
			RuntimeCall::Pocps(pallet_pocps::Call::respond { challenge, proof: Box::new(proof) });
		if self.submit_signed(owner, call)? == Ok(Ok(())) {
			self.stats.answers = self.stats.answers.saturating_add(1);
		}
		Ok(())
	}
}

/// How deep a decoded call may nest (what the runtime allows an extrinsic).
const MAX_CALL_DEPTH: u32 = 256;

fn stake_owner(stake: u64) -> Sr25519Keyring {
	pallet_compute_pools::Stakes::<Runtime>::get(stake)
		.and_then(|s| Chain::keyring_of(&s.owner))
		.unwrap_or(Sr25519Keyring::Bob)
}

/// A small deterministic PRNG (SplitMix64) for the seeded mode.
pub struct Rng(u64);

impl Rng {
	pub fn new(seed: u64) -> Self {
		Rng(seed)
	}

	pub fn next_u64(&mut self) -> u64 {
		self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
		let mut z = self.0;
		z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
		z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
		z ^ (z >> 31)
	}

	pub fn byte(&mut self) -> u8 {
		self.next_u64() as u8
	}

	fn below(&mut self, n: u64) -> u64 {
		self.next_u64() % n.max(1)
	}
}

impl Op {
	/// A random op, weighted towards the device and market paths.
	pub fn random(rng: &mut Rng) -> Op {
		let b = |rng: &mut Rng| rng.byte();
		match rng.below(100) {
			0..=9 => Op::Blocks(rng.below(12) as u8),
			10..=17 => Op::Register { owner: b(rng), class: b(rng) },
			18..=25 => Op::Seal { device: b(rng), honest: rng.below(5) != 0 },
			26..=31 => Op::Auto { device: b(rng), on: rng.below(4) != 0 },
			32..=37 => Op::Answer {
				device: b(rng),
				tamper: (rng.below(2) == 0).then(|| rng.next_u64() as u16),
			},
			38..=45 => Op::Stake {
				device: b(rng),
				hours: b(rng),
				epochs: b(rng),
				sell: rng.below(3) == 0,
				emb: rng.below(2_000) as u16,
			},
			46..=48 => Op::Renew { stake: b(rng), limit: rng.below(2_000) as u16 },
			49..=51 => Op::Claim { stake: b(rng) },
			52..=57 => Op::Buy {
				who: b(rng),
				class: b(rng),
				hours: rng.below(200) as u16,
				max_emb: rng.below(5_000) as u16,
			},
			58..=60 => Op::Sell { who: b(rng), class: b(rng), hours: rng.below(200) as u16 },
			61..=66 => Op::Redeem { who: b(rng), device: b(rng), hours: b(rng) },
			67..=71 => Op::Lease { lease: b(rng), action: b(rng) },
			72..=73 => Op::ExpireHolding { who: b(rng), class: b(rng) },
			74..=79 => {
				Op::Report { who: b(rng), device: b(rng), offence: b(rng), incident: b(rng) }
			}
			80..=84 => Op::Slash { id: b(rng), action: b(rng) },
			85..=87 => Op::Retire { device: b(rng) },
			88..=89 => Op::Withdraw { device: b(rng) },
			_ => {
				// A call of a real pallet and call index, with random arguments.
				let len = rng.below(48) as usize;
				let mut call = vec![rng.below(40) as u8, rng.below(16) as u8];
				call.extend((0..len).map(|_| rng.byte()));
				Op::Call { origin: b(rng), call }
			}
		}
	}
}
