//! A sealed dataset: sealing it (with a progress bar), and keeping it on disk between runs.
//!
//! File layout: `EMBERDS1`, the SCALE-encoded [`Header`], then every label (32 bytes each,
//! lane-major). Loading rebuilds the Merkle tree on the backend and checks it against the
//! header's root, so a corrupted or truncated file is caught before it can produce a wrong
//! answer. Files are written to a temporary name and renamed, so a crash never leaves half a
//! dataset under the real name.

use crate::{
	backend::Backend,
	error::{Error, Result},
};
use codec::{Decode, Encode};
use ember_pocps::{merkle::MerkleTree, prover::Dataset, Hash, Params};
use ember_primitives::DeviceId;
use indicatif::{ProgressBar, ProgressStyle};
use std::{
	io::{Read, Write},
	path::Path,
	time::Instant,
};

const MAGIC: &[u8; 8] = b"EMBERDS1";

/// What a dataset file says about its contents.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Header {
	/// The device it was sealed for.
	pub device: DeviceId,
	/// The seal nonce (part of the encoding key).
	pub nonce: u64,
	/// The class parameters it was sealed under.
	pub params: Params,
	/// The encoding key.
	pub ek: Hash,
	/// The Merkle root committed on chain.
	pub root: Hash,
}

/// Seals a dataset on `backend`, showing progress on stderr (hidden when it is not a
/// terminal) and passing the fraction done to `on_progress`.
pub fn seal(
	backend: &dyn Backend,
	params: &Params,
	ek: &Hash,
	on_progress: &(dyn Fn(f64) + Sync),
) -> Result<Dataset> {
	params.validate().map_err(|e| Error::State(format!("class parameters invalid: {e:?}")))?;
	let total = params.total_labels();
	let bar = ProgressBar::new(total).with_style(
		ProgressStyle::with_template(
			"sealing {bar:40} {percent:>3}% {human_pos}/{human_len} labels {per_sec} ETA {eta}",
		)
		.unwrap_or_else(|_| ProgressStyle::default_bar()),
	);
	let started = Instant::now();
	let labels = backend.seal(params, ek, &|done| {
		bar.set_position(done);
		on_progress(done as f64 / total.max(1) as f64);
	})?;
	bar.finish_and_clear();
	let sealed_in = started.elapsed();
	let dataset = commit(backend, *params, *ek, labels)?;
	tracing::info!(
		"sealed {} labels ({} MiB) on {} in {:.2?} (tree {:.2?})",
		total,
		params.dataset_bytes() >> 20,
		backend.device_name(),
		sealed_in,
		started.elapsed().saturating_sub(sealed_in),
	);
	Ok(dataset)
}

/// Builds the Merkle tree over sealed labels.
fn commit(backend: &dyn Backend, params: Params, ek: Hash, labels: Vec<Hash>) -> Result<Dataset> {
	let levels = backend.merkle_levels(labels)?;
	let backend_name = backend.kind().name();
	let tree = MerkleTree::from_levels(levels).ok_or_else(|| Error::Backend {
		backend: backend_name,
		reason: "returned a Merkle tree of the wrong shape".into(),
	})?;
	Dataset::from_tree(params, ek, tree).ok_or_else(|| Error::Backend {
		backend: backend_name,
		reason: "returned the wrong number of labels".into(),
	})
}

/// Writes `dataset` to `path` (atomically: a temporary file, then a rename).
pub fn save(path: &Path, header: &Header, dataset: &Dataset) -> Result<()> {
	let temporary = path.with_extension("partial");
	let write = || -> std::io::Result<()> {
		if let Some(parent) = path.parent() {
			std::fs::create_dir_all(parent)?;
		}
		let mut out = std::io::BufWriter::new(std::fs::File::create(&temporary)?);
		out.write_all(MAGIC)?;
		out.write_all(&header.encode())?;
		for label in dataset.labels() {
			out.write_all(label)?;
		}
		out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
		std::fs::rename(&temporary, path)
	};
	write().map_err(|e| Error::io(path, e))
}

/// Reads the dataset at `path` and checks it: header, length, and the rebuilt root.
pub fn load(path: &Path, backend: &dyn Backend) -> Result<(Header, Dataset)> {
	let corrupt =
		|reason: &str| Error::CorruptDataset { path: path.to_path_buf(), reason: reason.into() };
	let mut file =
		std::io::BufReader::new(std::fs::File::open(path).map_err(|e| Error::io(path, e))?);
	let mut magic = [0u8; 8];
	file.read_exact(&mut magic).map_err(|_| corrupt("shorter than its header"))?;
	if &magic != MAGIC {
		return Err(corrupt("not an ember-miner dataset (bad magic)"));
	}
	let header = Header::decode(&mut codec::IoReader(&mut file))
		.map_err(|_| corrupt("unreadable header"))?;
	header.params.validate().map_err(|_| corrupt("invalid parameters in header"))?;
	let total = usize::try_from(header.params.total_labels()).map_err(|_| corrupt("too large"))?;
	let mut bytes = Vec::new();
	file.read_to_end(&mut bytes).map_err(|e| Error::io(path, e))?;
	if bytes.len() != total.saturating_mul(32) {
		return Err(corrupt(&format!(
			"{} bytes of labels where {} labels need {}",
			bytes.len(),
			total,
			total.saturating_mul(32)
		)));
	}
	let labels =
		bytes.chunks_exact(32).map(|chunk| <Hash>::try_from(chunk).unwrap_or_default()).collect();
	let dataset = commit(backend, header.params, header.ek, labels)?;
	if dataset.root() != header.root {
		return Err(corrupt("its labels do not hash to the root in its header"));
	}
	Ok((header, dataset))
}
