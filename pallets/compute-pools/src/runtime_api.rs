//! The compute pools runtime API: what clients and miners read before they trade.

use crate::{Balance, Holding, LeaseId, MilliHours, Pool, PoolParameters, Stake, StakeId};
use codec::Codec;
use ember_primitives::{ClassId, DeviceId};

sp_api::decl_runtime_apis! {
	/// Pools, quotes, stakes, holdings and leases.
	pub trait ComputePoolsApi<AccountId, LeaseInfo>
	where
		AccountId: Codec,
		LeaseInfo: Codec,
	{
		/// `class`'s pool (reserves, shares, dissipation rate).
		fn pool(class: ClassId) -> Option<Pool>;
		/// EMB that buying exactly `hours` CH of `class` costs now, fee included.
		fn quote_buy(class: ClassId, hours: MilliHours) -> Option<Balance>;
		/// EMB that selling `hours` CH of `class` returns now, fee deducted.
		fn quote_sell(class: ClassId, hours: MilliHours) -> Option<Balance>;
		/// The staking and swap parameters and the shortest viable stake (`T_min`, epochs).
		fn parameters() -> (PoolParameters, u32);
		/// The stake `device` backs.
		fn device_stake(device: DeviceId) -> Option<(StakeId, Stake<AccountId>)>;
		/// `who`'s hours of `class`.
		fn holding(class: ClassId, who: AccountId) -> Option<Holding>;
		/// `who`'s leases.
		fn client_leases(who: AccountId) -> alloc::vec::Vec<(LeaseId, LeaseInfo)>;
		/// The lease on `device`, if any.
		fn device_lease(device: DeviceId) -> Option<(LeaseId, LeaseInfo)>;
		/// EMB in the reward pot.
		fn reward_pot() -> Balance;
		/// Up to `limit` free staked devices of `class`, best reputation first (lease
		/// matching), with their scores.
		fn offers(class: ClassId, limit: u32) -> alloc::vec::Vec<(DeviceId, sp_runtime::Perbill)>;
	}
}

impl<T: crate::Config> crate::Pallet<T> {
	/// For the runtime API: the EMB `hours` CH cost now.
	pub fn quote_buy(class: ClassId, hours: MilliHours) -> Option<Balance> {
		let mut pool = crate::Pools::<T>::get(class)?;
		pool.buy(hours, crate::Parameters::<T>::get().swap_fee)
	}

	/// For the runtime API: the EMB `hours` CH fetch now.
	pub fn quote_sell(class: ClassId, hours: MilliHours) -> Option<Balance> {
		let mut pool = crate::Pools::<T>::get(class)?;
		pool.sell(hours, crate::Parameters::<T>::get().swap_fee)
	}

	/// For the runtime API: the stake `device` backs.
	pub fn device_stake(device: DeviceId) -> Option<(StakeId, Stake<T::AccountId>)> {
		let id = crate::DeviceStake::<T>::get(device)?;
		crate::Stakes::<T>::get(id).map(|stake| (id, stake))
	}

	/// For the runtime API: `who`'s leases.
	pub fn client_leases(who: T::AccountId) -> alloc::vec::Vec<(LeaseId, crate::LeaseOf<T>)> {
		crate::ClientLeases::<T>::iter_key_prefix(&who)
			.filter_map(|id| crate::Leases::<T>::get(id).map(|lease| (id, lease)))
			.collect()
	}

	/// For the runtime API: the lease on `device`.
	pub fn device_lease(device: DeviceId) -> Option<(LeaseId, crate::LeaseOf<T>)> {
		let id = crate::DeviceLease::<T>::get(device)?;
		crate::Leases::<T>::get(id).map(|lease| (id, lease))
	}
}
