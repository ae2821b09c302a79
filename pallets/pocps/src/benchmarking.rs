//! Benchmarks for PoCPS (frame-benchmarking v2).
//!
//! `respond` is measured against the verification work `h` (SHA-256 compressions, see
//! [`ember_pocps::Params::verify_hashes`]) at the largest tree (depth 40) and parent count (8), on
//! sparse datasets whose proofs verify like real ones (see
//! [`ember_pocps::prover::SparseDataset`]).

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
	params::{MAX_CHALLENGES, MAX_PARENTS, MAX_TREE_DEPTH},
	prover::SparseDataset,
	Params,
};
use frame_benchmarking::v2::*;
use frame_support::traits::Hooks;
use frame_system::RawOrigin;

/// Merkle-path hashes per challenged label at the largest shape.
const PATH_WORK: u32 = (MAX_PARENTS + 2) * MAX_TREE_DEPTH;
/// The least work a proof can cost at that shape.
const MIN_WORK: u32 = 1 + 2 + PATH_WORK;

/// The largest-shape parameters whose verification costs about `h` hashes.
fn params_for_work<T: Config>(h: u32) -> Params {
	let per_challenge_max = T::MaxIterations::get().saturating_add(2 + PATH_WORK);
	let challenges = h.div_ceil(per_challenge_max).clamp(1, MAX_CHALLENGES);
	let iterations =
		(h / challenges).saturating_sub(2 + PATH_WORK).clamp(1, T::MaxIterations::get());
	Params {
		lanes: 1 << (MAX_TREE_DEPTH / 2),
		lane_len: 1 << (MAX_TREE_DEPTH / 2),
		parents: MAX_PARENTS,
		iterations,
		challenges,
	}
}

fn max_work<T: Config>() -> u32 {
	MAX_CHALLENGES * (T::MaxIterations::get() + 2 + PATH_WORK)
}

/// A sealed, challengeable device with seal `root` and `params`.
fn sealed_device<T: Config>(owner: &T::AccountId, params: Params) -> (DeviceId, [u8; 32]) {
	let (device, key) = T::BenchmarkHelper::device(owner.clone(), params, 4);
	T::Devices::note_sealed(device).expect("fresh device can be sealed");
	(device, key)
}

/// Opens a challenge for `device` with `seed` and `deadline`, as `on_initialize` would.
/// A seal as a GPU class would have it: deadline 4 blocks, challenged every 10 to 40.
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
		min_interval: 10,
		max_interval: 40,
		sealed_at,
	}
}

fn open<T: Config>(device: DeviceId, seed: [u8; 32], deadline: BlockNumberFor<T>) -> ChallengeId {
	let id = NextChallengeId::<T>::get();
	NextChallengeId::<T>::put(id + 1);
	let opened_at = frame_system::Pallet::<T>::block_number();
	Challenges::<T>::insert(id, ChallengeInfo { device, seed, opened_at, deadline });
	OpenChallenge::<T>::insert(device, id);
	Deadlines::<T>::mutate(deadline, |q| q.try_push(id).expect("room for one"));
	id
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn commit_seal() {
		let owner: T::AccountId = whitelisted_caller();
		let params = params_for_work::<T>(MIN_WORK);
		let (device, _) = T::BenchmarkHelper::device(owner.clone(), params, 4);
		// Re-seal (the heavier path): a previous seal exists.
		Seals::<T>::insert(
			device,
			seal_info::<T>([1; 32], 1, params, frame_system::Pallet::<T>::block_number()),
		);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), device, [2; 32], 2);
		assert_eq!(Seals::<T>::get(device).map(|s| s.nonce), Some(2));
	}

	#[benchmark]
	fn respond(h: Linear<MIN_WORK, { max_work::<T>() }>) {
		let owner: T::AccountId = whitelisted_caller();
		let params = params_for_work::<T>(h);
		let (device, key) = sealed_device::<T>(&owner, params);
		let nonce = 1;
		let ek = encoding_key::<T>(&key, nonce);
		let seed = sp_io::hashing::blake2_256(&h.to_le_bytes());
		let sparse = SparseDataset::for_challenge::<HostSha256>(&params, &ek, &seed)
			.expect("valid parameters");
		let now = frame_system::Pallet::<T>::block_number();
		Seals::<T>::insert(device, seal_info::<T>(sparse.root(), nonce, params, now));
		let challenge = open::<T>(device, seed, now.saturating_add(4u32.into()));
		let proof = sparse.prove::<HostSha256>(&params, &ek, &seed).expect("sparse proof");
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), challenge, alloc::boxed::Box::new(proof));
		assert_eq!(Stats::<T>::get(device).answered, 1);
	}

	#[benchmark]
	fn on_initialize(
		o: Linear<0, { T::MaxChallengesPerBlock::get() }>,
		s: Linear<0, { T::MaxChallengesPerBlock::get() }>,
	) {
		let owner: T::AccountId = whitelisted_caller();
		let params = params_for_work::<T>(MIN_WORK);
		let now = frame_system::Pallet::<T>::block_number().saturating_add(10u32.into());
		let seal = seal_info::<T>([1; 32], 1, params, now);
		// `s` open challenges whose deadline is `now`.
		for i in 0..s {
			let (device, _) = sealed_device::<T>(&owner, params);
			Seals::<T>::insert(device, seal.clone());
			open::<T>(device, [i as u8; 32], now);
		}
		// `o` sealed devices scheduled for `now`.
		for _ in 0..o {
			let (device, _) = sealed_device::<T>(&owner, params);
			Seals::<T>::insert(device, seal.clone());
			Schedule::<T>::mutate(now, |q| q.try_push(device).expect("o <= MaxChallengesPerBlock"));
			NextChallengeAt::<T>::insert(device, now);
		}
		frame_system::Pallet::<T>::set_block_number(now);
		#[block]
		{
			Pocps::<T>::on_initialize(now);
		}
		assert_eq!(OpenChallenge::<T>::iter().count() as u32, o);
	}

	impl_benchmark_test_suite!(Pocps, crate::mock::ExtBuilder::build(), crate::mock::Test);
}
