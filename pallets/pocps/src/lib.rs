//! # PoCPS: Proof-of-Computing-Power-Staking
//!
//! Devices commit a sealed dataset and are challenged, at unpredictable times, to open random
//! labels of it before a deadline. Answers are verified on chain with
//! [`ember_pocps::verify`] using the runtime's SHA-256 host function.
//!
//! ## Pallet API
//!
//! - [`Pallet::commit_seal`]: the device's owner commits the Merkle root of the dataset sealed
//!   under encoding key `ek = SHA-256("EMBENCKY" ‖ genesis hash ‖ device key ‖ nonce)`. The device
//!   goes on probation (`Sealed`) and is challenged in the next block.
//! - [`Pallet::respond`]: the owner answers an open challenge with a [`ember_pocps::Proof`]. A
//!   valid answer is free (fee refunded), moves a device on probation to `Active`, and schedules
//!   its next challenge. A proof that is well-formed but does not verify is recorded as
//!   [`ChallengeOutcome::InvalidProof`] and suspends the device; a malformed one is refused with
//!   [`Error::MalformedProof`] and changes nothing.
//! - Hooks: `on_initialize` first records a fault for every challenge whose deadline is this
//!   block, then opens the challenges scheduled for it. Both are queues keyed by block, processed
//!   up to `MaxChallengesPerBlock` each: no scan over devices.
//!
//! ## Design
//!
//! - Each device has at most one open challenge and at most one scheduled one. After a challenge
//!   closes, the next opens after a pseudo-random gap in
//!   the class's `[min_challenge_interval, max_challenge_interval]` drawn from BABE's randomness
//!   of the parent block, so a device is challenged several times per epoch at times it cannot predict.
//! - Seeds derive from the parent block's VRF output and the challenge id: known to nobody before
//!   the parent block is authored.
//! - The response deadline is part of the class; docs/pocps.md explains how it and the dataset
//!   parameters were chosen, and what this construction does not yet defend.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
pub mod runtime_api;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

use codec::Encode;
use ember_pocps::{Hash, Hasher, VerifyError};
use ember_primitives::{
	ChallengeHistory, ChallengeId, ChallengeInspect, ChallengeOutcome, ChallengeRecord, DeviceId,
	DeviceInspect, DeviceLifecycle, DeviceStatus, OnChallengeOutcome,
};
use frame_support::{
	dispatch::{DispatchResultWithPostInfo, Pays, PostDispatchInfo},
	pallet_prelude::*,
	traits::Randomness,
};
use frame_system::pallet_prelude::*;
use sp_runtime::traits::{SaturatedConversion, Saturating, Zero};

/// SHA-256 through the runtime's host function: native speed inside the wasm runtime.
pub struct HostSha256;

impl Hasher for HostSha256 {
	fn sha256(data: &[u8]) -> Hash {
		sp_io::hashing::sha2_256(data)
	}
}

/// The encoding key of a device's seal: the same function the miner computes.
pub fn encoding_key<T: frame_system::Config>(device_key: &[u8; 32], nonce: u64) -> Hash {
	let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
	let mut genesis_hash = [0u8; 32];
	if let Some(bytes) = genesis.as_ref().get(..32) {
		genesis_hash.copy_from_slice(bytes);
	}
	ember_pocps::encoding_key::<HostSha256>(&genesis_hash, device_key, nonce)
}

/// The largest verification work a proof of this shape can cost, in SHA-256 compressions,
/// assuming `max_iterations` per label: the pre-dispatch weight of [`Pallet::respond`].
pub fn proof_work_bound(proof: &ember_pocps::Proof, max_iterations: u32) -> u64 {
	let challenges = proof.openings.len() as u32;
	let parents = proof.openings.iter().map(|o| o.parents.len() as u32).max().unwrap_or(0);
	let depth = proof.openings.iter().map(|o| o.label.path.len() as u32).max().unwrap_or(0);
	ember_pocps::Params { lanes: 1, lane_len: 1, parents, iterations: max_iterations, challenges }
		.verify_hashes()
		.saturating_add(
			u64::from(challenges)
				.saturating_mul(u64::from(parents.saturating_add(2)))
				.saturating_mul(u64::from(depth)),
		)
}

// FRAME's macro expansions call `expect()` on values they construct; every other runtime lint
// stays on, and the pallet's own code uses no `expect()`.
#[allow(clippy::expect_used)]
#[frame_support::pallet]
pub mod pallet {
	use super::*;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// Devices, their owners, keys, classes and status.
		type Devices: DeviceInspect<Self::AccountId> + DeviceLifecycle;

		/// Randomness of the parent block (BABE's VRF output in the runtime).
		type Randomness: Randomness<Option<Self::Hash>, BlockNumberFor<Self>>;

		/// Told of every challenge outcome (slashing, reputation).
		type OnOutcome: OnChallengeOutcome<Self::AccountId>;

		/// Most challenges opened, and most deadlines swept, in one block.
		#[pallet::constant]
		type MaxChallengesPerBlock: Get<u32>;

		/// Most sequential hashes per label any class may use: bounds `respond`'s pre-dispatch
		/// weight (the actual weight, from the seal's parameters, is refunded).
		#[pallet::constant]
		type MaxIterations: Get<u32>;

		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;

		/// Creates devices for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Each device's committed seal.
	#[pallet::storage]
	pub type Seals<T: Config> = StorageMap<_, Twox64Concat, DeviceId, SealInfo<BlockNumberFor<T>>>;

	/// Open challenges.
	#[pallet::storage]
	pub type Challenges<T: Config> =
		StorageMap<_, Twox64Concat, ChallengeId, ChallengeInfo<BlockNumberFor<T>>>;

	/// The open challenge of each device (at most one).
	#[pallet::storage]
	pub type OpenChallenge<T: Config> = StorageMap<_, Twox64Concat, DeviceId, ChallengeId>;

	/// The id the next challenge gets.
	#[pallet::storage]
	pub type NextChallengeId<T: Config> = StorageValue<_, ChallengeId, ValueQuery>;

	/// Devices whose challenge opens at a block.
	#[pallet::storage]
	pub type Schedule<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<DeviceId, T::MaxChallengesPerBlock>,
		ValueQuery,
	>;

	/// When each scheduled device's next challenge opens.
	#[pallet::storage]
	pub type NextChallengeAt<T: Config> = StorageMap<_, Twox64Concat, DeviceId, BlockNumberFor<T>>;

	/// Challenges whose deadline is a block.
	#[pallet::storage]
	pub type Deadlines<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<ChallengeId, T::MaxChallengesPerBlock>,
		ValueQuery,
	>;

	/// Each device's challenge record.
	#[pallet::storage]
	pub type Stats<T: Config> = StorageMap<_, Twox64Concat, DeviceId, DeviceStats, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A device committed a sealed dataset and is on probation until its first answer.
		SealCommitted { device: DeviceId, root: [u8; 32], nonce: u64 },
		/// A challenge opened; the device must answer before block `deadline`.
		ChallengeOpened {
			device: DeviceId,
			challenge: ChallengeId,
			seed: [u8; 32],
			deadline: BlockNumberFor<T>,
		},
		/// A challenge was answered with a valid proof, `latency` blocks after it opened.
		ChallengeAnswered { device: DeviceId, challenge: ChallengeId, latency: u32 },
		/// A challenge's deadline passed unanswered: a fault, and the device is suspended.
		ChallengeMissed { device: DeviceId, challenge: ChallengeId },
		/// A challenge was answered with a proof that does not verify: the device is suspended.
		ProofRejected { device: DeviceId, challenge: ChallengeId, reason: ProofRejection },
		/// No slot was free to schedule a device's next challenge within the search window; it
		/// stays unscheduled until it re-seals. Raise `MaxChallengesPerBlock` if this appears.
		ScheduleFull { device: DeviceId },
	}

	/// Why a well-formed proof was rejected.
	#[derive(
		Clone,
		Copy,
		Debug,
		PartialEq,
		Eq,
		Encode,
		Decode,
		DecodeWithMemTracking,
		MaxEncodedLen,
		TypeInfo,
	)]
	pub enum ProofRejection {
		/// A challenged label's Merkle path does not lead to the committed root.
		LabelPath,
		/// A predecessor's Merkle path does not lead to the committed root.
		PredecessorPath,
		/// A parent's Merkle path does not lead to the committed root.
		ParentPath,
		/// A label is not the hash of its opened predecessor and parents under the device's key.
		LabelMismatch,
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No device with this id.
		UnknownDevice,
		/// Only the device's owner may do this.
		NotOwner,
		/// The device is retired; register a device to seal again.
		DeviceRetired,
		/// The device's class no longer exists.
		UnknownClass,
		/// The device has an open challenge; answer it before re-sealing.
		ChallengeOpen,
		/// The seal nonce must exceed the previous seal's, so every seal has a fresh encoding
		/// key.
		StaleNonce,
		/// No open challenge with this id: it was never opened, was already answered, or its
		/// deadline passed.
		UnknownChallenge,
		/// The challenge's deadline has passed.
		DeadlinePassed,
		/// The device has no seal (it cannot have been challenged).
		NotSealed,
		/// The proof's shape does not match the challenge: wrong number of openings, a missing or
		/// extra predecessor, or the wrong number of parents. Nothing was recorded; fix the
		/// prover and answer again before the deadline.
		MalformedProof,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let swept = Self::sweep_deadlines(now);
			let opened = Self::open_scheduled(now);
			// Each fault is also reported to the outcome listener.
			T::WeightInfo::on_initialize(opened, swept)
				.saturating_add(T::OnOutcome::outcome_weight().saturating_mul(swept.into()))
		}

		fn integrity_test() {
			assert!(T::MaxChallengesPerBlock::get() > 0, "MaxChallengesPerBlock must be positive");
			assert!(
				T::MaxIterations::get() > 0
					&& T::MaxIterations::get() <= ember_pocps::params::MAX_ITERATIONS,
				"MaxIterations must be within the primitives' limit"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Commits the Merkle `root` of the dataset sealed with encoding key
		/// `ek(genesis, device key, nonce)` under the device class's current parameters. The
		/// device goes on probation and is challenged in the next block.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::commit_seal())]
		pub fn commit_seal(
			origin: OriginFor<T>,
			device: DeviceId,
			root: [u8; 32],
			nonce: u64,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let owner = T::Devices::owner(device).ok_or(Error::<T>::UnknownDevice)?;
			ensure!(owner == who, Error::<T>::NotOwner);
			ensure!(
				T::Devices::status(device) != Some(DeviceStatus::Retired),
				Error::<T>::DeviceRetired
			);
			ensure!(!OpenChallenge::<T>::contains_key(device), Error::<T>::ChallengeOpen);
			if let Some(previous) = Seals::<T>::get(device) {
				ensure!(nonce > previous.nonce, Error::<T>::StaleNonce);
			}
			let policy = T::Devices::challenge_policy(device).ok_or(Error::<T>::UnknownClass)?;

			T::Devices::note_sealed(device)?;
			let now = frame_system::Pallet::<T>::block_number();
			Seals::<T>::insert(
				device,
				SealInfo {
					root,
					nonce,
					params: policy.params,
					response_deadline: policy.response_deadline,
					min_interval: policy.min_interval.max(1),
					max_interval: policy.max_interval.max(policy.min_interval).max(1),
					sealed_at: now,
				},
			);
			Self::deposit_event(Event::SealCommitted { device, root, nonce });
			// Probation: the first challenge opens in the next block.
			Self::schedule(device, now.saturating_add(1u32.into()));
			Ok(())
		}

		/// Answers open challenge `challenge` of one of the caller's devices.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::respond(proof_work_bound(proof, T::MaxIterations::get()).saturated_into())
			.saturating_add(T::OnOutcome::outcome_weight()))]
		pub fn respond(
			origin: OriginFor<T>,
			challenge: ChallengeId,
			proof: alloc::boxed::Box<ember_pocps::Proof>,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let info = Challenges::<T>::get(challenge).ok_or(Error::<T>::UnknownChallenge)?;
			let owner = T::Devices::owner(info.device).ok_or(Error::<T>::UnknownDevice)?;
			ensure!(owner == who, Error::<T>::NotOwner);
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(now < info.deadline, Error::<T>::DeadlinePassed);
			let seal = Seals::<T>::get(info.device).ok_or(Error::<T>::NotSealed)?;
			let device_key =
				T::Devices::device_key(info.device).ok_or(Error::<T>::UnknownDevice)?;
			let ek = encoding_key::<T>(&device_key, seal.nonce);
			let actual_weight =
				T::WeightInfo::respond(seal.params.verify_hashes().saturated_into())
					.saturating_add(T::OnOutcome::outcome_weight());

			let rejection = match ember_pocps::verify::<HostSha256>(
				&seal.params,
				&ek,
				&seal.root,
				&info.seed,
				&proof,
			) {
				Ok(()) => None,
				Err(VerifyError::LabelPath) => Some(ProofRejection::LabelPath),
				Err(VerifyError::PredecessorPath) => Some(ProofRejection::PredecessorPath),
				Err(VerifyError::ParentPath) => Some(ProofRejection::ParentPath),
				Err(VerifyError::LabelMismatch) => Some(ProofRejection::LabelMismatch),
				Err(
					VerifyError::InvalidParams
					| VerifyError::WrongChallengeCount
					| VerifyError::PredecessorShape
					| VerifyError::ParentCount,
				) => return Err(Error::<T>::MalformedProof.into()),
			};

			Self::close(challenge, &info);
			match rejection {
				None => {
					let latency: u32 = now.saturating_sub(info.opened_at).saturated_into();
					Stats::<T>::mutate(info.device, |s| {
						s.answered = s.answered.saturating_add(1);
						s.last_latency = latency;
					});
					if T::Devices::status(info.device) == Some(DeviceStatus::Sealed) {
						T::Devices::note_proven(info.device)?;
					}
					T::OnOutcome::on_challenge_outcome(
						info.device,
						&owner,
						challenge,
						ChallengeOutcome::Success,
					);
					Self::deposit_event(Event::ChallengeAnswered {
						device: info.device,
						challenge,
						latency,
					});
					let next = now.saturating_add(Self::next_gap(&seal, info.device, challenge));
					Self::schedule(info.device, next);
					// Honest answers are free: proving is the miner's job, not a tax on it.
					Ok(PostDispatchInfo { actual_weight: Some(actual_weight), pays_fee: Pays::No })
				}
				Some(reason) => {
					Stats::<T>::mutate(info.device, |s| s.invalid = s.invalid.saturating_add(1));
					T::Devices::note_faulted(info.device)?;
					T::OnOutcome::on_challenge_outcome(
						info.device,
						&owner,
						challenge,
						ChallengeOutcome::InvalidProof,
					);
					Self::deposit_event(Event::ProofRejected {
						device: info.device,
						challenge,
						reason,
					});
					Ok(PostDispatchInfo { actual_weight: Some(actual_weight), pays_fee: Pays::Yes })
				}
			}
		}
	}
}

/// Creates a registered device of a class with the given parameters, for benchmarks.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// A new `Registered` device owned by `owner`; returns its id and device key.
	fn device(owner: AccountId, params: ember_pocps::Params, deadline: u32)
		-> (DeviceId, [u8; 32]);
}

/// How many successive blocks to try when a block's queue is full.
const SCHEDULE_SEARCH: u32 = 16;

impl<T: Config> Pallet<T> {
	/// Queues `device`'s next challenge at `at`, or the first block after it with room.
	fn schedule(device: DeviceId, at: BlockNumberFor<T>) {
		if NextChallengeAt::<T>::contains_key(device) {
			return;
		}
		let mut block = at;
		for _ in 0..SCHEDULE_SEARCH {
			if Schedule::<T>::mutate(block, |queue| queue.try_push(device).is_ok()) {
				NextChallengeAt::<T>::insert(device, block);
				return;
			}
			block = block.saturating_add(1u32.into());
		}
		Self::deposit_event(Event::ScheduleFull { device });
	}

	/// A pseudo-random gap in the seal's `[min_interval, max_interval]`.
	fn next_gap(
		seal: &SealInfo<BlockNumberFor<T>>,
		device: DeviceId,
		challenge: ChallengeId,
	) -> BlockNumberFor<T> {
		let min: BlockNumberFor<T> = seal.min_interval.into();
		let span = u64::from(seal.max_interval.saturating_sub(seal.min_interval)).saturating_add(1);
		let (randomness, _) = T::Randomness::random(&(b"EMBGAP", device, challenge).encode());
		let entropy = sp_io::hashing::blake2_256(
			&(randomness, frame_system::Pallet::<T>::parent_hash(), device, challenge).encode(),
		);
		let mut word = [0u8; 8];
		word.copy_from_slice(entropy.get(..8).unwrap_or(&[0u8; 8]));
		let offset = u64::from_le_bytes(word).checked_rem(span).unwrap_or(0);
		min.saturating_add(offset.saturated_into())
	}

	/// Removes an open challenge from every index.
	fn close(challenge: ChallengeId, info: &ChallengeInfo<BlockNumberFor<T>>) {
		Challenges::<T>::remove(challenge);
		OpenChallenge::<T>::remove(info.device);
		Deadlines::<T>::mutate(info.deadline, |queue| queue.retain(|c| *c != challenge));
	}

	/// Records a fault for every challenge whose deadline is `now`. Returns how many.
	fn sweep_deadlines(now: BlockNumberFor<T>) -> u32 {
		let expired = Deadlines::<T>::take(now);
		let mut swept = 0u32;
		for challenge in expired {
			let Some(info) = Challenges::<T>::take(challenge) else { continue };
			swept = swept.saturating_add(1);
			OpenChallenge::<T>::remove(info.device);
			Stats::<T>::mutate(info.device, |s| s.missed = s.missed.saturating_add(1));
			// The device may have been retired or removed meanwhile; the fault still counts.
			let _ = T::Devices::note_faulted(info.device);
			if let Some(owner) = T::Devices::owner(info.device) {
				T::OnOutcome::on_challenge_outcome(
					info.device,
					&owner,
					challenge,
					ChallengeOutcome::Fault,
				);
			}
			Self::deposit_event(Event::ChallengeMissed { device: info.device, challenge });
		}
		swept
	}

	/// Opens the challenges scheduled for `now`. Returns how many.
	fn open_scheduled(now: BlockNumberFor<T>) -> u32 {
		let due = Schedule::<T>::take(now);
		if due.is_empty() {
			return 0;
		}
		let (randomness, _) = T::Randomness::random(b"EMBCHALL");
		let parent = frame_system::Pallet::<T>::parent_hash();
		let mut opened = 0u32;
		for device in due {
			NextChallengeAt::<T>::remove(device);
			let challengeable =
				T::Devices::status(device).map(|s| s.is_challengeable()).unwrap_or(false);
			let Some(seal) = Seals::<T>::get(device) else { continue };
			if !challengeable || OpenChallenge::<T>::contains_key(device) {
				continue;
			}
			let challenge = NextChallengeId::<T>::get();
			NextChallengeId::<T>::put(challenge.saturating_add(1));
			let seed = sp_io::hashing::blake2_256(
				&(b"EMBSEED", randomness, parent, device, challenge).encode(),
			);
			let mut deadline = now.saturating_add(seal.response_deadline.into());
			// Queue the deadline; if that block is full, the next one with room (in the
			// device's favour by a block or two, never against it).
			let mut queued = false;
			for _ in 0..SCHEDULE_SEARCH {
				if Deadlines::<T>::mutate(deadline, |q| q.try_push(challenge).is_ok()) {
					queued = true;
					break;
				}
				deadline = deadline.saturating_add(1u32.into());
			}
			if !queued {
				Self::deposit_event(Event::ScheduleFull { device });
				continue;
			}
			Challenges::<T>::insert(
				challenge,
				ChallengeInfo { device, seed, opened_at: now, deadline },
			);
			OpenChallenge::<T>::insert(device, challenge);
			opened = opened.saturating_add(1);
			Self::deposit_event(Event::ChallengeOpened { device, challenge, seed, deadline });
		}
		opened
	}

	/// The device's open challenges, for the runtime API.
	pub fn open_challenges(
		device: DeviceId,
	) -> alloc::vec::Vec<(ChallengeId, ChallengeInfo<BlockNumberFor<T>>)> {
		OpenChallenge::<T>::get(device)
			.and_then(|id| Challenges::<T>::get(id).map(|info| (id, info)))
			.into_iter()
			.collect()
	}

	/// Checks the pallet's invariants.
	///
	/// # Invariants
	///
	/// - Every open challenge belongs to a sealed device that is challengeable (`Sealed` on
	///   probation, or `Active`), is indexed in `OpenChallenge`, and is queued under its
	///   deadline, which lies in the future.
	/// - `OpenChallenge` holds nothing else.
	/// - Every scheduled device is queued at the block `NextChallengeAt` names, and vice versa.
	// Also under `std`, so the runtime's own tests can check the invariants after a scenario.
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let now = frame_system::Pallet::<T>::block_number();
		let mut open = 0usize;
		for (id, info) in Challenges::<T>::iter() {
			open = open.saturating_add(1);
			ensure!(
				T::Devices::status(info.device).map(|s| s.is_challengeable()).unwrap_or(false),
				"a challenge belongs to a device that is not Sealed or Active"
			);
			ensure!(Seals::<T>::contains_key(info.device), "a challenge of an unsealed device");
			ensure!(OpenChallenge::<T>::get(info.device) == Some(id), "OpenChallenge mismatch");
			ensure!(Deadlines::<T>::get(info.deadline).contains(&id), "challenge not queued");
			ensure!(info.deadline > now, "a challenge outlived its deadline");
		}
		ensure!(OpenChallenge::<T>::iter().count() == open, "stray OpenChallenge entries");
		let mut scheduled = 0usize;
		for (block, queue) in Schedule::<T>::iter() {
			for device in queue.iter() {
				scheduled = scheduled.saturating_add(1);
				ensure!(
					NextChallengeAt::<T>::get(device) == Some(block),
					"scheduled device without NextChallengeAt"
				);
			}
		}
		ensure!(NextChallengeAt::<T>::iter().count() == scheduled, "stray NextChallengeAt entries");
		Ok(())
	}
}

impl<T: Config> ChallengeInspect for Pallet<T> {
	fn has_open_challenge(device: DeviceId) -> bool {
		OpenChallenge::<T>::contains_key(device)
	}
}

impl<T: Config> ChallengeHistory for Pallet<T> {
	fn record(device: DeviceId) -> ChallengeRecord {
		let stats = Stats::<T>::get(device);
		let deadline =
			T::Devices::challenge_policy(device).map_or(0, |policy| policy.response_deadline);
		ChallengeRecord {
			answered: stats.answered,
			missed: stats.missed,
			invalid: stats.invalid,
			last_latency: sp_runtime::Perbill::from_rational(stats.last_latency, deadline.max(1)),
		}
	}
}
