//! # Device registry
//!
//! GPU devices and the classes they belong to.
//!
//! ## Pallet API
//!
//! - [`Pallet::create_class`], [`Pallet::update_class`] (`ClassOrigin`): device classes with their
//!   PoCPS parameters, deadline and bond.
//! - [`Pallet::set_attestation_roots`] (`ClassOrigin`): the P-256 roots certificate chains may end
//!   at.
//! - [`Pallet::register_device`]: a device of a class, with the hash of its hardware fingerprint,
//!   its device key, the device key's signature over `(account, fingerprint, genesis hash)`, and
//!   an [`Attestation`]. The class's bond is held from the registrant.
//! - [`Pallet::retire_device`], [`Pallet::withdraw_bond`]: leave, and get the bond back after
//!   `UnbondingPeriod`.
//!
//! ## Overview
//!
//! A fingerprint or device key can be registered once at a time, and an account can hold at most
//! `MaxDevicesPerAccount` devices. The registry owns each device's [`DeviceStatus`]; the PoCPS
//! pallet moves it through [`DeviceLifecycle`] (sealed, proven, faulted) and reads it through
//! [`DeviceInspect`].
//!
//! ## Design
//!
//! - Users pay for what they store: the bond is held (`MutateHold`) for as long as the device's
//!   records exist, and released only when they are removed.
//! - A device may not retire while a challenge is open ([`ChallengeInspect`]), so retiring cannot
//!   dodge a fault.
//! - Certificates are a minimal fixed-size format (a compressed key and the issuer's signature),
//!   not X.509: the runtime verifies them in wasm, and parsing DER there would cost more than the
//!   signatures. An off-chain tool converts vendor certificates.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod attestation;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

use ember_primitives::{
	ChallengeInspect, ChallengePolicy, ClassId, DeviceBond, DeviceId, DeviceInspect,
	DeviceLifecycle, DeviceStatus, OnDeviceRetired, MIN_RESPONSE_DEADLINE,
};
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{Inspect, InspectHold, Mutate, MutateHold},
		tokens::{Fortitude, Precision, Restriction},
	},
};
use frame_system::pallet_prelude::*;
use sp_core::H256;
use sp_runtime::traits::{SaturatedConversion, Saturating, Zero};

/// Balance type of the currency.
pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
/// A device class as stored.
pub type DeviceClassOf<T> =
	DeviceClass<BalanceOf<T>, BlockNumberFor<T>, <T as Config>::MaxClassNameLen>;
/// A device as stored.
pub type DeviceInfoOf<T> =
	DeviceInfo<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;
/// An attestation as submitted.
pub type AttestationOf<T> = Attestation<<T as Config>::MaxCertificateChain>;

// FRAME's macro expansions call `expect()` on values they construct; every other runtime lint
// stays on, and the pallet's own code uses no `expect()`.
#[allow(clippy::expect_used)]
#[frame_support::pallet]
pub mod pallet {
	use super::*;

	/// The layout as first released (additions since start empty and need no migration); a
	/// change to an existing item bumps this with a `migrations` module beside it.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The currency bonds are held in.
		type Currency: Mutate<Self::AccountId>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// Who manages device classes and attestation roots.
		type ClassOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Whether a device has a challenge in flight (the PoCPS pallet).
		type Challenges: ChallengeInspect;

		/// Told when a device retires (the pools end its stake and lease).
		type OnRetired: OnDeviceRetired;

		/// Blocks between retiring a device and withdrawing its bond: long enough for pending
		/// faults and disputes to land.
		#[pallet::constant]
		type UnbondingPeriod: Get<BlockNumberFor<Self>>;

		/// Most devices one account may hold.
		#[pallet::constant]
		type MaxDevicesPerAccount: Get<u32>;

		/// Longest class name.
		#[pallet::constant]
		type MaxClassNameLen: Get<u32>;

		/// Most certificates in a chain.
		#[pallet::constant]
		type MaxCertificateChain: Get<u32>;

		/// Most sequential hashes per label a class may ask for: what PoCPS's `respond` weight
		/// is bounded by (the runtime sets it to PoCPS's `MaxIterations`).
		#[pallet::constant]
		type MaxIterations: Get<u32>;

		/// Longest response deadline a class may have, in blocks (PoCPS's
		/// `MaxResponseDeadline`).
		#[pallet::constant]
		type MaxResponseDeadline: Get<u32>;

		/// Most attestation roots.
		#[pallet::constant]
		type MaxAttestationRoots: Get<u32>;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A registered device's bond.
		DeviceBond,
	}

	/// Device classes.
	#[pallet::storage]
	pub type Classes<T: Config> = StorageMap<_, Blake2_128Concat, ClassId, DeviceClassOf<T>>;

	/// The id the next class gets.
	#[pallet::storage]
	pub type NextClassId<T: Config> = StorageValue<_, ClassId, ValueQuery>;

	/// P-256 roots that certificate chains may end at.
	#[pallet::storage]
	pub type AttestationRoots<T: Config> =
		StorageValue<_, BoundedVec<P256Public, T::MaxAttestationRoots>, ValueQuery>;

	/// Registered devices.
	#[pallet::storage]
	pub type Devices<T: Config> = StorageMap<_, Twox64Concat, DeviceId, DeviceInfoOf<T>>;

	/// The id the next device gets.
	#[pallet::storage]
	pub type NextDeviceId<T: Config> = StorageValue<_, DeviceId, ValueQuery>;

	/// Fingerprint hashes in use, and their device.
	#[pallet::storage]
	pub type Fingerprints<T: Config> = StorageMap<_, Identity, H256, DeviceId>;

	/// Device keys in use, and their device.
	#[pallet::storage]
	pub type DeviceKeys<T: Config> = StorageMap<_, Blake2_128Concat, [u8; 32], DeviceId>;

	/// The devices each account holds.
	#[pallet::storage]
	pub type OwnedDevices<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<DeviceId, T::MaxDevicesPerAccount>,
		ValueQuery,
	>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Classes that exist from genesis.
		pub classes: alloc::vec::Vec<DeviceClassOf<T>>,
		/// Attestation roots from genesis, each a 33-byte compressed P-256 key.
		pub attestation_roots: alloc::vec::Vec<alloc::vec::Vec<u8>>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		// An invalid genesis must not produce a chain: panicking here is the way to refuse it.
		#[allow(clippy::expect_used, clippy::panic)]
		fn build(&self) {
			for class in &self.classes {
				assert!(Pallet::<T>::check_class(class).is_ok(), "genesis class is invalid");
				let id = NextClassId::<T>::get();
				Classes::<T>::insert(id, class.clone());
				NextClassId::<T>::put(id.saturating_add(1));
			}
			let roots: alloc::vec::Vec<P256Public> = self
				.attestation_roots
				.iter()
				.map(|root| P256Public::try_from(root.as_slice()).expect("a root is 33 bytes"))
				.collect();
			let roots: BoundedVec<_, _> =
				roots.try_into().expect("genesis attestation roots exceed MaxAttestationRoots");
			AttestationRoots::<T>::put(roots);
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A device class was created.
		ClassCreated { class: ClassId },
		/// A device class's parameters changed (existing seals keep theirs until re-sealed).
		ClassUpdated { class: ClassId },
		/// The attestation roots were replaced.
		AttestationRootsSet { count: u32 },
		/// A device was registered and its bond held.
		DeviceRegistered {
			device: DeviceId,
			owner: T::AccountId,
			class: ClassId,
			bond: BalanceOf<T>,
			certified: bool,
		},
		/// A device's status changed.
		DeviceStatusChanged { device: DeviceId, status: DeviceStatus },
		/// A device retired; its bond unlocks at `unbonds_at`.
		DeviceRetired { device: DeviceId, unbonds_at: BlockNumberFor<T> },
		/// A retired device's bond was released and its records removed.
		BondWithdrawn { device: DeviceId, owner: T::AccountId, amount: BalanceOf<T> },
		/// Slashing took `amount` of a device's bond.
		BondSlashed { device: DeviceId, amount: BalanceOf<T> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No class with this id. Query `deviceRegistry.classes` for the existing ones.
		UnknownClass,
		/// The class's name is empty, its PoCPS parameters do not validate, its deadline is under
		/// 2 blocks, its challenge interval is zero or inverted, its bond is below the existential deposit, or its dataset does not fit in
		/// its minimum VRAM.
		InvalidClass,
		/// The device's declared memory is below its class's `min_vram_mib`.
		TooLittleMemory,
		/// There is no room for another attestation root (`MaxAttestationRoots`).
		TooManyRoots,
		/// No device with this id.
		UnknownDevice,
		/// Only the device's owner may do this.
		NotOwner,
		/// This fingerprint is already registered to a device (one physical device, one
		/// registration).
		DuplicateFingerprint,
		/// This device key is already registered; generate a new key for a new device.
		DuplicateDeviceKey,
		/// The account holds `MaxDevicesPerAccount` devices; retire one first.
		TooManyDevices,
		/// The device key's signature over (account, fingerprint, genesis hash) does not verify.
		/// Sign the payload `registration_payload` describes with the device key.
		BadDeviceSignature,
		/// The class requires a certificate chain and none was given.
		CertificateRequired,
		/// The certificate chain names a root index that does not exist.
		UnknownRoot,
		/// The certificate chain is empty, has an invalid key, or a signature that does not
		/// verify.
		BadCertificateChain,
		/// The account cannot cover the class's bond.
		InsufficientBond,
		/// The device is already retired.
		AlreadyRetired,
		/// The device has a challenge open; answer it (or let it expire) before retiring.
		ChallengeOpen,
		/// The device is not retired; retire it first.
		NotRetired,
		/// The unbonding period has not passed yet.
		StillUnbonding,
		/// The status change is not allowed from the device's current status.
		InvalidTransition,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(!T::UnbondingPeriod::get().is_zero(), "UnbondingPeriod must be positive");
			assert!(T::MaxDevicesPerAccount::get() > 0, "MaxDevicesPerAccount must be positive");
			assert!(T::MaxClassNameLen::get() > 0, "MaxClassNameLen must be positive");
			assert!(T::MaxCertificateChain::get() > 0, "MaxCertificateChain must be positive");
			assert!(
				T::MaxResponseDeadline::get() >= MIN_RESPONSE_DEADLINE,
				"MaxResponseDeadline must allow the shortest deadline"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Creates a device class.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::create_class())]
		pub fn create_class(origin: OriginFor<T>, class: DeviceClassOf<T>) -> DispatchResult {
			T::ClassOrigin::ensure_origin(origin)?;
			Self::check_class(&class)?;
			let id = NextClassId::<T>::get();
			Classes::<T>::insert(id, class);
			NextClassId::<T>::put(id.saturating_add(1));
			Self::deposit_event(Event::ClassCreated { class: id });
			Ok(())
		}

		/// Replaces a class's parameters. Devices sealed under the old parameters keep them until
		/// they re-seal; bonds already held do not change.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::update_class())]
		pub fn update_class(
			origin: OriginFor<T>,
			id: ClassId,
			class: DeviceClassOf<T>,
		) -> DispatchResult {
			T::ClassOrigin::ensure_origin(origin)?;
			ensure!(Classes::<T>::contains_key(id), Error::<T>::UnknownClass);
			Self::check_class(&class)?;
			Classes::<T>::insert(id, class);
			Self::deposit_event(Event::ClassUpdated { class: id });
			Ok(())
		}

		/// Replaces the attestation roots. Devices already registered stay registered.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::set_attestation_roots(roots.len() as u32))]
		pub fn set_attestation_roots(
			origin: OriginFor<T>,
			roots: alloc::vec::Vec<P256Public>,
		) -> DispatchResult {
			T::ClassOrigin::ensure_origin(origin)?;
			let bounded: BoundedVec<_, _> =
				roots.try_into().map_err(|_| Error::<T>::TooManyRoots)?;
			for root in bounded.iter() {
				ensure!(
					p256::ecdsa::VerifyingKey::from_sec1_bytes(root).is_ok(),
					Error::<T>::BadCertificateChain
				);
			}
			let count = bounded.len() as u32;
			AttestationRoots::<T>::put(bounded);
			Self::deposit_event(Event::AttestationRootsSet { count });
			Ok(())
		}

		/// Registers a device of `class` and holds the class's bond.
		///
		/// `memory_mib` is the device's memory as its driver reports it (NVML for NVIDIA GPUs);
		/// below the class's `min_vram_mib` it is refused.
		///
		/// `signature` is the device key's sr25519 signature over
		/// [`attestation::registration_payload`]`(account, fingerprint, genesis hash)`.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::register_device(T::MaxCertificateChain::get()))]
		pub fn register_device(
			origin: OriginFor<T>,
			class: ClassId,
			memory_mib: u32,
			fingerprint: H256,
			device_key: [u8; 32],
			signature: [u8; 64],
			attestation: AttestationOf<T>,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let chain_len = match &attestation {
				Attestation::SelfSigned => 0,
				Attestation::CertificateChain { certificates, .. } => certificates.len() as u32,
			};
			Self::do_register(
				who,
				class,
				memory_mib,
				fingerprint,
				device_key,
				signature,
				attestation,
			)?;
			Ok(Some(T::WeightInfo::register_device(chain_len)).into())
		}

		/// Retires a device: it stops being challenged, its live stake and lease end as on a
		/// fault (`OnRetired`), and its bond unlocks after `UnbondingPeriod`.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::retire_device().saturating_add(T::OnRetired::retired_weight()))]
		pub fn retire_device(origin: OriginFor<T>, device: DeviceId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut info = Devices::<T>::get(device).ok_or(Error::<T>::UnknownDevice)?;
			ensure!(info.owner == who, Error::<T>::NotOwner);
			ensure!(info.status != DeviceStatus::Retired, Error::<T>::AlreadyRetired);
			ensure!(!T::Challenges::has_open_challenge(device), Error::<T>::ChallengeOpen);
			Self::retire(device, &mut info);
			Devices::<T>::insert(device, info);
			T::OnRetired::on_device_retired(device)
		}

		/// Releases a retired device's bond once unbonded, and removes its records (freeing its
		/// fingerprint and key).
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::withdraw_bond())]
		pub fn withdraw_bond(origin: OriginFor<T>, device: DeviceId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let info = Devices::<T>::get(device).ok_or(Error::<T>::UnknownDevice)?;
			ensure!(info.owner == who, Error::<T>::NotOwner);
			let unbonds_at = info.unbonds_at.ok_or(Error::<T>::NotRetired)?;
			ensure!(
				frame_system::Pallet::<T>::block_number() >= unbonds_at,
				Error::<T>::StillUnbonding
			);
			T::Currency::release(
				&HoldReason::DeviceBond.into(),
				&who,
				info.bond,
				Precision::BestEffort,
			)?;
			Devices::<T>::remove(device);
			Fingerprints::<T>::remove(info.fingerprint);
			DeviceKeys::<T>::remove(info.device_key);
			OwnedDevices::<T>::mutate(&who, |devices| devices.retain(|d| *d != device));
			Self::deposit_event(Event::BondWithdrawn { device, owner: who, amount: info.bond });
			Ok(())
		}
	}
}

impl<T: Config> Pallet<T> {
	/// Checks a class's internal consistency.
	pub fn check_class(class: &DeviceClassOf<T>) -> DispatchResult {
		let dataset_mib = class.pocps.dataset_bytes() >> 20;
		ensure!(!class.name.is_empty(), Error::<T>::InvalidClass);
		ensure!(class.pocps.validate().is_ok(), Error::<T>::InvalidClass);
		ensure!(class.pocps.iterations <= T::MaxIterations::get(), Error::<T>::InvalidClass);
		ensure!(
			class.response_deadline >= MIN_RESPONSE_DEADLINE.into()
				&& class.response_deadline <= T::MaxResponseDeadline::get().into(),
			Error::<T>::InvalidClass
		);
		ensure!(
			!class.min_challenge_interval.is_zero()
				&& class.min_challenge_interval <= class.max_challenge_interval,
			Error::<T>::InvalidClass
		);
		ensure!(class.bond >= T::Currency::minimum_balance(), Error::<T>::InvalidClass);
		ensure!(dataset_mib <= u64::from(class.min_vram_mib), Error::<T>::InvalidClass);
		Ok(())
	}

	/// Registers a device after checking every condition; see [`Pallet::register_device`].
	pub fn do_register(
		who: T::AccountId,
		class_id: ClassId,
		memory_mib: u32,
		fingerprint: H256,
		device_key: [u8; 32],
		signature: [u8; 64],
		attestation: AttestationOf<T>,
	) -> Result<DeviceId, DispatchError> {
		let class = Classes::<T>::get(class_id).ok_or(Error::<T>::UnknownClass)?;
		ensure!(memory_mib >= class.min_vram_mib, Error::<T>::TooLittleMemory);
		ensure!(!Fingerprints::<T>::contains_key(fingerprint), Error::<T>::DuplicateFingerprint);
		ensure!(!DeviceKeys::<T>::contains_key(device_key), Error::<T>::DuplicateDeviceKey);
		let mut owned = OwnedDevices::<T>::get(&who);
		ensure!((owned.len() as u32) < T::MaxDevicesPerAccount::get(), Error::<T>::TooManyDevices);

		let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
		let genesis = H256::from_slice(genesis.as_ref().get(..32).unwrap_or(&[0u8; 32]));
		let payload = attestation::registration_payload(&who, &fingerprint, &genesis);
		ensure!(
			attestation::verify_device_signature(&device_key, &signature, &payload),
			Error::<T>::BadDeviceSignature
		);
		let certified = match &attestation {
			Attestation::SelfSigned => {
				ensure!(!class.require_certificate, Error::<T>::CertificateRequired);
				false
			}
			Attestation::CertificateChain { root, leaf_signature, certificates } => {
				let roots = AttestationRoots::<T>::get();
				let root_key = roots.get(*root as usize).ok_or(Error::<T>::UnknownRoot)?;
				attestation::verify_chain(
					root_key,
					&device_key,
					&fingerprint,
					leaf_signature,
					certificates,
				)
				.map_err(|_| Error::<T>::BadCertificateChain)?;
				true
			}
		};
		ensure!(
			T::Currency::can_hold(&HoldReason::DeviceBond.into(), &who, class.bond),
			Error::<T>::InsufficientBond
		);

		// All checks passed: write.
		T::Currency::hold(&HoldReason::DeviceBond.into(), &who, class.bond)
			.map_err(|_| Error::<T>::InsufficientBond)?;
		let device = NextDeviceId::<T>::get();
		NextDeviceId::<T>::put(device.saturating_add(1));
		owned.try_push(device).map_err(|_| Error::<T>::TooManyDevices)?;
		OwnedDevices::<T>::insert(&who, owned);
		Fingerprints::<T>::insert(fingerprint, device);
		DeviceKeys::<T>::insert(device_key, device);
		Devices::<T>::insert(
			device,
			DeviceInfo {
				owner: who.clone(),
				class: class_id,
				fingerprint,
				device_key,
				status: DeviceStatus::Registered,
				bond: class.bond,
				registered_at: frame_system::Pallet::<T>::block_number(),
				unbonds_at: None,
				certified,
			},
		);
		Self::deposit_event(Event::DeviceRegistered {
			device,
			owner: who,
			class: class_id,
			bond: class.bond,
			certified,
		});
		Ok(device)
	}

	/// Marks `info` retired now; its bond unlocks after `UnbondingPeriod`.
	fn retire(device: DeviceId, info: &mut DeviceInfoOf<T>) {
		let unbonds_at =
			frame_system::Pallet::<T>::block_number().saturating_add(T::UnbondingPeriod::get());
		info.status = DeviceStatus::Retired;
		info.unbonds_at = Some(unbonds_at);
		Self::deposit_event(Event::DeviceStatusChanged { device, status: DeviceStatus::Retired });
		Self::deposit_event(Event::DeviceRetired { device, unbonds_at });
	}

	fn transition(
		device: DeviceId,
		allowed: impl Fn(DeviceStatus) -> bool,
		to: DeviceStatus,
	) -> DispatchResult {
		Devices::<T>::try_mutate(device, |maybe| {
			let info = maybe.as_mut().ok_or(Error::<T>::UnknownDevice)?;
			ensure!(allowed(info.status), Error::<T>::InvalidTransition);
			if info.status != to {
				info.status = to;
				Self::deposit_event(Event::DeviceStatusChanged { device, status: to });
			}
			Ok(())
		})
	}

	/// Checks the registry's invariants.
	///
	/// # Invariants
	///
	/// - Every device's owner lists it in `OwnedDevices`, and every listed device exists and is
	///   owned by the account listing it.
	/// - Every device's fingerprint and key map back to it, and the maps hold nothing else.
	/// - Each account's `DeviceBond` hold equals the sum of its devices' bonds.
	/// - Every device's class exists; `unbonds_at` is set exactly for retired devices.
	/// - Device and class ids are below their counters.
	// Also under `std`, so the runtime's own tests can check the invariants after a scenario.
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let mut devices = 0usize;
		for (id, info) in Devices::<T>::iter() {
			devices = devices.saturating_add(1);
			ensure!(id < NextDeviceId::<T>::get(), "device id beyond NextDeviceId");
			ensure!(Classes::<T>::contains_key(info.class), "device of an unknown class");
			ensure!(
				OwnedDevices::<T>::get(&info.owner).contains(&id),
				"device not in OwnedDevices"
			);
			ensure!(Fingerprints::<T>::get(info.fingerprint) == Some(id), "fingerprint mismatch");
			ensure!(DeviceKeys::<T>::get(info.device_key) == Some(id), "device key mismatch");
			ensure!(
				info.unbonds_at.is_some() == (info.status == DeviceStatus::Retired),
				"unbonds_at set for a non-retired device or missing for a retired one"
			);
		}
		ensure!(Fingerprints::<T>::iter().count() == devices, "stray fingerprints");
		for (_, class) in Classes::<T>::iter() {
			ensure!(Self::check_class(&class).is_ok(), "a class outside the limits");
		}
		ensure!(DeviceKeys::<T>::iter().count() == devices, "stray device keys");
		for (owner, owned) in OwnedDevices::<T>::iter() {
			let mut bonds = BalanceOf::<T>::zero();
			for id in owned.iter() {
				let info = Devices::<T>::get(id).ok_or("OwnedDevices lists a missing device")?;
				ensure!(info.owner == owner, "OwnedDevices lists another account's device");
				bonds = bonds.saturating_add(info.bond);
			}
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::DeviceBond.into(), &owner) == bonds,
				"held bond differs from the sum of device bonds"
			);
		}
		for (id, _) in Classes::<T>::iter() {
			ensure!(id < NextClassId::<T>::get(), "class id beyond NextClassId");
		}
		Ok(())
	}
}

impl<T: Config> DeviceInspect<T::AccountId> for Pallet<T> {
	fn owner(device: DeviceId) -> Option<T::AccountId> {
		Devices::<T>::get(device).map(|d| d.owner)
	}
	fn class(device: DeviceId) -> Option<ClassId> {
		Devices::<T>::get(device).map(|d| d.class)
	}
	fn status(device: DeviceId) -> Option<DeviceStatus> {
		Devices::<T>::get(device).map(|d| d.status)
	}
	fn device_key(device: DeviceId) -> Option<[u8; 32]> {
		Devices::<T>::get(device).map(|d| d.device_key)
	}
	fn challenge_policy(device: DeviceId) -> Option<ChallengePolicy> {
		let class = Classes::<T>::get(Devices::<T>::get(device)?.class)?;
		Some(ChallengePolicy {
			params: class.pocps,
			response_deadline: class.response_deadline.saturated_into(),
			min_interval: class.min_challenge_interval.saturated_into(),
			max_interval: class.max_challenge_interval.saturated_into(),
		})
	}
}

impl<T: Config> DeviceLifecycle for Pallet<T> {
	fn note_sealed(device: DeviceId) -> DispatchResult {
		Self::transition(device, |s| s != DeviceStatus::Retired, DeviceStatus::Sealed)
	}
	fn note_proven(device: DeviceId) -> DispatchResult {
		Self::transition(device, |s| s.is_challengeable(), DeviceStatus::Active)
	}
	fn note_faulted(device: DeviceId) -> DispatchResult {
		Self::transition(device, |s| s.is_challengeable(), DeviceStatus::Suspended)
	}
}

impl<T: Config> DeviceBond<T::AccountId> for Pallet<T> {
	fn bond(device: DeviceId) -> u128 {
		Devices::<T>::get(device).map_or(0, |info| info.bond.saturated_into())
	}

	fn slash_bond(
		device: DeviceId,
		amount: u128,
		to: &T::AccountId,
	) -> Result<u128, DispatchError> {
		Devices::<T>::try_mutate(device, |maybe| {
			let info = maybe.as_mut().ok_or(Error::<T>::UnknownDevice)?;
			let amount: BalanceOf<T> = amount.saturated_into();
			let moved = T::Currency::transfer_on_hold(
				&HoldReason::DeviceBond.into(),
				&info.owner,
				to,
				amount.min(info.bond),
				Precision::BestEffort,
				Restriction::Free,
				Fortitude::Force,
			)?;
			info.bond = info.bond.saturating_sub(moved);
			Self::deposit_event(Event::BondSlashed { device, amount: moved });
			Ok(moved.saturated_into())
		})
	}

	fn force_out(device: DeviceId) -> DispatchResult {
		Devices::<T>::try_mutate(device, |maybe| {
			let info = maybe.as_mut().ok_or(Error::<T>::UnknownDevice)?;
			ensure!(info.status != DeviceStatus::Retired, Error::<T>::AlreadyRetired);
			Self::retire(device, info);
			Ok::<_, DispatchError>(())
		})?;
		// Forced out for faults, which already ended its stake and lease; a failure here
		// leaves nothing live to end.
		let _ = T::OnRetired::on_device_retired(device);
		Ok(())
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl<T: Config> Pallet<T> {
	/// Creates a class with `params` and a `Registered` device of it owned by `owner`, skipping
	/// signatures and the bond: for other pallets' benchmarks only.
	pub fn benchmark_device(
		owner: T::AccountId,
		params: ember_pocps::Params,
		deadline: u32,
	) -> (DeviceId, [u8; 32]) {
		let class_id = NextClassId::<T>::get();
		NextClassId::<T>::put(class_id.saturating_add(1));
		Classes::<T>::insert(
			class_id,
			DeviceClass {
				name: BoundedVec::truncate_from(b"bench".to_vec()),
				min_vram_mib: u32::MAX,
				pocps: params,
				response_deadline: deadline.into(),
				min_challenge_interval: 10u32.into(),
				max_challenge_interval: 40u32.into(),
				bond: Zero::zero(),
				require_certificate: false,
			},
		);
		let device = NextDeviceId::<T>::get();
		NextDeviceId::<T>::put(device.saturating_add(1));
		let device_key = sp_io::hashing::blake2_256(&device.encode());
		let fingerprint = H256(sp_io::hashing::sha2_256(&device.encode()));
		Fingerprints::<T>::insert(fingerprint, device);
		DeviceKeys::<T>::insert(device_key, device);
		OwnedDevices::<T>::mutate(&owner, |owned| {
			let _ = owned.try_push(device);
		});
		Devices::<T>::insert(
			device,
			DeviceInfo {
				owner,
				class: class_id,
				fingerprint,
				device_key,
				status: DeviceStatus::Registered,
				bond: Zero::zero(),
				registered_at: frame_system::Pallet::<T>::block_number(),
				unbonds_at: None,
				certified: false,
			},
		);
		(device, device_key)
	}

	/// Makes `device` `Active` with `device_key` as its key: for other pallets' benchmarks
	/// that need a proven device whose key can sign.
	pub fn benchmark_activate(device: DeviceId, device_key: [u8; 32]) {
		Devices::<T>::mutate(device, |info| {
			if let Some(info) = info {
				DeviceKeys::<T>::remove(info.device_key);
				info.device_key = device_key;
				info.status = DeviceStatus::Active;
			}
		});
		DeviceKeys::<T>::insert(device_key, device);
	}
}
