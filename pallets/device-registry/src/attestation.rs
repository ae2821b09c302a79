//! Checking who may register a device: the device key's signature binding it to the registrant
//! and this chain, and (optionally) a P-256 certificate chain to a governance-registered root.

use crate::types::{Certificate, P256Public, P256Signature};
use codec::Encode;
use p256::ecdsa::{signature::Verifier, Signature, VerifyingKey};
use sp_core::{sr25519, H256};
use sp_runtime::traits::Verify;

/// Domain of the device key's signature.
pub const REGISTER_DOMAIN: &[u8; 8] = b"EMBDEVKY";
/// Domain of the leaf attestation key's signature.
pub const ATTEST_DOMAIN: &[u8; 8] = b"EMBATTST";
/// Domain of a certificate's signature.
pub const CERT_DOMAIN: &[u8; 8] = b"EMBCERT\0";

/// What the device key signs: `"EMBDEVKY" ‖ SCALE(account, fingerprint, genesis_hash)`. Binding
/// the account and the chain stops a registration from being replayed by another account or on
/// another chain.
pub fn registration_payload<AccountId: Encode>(
	account: &AccountId,
	fingerprint: &H256,
	genesis_hash: &H256,
) -> alloc::vec::Vec<u8> {
	let mut payload = REGISTER_DOMAIN.to_vec();
	(account, fingerprint, genesis_hash).encode_to(&mut payload);
	payload
}

/// Whether `signature` is the device key's sr25519 signature over the registration payload.
pub fn verify_device_signature(
	device_key: &[u8; 32],
	signature: &[u8; 64],
	payload: &[u8],
) -> bool {
	sr25519::Signature::from_raw(*signature)
		.verify(payload, &sr25519::Public::from_raw(*device_key))
}

/// What the leaf attestation key signs: `"EMBATTST" ‖ device_key ‖ fingerprint`.
pub fn attestation_payload(device_key: &[u8; 32], fingerprint: &H256) -> [u8; 8 + 32 + 32] {
	let mut payload = [0u8; 72];
	let (domain, rest) = payload.split_at_mut(8);
	domain.copy_from_slice(ATTEST_DOMAIN);
	let (key, print) = rest.split_at_mut(32);
	key.copy_from_slice(device_key);
	print.copy_from_slice(fingerprint.as_bytes());
	payload
}

/// What an issuer signs for a certificate: `"EMBCERT\0" ‖ public_key`.
pub fn certificate_payload(public_key: &P256Public) -> [u8; 8 + 33] {
	let mut payload = [0u8; 41];
	let (domain, key) = payload.split_at_mut(8);
	domain.copy_from_slice(CERT_DOMAIN);
	key.copy_from_slice(public_key);
	payload
}

/// Why a certificate chain was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum ChainError {
	/// The chain has no certificate.
	Empty,
	/// A key is not a valid compressed P-256 point.
	BadKey,
	/// A signature is malformed or does not verify.
	BadSignature,
}

fn verify_p256(
	key: &P256Public,
	message: &[u8],
	signature: &P256Signature,
) -> Result<(), ChainError> {
	let key = VerifyingKey::from_sec1_bytes(key).map_err(|_| ChainError::BadKey)?;
	let signature = Signature::from_slice(signature).map_err(|_| ChainError::BadSignature)?;
	key.verify(message, &signature).map_err(|_| ChainError::BadSignature)
}

/// Verifies a chain: the leaf key signed the device binding, every certificate is signed by the
/// next, and the last by `root`.
pub fn verify_chain(
	root: &P256Public,
	device_key: &[u8; 32],
	fingerprint: &H256,
	leaf_signature: &P256Signature,
	certificates: &[Certificate],
) -> Result<(), ChainError> {
	let leaf = certificates.first().ok_or(ChainError::Empty)?;
	verify_p256(&leaf.public_key, &attestation_payload(device_key, fingerprint), leaf_signature)?;
	let issuers = certificates.iter().skip(1).map(|c| &c.public_key).chain(core::iter::once(root));
	for (certificate, issuer) in certificates.iter().zip(issuers) {
		verify_p256(issuer, &certificate_payload(&certificate.public_key), &certificate.signature)?;
	}
	Ok(())
}
