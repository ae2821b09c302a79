//! # PoCPS primitives
//!
//! The single source of truth for Proof-of-Computing-Power-Staking, shared by the runtime (which
//! verifies) and the miner (which seals and proves). `no_std`, no floats, no panics.
//!
//! - [`params`]: the per-class parameters and their limits.
//! - [`label`]: the encoding key, the depth-robust labelling and its parent derivation.
//! - [`merkle`]: the commitment over all labels.
//! - [`challenge`]: which labels a challenge opens.
//! - [`proof`]: the proofs (the seal check, storage proofs) and [`verify`].
//! - [`round`]: residency rounds, the timed walk verifiers run off chain, and their audit.
//! - [`prover`]: a CPU reference prover (tests, small parameters, and the miner's cpu backend).
//!
//! Hashing goes through [`Hasher`], so the runtime can use its SHA-256 host function while the
//! miner and tests use the native implementation; both compute the same bytes. docs/pocps.md has
//! the construction and its security argument.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod challenge;
pub mod label;
pub mod merkle;
pub mod params;
pub mod proof;
pub mod prover;
pub mod round;

pub use challenge::challenge_indices;
pub use label::{compute_label, drsample_parent, encoding_key, lane_seed, parent_indices};
pub use params::{Params, ParamsError, SEAL_CHALLENGES};
pub use proof::{
	verify, verify_seal, verify_storage, ChallengeOpening, Opening, Proof, SealProof, StorageProof,
	VerifyError,
};

/// A label, a Merkle node, a key: 32 bytes.
pub type Hash = [u8; 32];

/// SHA-256, the one hash of the construction. The runtime has it as a host function, CPUs have it
/// in hardware (SHA-NI), and GPUs compute it with 32-bit words (no 64-bit shader integers needed).
pub trait Hasher {
	/// SHA-256 of `data`.
	fn sha256(data: &[u8]) -> Hash;
}

/// SHA-256 in Rust (`sha2`, which uses SHA-NI where the CPU has it).
pub struct NativeSha256;

impl Hasher for NativeSha256 {
	fn sha256(data: &[u8]) -> Hash {
		sp_crypto_hashing::sha2_256(data)
	}
}
