//! Storage migrations.

use crate::*;
use frame_support::{
	migrations::VersionedMigration, storage::migration::clear_storage_prefix,
	traits::UncheckedOnRuntimeUpgrade,
};

/// PoCPS v1 (storage version 0) to v2.
pub mod v2 {
	use super::*;

	/// A v1 seal: the challenge schedule's interval bounds, no class or rate.
	#[derive(Encode, Decode)]
	pub struct SealInfoV1<BlockNumber> {
		pub root: [u8; 32],
		pub nonce: u64,
		pub params: ember_pocps::Params,
		pub response_deadline: u32,
		pub min_interval: u32,
		pub max_interval: u32,
		pub sealed_at: BlockNumber,
	}

	/// v1 datasets use uniform parents, so no v1 seal can pass a v2 seal check, and v1 open
	/// challenges carry seeds a v2 answer cannot use. The migration keeps every seal's nonce
	/// (so the next seal's encoding key is fresh), drops v1's challenges and schedule,
	/// and suspends every device that was challengeable: its miner re-seals under v2, the
	/// honest path back. Nothing a device earned or staked is touched here.
	pub struct Unchecked<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for Unchecked<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut reads = 0u64;
			let mut writes = 0u64;
			Seals::<T>::translate::<SealInfoV1<BlockNumberFor<T>>, _>(|device, old| {
				reads = reads.saturating_add(3);
				writes = writes.saturating_add(2);
				let policy = T::Devices::challenge_policy(device);
				if T::Devices::status(device).is_some_and(|s| s.is_challengeable()) {
					// Suspension cannot fail for a challengeable device; if the registry
					// disagrees the device simply keeps its status and stays unindexed.
					let _ = T::Devices::note_faulted(device);
				}
				Some(SealInfo {
					root: old.root,
					nonce: old.nonce,
					params: old.params,
					response_deadline: old.response_deadline,
					class: T::Devices::class(device).unwrap_or_default(),
					rate: policy.as_ref().map(challenge_rate).unwrap_or(0),
					sealed_at: old.sealed_at,
				})
			});
			let pallet = <Pallet<T> as PalletInfoAccess>::name().as_bytes();
			for item in [
				&b"Challenges"[..],
				b"OpenChallenge",
				b"Schedule",
				b"NextChallengeAt",
				b"Deadlines",
			] {
				let removed = clear_storage_prefix(pallet, item, b"", None, None);
				writes = writes.saturating_add(u64::from(removed.backend));
			}
			T::DbWeight::get().reads_writes(reads, writes)
		}

		/// How many v1 seals there are.
		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
			Ok((Seals::<T>::iter_keys().count() as u64).encode())
		}

		/// Every seal kept (with its nonce), no v1 challenge left, and the pallet consistent.
		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			let seals: u64 = Decode::decode(&mut state.as_slice())
				.map_err(|_| "pocps v2: undecodable pre-upgrade state")?;
			ensure!(
				Seals::<T>::iter_values().count() as u64 == seals,
				"pocps v2: a seal was lost or is undecodable"
			);
			ensure!(Challenges::<T>::iter_keys().next().is_none(), "pocps v2: a v1 challenge left");
			Pallet::<T>::do_try_state()
		}
	}

	/// [`Unchecked`], run once: from storage version 0 (v1 had none) to 2.
	pub type Migrate<T> =
		VersionedMigration<0, 2, Unchecked<T>, Pallet<T>, <T as frame_system::Config>::DbWeight>;
}
