//! Storage migrations.

use crate::*;
use frame_support::{migrations::VersionedMigration, traits::UncheckedOnRuntimeUpgrade};

/// Storage version 0 to 1 (delivery evidence and offers, issue 17): every running lease gets a
/// delivery record, `Delivered` (the rules it was redeemed under had no hand-off to
/// acknowledge, so nothing may end it for want of one), and every staked device is listed
/// under its class in `ClassDevices`, where `redeem_any` looks.
pub mod v1 {
	use super::*;

	/// The migration's work, without the version check.
	pub struct Unchecked<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for Unchecked<T> {
		fn on_runtime_upgrade() -> Weight {
			// Leases and stakes are each covered by a deposit or a device bond: their number is
			// what the chain holds, read and written once each.
			let mut leases = 0u64;
			for id in Leases::<T>::iter_keys() {
				leases = leases.saturating_add(1);
				if !Deliveries::<T>::contains_key(id) {
					Deliveries::<T>::insert(
						id,
						Delivery {
							state: DeliveryState::Delivered,
							delivered: true,
							host_key: None,
						},
					);
				}
			}
			let mut stakes = 0u64;
			for (device, stake) in DeviceStake::<T>::iter() {
				stakes = stakes.saturating_add(1);
				if let Some(stake) = Stakes::<T>::get(stake) {
					ClassDevices::<T>::insert(stake.class, device, ());
				}
			}
			T::DbWeight::get().reads_writes(
				leases.saturating_mul(2).saturating_add(stakes.saturating_mul(2)),
				leases.saturating_add(stakes),
			)
		}

		/// How many leases and staked devices there are.
		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
			let leases = Leases::<T>::iter_keys().count() as u64;
			let stakes = DeviceStake::<T>::iter_keys().count() as u64;
			Ok((leases, stakes).encode())
		}

		/// Each lease has its record and each staked device its offer entry.
		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			let (leases, stakes): (u64, u64) = Decode::decode(&mut state.as_slice())
				.map_err(|_| "compute-pools v1: undecodable pre-upgrade state")?;
			ensure!(
				Deliveries::<T>::iter_keys().count() as u64 == leases,
				"compute-pools v1: a lease without a delivery record"
			);
			ensure!(
				ClassDevices::<T>::iter_keys().count() as u64 == stakes,
				"compute-pools v1: a staked device missing from the offers"
			);
			Pallet::<T>::do_try_state()
		}
	}

	/// [`Unchecked`], run once: from storage version 0 to 1.
	pub type Migrate<T> =
		VersionedMigration<0, 1, Unchecked<T>, Pallet<T>, <T as frame_system::Config>::DbWeight>;
}
