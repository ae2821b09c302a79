//! Benchmarks for PoCPS (frame-benchmarking v2).
//!
//! `respond` is measured against the verification work `h` (SHA-256 compressions, see
//! [`ember_pocps::Params::seal_verify_hashes`] and [`ember_pocps::Params::storage_verify_hashes`])
//! at the largest tree (depth 40), once per kind: `respond_storage` with 1 to 64 leaves,
//! `respond_seal` with 8 parents and 1 to `MaxIterations` iterations, on sparse datasets whose
//! proofs verify like real ones (see [`ember_pocps::prover::SparseDataset`]). In the runtime
//! they include the outcome listeners' success path.

// Test and benchmark code: panics and plain arithmetic are how it fails.
#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

use super::*;
use crate::Pallet as Pocps;
use ember_pocps::{
	params::{MAX_CHALLENGES, MAX_PARENTS, MAX_TREE_DEPTH, SEAL_CHALLENGES},
	prover::SparseDataset,
	Params,
};
use frame_benchmarking::v2::*;
use frame_support::traits::Hooks;
use frame_system::RawOrigin;

/// Hashes per storage leaf at the largest tree: its path and its index.
const LEAF_WORK: u32 = MAX_TREE_DEPTH + 2;
/// Merkle-path hashes per seal-check label at the largest shape.
const PATH_WORK: u32 = (MAX_PARENTS + 2) * MAX_TREE_DEPTH;
/// The least work a seal check can cost at that shape.
const MIN_SEAL_WORK: u32 = SEAL_CHALLENGES * (1 + 6 + PATH_WORK);

/// The largest tree: 2^40 labels, 8 parents.
fn largest() -> Params {
	Params {
		lanes: 1 << (MAX_TREE_DEPTH / 2),
		lane_len: 1 << (MAX_TREE_DEPTH / 2),
		parents: MAX_PARENTS,
		iterations: 1,
		challenges: 1,
	}
}

/// The largest-shape storage parameters whose proof costs about `h` hashes.
fn storage_params(h: u32) -> Params {
	Params { challenges: (h / LEAF_WORK).clamp(1, MAX_CHALLENGES), ..largest() }
}

/// The largest-shape parameters whose seal check costs about `h` hashes.
fn seal_params<T: Config>(h: u32) -> Params {
	let iterations =
		(h / SEAL_CHALLENGES).saturating_sub(6 + PATH_WORK).clamp(1, T::MaxIterations::get());
	Params { iterations, ..largest() }
}

fn max_work<T: Config>() -> u32 {
	SEAL_CHALLENGES * (T::MaxIterations::get() + 6 + PATH_WORK)
}

/// A sealed, challengeable device of a class with `params`.
fn sealed_device<T: Config>(owner: &T::AccountId, params: Params) -> (DeviceId, [u8; 32]) {
	let (device, key) = T::BenchmarkHelper::device(owner.clone(), params, 4);
	T::Devices::note_sealed(device).expect("fresh device can be sealed");
	(device, key)
}

/// A seal as a GPU class would have it: deadline 4 blocks, a challenge every 25 on average.
fn seal_info<T: Config>(
	root: [u8; 32],
	nonce: u64,
	params: Params,
	sealed_at: BlockNumberFor<T>,
) -> SealInfo<BlockNumberFor<T>> {
	SealInfo {
		root,
		nonce,
		params,
		response_deadline: 4,
		class: 0,
		rate: RATE_UNIT / 25,
		sealed_at,
	}
}

/// Opens a challenge of `device` at the current block with its deadline at `deadline`, and puts
/// the VRF outputs its seed needs in the beacon. Returns the id and the seed.
fn open<T: Config>(
	device: DeviceId,
	deadline: BlockNumberFor<T>,
	seal_check: bool,
) -> (ChallengeId, [u8; 32]) {
	let id = NextChallengeId::<T>::get();
	NextChallengeId::<T>::put(id + 1);
	let opened_at = frame_system::Pallet::<T>::block_number();
	let info = ChallengeInfo { device, opened_at, deadline, seal_check };
	for offset in 0..=SEAL_CHECK_BEACONS {
		let output = sp_io::hashing::blake2_256(&(id, device, offset).encode());
		Beacon::<T>::insert(opened_at + offset.into(), output);
	}
	let seed = Pocps::<T>::seed(id, &info).expect("every output it mixes is in the beacon");
	Challenges::<T>::insert(id, info);
	OpenChallenge::<T>::insert(device, id);
	Deadlines::<T>::mutate(deadline, |q| q.try_push(id).expect("room for one"));
	(id, seed)
}

/// Puts `device` in class 0's index at one challenge per block.
fn index<T: Config>(device: DeviceId) {
	let mut draws = Draws::<T>::get(0);
	Members::<T>::insert(0, draws.members, device);
	MemberOf::<T>::insert(device, Membership { class: 0, index: draws.members, rate: RATE_UNIT });
	draws.members += 1;
	draws.load += RATE_UNIT;
	Draws::<T>::insert(0, draws);
	Load::<T>::mutate(|load| *load += RATE_UNIT);
	DrawClasses::<T>::mutate(|classes| {
		if !classes.contains(&0) {
			classes.try_push(0).expect("room for one class");
		}
	});
}

/// A sealed, indexed device with an open challenge (a seal check or a storage challenge) whose
/// seed is known, at the block it becomes answerable, owing two more draws (the heavier path:
/// answering serves one); its owner, the challenge, the honest answer and the device.
fn answerable<T: Config>(
	params: Params,
	seal_check: bool,
) -> (T::AccountId, ChallengeId, ember_pocps::Proof, DeviceId) {
	let owner: T::AccountId = whitelisted_caller();
	let (device, key) = sealed_device::<T>(&owner, params);
	let nonce = 1;
	let ek = encoding_key::<T>(&key, nonce);
	let now = frame_system::Pallet::<T>::block_number();
	let deadline = now + (SEAL_CHECK_BEACONS + 4).into();
	let (challenge, seed) = open::<T>(device, deadline, seal_check);
	let sparse =
		SparseDataset::for_challenge::<HostSha256>(&params, &ek, &seed).expect("valid parameters");
	Seals::<T>::insert(device, seal_info::<T>(sparse.root(), nonce, params, now));
	index::<T>(device);
	let proof = sparse.prove::<HostSha256>(&params, &ek, &seed, seal_check).expect("sparse proof");
	Owed::<T>::insert(device, 2);
	let info = Challenges::<T>::get(challenge).expect("opened");
	frame_system::Pallet::<T>::set_block_number(Pocps::<T>::answerable_from(&info));
	(owner, challenge, proof, device)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn commit_seal() {
		let owner: T::AccountId = whitelisted_caller();
		let params = seal_params::<T>(MIN_SEAL_WORK);
		let (device, _) = T::BenchmarkHelper::device(owner.clone(), params, 4);
		// Re-seal (the heavier path): a previous seal exists and the device is indexed.
		Pocps::<T>::commit_seal(
			RawOrigin::Signed(owner.clone()).into(),
			device,
			[1; 32],
			1,
			params,
		)
		.expect("first seal");
		let id = OpenChallenge::<T>::get(device).expect("the seal check opened");
		let info = Challenges::<T>::get(id).expect("open");
		Pocps::<T>::close(id, &info);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), device, [2; 32], 2, params);
		assert_eq!(Seals::<T>::get(device).map(|s| s.nonce), Some(2));
	}

	#[benchmark]
	fn respond_storage(h: Linear<LEAF_WORK, { MAX_CHALLENGES * LEAF_WORK }>) {
		let (owner, challenge, proof, device) = answerable::<T>(storage_params(h), false);
		#[extrinsic_call]
		respond(RawOrigin::Signed(owner), challenge, alloc::boxed::Box::new(proof));
		assert_eq!(Stats::<T>::get(device).answered, 1);
		assert_eq!(Owed::<T>::get(device), 1);
	}

	#[benchmark]
	fn respond_seal(h: Linear<MIN_SEAL_WORK, { max_work::<T>() }>) {
		let (owner, challenge, proof, device) = answerable::<T>(seal_params::<T>(h), true);
		#[extrinsic_call]
		respond(RawOrigin::Signed(owner), challenge, alloc::boxed::Box::new(proof));
		assert_eq!(Stats::<T>::get(device).answered, 1);
		assert_eq!(Owed::<T>::get(device), 1);
	}

	// Faults go to the runtime's real outcome listeners, and slashing schedules at most 256 per
	// block (`MaxSlashesPerBlock`, then it defers): `s` stops there so the fit stays linear, and
	// is extrapolated above it (the listeners' own weight is added per fault on top).
	#[benchmark]
	fn on_initialize(
		o: Linear<0, { T::MaxChallengesPerBlock::get() }>,
		s: Linear<0, { T::MaxChallengesPerBlock::get().min(256) }>,
	) {
		let owner: T::AccountId = whitelisted_caller();
		let params = storage_params(LEAF_WORK);
		let now = frame_system::Pallet::<T>::block_number() + 10u32.into();
		let seal = seal_info::<T>([1; 32], 1, params, now);
		// `s` open challenges whose deadline is `now`.
		for _ in 0..s {
			let (device, _) = sealed_device::<T>(&owner, params);
			Seals::<T>::insert(device, seal.clone());
			index::<T>(device);
			open::<T>(device, now, false);
		}
		// `o` more indexed devices, each drawn once per block: `o` draws at `now`.
		for _ in 0..o {
			let (device, _) = sealed_device::<T>(&owner, params);
			Seals::<T>::insert(device, seal.clone());
			index::<T>(device);
		}
		Draws::<T>::mutate(0, |draws| draws.load = u64::from(o) * RATE_UNIT);
		frame_system::Pallet::<T>::set_block_number(now);
		#[block]
		{
			Pocps::<T>::on_initialize(now);
		}
		assert!(OpenChallenge::<T>::iter().count() as u32 <= o);
	}

	impl_benchmark_test_suite!(Pocps, crate::mock::ExtBuilder::build(), crate::mock::Test);
}
