//! Types stored by the registry.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use ember_primitives::{ClassId, DeviceStatus};
use frame_support::{
	traits::Get, BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use scale_info::TypeInfo;
use sp_core::H256;

/// An SEC1-compressed P-256 public key.
pub type P256Public = [u8; 33];
/// A P-256 ECDSA signature, `r ‖ s`.
pub type P256Signature = [u8; 64];

/// A kind of device and what proving one takes.
#[derive(
	CloneNoBound,
	DebugNoBound,
	PartialEqNoBound,
	EqNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	serde::Serialize,
	serde::Deserialize,
)]
#[scale_info(skip_type_params(MaxName))]
#[serde(
	rename_all = "camelCase",
	bound(
		serialize = "Balance: serde::Serialize, BlockNumber: serde::Serialize",
		deserialize = "Balance: serde::Deserialize<'de>, BlockNumber: serde::Deserialize<'de>"
	)
)]
pub struct DeviceClass<Balance, BlockNumber, MaxName>
where
	Balance: Clone + core::fmt::Debug + PartialEq + Eq,
	BlockNumber: Clone + core::fmt::Debug + PartialEq + Eq,
	MaxName: Get<u32>,
{
	/// Display name, e.g. `"H100-80G"`.
	pub name: BoundedVec<u8, MaxName>,
	/// Least GPU memory (MiB) a device of this class has; the dataset must fit in it.
	pub min_vram_mib: u32,
	/// Dataset shape and challenge size (dataset bytes = 32 · lanes · lane_len).
	pub pocps: ember_pocps::Params,
	/// Blocks a device has to answer a challenge.
	pub response_deadline: BlockNumber,
	/// Fewest blocks between a device's challenges (from an answer to the next opening).
	pub min_challenge_interval: BlockNumber,
	/// Most blocks between a device's challenges; the gap is drawn uniformly in between.
	pub max_challenge_interval: BlockNumber,
	/// Bond held from the owner while a device of this class is registered.
	pub bond: Balance,
	/// Whether registration needs a certificate chain to a governance root (self-signed
	/// devices are refused).
	pub require_certificate: bool,
}

/// One link of a certificate chain.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Certificate {
	/// The certified key.
	pub public_key: P256Public,
	/// The issuer's signature over `"EMBCERT\0" ‖ public_key` (the issuer is the next link, or
	/// the root for the last one).
	pub signature: P256Signature,
}

/// How a device proves where it comes from, beyond the device key's own signature.
#[derive(
	CloneNoBound,
	DebugNoBound,
	PartialEqNoBound,
	EqNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
#[scale_info(skip_type_params(MaxChain))]
pub enum Attestation<MaxChain: Get<u32>> {
	/// Nothing beyond the device key's signature.
	SelfSigned,
	/// An ECDSA P-256 chain: the first certificate's key signs `"EMBATTST" ‖ device_key ‖
	/// fingerprint` (`leaf_signature`), each certificate is signed by the next one's key, and the
	/// last by the governance root at index `root`.
	CertificateChain {
		/// Index of the root in `AttestationRoots`.
		root: u32,
		/// The leaf key's signature over the device binding.
		leaf_signature: P256Signature,
		/// Leaf first.
		certificates: BoundedVec<Certificate, MaxChain>,
	},
}

/// A registered device.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct DeviceInfo<AccountId, Balance, BlockNumber> {
	/// Who registered it and holds its bond.
	pub owner: AccountId,
	/// Its class.
	pub class: ClassId,
	/// Hash of its hardware fingerprint (model, UUID, VRAM, driver).
	pub fingerprint: H256,
	/// Its sr25519 device key.
	pub device_key: [u8; 32],
	/// Where it is in its life.
	pub status: DeviceStatus,
	/// The bond held for it.
	pub bond: Balance,
	/// When it was registered.
	pub registered_at: BlockNumber,
	/// When its bond may be withdrawn (set on retirement).
	pub unbonds_at: Option<BlockNumber>,
	/// Whether it registered with a certificate chain.
	pub certified: bool,
}
