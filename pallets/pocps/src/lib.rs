//! # PoCPS: Proof-of-Computing-Power-Staking
//!
//! Devices commit a sealed dataset and are challenged, at times nobody knows in advance, to open
//! random labels of it before a deadline. Answers are verified on chain with
//! [`ember_pocps::verify`] using the runtime's SHA-256 host function.
//!
//! ## Pallet API
//!
//! - [`Pallet::commit_seal`]: the device's owner commits the Merkle root of the dataset sealed
//!   under encoding key `ek = SHA-256("EMBENCKY" ‖ genesis hash ‖ device key ‖ nonce)` and names
//!   the parameters it sealed under (refused unless they are the class's). The device goes on
//!   probation (`Sealed`), joins its class's challenge index if the block space reserved for
//!   answers can serve it (admission control), and gets its seal check at once.
//! - [`Pallet::respond`]: the owner answers an open challenge: the seal check
//!   ([`ember_pocps::SealProof`], labels recomputed from their parents) first, storage proofs
//!   ([`ember_pocps::StorageProof`], leaves only) after. An `Operational` call: answers draw on
//!   the block space normal transactions cannot fill, and [`PrioritizeAnswers`] puts the owner's
//!   answer to an answerable challenge above any tip in the pool and keeps other answers out. A valid storage answer is free (fee
//!   refunded); a passed seal check is paid for and moves a device on probation to `Active`. A proof that is
//!   well-formed but does not verify is recorded as [`ChallengeOutcome::InvalidProof`] and
//!   suspends the device; a malformed one is refused with [`Error::MalformedProof`] and changes
//!   nothing.
//! - Hooks: `on_initialize` records the parent block's VRF output in the beacon, records a fault
//!   for every challenge whose deadline is this block, then draws this block's challenges: per
//!   class, `members × rate` challenges per block (the fraction by a random roll), each a
//!   uniformly random device of the class's dense index. O(challenges + classes) per block, never a scan.
//!
//! ## Design
//!
//! - No published schedule: a device learns it is challenged when the block that draws it is
//!   imported, and each block challenges it with probability `1 / mean interval`.
//! - Seeds mix only VRF outputs (blake2 of them, the device and the challenge id): for a storage
//!   challenge those of the block that opens it and of the next, answerable from
//!   `opened_at + 2`; for a seal check those of the [`SEAL_CHECK_BEACONS`] blocks after the
//!   commitment, so a committer cannot choose its root knowing which labels will be checked
//!   unless it authors all of them. Nobody can grind a VRF output (it is fixed by the author's
//!   key and slot).
//! - A draw that hits a device whose challenge is still open is owed and served when it
//!   answers: answering late does not lower its challenge rate.
//! - Fail closed: a sealed, challengeable device is always in its class's index
//!   (`do_try_state` checks it), and a seal that the answer space cannot serve is refused.
//! - docs/pocps.md has the construction, the parameters and the attack analysis.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod extension;
pub mod migrations;
#[cfg(test)]
mod mock;
pub mod runtime_api;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use extension::PrioritizeAnswers;
pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

use codec::Encode;
use ember_pocps::{Hash, Hasher, Proof, VerifyError};
use ember_primitives::{
	ChallengeHistory, ChallengeId, ChallengeInspect, ChallengeOutcome, ChallengeRecord, ClassId,
	DeviceId, DeviceInspect, DeviceLifecycle, DeviceStatus, OnChallengeOutcome, ResidencyFaults,
	SealedDataset, MIN_RESPONSE_DEADLINE,
};
use frame_support::{
	dispatch::{DispatchClass, DispatchResultWithPostInfo, Pays, PostDispatchInfo},
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
/// assuming `max_iterations` per label: the pre-dispatch weight of [`Pallet::respond`] (the
/// actual work, from the seal's parameters, is refunded).
pub fn proof_work_bound(proof: &Proof, max_iterations: u32) -> u64 {
	match proof {
		Proof::Seal(seal) => {
			let parents = seal.openings.iter().map(|o| o.parents.len() as u64).max().unwrap_or(0);
			let depth = seal
				.openings
				.iter()
				.flat_map(|o| {
					core::iter::once(&o.label).chain(o.predecessor.as_ref()).chain(o.parents.iter())
				})
				.map(|opening| opening.path.len() as u64)
				.max()
				.unwrap_or(0);
			let per_label = u64::from(max_iterations)
				.saturating_add(6)
				.saturating_add(parents.saturating_add(2).saturating_mul(depth));
			per_label.saturating_mul(seal.openings.len() as u64)
		}
		Proof::Storage(storage) => storage
			.leaves
			.iter()
			.map(|leaf| (leaf.path.len() as u64).saturating_add(2))
			.fold(0u64, |total, work| total.saturating_add(work)),
	}
}

/// The benchmarked weight of answering with `proof` at verification work `work` (SHA-256
/// compressions), its kind's success path.
pub fn answer_weight<T: Config>(proof: &Proof, work: u64) -> Weight {
	match proof {
		Proof::Seal(_) => T::WeightInfo::respond_seal(work.saturated_into()),
		Proof::Storage(_) => T::WeightInfo::respond_storage(work.saturated_into()),
	}
}

// FRAME's macro expansions call `expect()` on values they construct; every other runtime lint
// stays on, and the pallet's own code uses no `expect()`.
#[allow(clippy::expect_used)]
#[frame_support::pallet]
pub mod pallet {
	use super::*;

	/// v1: scheduled challenges with seeds from the parent hash, v1 proofs. v2: drawn challenges,
	/// VRF-only seeds, the seal check and storage proofs, admission control.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(2);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// Devices, their owners, keys, classes and status.
		type Devices: DeviceInspect<Self::AccountId> + DeviceLifecycle;

		/// The parent block's VRF output (BABE's in the runtime).
		type Randomness: Randomness<Option<Self::Hash>, BlockNumberFor<Self>>;

		/// Told of every challenge outcome (slashing, reputation).
		type OnOutcome: OnChallengeOutcome<Self::AccountId>;

		/// Most challenges whose deadline is one block, and so most drawn in one block.
		#[pallet::constant]
		type MaxChallengesPerBlock: Get<u32>;

		/// Answers per block the network admits devices for: the sum over challengeable devices
		/// of their challenge rates may not exceed it. It must not exceed the answers that fit a
		/// block by length and by weight (docs/pocps.md has the arithmetic).
		#[pallet::constant]
		type AnswersPerBlock: Get<u32>;

		/// Most sequential hashes per label a seal may use: bounds `respond`'s pre-dispatch
		/// weight.
		#[pallet::constant]
		type MaxIterations: Get<u32>;

		/// Longest response deadline, in blocks, a seal may have: how long the beacon keeps a
		/// VRF output.
		#[pallet::constant]
		type MaxResponseDeadline: Get<u32>;

		/// Most classes with challengeable devices at once.
		#[pallet::constant]
		type MaxClasses: Get<u32>;

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

	/// Challenges whose deadline is a block.
	#[pallet::storage]
	pub type Deadlines<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<ChallengeId, T::MaxChallengesPerBlock>,
		ValueQuery,
	>;

	/// The VRF output of each recent block (written during the next block), kept
	/// `MaxResponseDeadline + SEAL_CHECK_BEACONS + 2` blocks: the seeds of open challenges.
	#[pallet::storage]
	pub type Beacon<T: Config> = StorageMap<_, Twox64Concat, BlockNumberFor<T>, [u8; 32]>;

	/// Each class's dense index of challengeable devices: positions `0..members`.
	#[pallet::storage]
	pub type Members<T: Config> =
		StorageDoubleMap<_, Twox64Concat, ClassId, Twox64Concat, u32, DeviceId>;

	/// Where each indexed device sits in its class's index.
	#[pallet::storage]
	pub type MemberOf<T: Config> = StorageMap<_, Twox64Concat, DeviceId, Membership>;

	/// Each class's index size and load.
	#[pallet::storage]
	pub type Draws<T: Config> = StorageMap<_, Twox64Concat, ClassId, ClassDraws, ValueQuery>;

	/// Classes with indexed devices: what `on_initialize` draws from.
	#[pallet::storage]
	pub type DrawClasses<T: Config> =
		StorageValue<_, BoundedVec<ClassId, T::MaxClasses>, ValueQuery>;

	/// Draws that hit a device while a challenge of it was open, served as it answers.
	#[pallet::storage]
	pub type Owed<T: Config> = StorageMap<_, Twox64Concat, DeviceId, u8, ValueQuery>;

	/// The sum of every indexed device's challenge rate, in [`RATE_UNIT`]s per block.
	#[pallet::storage]
	pub type Load<T: Config> = StorageValue<_, u64, ValueQuery>;

	/// Each device's challenge record.
	#[pallet::storage]
	pub type Stats<T: Config> = StorageMap<_, Twox64Concat, DeviceId, DeviceStats, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A device committed a sealed dataset and is on probation until it passes its seal
		/// check.
		SealCommitted { device: DeviceId, root: [u8; 32], nonce: u64 },
		/// A challenge opened; its seed is known once block `opened_at + 1` is, and the device
		/// must answer before block `deadline`.
		ChallengeOpened {
			device: DeviceId,
			challenge: ChallengeId,
			seal_check: bool,
			deadline: BlockNumberFor<T>,
		},
		/// A challenge was answered with a valid proof, `latency` blocks after it opened.
		ChallengeAnswered { device: DeviceId, challenge: ChallengeId, latency: u32 },
		/// A challenge's deadline passed unanswered: a fault, and the device is suspended.
		ChallengeMissed { device: DeviceId, challenge: ChallengeId },
		/// A challenge was answered with a proof that does not verify: the device is suspended.
		ProofRejected { device: DeviceId, challenge: ChallengeId, reason: ProofRejection },
		/// A drawn device could not be challenged because the deadline queues were full; it
		/// stays indexed and is drawn again. Admission control keeps this from happening.
		DrawDeferred { device: DeviceId },
		/// The device failed a residency round or its on-chain audit (the verifiers pallet):
		/// a fault under challenge id `challenge`, and the device is suspended.
		RoundFaulted { device: DeviceId, challenge: ChallengeId, outcome: ChallengeOutcome },
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
		/// A challenged label's (or leaf's) Merkle path does not lead to the committed root.
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
		/// The parameters named are not the device class's current ones: read the class again
		/// and seal under its parameters.
		ParamsMismatch,
		/// The class's parameters are outside what this chain can challenge (iterations above
		/// `MaxIterations`, a response deadline outside `3..=MaxResponseDeadline`, or a challenge
		/// interval so long the device would never be drawn); governance must fix the class.
		UnsupportedClass,
		/// The block space reserved for answers serves no more devices at their challenge
		/// rates (or no more classes): wait for a device to leave, or for governance to slow
		/// the class's challenges.
		ChallengeCapacityFull,
		/// No open challenge with this id: it was never opened, was already answered, or its
		/// deadline passed.
		UnknownChallenge,
		/// The challenge's deadline has passed.
		DeadlinePassed,
		/// The challenge's seed needs the VRF output of the block after it opened: answer from
		/// block `opened_at + 2` on.
		SeedNotYetKnown,
		/// The device has no seal (it cannot have been challenged).
		NotSealed,
		/// The proof's shape does not match the challenge: the wrong kind (seal check or storage
		/// proof), the wrong number of openings, a missing or extra predecessor, or the wrong
		/// number of parents. Nothing was recorded; fix the prover and answer again before the
		/// deadline.
		MalformedProof,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let vrf = Self::record_beacon(now);
			let (entries, faults) = Self::sweep_deadlines(now);
			let tried = Self::draw_challenges(now, &vrf);
			// Every queued entry is read (answered ones are skipped); each fault is also
			// reported to the outcome listener.
			T::WeightInfo::on_initialize(tried, entries)
				.saturating_add(T::OnOutcome::outcome_weight().saturating_mul(faults.into()))
		}

		fn integrity_test() {
			assert!(T::MaxChallengesPerBlock::get() > 0, "MaxChallengesPerBlock must be positive");
			assert!(
				T::AnswersPerBlock::get() > 0
					&& T::AnswersPerBlock::get() <= T::MaxChallengesPerBlock::get(),
				"AnswersPerBlock must be positive and fit the deadline queues"
			);
			assert!(
				T::MaxIterations::get() > 0
					&& T::MaxIterations::get() <= ember_pocps::params::MAX_ITERATIONS,
				"MaxIterations must be within the primitives' limit"
			);
			assert!(
				T::MaxResponseDeadline::get() >= MIN_RESPONSE_DEADLINE,
				"MaxResponseDeadline must allow the shortest deadline"
			);
			assert!(T::MaxClasses::get() > 0, "MaxClasses must be positive");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Commits the Merkle `root` of the dataset sealed with encoding key
		/// `ek(genesis, device key, nonce)` under `params`, which must be the device class's
		/// current parameters. The device goes on probation, joins its class's challenge index
		/// (if the answer space can serve it) and its seal check opens at once.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::commit_seal())]
		pub fn commit_seal(
			origin: OriginFor<T>,
			device: DeviceId,
			root: [u8; 32],
			nonce: u64,
			params: ember_pocps::Params,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let owner = T::Devices::owner(device).ok_or(Error::<T>::UnknownDevice)?;
			ensure!(owner == who, Error::<T>::NotOwner);
			ensure!(
				T::Devices::status(device) != Some(DeviceStatus::Retired),
				Error::<T>::DeviceRetired
			);
			if let Some(previous) = Seals::<T>::get(device) {
				ensure!(nonce > previous.nonce, Error::<T>::StaleNonce);
			}
			ensure!(!OpenChallenge::<T>::contains_key(device), Error::<T>::ChallengeOpen);
			let class = T::Devices::class(device).ok_or(Error::<T>::UnknownClass)?;
			let policy = T::Devices::challenge_policy(device).ok_or(Error::<T>::UnknownClass)?;
			ensure!(params == policy.params, Error::<T>::ParamsMismatch);
			ensure!(
				policy.params.iterations <= T::MaxIterations::get()
					&& (MIN_RESPONSE_DEADLINE..=T::MaxResponseDeadline::get())
						.contains(&policy.response_deadline),
				Error::<T>::UnsupportedClass
			);
			let rate = challenge_rate(&policy);
			// A mean interval beyond a million blocks rounds the rate to zero: admitted, such a
			// device would never be drawn.
			ensure!(rate > 0, Error::<T>::UnsupportedClass);

			// Every call is transactional: an error below (admission, full queues) undoes all.
			Self::leave_index(device);
			Self::join_index(device, class, rate)?;
			T::Devices::note_sealed(device)?;
			let now = frame_system::Pallet::<T>::block_number();
			Seals::<T>::insert(
				device,
				SealInfo {
					root,
					nonce,
					params,
					response_deadline: policy.response_deadline,
					class,
					rate,
					sealed_at: now,
				},
			);
			Self::deposit_event(Event::SealCommitted { device, root, nonce });
			// Probation: the seal check opens now. Its seed comes from the VRF outputs of the next
			// `SEAL_CHECK_BEACONS` blocks, which the miner did not know when it chose the root;
			// its deadline counts from when the last of them is on chain.
			let deadline = policy.response_deadline.saturating_add(SEAL_CHECK_BEACONS);
			Self::open(device, now, deadline, true)
				.then_some(())
				.ok_or(Error::<T>::ChallengeCapacityFull)?;
			Ok(())
		}

		/// Answers open challenge `challenge` of one of the caller's devices: a seal check with
		/// [`ember_pocps::Proof::Seal`], a storage challenge with
		/// [`ember_pocps::Proof::Storage`].
		#[pallet::call_index(1)]
		#[pallet::weight((
			answer_weight::<T>(proof, proof_work_bound(proof, T::MaxIterations::get()))
				.saturating_add(T::OnOutcome::outcome_weight()),
			DispatchClass::Operational,
		))]
		// Boxed so that `Call` stays small (a seal check is ~0.5 MB at most, but its type is
		// large), though the body only borrows it.
		#[allow(clippy::boxed_local)]
		pub fn respond(
			origin: OriginFor<T>,
			challenge: ChallengeId,
			proof: alloc::boxed::Box<Proof>,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let info = Challenges::<T>::get(challenge).ok_or(Error::<T>::UnknownChallenge)?;
			let owner = T::Devices::owner(info.device).ok_or(Error::<T>::UnknownDevice)?;
			ensure!(owner == who, Error::<T>::NotOwner);
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(now < info.deadline, Error::<T>::DeadlinePassed);
			let seed = Self::seed(challenge, &info).ok_or(Error::<T>::SeedNotYetKnown)?;
			let seal = Seals::<T>::get(info.device).ok_or(Error::<T>::NotSealed)?;
			// Measured with the runtime's outcome listeners on the success path; a rejection adds
			// their fault path below.
			let verified = match (&*proof, info.seal_check) {
				(Proof::Seal(_), true) => {
					T::WeightInfo::respond_seal(seal.params.seal_verify_hashes().saturated_into())
				}
				_ => T::WeightInfo::respond_storage(
					seal.params.storage_verify_hashes().saturated_into(),
				),
			};

			let verdict = match (&*proof, info.seal_check) {
				(Proof::Seal(answer), true) => {
					// Only the seal check recomputes labels, so only it needs the encoding key.
					let device_key =
						T::Devices::device_key(info.device).ok_or(Error::<T>::UnknownDevice)?;
					let ek = encoding_key::<T>(&device_key, seal.nonce);
					ember_pocps::verify_seal::<HostSha256>(
						&seal.params,
						&ek,
						&seal.root,
						&seed,
						answer,
					)
				}
				(Proof::Storage(answer), false) => ember_pocps::verify_storage::<HostSha256>(
					&seal.params,
					&seal.root,
					&seed,
					answer,
				),
				_ => Err(VerifyError::WrongKind),
			};
			let rejection = match verdict {
				Ok(()) => None,
				Err(VerifyError::LabelPath) => Some(ProofRejection::LabelPath),
				Err(VerifyError::PredecessorPath) => Some(ProofRejection::PredecessorPath),
				Err(VerifyError::ParentPath) => Some(ProofRejection::ParentPath),
				Err(VerifyError::LabelMismatch) => Some(ProofRejection::LabelMismatch),
				Err(
					VerifyError::InvalidParams
					| VerifyError::WrongKind
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
					if info.seal_check
						&& T::Devices::status(info.device) == Some(DeviceStatus::Sealed)
					{
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
					// A draw that hit the device while this challenge was open is served now.
					Self::serve_owed(info.device, now, seal.response_deadline);
					// Storage answers are free: proving is the miner's job, not a tax on it. The
					// seal check (up to ~0.5 MB, once per seal) is paid for, so re-sealing cannot
					// fill blocks for free. Valid answers weigh only what they used, so the block
					// holds as many as it can verify.
					let actual_weight = verified;
					let pays_fee = if info.seal_check { Pays::Yes } else { Pays::No };
					Ok(PostDispatchInfo { actual_weight: Some(actual_weight), pays_fee })
				}
				Some(reason) => {
					Stats::<T>::mutate(info.device, |s| s.invalid = s.invalid.saturating_add(1));
					Self::leave_index(info.device);
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
					let actual_weight = verified.saturating_add(T::OnOutcome::outcome_weight());
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

#[cfg(feature = "runtime-benchmarks")]
impl<T: Config> Pallet<T> {
	/// Records a seal of `root` under `params` for `device` of `class` and indexes it for
	/// draws, as a committed and proven seal would be: for other pallets' benchmarks.
	pub fn benchmark_seal(
		device: DeviceId,
		class: ClassId,
		root: Hash,
		params: ember_pocps::Params,
	) {
		let sealed_at = frame_system::Pallet::<T>::block_number();
		let rate = 1;
		Seals::<T>::insert(
			device,
			SealInfo { root, nonce: 1, params, response_deadline: 4, class, rate, sealed_at },
		);
		let _ = Self::join_index(device, class, rate);
	}
}

/// Members tried per drawn challenge before it is given up for this block (a drawn member that
/// is no longer challengeable leaves the index and another is tried).
const DRAW_TRIES: u32 = 4;

/// The seal check's seed mixes the VRF outputs of this many blocks after the commitment: a
/// committer that authors its own block cannot know them all (each is fixed by its slot's
/// author), unless it authors every one of them. Storage challenges, whose seed only decides
/// which leaves to open, mix two.
pub const SEAL_CHECK_BEACONS: u32 = 8;

/// Most draws a device with a challenge still open can owe: served one after another as it
/// answers, so answering late does not lower its challenge rate.
pub const MAX_OWED: u8 = 4;

/// How many successive blocks to try when a block's deadline queue is full (the deadline moves
/// later, in the device's favour, never earlier).
const DEADLINE_SEARCH: u32 = 16;

/// A class's challenge rate per device, in [`RATE_UNIT`]s per block: one challenge every
/// `(min_interval + max_interval) / 2` blocks on average.
pub fn challenge_rate(policy: &ember_primitives::ChallengePolicy) -> u64 {
	let mean = u64::from(policy.min_interval)
		.saturating_add(u64::from(policy.max_interval))
		.checked_div(2)
		.unwrap_or(0)
		.max(1);
	RATE_UNIT.checked_div(mean).unwrap_or(RATE_UNIT)
}

/// The first 8 bytes of `entropy` as a little-endian integer.
fn word(entropy: &[u8; 32]) -> u64 {
	let mut bytes = [0u8; 8];
	bytes.copy_from_slice(entropy.get(..8).unwrap_or(&[0u8; 8]));
	u64::from_le_bytes(bytes)
}

impl<T: Config> Pallet<T> {
	/// Records the parent block's VRF output in the beacon and forgets the one no open challenge
	/// can need any more. Returns it (zero when the chain has none yet, e.g. at block 1).
	fn record_beacon(now: BlockNumberFor<T>) -> [u8; 32] {
		let (randomness, _) = T::Randomness::random(b"EMBBEACN");
		let parent = now.saturating_sub(1u32.into());
		let vrf = randomness.map(|r| sp_io::hashing::blake2_256(r.as_ref())).unwrap_or_default();
		if randomness.is_some() && !now.is_zero() {
			Beacon::<T>::insert(parent, vrf);
		}
		let keep: BlockNumberFor<T> = T::MaxResponseDeadline::get()
			.saturating_add(SEAL_CHECK_BEACONS)
			.saturating_add(2)
			.into();
		if parent > keep {
			Beacon::<T>::remove(parent.saturating_sub(keep).saturating_sub(1u32.into()));
		}
		vrf
	}

	/// The seed of an open challenge, once the VRF outputs it mixes are known: for a storage
	/// challenge those of its block and the next; for a seal check those of the
	/// [`SEAL_CHECK_BEACONS`] blocks after the commitment.
	pub fn seed(challenge: ChallengeId, info: &ChallengeInfo<BlockNumberFor<T>>) -> Option<Hash> {
		let at = |offset: u32| Beacon::<T>::get(info.opened_at.saturating_add(offset.into()));
		if info.seal_check {
			let beacons =
				(1..=SEAL_CHECK_BEACONS).map(at).collect::<Option<alloc::vec::Vec<_>>>()?;
			Some(sp_io::hashing::blake2_256(
				&(b"EMBSEAL2", beacons, info.device, challenge).encode(),
			))
		} else {
			Some(sp_io::hashing::blake2_256(
				&(b"EMBSEED2", at(0)?, at(1)?, info.device, challenge).encode(),
			))
		}
	}

	/// Whether `who` may answer `challenge` now: the pool's check (see [`PrioritizeAnswers`]),
	/// with the refusal code it reports otherwise.
	pub fn check_answerable(who: &T::AccountId, challenge: ChallengeId) -> Result<(), u8> {
		use extension::refusal;
		let info = Challenges::<T>::get(challenge).ok_or(refusal::UNKNOWN_CHALLENGE)?;
		let owner = T::Devices::owner(info.device).ok_or(refusal::UNKNOWN_CHALLENGE)?;
		if &owner != who {
			return Err(refusal::NOT_OWNER);
		}
		if frame_system::Pallet::<T>::block_number() >= info.deadline {
			return Err(refusal::DEADLINE_PASSED);
		}
		Self::seed(challenge, &info).map(|_| ()).ok_or(refusal::SEED_NOT_YET_KNOWN)
	}

	/// The first block in which a challenge's seed is on chain.
	pub fn answerable_from(info: &ChallengeInfo<BlockNumberFor<T>>) -> BlockNumberFor<T> {
		let last_beacon = if info.seal_check { SEAL_CHECK_BEACONS } else { 1 };
		info.opened_at.saturating_add(last_beacon.saturating_add(1).into())
	}

	/// Adds `device` to `class`'s index with `rate`, unless the answer space or the class list
	/// is full.
	fn join_index(device: DeviceId, class: ClassId, rate: u64) -> DispatchResult {
		let budget = u64::from(T::AnswersPerBlock::get()).saturating_mul(RATE_UNIT);
		let load = Load::<T>::get().saturating_add(rate);
		ensure!(load <= budget, Error::<T>::ChallengeCapacityFull);
		let mut draws = Draws::<T>::get(class);
		if draws.members == 0 && !DrawClasses::<T>::get().contains(&class) {
			DrawClasses::<T>::try_mutate(|classes| classes.try_push(class))
				.map_err(|_| Error::<T>::ChallengeCapacityFull)?;
		}
		Members::<T>::insert(class, draws.members, device);
		MemberOf::<T>::insert(device, Membership { class, index: draws.members, rate });
		draws.members = draws.members.saturating_add(1);
		draws.load = draws.load.saturating_add(rate);
		Draws::<T>::insert(class, draws);
		Load::<T>::put(load);
		Ok(())
	}

	/// Opens the next challenge a device owes, if any.
	fn serve_owed(device: DeviceId, now: BlockNumberFor<T>, deadline: u32) {
		let owed = Owed::<T>::take(device);
		if owed > 0 && Self::open(device, now, deadline, false) && owed > 1 {
			Owed::<T>::insert(device, owed.saturating_sub(1));
		}
	}

	/// Removes `device` from its class's index (if indexed), moving the last member into its
	/// place so the index stays dense; it owes nothing any more.
	fn leave_index(device: DeviceId) {
		Owed::<T>::remove(device);
		let Some(member) = MemberOf::<T>::take(device) else { return };
		let mut draws = Draws::<T>::get(member.class);
		let last = draws.members.saturating_sub(1);
		if let Some(moved) = Members::<T>::take(member.class, last) {
			if moved != device {
				Members::<T>::insert(member.class, member.index, moved);
				MemberOf::<T>::mutate(moved, |m| {
					if let Some(m) = m {
						m.index = member.index;
					}
				});
			}
		}
		draws.members = last;
		draws.load = draws.load.saturating_sub(member.rate);
		Load::<T>::mutate(|load| *load = load.saturating_sub(member.rate));
		if draws.members == 0 {
			Draws::<T>::remove(member.class);
			DrawClasses::<T>::mutate(|classes| classes.retain(|c| *c != member.class));
		} else {
			Draws::<T>::insert(member.class, draws);
		}
	}

	/// Opens a challenge of `device` at `now` with its deadline `deadline` blocks later (or the
	/// first block after with room in its queue). Returns whether it opened.
	fn open(device: DeviceId, now: BlockNumberFor<T>, deadline: u32, seal_check: bool) -> bool {
		let challenge = NextChallengeId::<T>::get();
		let mut at = now.saturating_add(deadline.into());
		let mut queued = false;
		for _ in 0..DEADLINE_SEARCH {
			if Deadlines::<T>::mutate(at, |q| q.try_push(challenge).is_ok()) {
				queued = true;
				break;
			}
			at = at.saturating_add(1u32.into());
		}
		if !queued {
			return false;
		}
		NextChallengeId::<T>::put(challenge.saturating_add(1));
		Challenges::<T>::insert(
			challenge,
			ChallengeInfo { device, opened_at: now, deadline: at, seal_check },
		);
		OpenChallenge::<T>::insert(device, challenge);
		Self::deposit_event(Event::ChallengeOpened { device, challenge, seal_check, deadline: at });
		true
	}

	/// Closes an open challenge. Its id stays in its deadline's queue, which the sweep takes
	/// whole and in which it skips closed challenges: one storage write less per answer.
	fn close(challenge: ChallengeId, info: &ChallengeInfo<BlockNumberFor<T>>) {
		Challenges::<T>::remove(challenge);
		OpenChallenge::<T>::remove(info.device);
	}

	/// Records a fault for every challenge whose deadline is `now` and that is still open.
	/// Returns the queue's length (each entry is read) and the faults.
	fn sweep_deadlines(now: BlockNumberFor<T>) -> (u32, u32) {
		let expired = Deadlines::<T>::take(now);
		let entries = expired.len() as u32;
		let mut swept = 0u32;
		for challenge in expired {
			let Some(info) = Challenges::<T>::take(challenge) else { continue };
			swept = swept.saturating_add(1);
			OpenChallenge::<T>::remove(info.device);
			Stats::<T>::mutate(info.device, |s| s.missed = s.missed.saturating_add(1));
			Self::leave_index(info.device);
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
		(entries, swept)
	}

	/// Draws this block's storage challenges: per class, its load's worth (the fraction by a
	/// random roll), each a uniformly random member of its index chosen with the parent block's
	/// VRF output. A drawn device that is no longer challengeable leaves the index (and another
	/// is tried, up to [`DRAW_TRIES`]); one with a challenge still open owes the challenge and
	/// gets it when it answers, so answering late does not lower its rate. Returns the members
	/// tried (the work done).
	fn draw_challenges(now: BlockNumberFor<T>, vrf: &[u8; 32]) -> u32 {
		let mut room = T::MaxChallengesPerBlock::get();
		let mut tried = 0u32;
		for class in DrawClasses::<T>::get() {
			// The load's whole challenges, plus one more with the probability of its fraction:
			// the expected count is the load exactly, and even a class of one device is drawn
			// at random blocks, not every `mean interval` blocks like clockwork.
			let load = Draws::<T>::get(class).load;
			let whole = load.checked_div(RATE_UNIT).unwrap_or(0);
			let fraction = load.checked_rem(RATE_UNIT).unwrap_or(0);
			let roll = sp_io::hashing::blake2_256(&(b"EMBCOUNT", vrf, class).encode());
			let extra = word(&roll).checked_rem(RATE_UNIT).unwrap_or(0) < fraction;
			let count = whole.saturating_add(u64::from(extra));
			let count = u32::try_from(count).unwrap_or(u32::MAX).min(room);
			room = room.saturating_sub(count);
			for n in 0..count {
				for attempt in 0..DRAW_TRIES {
					let members = Draws::<T>::get(class).members;
					if members == 0 {
						break;
					}
					tried = tried.saturating_add(1);
					let entropy =
						sp_io::hashing::blake2_256(&(b"EMBDRAW", vrf, class, n, attempt).encode());
					let index = word(&entropy).checked_rem(u64::from(members)).unwrap_or(0);
					let Some(device) = Members::<T>::get(class, u32::try_from(index).unwrap_or(0))
					else {
						break;
					};
					let challengeable =
						T::Devices::status(device).is_some_and(|status| status.is_challengeable());
					let Some(seal) = Seals::<T>::get(device).filter(|_| challengeable) else {
						Self::leave_index(device);
						continue;
					};
					if OpenChallenge::<T>::contains_key(device) {
						Owed::<T>::mutate(device, |owed| {
							*owed = owed.saturating_add(1).min(MAX_OWED)
						});
						break;
					}
					if !Self::open(device, now, seal.response_deadline, false) {
						Self::deposit_event(Event::DrawDeferred { device });
					}
					break;
				}
			}
		}
		tried
	}

	/// The device's open challenges (at most one) with their seeds once known, for the runtime
	/// API.
	pub fn open_challenges(
		device: DeviceId,
	) -> alloc::vec::Vec<(ChallengeId, OpenChallengeView<BlockNumberFor<T>>)> {
		OpenChallenge::<T>::get(device)
			.and_then(|id| Challenges::<T>::get(id).map(|info| (id, info)))
			.map(|(id, info)| (id, OpenChallengeView { seed: Self::seed(id, &info), info }))
			.into_iter()
			.collect()
	}

	/// How much of the answer space admitted devices use, for the runtime API.
	pub fn capacity() -> Capacity {
		let devices = DrawClasses::<T>::get()
			.iter()
			.map(|class| Draws::<T>::get(class).members)
			.fold(0u32, |total, members| total.saturating_add(members));
		Capacity { answers_per_block: T::AnswersPerBlock::get(), load: Load::<T>::get(), devices }
	}

	/// Checks the pallet's invariants.
	///
	/// # Invariants
	///
	/// - Every open challenge belongs to a sealed device that is challengeable (`Sealed` on
	///   probation, or `Active`), is indexed in `OpenChallenge`, and is queued under its
	///   deadline, which lies in the future; `OpenChallenge` holds nothing else.
	/// - Fail closed: every sealed device that is challengeable is in its class's index.
	/// - Each class's index is dense (`0..members`, each entry pointing back), its load is the
	///   sum of its members' rates, and `Load` is the sum over classes; `DrawClasses` lists
	///   exactly the classes with members.
	/// - Every seal's iterations are within `MaxIterations`.
	/// - The beacon keeps at most `MaxResponseDeadline + 3` outputs.
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

		for (device, seal) in Seals::<T>::iter() {
			ensure!(
				seal.params.iterations <= T::MaxIterations::get(),
				"a seal's iterations exceed MaxIterations"
			);
			if T::Devices::status(device).is_some_and(|s| s.is_challengeable()) {
				ensure!(
					MemberOf::<T>::get(device).is_some_and(|m| m.class == seal.class),
					"a sealed, challengeable device is not in its class's index"
				);
			}
		}

		let mut total = 0u64;
		let classes = DrawClasses::<T>::get();
		for (class, draws) in Draws::<T>::iter() {
			ensure!(draws.members > 0 && classes.contains(&class), "an empty or unlisted class");
			let mut load = 0u64;
			for index in 0..draws.members {
				let device = Members::<T>::get(class, index).ok_or("a hole in a class's index")?;
				let member = MemberOf::<T>::get(device).ok_or("an index entry without MemberOf")?;
				ensure!(member.class == class && member.index == index, "MemberOf mismatch");
				load = load.saturating_add(member.rate);
			}
			ensure!(load == draws.load, "a class's load is not its members' rates");
			total = total.saturating_add(load);
		}
		ensure!(classes.len() == Draws::<T>::iter().count(), "a listed class without members");
		ensure!(total == Load::<T>::get(), "Load is not the sum of the classes' loads");
		for (device, owed) in Owed::<T>::iter() {
			ensure!(MemberOf::<T>::contains_key(device), "an unindexed device owes challenges");
			ensure!(owed > 0 && owed <= MAX_OWED, "owed challenges out of range");
		}
		let indexed: usize = Draws::<T>::iter().map(|(_, d)| d.members as usize).sum();
		ensure!(MemberOf::<T>::iter().count() == indexed, "stray MemberOf entries");
		ensure!(Members::<T>::iter().count() == indexed, "stray Members entries");
		ensure!(
			Beacon::<T>::iter().count()
				<= T::MaxResponseDeadline::get().saturating_add(SEAL_CHECK_BEACONS + 3) as usize,
			"the beacon outgrew its window"
		);
		Ok(())
	}
}

impl<T: Config> ResidencyFaults<T::AccountId> for Pallet<T> {
	fn sealed(device: DeviceId) -> Option<SealedDataset> {
		Seals::<T>::get(device).map(|seal| SealedDataset {
			root: seal.root,
			params: seal.params,
			class: seal.class,
		})
	}

	/// A failed round is recorded like a failed challenge: under a fresh challenge id (so a
	/// slash names a unique incident), counted in the device's stats, the device leaves the
	/// draw index and is suspended, and the outcome listeners (pools, slashing, reputation)
	/// are told.
	fn round_fault(device: DeviceId, outcome: ChallengeOutcome) -> DispatchResult {
		let owner = T::Devices::owner(device).ok_or(Error::<T>::UnknownDevice)?;
		let challenge = NextChallengeId::<T>::get();
		NextChallengeId::<T>::put(challenge.saturating_add(1));
		Stats::<T>::mutate(device, |s| match outcome {
			ChallengeOutcome::InvalidProof => s.invalid = s.invalid.saturating_add(1),
			_ => s.missed = s.missed.saturating_add(1),
		});
		Self::leave_index(device);
		// A device retired meanwhile cannot be suspended, but the fault still counts: the
		// listeners slash and score it like any other.
		let _ = T::Devices::note_faulted(device);
		T::OnOutcome::on_challenge_outcome(device, &owner, challenge, outcome);
		Self::deposit_event(Event::RoundFaulted { device, challenge, outcome });
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
