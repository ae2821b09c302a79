//! Storage migrations.

use crate::*;
use frame_support::{
	migrations::VersionedMigration, storage::migration::clear_storage_prefix,
	traits::UncheckedOnRuntimeUpgrade,
};

/// Storage version 0 (one pending slash per incident, keyed by device and incident) to 1
/// (pending slashes by id, several per incident, each with its standing).
pub mod v1 {
	use super::*;

	/// A version-0 pending slash.
	#[derive(Encode, Decode)]
	pub struct PendingSlashV0<AccountId, BlockNumber> {
		pub offence: Offence,
		pub fraction: Perbill,
		pub reporter: Option<(AccountId, Balance)>,
		pub apply_at: BlockNumber,
	}

	#[frame_support::storage_alias]
	pub type Pending<T: Config> = StorageDoubleMap<
		Pallet<T>,
		Twox64Concat,
		DeviceId,
		Twox64Concat,
		Incident,
		PendingSlashV0<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>,
	>;

	/// Re-keys every pending slash the chain saw by a new id at the block it was due. A
	/// version-0 report was never checked and would now need upholding, which its reporter
	/// did not sign up for: it is dropped and its deposit returned (the reporter may report
	/// again under the new rules). Pending slashes last one dispute window (at most
	/// `MaxSlashesPerBlock` a block), so the migration touches at most that many.
	pub struct Unchecked<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for Unchecked<T> {
		fn on_runtime_upgrade() -> Weight {
			let old: alloc::vec::Vec<_> = Pending::<T>::drain().collect();
			let pallet = <crate::Pallet<T> as PalletInfoAccess>::name().as_bytes();
			let cleared = clear_storage_prefix(pallet, b"Due", b"", None, None);
			let mut next = NextSlashId::<T>::get();
			let count = old.len() as u64;
			for (device, incident, slash) in old {
				if let Some((reporter, deposit)) = slash.reporter {
					let _ = T::Currency::release(
						&HoldReason::ReportDeposit.into(),
						&reporter,
						deposit,
						Precision::BestEffort,
					);
					continue;
				}
				let id = next;
				next = next.saturating_add(1);
				// Every version-0 block held at most `MaxSlashesPerBlock` entries; version 1
				// keys the same entries by id, so the push fits.
				let _ = Due::<T>::try_mutate(slash.apply_at, |due| due.try_push(id));
				crate::Pending::<T>::insert(
					id,
					PendingSlash {
						device,
						incident,
						offence: slash.offence,
						fraction: slash.fraction,
						reporter: None,
						standing: Standing::Seen,
						upheld: false,
						apply_at: slash.apply_at,
					},
				);
			}
			NextSlashId::<T>::put(next);
			T::DbWeight::get().reads_writes(
				count.saturating_add(1),
				count
					.saturating_mul(3)
					.saturating_add(u64::from(cleared.backend))
					.saturating_add(1),
			)
		}

		/// How many version-0 slashes the chain saw (kept) and the next id before.
		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
			let seen = Pending::<T>::iter_values().filter(|slash| slash.reporter.is_none()).count();
			Ok((seen as u64, NextSlashId::<T>::get()).encode())
		}

		/// Every kept slash has a new id, is due and chain-seen; reports left no hold behind.
		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			let (seen, first): (u64, SlashId) = Decode::decode(&mut state.as_slice())
				.map_err(|_| "slashing v1: undecodable pre-upgrade state")?;
			ensure!(
				NextSlashId::<T>::get() == first.saturating_add(seen),
				"slashing v1: every chain-seen slash takes one new id"
			);
			let migrated = crate::Pending::<T>::iter()
				.filter(|(id, slash)| *id >= first && slash.standing == Standing::Seen)
				.count() as u64;
			ensure!(migrated == seen, "slashing v1: a chain-seen slash was lost");
			Pallet::<T>::do_try_state()
		}
	}

	/// [`Unchecked`], run once: from storage version 0 to 1.
	pub type Migrate<T> =
		VersionedMigration<0, 1, Unchecked<T>, Pallet<T>, <T as frame_system::Config>::DbWeight>;
}
