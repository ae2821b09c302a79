//! # Ember miner
//!
//! The off-chain worker GPU owners run next to an Ember node: it registers a device, seals the
//! device's PoCPS dataset, commits it, and answers every challenge before its deadline.
//!
//! - [`backend`]: the compute backends (CPU reference, Vulkan via wgpu, CUDA via cudarc).
//! - [`dataset`]: sealing with progress, and the dataset file.
//! - [`fingerprint`]: device identity (NVML, Vulkan adapter, machine) and its fingerprint.
//! - [`impostor`]: a device that cheats at rounds, for the verifiers' end-to-end tests.
//! - [`keys`]: account and device keys, key files.
//! - [`market`]: staking, claiming, renewing, and serving leases.
//! - [`lease_desk`]: the miner's side of a lease: hand-off, heartbeats, reports.
//! - [`chain`]: the typed node client (jsonrpsee).
//! - [`miner`]: registration, sealing and the answer loop.
//! - [`metrics`]: Prometheus metrics.
//! - [`round_server`]: the residency-round endpoint verifiers call.
//! - [`sealed_box`]: connection details sealed to a lease's client, as polkadot.js opens them.
//! - [`bench`]: `ember-miner bench`.
//! - [`cli`]: the command line.

pub mod backend;
pub mod bench;
pub mod chain;
pub mod cli;
pub mod dataset;
pub mod error;
pub mod fingerprint;
pub mod impostor;
pub mod keys;
pub mod lease_desk;
pub mod market;
pub mod metrics;
pub mod miner;
pub mod round_server;
pub mod sealed_box;
pub mod state;
