//! Benchmarks (frame-benchmarking v2) for every call, both hook paths and the fault handler,
//! each in its heaviest branch.

#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

use super::*;
use crate::Pallet as ComputePools;
use frame_benchmarking::v2::*;
use frame_support::traits::{EnsureOrigin, Hooks};
use frame_system::RawOrigin;

const UNIT: Balance = 1_000_000_000_000;
const KEY_TYPE: sp_core::crypto::KeyTypeId = sp_core::crypto::KeyTypeId(*b"pbnc");

/// A new sr25519 key in the benchmark keystore.
fn new_key() -> [u8; 32] {
	sp_io::crypto::sr25519_generate(KEY_TYPE, None).0
}

/// `key`'s signature of `message` (a key from [`new_key`]).
fn sign(key: [u8; 32], message: &[u8]) -> [u8; 64] {
	sp_io::crypto::sr25519_sign(KEY_TYPE, &sp_core::sr25519::Public::from_raw(key), message)
		.unwrap()
		.0
}

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	T::Currency::set_balance(&who, 1_000_000_000 * UNIT);
	who
}

/// Funds the pools' account (existential deposit plus a reward pot).
fn fund_pallet<T: Config>() {
	T::Currency::set_balance(&ComputePools::<T>::account_id(), 1_000_000 * UNIT);
}

/// An `Active` device of a priced class with a pool.
fn device<T: Config>(owner: &T::AccountId) -> (DeviceId, ClassId) {
	let (device, class) = T::BenchmarkHelper::active_device(owner.clone(), None);
	if !Pools::<T>::contains_key(class) {
		ComputePools::<T>::do_create_pool(class).unwrap();
	}
	(device, class)
}

fn epochs<T: Config>() -> u32 {
	ComputePools::<T>::min_stake_epochs().max(1)
}

/// The largest stake `epochs` epochs allow, in whole hours.
fn hours<T: Config>() -> u64 {
	let units = ComputePools::<T>::epoch_capacity().saturating_mul(epochs::<T>().into());
	(units / MILLIHOURS_PER_HOUR).max(1) as u64
}

/// A pool with liquidity: a provider stake from a fresh miner. Returns the miner, device and
/// stake.
fn provided<T: Config>(index: u32) -> (T::AccountId, DeviceId, ClassId, StakeId) {
	let miner = funded::<T>("provider", index);
	let (device, class) = device::<T>(&miner);
	let offer = StakeOffer::Provide { min_emb: 0, max_emb: 1_000_000 * UNIT };
	ComputePools::<T>::do_stake(miner.clone(), device, hours::<T>(), epochs::<T>(), offer).unwrap();
	(miner, device, class, DeviceStake::<T>::get(device).unwrap())
}

/// Moves to the first block of `epoch` and ends the previous one, as the hook does.
fn reach_epoch<T: Config>(epoch: EpochIndex) {
	frame_system::Pallet::<T>::set_block_number(ComputePools::<T>::epoch_start(epoch));
	ComputePools::<T>::end_epoch(epoch);
}

/// `client` holds `units` CH of `class`.
fn bought<T: Config>(client: &T::AccountId, class: ClassId, units: MilliHours) {
	ComputePools::<T>::do_buy(client.clone(), class, units, Balance::MAX).unwrap();
}

/// A one-hour lease of a provider's device to a client, who bought `units` CH first. Returns the
/// miner, the client, the device and the lease.
fn leased<T: Config>(units: MilliHours) -> (T::AccountId, T::AccountId, DeviceId, LeaseId) {
	leased_to::<T>(units, [1; 32])
}

/// As [`leased`], with the client's lease key `client_key`.
fn leased_to<T: Config>(
	units: MilliHours,
	client_key: [u8; 32],
) -> (T::AccountId, T::AccountId, DeviceId, LeaseId) {
	fund_pallet::<T>();
	let (miner, device, class, _) = provided::<T>(0);
	let client = funded::<T>("client", 0);
	bought::<T>(&client, class, units);
	ComputePools::<T>::do_redeem(client.clone(), device, 1, client_key).unwrap();
	(miner, client, device, DeviceLease::<T>::get(device).unwrap())
}

/// Posts the connection details of `lease` on `device`, its host key signed by a new device key.
fn posted<T: Config>(miner: &T::AccountId, device: DeviceId, lease: LeaseId) {
	let device_key = new_key();
	T::BenchmarkHelper::set_device_key(device, device_key);
	let host_key = [3; 32];
	let signature =
		sign(device_key, &host_key_message(&ComputePools::<T>::genesis(), lease, &host_key));
	let connection = BoundedVec::truncate_from(alloc::vec![7u8; 8]);
	ComputePools::<T>::do_post_connection(miner.clone(), lease, connection, host_key, signature)
		.unwrap();
}

/// `n` staked devices of one new class, each owned by its own provider; returns the class.
fn staked_class<T: Config>(n: u32) -> (ClassId, alloc::vec::Vec<DeviceId>) {
	fund_pallet::<T>();
	let (_, first, class, _) = provided::<T>(0);
	let mut devices = alloc::vec![first];
	for index in 1..n {
		let miner = funded::<T>("provider", index);
		let (device, _) = T::BenchmarkHelper::active_device(miner.clone(), Some(class));
		let offer = StakeOffer::Provide { min_emb: 0, max_emb: 1_000_000 * UNIT };
		ComputePools::<T>::do_stake(miner, device, hours::<T>(), epochs::<T>(), offer).unwrap();
		devices.push(device);
	}
	(class, devices)
}

/// Moves past the end of a one-hour lease.
fn after_an_hour<T: Config>() {
	let after = frame_system::Pallet::<T>::block_number() + T::BlocksPerHour::get();
	frame_system::Pallet::<T>::set_block_number(after);
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn create_pool() {
		let origin = T::AdminOrigin::try_successful_origin().unwrap();
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, 9_999);
		assert!(Pools::<T>::contains_key(9_999));
	}

	#[benchmark]
	fn set_parameters() {
		let origin = T::AdminOrigin::try_successful_origin().unwrap();
		let parameters = T::DefaultParameters::get();
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, parameters.clone());
		assert_eq!(Parameters::<T>::get(), parameters);
	}

	#[benchmark]
	fn stake_provide() {
		fund_pallet::<T>();
		let (_, _, class, _) = provided::<T>(0);
		let miner = funded::<T>("miner", 1);
		let (device, _) = T::BenchmarkHelper::active_device(miner.clone(), Some(class));
		let offer = StakeOffer::Provide { min_emb: 0, max_emb: 1_000_000 * UNIT };
		#[extrinsic_call]
		stake(RawOrigin::Signed(miner), device, hours::<T>(), epochs::<T>(), offer);
		assert!(DeviceStake::<T>::contains_key(device));
	}

	#[benchmark]
	fn stake_sell() {
		fund_pallet::<T>();
		let (_, _, class, _) = provided::<T>(0);
		let miner = funded::<T>("miner", 1);
		let (device, _) = T::BenchmarkHelper::active_device(miner.clone(), Some(class));
		#[extrinsic_call]
		stake(
			RawOrigin::Signed(miner),
			device,
			hours::<T>(),
			epochs::<T>(),
			StakeOffer::Sell { min_emb: 0 },
		);
		assert!(DeviceStake::<T>::contains_key(device));
	}

	#[benchmark]
	fn renew_stake() {
		fund_pallet::<T>();
		let (miner, _, _, stake) = provided::<T>(0);
		// Renewals come in a stake's last epoch.
		reach_epoch::<T>(epochs::<T>().saturating_sub(1).max(1));
		#[extrinsic_call]
		_(RawOrigin::Signed(miner), stake, 1_000_000 * UNIT);
		assert_eq!(Stakes::<T>::get(stake).unwrap().end, epochs::<T>() + 1);
	}

	#[benchmark]
	fn claim_stake() {
		fund_pallet::<T>();
		let (miner, _, _, stake) = provided::<T>(0);
		reach_epoch::<T>(epochs::<T>());
		#[extrinsic_call]
		_(RawOrigin::Signed(miner), stake);
		assert!(!Stakes::<T>::contains_key(stake));
	}

	#[benchmark]
	fn buy_hours() {
		fund_pallet::<T>();
		let (_, _, class, _) = provided::<T>(0);
		let client = funded::<T>("client", 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(client.clone()), class, MILLIHOURS_PER_HOUR, Balance::MAX);
		assert!(Holdings::<T>::contains_key(class, client));
	}

	#[benchmark]
	fn sell_hours() {
		fund_pallet::<T>();
		let (_, _, class, _) = provided::<T>(0);
		let client = funded::<T>("client", 0);
		bought::<T>(&client, class, MILLIHOURS_PER_HOUR);
		// Selling all of it removes the holding and releases its deposit.
		#[extrinsic_call]
		_(RawOrigin::Signed(client.clone()), class, MILLIHOURS_PER_HOUR, 0);
		assert!(!Holdings::<T>::contains_key(class, client));
	}

	#[benchmark]
	fn redeem() {
		// A previous lease that has ended is cleared on the way.
		let (_, client, device, _) = leased::<T>(2 * MILLIHOURS_PER_HOUR);
		after_an_hour::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(client.clone()), device, 1, [2; 32]);
		assert_eq!(ComputePools::<T>::client_leases(client).len(), 1);
	}

	#[benchmark]
	fn post_connection() {
		let (miner, _, device, lease) = leased::<T>(MILLIHOURS_PER_HOUR);
		let connection =
			BoundedVec::truncate_from(alloc::vec![7u8; T::MaxConnectionLen::get() as usize]);
		let device_key = new_key();
		T::BenchmarkHelper::set_device_key(device, device_key);
		let host_key = [3; 32];
		let signature =
			sign(device_key, &host_key_message(&ComputePools::<T>::genesis(), lease, &host_key));
		#[extrinsic_call]
		_(RawOrigin::Signed(miner), lease, connection, host_key, signature);
		assert!(Leases::<T>::get(lease).unwrap().connection.is_some());
	}

	#[benchmark]
	fn acknowledge() {
		let (miner, client, device, lease) = leased::<T>(MILLIHOURS_PER_HOUR);
		posted::<T>(&miner, device, lease);
		#[extrinsic_call]
		_(RawOrigin::Signed(client), lease);
		assert_eq!(Deliveries::<T>::get(lease).unwrap().state, DeliveryState::Delivered);
	}

	/// The deadline's first seven blocks are full: it lands in the eighth.
	#[benchmark]
	fn report_failure() {
		let (_, client, _, lease) = leased::<T>(MILLIHOURS_PER_HOUR);
		let first = frame_system::Pallet::<T>::block_number() + T::AnswerBlocks::get();
		let full = BoundedVec::truncate_from(alloc::vec![
			u64::MAX;
			T::MaxDeadlinesPerBlock::get() as usize
		]);
		let mut block = first;
		for _ in 0..7 {
			DeliveryDeadlines::<T>::insert(block, full.clone());
			block += 1u32.into();
		}
		#[extrinsic_call]
		_(RawOrigin::Signed(client), lease);
		assert_eq!(DeliveryDeadlines::<T>::get(block).len(), 1);
	}

	#[benchmark]
	fn answer_report() {
		let client_key = new_key();
		let (miner, client, _, lease) = leased_to::<T>(MILLIHOURS_PER_HOUR, client_key);
		ComputePools::<T>::do_report_failure(client, lease).unwrap();
		let at = frame_system::Pallet::<T>::block_number();
		let signature =
			sign(client_key, &heartbeat_message(&ComputePools::<T>::genesis(), lease, at));
		#[extrinsic_call]
		_(RawOrigin::Signed(miner), lease, at, signature);
		assert_eq!(Deliveries::<T>::get(lease).unwrap().state, DeliveryState::Delivered);
	}

	/// `n` staked devices of the class scanned, each with a lease that has just ended (its
	/// record read; the chosen device's closed on the way).
	#[benchmark]
	fn redeem_any(n: Linear<1, { T::MaxOffersScanned::get() }>) {
		let (class, devices) = staked_class::<T>(n);
		for (index, device) in devices.into_iter().enumerate() {
			let earlier = funded::<T>("earlier", index as u32);
			bought::<T>(&earlier, class, MILLIHOURS_PER_HOUR);
			ComputePools::<T>::do_redeem(earlier, device, 1, [1; 32]).unwrap();
		}
		after_an_hour::<T>();
		let client = funded::<T>("client", 0);
		bought::<T>(&client, class, MILLIHOURS_PER_HOUR);
		#[extrinsic_call]
		_(RawOrigin::Signed(client.clone()), class, 1, [2; 32]);
		assert_eq!(ComputePools::<T>::client_leases(client).len(), 1);
	}

	/// `n` leases of `n` clients (no read shared between them) whose hand-off deadline falls
	/// now with no details posted: each ends refunded (the provider's penalty is weighed by
	/// the slashing pallet's own benchmark, added per lease in the hook).
	#[benchmark]
	fn on_initialize_deadlines(n: Linear<0, { T::MaxDeadlinesPerBlock::get() }>) {
		let (class, devices) = staked_class::<T>(n.max(1));
		let mut clients = alloc::vec::Vec::new();
		// Two-hour leases, so that ending each early also updates the price pallet's demand.
		for (index, device) in devices.into_iter().take(n as usize).enumerate() {
			let client = funded::<T>("client", index as u32);
			bought::<T>(&client, class, 2 * MILLIHOURS_PER_HOUR);
			ComputePools::<T>::do_redeem(client.clone(), device, 2, [1; 32]).unwrap();
			clients.push(client);
		}
		let now = frame_system::Pallet::<T>::block_number() + T::HandoffBlocks::get();
		frame_system::Pallet::<T>::set_block_number(now);
		assert_eq!(DeliveryDeadlines::<T>::get(now).len(), n as usize);
		#[block]
		{
			ComputePools::<T>::end_undelivered(now);
		}
		for client in clients {
			assert!(ComputePools::<T>::client_leases(client).is_empty());
		}
	}

	#[benchmark]
	fn release_lease() {
		let (_, client, _, lease) = leased::<T>(MILLIHOURS_PER_HOUR);
		#[extrinsic_call]
		_(RawOrigin::Signed(client), lease);
		assert!(!Leases::<T>::contains_key(lease));
	}

	#[benchmark]
	fn end_lease() {
		let (miner, _, _, lease) = leased::<T>(MILLIHOURS_PER_HOUR);
		after_an_hour::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(miner), lease);
		assert!(!Leases::<T>::contains_key(lease));
	}

	#[benchmark]
	fn on_initialize_idle() {
		let now = T::EpochBlocks::get() + 1u32.into();
		#[block]
		{
			ComputePools::<T>::on_initialize(now);
		}
	}

	/// `p` pools, each dissipating, paying both issuance streams and with a provider stake
	/// expiring at the boundary.
	#[benchmark]
	fn on_initialize_epoch(p: Linear<0, { T::MaxPools::get() }>) {
		fund_pallet::<T>();
		for class in Pools::<T>::iter_keys().collect::<alloc::vec::Vec<_>>() {
			Pools::<T>::remove(class);
		}
		for index in 0..p {
			let (_, _, class, _) = provided::<T>(index);
			let stream = Stream { left: 1_000 * UNIT, epochs: 10 };
			Streams::<T>::insert(
				class,
				RewardStreams { miners: stream.clone(), providers: stream },
			);
			Accounted::<T>::mutate(|owned| *owned += 2_000 * UNIT);
		}
		let boundary = epochs::<T>();
		let now = ComputePools::<T>::epoch_start(boundary);
		frame_system::Pallet::<T>::set_block_number(now);
		#[block]
		{
			ComputePools::<T>::on_initialize(now);
		}
		assert_eq!(Pools::<T>::count(), p);
	}

	/// An expired holding with a prepaid base price is removed.
	#[benchmark]
	fn expire_holding() {
		fund_pallet::<T>();
		let (_, _, class, _) = provided::<T>(0);
		let client = funded::<T>("client", 0);
		bought::<T>(&client, class, MILLIHOURS_PER_HOUR);
		Prepaid::<T>::insert(class, &client, UNIT);
		let expires = Holdings::<T>::get(class, &client).unwrap().expires;
		frame_system::Pallet::<T>::set_block_number(ComputePools::<T>::epoch_start(expires));
		#[extrinsic_call]
		_(RawOrigin::Signed(funded::<T>("caller", 0)), class, client.clone());
		assert!(!Holdings::<T>::contains_key(class, &client));
	}

	/// A fault on a provider's device during a lease: the stake ends, the lease's unused hours
	/// go to a new holding.
	#[benchmark]
	fn on_fault() {
		fund_pallet::<T>();
		let (miner, device, class, stake) = provided::<T>(0);
		provided::<T>(1);
		let client = funded::<T>("client", 0);
		bought::<T>(&client, class, 2 * MILLIHOURS_PER_HOUR);
		ComputePools::<T>::do_redeem(client.clone(), device, 2, [1; 32]).unwrap();
		#[block]
		{
			<ComputePools<T> as OnChallengeOutcome<T::AccountId>>::on_challenge_outcome(
				device,
				&miner,
				0,
				ChallengeOutcome::Fault,
			);
		}
		assert!(!Stakes::<T>::contains_key(stake));
		assert!(Holdings::<T>::contains_key(class, client));
	}

	impl_benchmark_test_suite!(ComputePools, crate::mock::new_test_ext(), crate::mock::Test);
}
