//! Benchmarks for the verifiers pallet (frame-benchmarking v2).
//!
//! Worst cases: every verdict of `post_verdicts` creates no tally but decides one (a pass that
//! reaches the majority and is queued for its audit roll); `answer_audit` verifies `r` reads at
//! the `gpu-80g` tree depth (31) on a dataset of zero labels, whose paths verify like real ones
//! (`verify_round` checks paths and the walk, not the labelling, which the seal check proved);
//! `sweep_audits` faults each device and slashes its three passers, whose signature checks all
//! pass; `start_round` slashes every verifier of the previous round.

// Benchmark code: panics and plain arithmetic are how it fails.
#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

use super::*;
use crate::Pallet as Verifiers;
use alloc::vec;
use ember_pocps::{
	merkle::node,
	proof::Opening,
	round::{checkpoint_tree, open_segments, run_walk, BLOCK_BYTES, MAX_SEGMENT_STEPS},
	Params,
};
use frame_benchmarking::v2::*;
use frame_support::traits::fungible::Mutate as _;
use frame_system::RawOrigin;
use sp_core::crypto::KeyTypeId;

const KEY_TYPE: KeyTypeId = KeyTypeId(*b"vbnc");
const CLASS: ClassId = 7;

/// The `gpu-80g` shape: 2^31 labels, depth 31.
fn dataset_params() -> Params {
	Params { lanes: 1 << 16, lane_len: 1 << 15, parents: 6, iterations: 1, challenges: 4 }
}

/// Round parameters with `audits` on-chain segments of the longest length.
fn round_params(audits: u32) -> RoundParams {
	RoundParams {
		walks: 16,
		steps: 2 * MAX_SEGMENT_STEPS,
		segment: MAX_SEGMENT_STEPS,
		audits: 16,
		chain_audits: audits.max(1),
		deadline_ms: 1000,
	}
}

/// Roots of all-zero subtrees, by height.
fn zero_nodes(depth: u32) -> Vec<[u8; 32]> {
	let mut nodes = vec![[0u8; 32]];
	for h in 1..=depth as usize {
		nodes.push(node::<HostSha256>(&nodes[h - 1], &nodes[h - 1]));
	}
	nodes
}

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	let amount = T::MinBond::get().saturating_mul(1000u32.into());
	T::Currency::set_balance(&who, amount);
	who
}

fn verifier<T: Config>(index: u32) -> T::AccountId {
	let who = funded::<T>("verifier", index);
	Verifiers::<T>::register_verifier(RawOrigin::Signed(who.clone()).into(), T::MinBond::get())
		.unwrap();
	who
}

/// An eligible device with an endpoint; returns it and its device key.
fn device<T: Config>(owner: &T::AccountId, root: [u8; 32]) -> (DeviceId, [u8; 32]) {
	let key = sp_io::crypto::sr25519_generate(KEY_TYPE, None).0;
	let device =
		T::BenchmarkHelper::active_device(owner.clone(), CLASS, dataset_params(), root, key);
	let url: BoundedVec<u8, T::MaxEndpointLen> =
		BoundedVec::truncate_from(b"ws://10.0.0.1:9950".to_vec());
	Verifiers::<T>::set_endpoint(RawOrigin::Signed(owner.clone()).into(), device, url).unwrap();
	(device, key)
}

/// Opens round 1 with the current verifier set.
fn open_round<T: Config>() {
	RoundPolicy::<T>::insert(CLASS, round_params(1));
	let now = T::RoundPeriod::get();
	frame_system::Pallet::<T>::set_block_number(now);
	Verifiers::<T>::start_round(now);
}

/// A pass of `device` by `verifier` the device key really signed.
fn signed_pass<T: Config>(
	device: DeviceId,
	key: [u8; 32],
	seed: [u8; 32],
	who: &T::AccountId,
) -> PassRecord<T::AccountId> {
	let nonce = sp_io::hashing::blake2_256(&who.encode());
	let result = [9u8; 32];
	let verifier = verifier_id(who);
	let message = round_message(&RoundChallenge { device, seed, verifier, nonce }, &result);
	let signature =
		sp_io::crypto::sr25519_sign(KEY_TYPE, &sp_core::sr25519::Public::from_raw(key), &message)
			.unwrap()
			.0;
	PassRecord { verifier: who.clone(), nonce, result, signature }
}

fn tally<T: Config>(seed: [u8; 32], passes: Vec<PassRecord<T::AccountId>>) -> TallyOf<T> {
	Tally {
		seed,
		dataset: ember_primitives::SealedDataset {
			root: [0; 32],
			params: dataset_params(),
			class: CLASS,
		},
		round: round_params(1),
		committee: 3,
		passes: BoundedVec::truncate_from(passes),
		fails: Default::default(),
		decided: Some(Decision::Passed),
	}
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_verifier() {
		let who = funded::<T>("verifier", 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), T::MinBond::get());
		assert!(Registered::<T>::contains_key(&who));
	}

	#[benchmark]
	fn unregister_verifier() {
		for i in 1..T::MaxVerifiers::get() {
			verifier::<T>(i);
		}
		let who = verifier::<T>(0);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert!(Registered::<T>::get(&who).unwrap().unbonds_at.is_some());
	}

	#[benchmark]
	fn withdraw_bond() {
		let who = verifier::<T>(0);
		Verifiers::<T>::unregister_verifier(RawOrigin::Signed(who.clone()).into()).unwrap();
		frame_system::Pallet::<T>::set_block_number(T::UnbondingPeriod::get() + 1u32.into());
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert!(!Registered::<T>::contains_key(&who));
	}

	#[benchmark]
	fn set_endpoint() {
		let owner = funded::<T>("owner", 0);
		let key = sp_io::crypto::sr25519_generate(KEY_TYPE, None).0;
		let device =
			T::BenchmarkHelper::active_device(owner.clone(), CLASS, dataset_params(), [0; 32], key);
		let url: BoundedVec<u8, T::MaxEndpointLen> =
			BoundedVec::truncate_from(vec![b'w'; T::MaxEndpointLen::get() as usize]);
		let mut url = url.into_inner();
		url[..5].copy_from_slice(b"ws://");
		let url: BoundedVec<u8, T::MaxEndpointLen> = BoundedVec::truncate_from(url);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), device, url);
		assert!(Endpoints::<T>::contains_key(device));
	}

	#[benchmark]
	fn clear_endpoint() {
		let owner = funded::<T>("owner", 0);
		let (device, _) = device::<T>(&owner, [0; 32]);
		// Suspended (not tested any more), so its owner may drop the endpoint.
		T::Pocps::round_fault(device, ChallengeOutcome::Fault).unwrap();
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), device);
		assert!(!Endpoints::<T>::contains_key(device));
	}

	/// `n` verdicts, each deciding its device's round (the second pass of three).
	#[benchmark]
	fn post_verdicts(n: Linear<1, 1_000>) {
		let n = n.min(T::MaxVerdicts::get());
		let verifiers: Vec<T::AccountId> = (0..3).map(verifier::<T>).collect();
		let owner = funded::<T>("owner", 0);
		let devices: Vec<DeviceId> = (0..n).map(|_| device::<T>(&owner, [0; 32]).0).collect();
		open_round::<T>();
		let round = CurrentRound::<T>::get();
		for device in &devices {
			let committee =
				Verifiers::<T>::committee(round.index, &round.seed, *device, &owner, &[]);
			assert_eq!(committee.len(), 3);
		}
		let first = Verdict::Pass { nonce: [1; 32], result: [2; 32], signature: [3; 64] };
		let verdicts: VerdictsOf<T> =
			BoundedVec::truncate_from(devices.iter().map(|d| (*d, first)).collect());
		Verifiers::<T>::post_verdicts(
			RawOrigin::Signed(verifiers[0].clone()).into(),
			round.index,
			verdicts.clone(),
		)
		.unwrap();
		#[extrinsic_call]
		_(RawOrigin::Signed(verifiers[1].clone()), round.index, verdicts);
		assert_eq!(
			Tallies::<T>::get(round.index, devices[0]).unwrap().decided,
			Some(Decision::Passed)
		);
	}

	/// An audit answered with `r` verified reads (whole segments of 256) at depth 31.
	#[benchmark]
	fn answer_audit(r: Linear<MAX_SEGMENT_STEPS, MAX_CHAIN_AUDIT_READS>) {
		let params = dataset_params();
		let round = round_params(r / MAX_SEGMENT_STEPS);
		let zeros = zero_nodes(params.depth());
		let root = zeros[params.depth() as usize];
		let owner = funded::<T>("owner", 0);
		let (device, key) = device::<T>(&owner, root);
		let passer = verifier::<T>(0);
		let seed = [5u8; 32];
		let nonce = [6u8; 32];
		let challenge = RoundChallenge { device, seed, verifier: verifier_id(&passer), nonce };
		let blocks = ember_pocps::round::blocks_of(&params);
		let mut checkpoints = Vec::new();
		for walk in 0..round.walks {
			checkpoints.extend(
				run_walk::<HostSha256>(&params, &round, &challenge, walk, |b| {
					(b < blocks).then_some([0u8; BLOCK_BYTES])
				})
				.unwrap(),
			);
		}
		let tree = checkpoint_tree::<HostSha256>(&checkpoints).unwrap();
		let result = tree.root();
		let message = round_message(&challenge, &result);
		let signature = sp_io::crypto::sr25519_sign(
			KEY_TYPE,
			&sp_core::sr25519::Public::from_raw(key),
			&message,
		)
		.unwrap()
		.0;
		let deadline = frame_system::Pallet::<T>::block_number() + T::AuditWindow::get();
		let audit = Audit {
			seed,
			record: PassRecord { verifier: passer.clone(), nonce, result, signature },
			passers: BoundedVec::truncate_from(vec![passer]),
			dataset: T::Pocps::sealed(device).unwrap(),
			round,
			selector: [8; 32],
			deadline,
		};
		let asked = audit_segments::<HostSha256>(
			&round,
			&Verifiers::<T>::audit_selector(&audit),
			round.chain_audits,
		);
		let depth = params.depth();
		let opening =
			open_segments::<HostSha256>(&params, &round, &challenge, &tree, &asked, |leaf| {
				let path: Vec<[u8; 32]> = zeros[..depth as usize].to_vec();
				let _ = leaf;
				Some(Opening { label: [0; 32], path: path.try_into().ok()? })
			})
			.unwrap();
		assert_eq!(opening_reads(&opening), round.chain_audits * MAX_SEGMENT_STEPS);
		Audits::<T>::insert(1, device, audit);
		AuditDeadlines::<T>::mutate(deadline, |q| q.try_push((1, device)).unwrap());
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), 1, device, opening);
		assert!(!Audits::<T>::contains_key(1, device));
		assert!(frame_system::Pallet::<T>::events().iter().any(|e| {
			e.event
				== <T as frame_system::Config>::RuntimeEvent::from(Event::<T>::AuditPassed {
					round: 1,
					device,
				})
				.into()
		}));
	}

	#[benchmark]
	fn demand_retest() {
		for i in 0..T::MaxVerifiers::get() {
			verifier::<T>(i);
		}
		let owner = funded::<T>("owner", 0);
		let (device, _) = device::<T>(&owner, [0; 32]);
		open_round::<T>();
		let round = CurrentRound::<T>::get();
		let committee = Verifiers::<T>::committee(round.index, &round.seed, device, &owner, &[]);
		for v in &committee[..2] {
			let fail: VerdictsOf<T> =
				BoundedVec::truncate_from(vec![(device, Verdict::Fail(FailReason::Late))]);
			Verifiers::<T>::post_verdicts(RawOrigin::Signed(v.clone()).into(), round.index, fail)
				.unwrap();
		}
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), device);
		assert!(Retests::<T>::contains_key(device));
	}

	#[benchmark]
	fn set_round_params() {
		#[extrinsic_call]
		_(RawOrigin::Root, CLASS, Some(round_params(1)));
		assert!(RoundPolicy::<T>::contains_key(CLASS));
	}

	#[benchmark]
	fn set_audit_share() {
		#[extrinsic_call]
		_(RawOrigin::Root, Perbill::from_percent(50));
		assert_eq!(AuditShareNow::<T>::get(), Perbill::from_percent(50));
	}

	/// A round opens; all `v` verifiers of the previous one posted nothing.
	#[benchmark]
	fn start_round(v: Linear<1, 1_024>) {
		let v = v.min(T::MaxVerifiers::get());
		for i in 0..v {
			verifier::<T>(i);
		}
		open_round::<T>();
		let next = T::RoundPeriod::get() * 2u32.into();
		frame_system::Pallet::<T>::set_block_number(next);
		#[block]
		{
			Verifiers::<T>::start_round(next);
		}
		assert_eq!(CurrentRound::<T>::get().index, 2);
	}

	/// `n` passes rolled, every one audited.
	#[benchmark]
	fn roll_audits(n: Linear<1, 1_000>) {
		let n = n.min(T::MaxQueue::get());
		AuditShareNow::<T>::put(Perbill::one());
		let verifiers: Vec<T::AccountId> = (0..3).map(verifier::<T>).collect();
		let now = frame_system::Pallet::<T>::block_number();
		let seed = [4u8; 32];
		for device in 0..u64::from(n) {
			let passes = verifiers
				.iter()
				.map(|v| PassRecord {
					verifier: v.clone(),
					nonce: [1; 32],
					result: [2; 32],
					signature: [3; 64],
				})
				.collect();
			Tallies::<T>::insert(1, device, tally::<T>(seed, passes));
			AuditRolls::<T>::mutate(now, |q| q.try_push((1, device)).unwrap());
		}
		#[block]
		{
			Verifiers::<T>::roll_audits(now);
		}
		assert!(Audits::<T>::contains_key(1, 0));
	}

	/// `n` audits expire unanswered: each device is faulted and its three passers slashed.
	#[benchmark]
	fn sweep_audits(n: Linear<1, 1_000>) {
		let n = n.min(T::MaxFaultsPerBlock::get());
		let verifiers: Vec<T::AccountId> = (0..3).map(verifier::<T>).collect();
		let owner = funded::<T>("owner", 0);
		let now = frame_system::Pallet::<T>::block_number();
		let seed = [4u8; 32];
		let mut devices = Vec::new();
		for _ in 0..n {
			let (device, key) = device::<T>(&owner, [0; 32]);
			let record = signed_pass::<T>(device, key, seed, &verifiers[0]);
			let audit = Audit {
				seed,
				record,
				passers: BoundedVec::truncate_from(verifiers.clone()),
				dataset: T::Pocps::sealed(device).unwrap(),
				round: round_params(1),
				selector: [8; 32],
				deadline: now,
			};
			Audits::<T>::insert(1, device, audit);
			AuditDeadlines::<T>::mutate(now, |q| q.try_push((1, device)).unwrap());
			devices.push(device);
		}
		#[block]
		{
			Verifiers::<T>::sweep_audits(now);
		}
		assert!(Registered::<T>::get(&verifiers[0]).unwrap().bond < T::MinBond::get());
		assert!(!Audits::<T>::contains_key(1, devices[0]));
	}

	/// `n` failed rounds become faults.
	#[benchmark]
	fn sweep_faults(n: Linear<1, 1_000>) {
		let n = n.min(T::MaxFaultsPerBlock::get());
		let owner = funded::<T>("owner", 0);
		let now = frame_system::Pallet::<T>::block_number();
		for _ in 0..n {
			let (device, _) = device::<T>(&owner, [0; 32]);
			PendingFaults::<T>::mutate(now, |q| q.try_push((1, device)).unwrap());
		}
		#[block]
		{
			Verifiers::<T>::sweep_faults(now);
		}
		assert!(PendingFaults::<T>::get(now).is_empty());
	}

	/// `n` tallies of an old round cleared.
	#[benchmark]
	fn clear_tallies(n: Linear<1, 1_000>) {
		let n = n.min(T::MaxVerdicts::get());
		for device in 0..u64::from(n) {
			Tallies::<T>::insert(1, device, tally::<T>([0; 32], Vec::new()));
		}
		Clearing::<T>::put(BoundedVec::truncate_from(vec![1]));
		#[block]
		{
			Verifiers::<T>::clear_tallies();
		}
		assert!(Tallies::<T>::get(1, 0).is_none());
	}

	impl_benchmark_test_suite!(Verifiers, crate::mock::new_test_ext(), crate::mock::Test);
}
