//! Connection details sealed to a lease's client key, as polkadot.js opens them: an ephemeral
//! sr25519 key agreement (Ristretto Diffie–Hellman, polkadot.js `sr25519Agreement`) and a NaCl
//! secretbox (xsalsa20-poly1305, polkadot.js `naclDecrypt`).
//!
//! Layout: the ephemeral public key (32 bytes) ‖ nonce (24) ‖ secretbox (16-byte tag ‖
//! ciphertext), what `Lease::connection` documents.

use crypto_secretbox::{aead::Aead, KeyInit, XSalsa20Poly1305};
use curve25519_dalek::{ristretto::CompressedRistretto, scalar::Scalar};
use schnorrkel::{ExpansionMode, MiniSecretKey};

/// Bytes before the secretbox: the ephemeral public key and the nonce.
pub const HEADER_LEN: usize = 32 + 24;

/// Why sealing or opening failed.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
	/// The client key is not a valid Ristretto point.
	#[error("the lease's client key is not a valid sr25519 public key")]
	BadPublicKey,
	/// The sealed bytes are too short or do not authenticate under this key.
	#[error("the sealed connection details do not open with this key")]
	DoesNotOpen,
	/// The operating system gave no randomness.
	#[error("no randomness from the operating system: {0}")]
	Random(String),
}

/// The sr25519 agreement of `secret` (a schnorrkel secret scalar) and `public`.
fn agree(secret: &Scalar, public: &[u8; 32]) -> Result<[u8; 32], SealError> {
	let point = CompressedRistretto(*public).decompress().ok_or(SealError::BadPublicKey)?;
	Ok((secret * point).compress().to_bytes())
}

/// Seals `plaintext` to `client_key` with a fresh ephemeral key and nonce.
pub fn seal(client_key: &[u8; 32], plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
	let mut seed = [0u8; 32];
	let mut nonce = [0u8; 24];
	getrandom::getrandom(&mut seed).map_err(|e| SealError::Random(e.to_string()))?;
	getrandom::getrandom(&mut nonce).map_err(|e| SealError::Random(e.to_string()))?;
	seal_with(client_key, plaintext, seed, nonce)
}

/// [`seal`] with the ephemeral key's seed and the nonce given (tests).
pub fn seal_with(
	client_key: &[u8; 32],
	plaintext: &[u8],
	ephemeral_seed: [u8; 32],
	nonce: [u8; 24],
) -> Result<Vec<u8>, SealError> {
	let ephemeral = MiniSecretKey::from_bytes(&ephemeral_seed)
		.map_err(|_| SealError::BadPublicKey)?
		.expand_to_keypair(ExpansionMode::Ed25519);
	let scalar = secret_scalar(&ephemeral.secret);
	let shared = agree(&scalar, client_key)?;
	let cipher = XSalsa20Poly1305::new(&shared.into());
	let sealed = cipher.encrypt(&nonce.into(), plaintext).map_err(|_| SealError::DoesNotOpen)?;
	let mut out = Vec::with_capacity(HEADER_LEN + sealed.len());
	out.extend_from_slice(&ephemeral.public.to_bytes());
	out.extend_from_slice(&nonce);
	out.extend_from_slice(&sealed);
	Ok(out)
}

/// Opens what [`seal`] sealed to the key whose seed is `client_seed` (what a client does; the
/// miner uses it only in tests).
pub fn open(client_seed: &[u8; 32], sealed: &[u8]) -> Result<Vec<u8>, SealError> {
	let (header, body) = sealed.split_at_checked(HEADER_LEN).ok_or(SealError::DoesNotOpen)?;
	let (ephemeral, nonce) = header.split_at(32);
	let ephemeral: [u8; 32] = ephemeral.try_into().map_err(|_| SealError::DoesNotOpen)?;
	let nonce: [u8; 24] = nonce.try_into().map_err(|_| SealError::DoesNotOpen)?;
	let client = MiniSecretKey::from_bytes(client_seed)
		.map_err(|_| SealError::BadPublicKey)?
		.expand(ExpansionMode::Ed25519);
	let shared = agree(&secret_scalar(&client), &ephemeral)?;
	XSalsa20Poly1305::new(&shared.into())
		.decrypt(&nonce.into(), body)
		.map_err(|_| SealError::DoesNotOpen)
}

/// A schnorrkel secret key's scalar (its first 32 bytes are the canonical scalar).
fn secret_scalar(secret: &schnorrkel::SecretKey) -> Scalar {
	let bytes = secret.to_bytes();
	let mut key = [0u8; 32];
	key.copy_from_slice(&bytes[..32]);
	Scalar::from_bytes_mod_order(key)
}

/// The SHA-256 fingerprint of an OpenSSH public key line (`ssh-ed25519 AAAA… comment`): what
/// `ssh-keygen -l` prints as `SHA256:…` and what a client's `known_hosts` check compares.
pub fn ssh_host_key_fingerprint(line: &str) -> Option<[u8; 32]> {
	use base64::Engine;
	let blob = line.split_whitespace().nth(1)?;
	let bytes = base64::engine::general_purpose::STANDARD.decode(blob).ok()?;
	Some(sp_crypto_hashing::sha2_256(&bytes))
}

/// A fingerprint as `ssh-keygen -l` prints it.
pub fn ssh_fingerprint_string(fingerprint: &[u8; 32]) -> String {
	use base64::Engine;
	format!("SHA256:{}", base64::engine::general_purpose::STANDARD_NO_PAD.encode(fingerprint))
}
