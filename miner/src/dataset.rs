//! A sealed dataset: sealed lane by lane into device memory and onto disk (so an interrupted
//! seal resumes where it stopped), then held resident for answering, with only the upper levels
//! of its Merkle tree on the host.
//!
//! Files under the base path:
//! - `dataset.bin`: `EMBERDS2`, the SCALE-encoded [`Header`] (fixed size; its root is zero
//!   until the seal completes), then every label (32 bytes each, lane-major).
//! - `dataset.lanes`: while sealing, one byte per lane, 1 once that lane's labels are on disk
//!   (written and synced before the byte is). Removed when the seal completes.
//!
//! Loading streams the labels to the device lane by lane and rebuilds the root from the
//! device's subtree roots; a file whose labels do not hash to its header's root is refused.

use crate::{
	backend::{self, rows_for, Backend, Resident},
	error::{Error, Result},
};
use codec::{Decode, Encode};
use ember_pocps::{
	merkle::{node, MerkleTree},
	proof::{MerklePath, Opening},
	prover::{assemble_proof, proof_leaves},
	round::{
		block_bytes, block_index, blocks_of, checkpoint_tree, hash_to_state, mix, open_segments,
		walk_start, RoundChallenge, RoundOpening, RoundParams, SegmentId, State, BLOCK_LABELS,
	},
	Hash, NativeSha256, Params, Proof,
};
use ember_primitives::DeviceId;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use std::{
	collections::BTreeMap,
	fs::File,
	io::Read,
	os::unix::fs::FileExt,
	path::{Path, PathBuf},
	sync::{
		atomic::{AtomicBool, AtomicU64, Ordering},
		Mutex,
	},
	time::{Duration, Instant},
};

const MAGIC: &[u8; 8] = b"EMBERDS2";
/// Most time between progress lines in the log when stderr is not a terminal (systemd,
/// docker); a line is also written at every tenth of the work.
const LOG_EVERY: Duration = Duration::from_secs(10);

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
	/// The Merkle root committed on chain; zero while the seal is incomplete.
	pub root: Hash,
}

impl Header {
	fn labels_offset(&self) -> u64 {
		(MAGIC.len() + self.encoded_size()) as u64
	}

	/// Whether `other` describes the same seal (all but the root).
	fn same_seal(&self, other: &Header) -> bool {
		self.device == other.device
			&& self.nonce == other.nonce
			&& self.params == other.params
			&& self.ek == other.ek
	}
}

/// Where sealing runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SealOn {
	/// Measure both on this class's parameters and take the faster.
	Auto,
	/// On the CPU cores, lanes in parallel, streamed to the device.
	Cpu,
	/// On the device, in place.
	Device,
}

/// The upper levels of the Merkle tree, from the roots of the `2^rows`-label subtrees up.
struct UpperTree {
	rows: u32,
	levels: Vec<Vec<Hash>>,
}

impl UpperTree {
	fn build(rows: u32, roots: Vec<Hash>) -> Self {
		let mut levels = vec![roots];
		while let Some(top) = levels.last().filter(|level| level.len() > 1) {
			let parent =
				top.par_chunks(2).map(|pair| node::<NativeSha256>(&pair[0], &pair[1])).collect();
			levels.push(parent);
		}
		UpperTree { rows, levels }
	}

	fn root(&self) -> Hash {
		self.levels.last().and_then(|top| top.first()).copied().unwrap_or_default()
	}

	/// Siblings of subtree `group`'s root, up to the root.
	fn path(&self, group: u64) -> Option<Vec<Hash>> {
		let depth = self.levels.len().saturating_sub(1);
		self.levels
			.iter()
			.take(depth)
			.enumerate()
			.map(|(level, nodes)| nodes.get(usize::try_from((group >> level) ^ 1).ok()?).copied())
			.collect()
	}

	fn bytes(&self) -> u64 {
		self.levels.iter().map(|level| level.len() as u64 * 32).sum()
	}
}

/// A sealed dataset held where its backend answers from.
pub struct Sealed {
	header: Header,
	resident: Box<dyn Resident>,
	upper: UpperTree,
	/// How long the labels and then the tree took (sealing or loading).
	timings: (Duration, Duration),
}

impl Sealed {
	/// The file header (root included).
	pub fn header(&self) -> &Header {
		&self.header
	}

	/// The Merkle root committed on chain.
	pub fn root(&self) -> Hash {
		self.header.root
	}

	/// Bytes held in device memory (RAM for the CPU backend).
	pub fn device_bytes(&self) -> u64 {
		self.resident.bytes()
	}

	/// Seconds spent on the labels (sealing them, or loading them onto the device), then on
	/// the tree, when this dataset was sealed or loaded.
	pub fn timings(&self) -> (f64, f64) {
		(self.timings.0.as_secs_f64(), self.timings.1.as_secs_f64())
	}

	/// Bytes of Merkle tree held on the host.
	pub fn host_tree_bytes(&self) -> u64 {
		self.upper.bytes()
	}

	/// The subtrees (of `2^rows` labels) numbered `groups`, read from the device in one
	/// transfer and hashed here.
	fn read_subtrees(&self, groups: &[u64]) -> Result<BTreeMap<u64, MerkleTree>> {
		let rows = self.upper.rows;
		let width = 1u32 << rows;
		let ranges: Vec<(u64, u32)> = groups.iter().map(|g| (g << rows, width)).collect();
		let labels = self.resident.read(&ranges)?;
		Ok(groups
			.iter()
			.zip(labels.chunks(width as usize))
			.filter_map(|(g, leaves)| {
				Some((*g, MerkleTree::build::<NativeSha256>(leaves.to_vec())?))
			})
			.collect())
	}

	/// Leaf `leaf`'s opening from its subtree (in `subtrees`) and the host's upper tree.
	fn open_leaf(&self, subtrees: &BTreeMap<u64, MerkleTree>, leaf: u64) -> Option<Opening> {
		let rows = self.upper.rows;
		let group = leaf >> rows;
		let (label, mut path) = subtrees.get(&group)?.open(leaf & ((1u64 << rows) - 1))?;
		path.extend(self.upper.path(group)?);
		Some(Opening { label, path: MerklePath::try_from(path).ok()? })
	}

	/// The answer to the challenge with `seed`: every label it opens is read from the device in
	/// one transfer with the rest of its subtree, whose lower path is re-hashed here.
	pub fn prove(&self, seed: &Hash, seal_check: bool) -> Result<Proof> {
		let params = &self.header.params;
		let rows = self.upper.rows;
		let leaves = proof_leaves::<NativeSha256>(params, &self.header.ek, seed, seal_check);
		let mut groups: Vec<u64> = leaves.iter().map(|leaf| leaf >> rows).collect();
		groups.sort_unstable();
		groups.dedup();
		let subtrees = self.read_subtrees(&groups)?;
		let open = |leaf: u64| self.open_leaf(&subtrees, leaf);
		assemble_proof::<NativeSha256>(params, &self.header.ek, seed, seal_check, open).ok_or_else(
			|| {
				Error::State(
					"the device's labels do not open the leaves this challenge asks for".into(),
				)
			},
		)
	}

	/// Runs a residency round on the device: every walk's start state here, the walks where
	/// the labels are ([`Resident::walk`]), and the tree over their checkpoints, whose root is
	/// the round's result `R`.
	pub fn run_round(&self, round: &RoundParams, challenge: &RoundChallenge) -> Result<RoundRun> {
		let params = &self.header.params;
		round
			.validate(params)
			.map_err(|e| Error::State(format!("round parameters invalid: {e:?}")))?;
		let started = Instant::now();
		let starts: Vec<State> = (0..round.walks)
			.into_par_iter()
			.map(|walk| walk_start::<NativeSha256>(challenge, walk))
			.collect();
		let walking = Instant::now();
		let checkpoints = self.resident.walk(round, &starts, blocks_of(params))?;
		let walk_time = walking.elapsed();
		if checkpoints.len() as u64 != round.checkpoints() {
			return Err(Error::State(format!(
				"the walk returned {} checkpoints where the round has {}",
				checkpoints.len(),
				round.checkpoints()
			)));
		}
		let tree = checkpoint_tree::<NativeSha256>(&checkpoints)
			.ok_or_else(|| Error::State("no checkpoint tree for this round".into()))?;
		Ok(RoundRun {
			round: *round,
			challenge: *challenge,
			root: self.root(),
			tree,
			walk_time,
			round_time: started.elapsed(),
		})
	}

	/// Every label, read back from the device (small datasets only: tests and simulations).
	pub fn read_labels(&self) -> Result<Vec<Hash>> {
		let total = self.header.params.total_labels();
		let count = u32::try_from(total)
			.map_err(|_| Error::State(format!("{total} labels are too many to read at once")))?;
		self.resident.read(&[(0, count)])
	}

	/// Opens the `asked` segments of `run` (which must have been run on this dataset): each
	/// segment is replayed to learn which blocks it reads, all asked segments a step at a time
	/// with one transfer per step, reading each block's whole subtree as [`Sealed::prove`] does;
	/// the opening is then assembled from those subtrees and the host's upper tree.
	pub fn open_round(&self, run: &RoundRun, asked: &[SegmentId]) -> Result<RoundOpening> {
		let params = &self.header.params;
		let round = &run.round;
		if run.root != self.root() {
			return Err(Error::State("that round was run on another dataset".into()));
		}
		if let Some(id) =
			asked.iter().find(|id| id.walk >= round.walks || id.segment >= round.segments())
		{
			return Err(Error::State(format!(
				"segment {} of walk {} is not in a round of {} walks of {} segments",
				id.segment,
				id.walk,
				round.walks,
				round.segments()
			)));
		}
		let blocks = blocks_of(params);
		let rows = self.upper.rows;
		// Each asked segment's (state, key, first step).
		let mut walkers: Vec<(State, State, u32)> = asked
			.iter()
			.map(|id| {
				let key = walk_start::<NativeSha256>(&run.challenge, id.walk);
				let state = match id.segment {
					0 => Some(key),
					_ => run
						.tree
						.leaves()
						.get(usize::try_from(id.leaf(round).saturating_sub(1)).ok()?)
						.map(hash_to_state),
				}?;
				Some((state, key, id.segment.saturating_mul(round.segment)))
			})
			.collect::<Option<_>>()
			.ok_or_else(|| Error::State("a segment's start checkpoint is missing".into()))?;
		let mut subtrees: BTreeMap<u64, MerkleTree> = BTreeMap::new();
		let block_groups = |block: u64| {
			let first = block.saturating_mul(BLOCK_LABELS);
			(first >> rows)..=(first.saturating_add(BLOCK_LABELS - 1) >> rows)
		};
		for offset in 0..round.segment {
			let indices: Vec<u64> = walkers
				.iter()
				.map(|(state, _, first)| block_index(state, first.saturating_add(offset), blocks))
				.collect();
			let mut missing: Vec<u64> = indices
				.iter()
				.flat_map(|block| block_groups(*block))
				.filter(|group| !subtrees.contains_key(group))
				.collect();
			missing.sort_unstable();
			missing.dedup();
			subtrees.extend(self.read_subtrees(&missing)?);
			for ((state, key, first), block) in walkers.iter_mut().zip(indices) {
				let labels = (0..BLOCK_LABELS)
					.map(|i| {
						let leaf = block.saturating_mul(BLOCK_LABELS).saturating_add(i);
						let tree = subtrees.get(&(leaf >> rows))?;
						tree.leaves()
							.get(usize::try_from(leaf & ((1u64 << rows) - 1)).ok()?)
							.copied()
					})
					.collect::<Option<Vec<Hash>>>()
					.and_then(|labels| <[Hash; 4]>::try_from(labels).ok())
					.ok_or_else(|| Error::State(format!("block {block} was not read")))?;
				mix(state, key, first.saturating_add(offset), &block_bytes(&labels));
			}
		}
		open_segments::<NativeSha256>(params, round, &run.challenge, &run.tree, asked, |leaf| {
			self.open_leaf(&subtrees, leaf)
		})
		.ok_or_else(|| {
			Error::State("the device's labels do not open the blocks these segments read".into())
		})
	}
}

/// A residency round run on a [`Sealed`] dataset: what opening its segments needs.
pub struct RoundRun {
	round: RoundParams,
	challenge: RoundChallenge,
	/// The dataset's root: an opening is refused against any other.
	root: Hash,
	tree: MerkleTree,
	walk_time: Duration,
	round_time: Duration,
}

impl RoundRun {
	/// A run computed elsewhere (the [`crate::impostor`] simulation) on a dataset of `root`.
	pub fn from_checkpoints(
		round: RoundParams,
		challenge: RoundChallenge,
		root: Hash,
		checkpoints: &[State],
		walk_time: Duration,
	) -> Result<Self> {
		let tree = checkpoint_tree::<NativeSha256>(checkpoints)
			.ok_or_else(|| Error::State("no checkpoint tree for this round".into()))?;
		Ok(RoundRun { round, challenge, root, tree, walk_time, round_time: walk_time })
	}

	/// The round's result `R`: the root over every checkpoint, walk-major.
	pub fn result(&self) -> Hash {
		self.tree.root()
	}

	/// The round's parameters.
	pub fn round(&self) -> &RoundParams {
		&self.round
	}

	/// The challenge it answered.
	pub fn challenge(&self) -> &RoundChallenge {
		&self.challenge
	}

	/// The checkpoint tree.
	pub fn tree(&self) -> &MerkleTree {
		&self.tree
	}

	/// Time the walks took on the device (uploading the start states and reading the
	/// checkpoints back included).
	pub fn walk_time(&self) -> Duration {
		self.walk_time
	}

	/// Time the whole round took: start states, walks and checkpoint tree.
	pub fn round_time(&self) -> Duration {
		self.round_time
	}
}

/// Progress of a seal or load: a bar on a terminal, a log line every [`LOG_EVERY`] otherwise,
/// the fraction done to `on_fraction` (a metric), and the stop flag to every sealer.
struct Tracker<'a> {
	what: &'static str,
	total: u64,
	done: AtomicU64,
	started: Instant,
	last_line: Mutex<(Instant, u64)>,
	bar: ProgressBar,
	stop: &'a AtomicBool,
	on_fraction: &'a (dyn Fn(f64) + Sync),
}

impl<'a> Tracker<'a> {
	fn new(
		what: &'static str,
		total: u64,
		stop: &'a AtomicBool,
		on_fraction: &'a (dyn Fn(f64) + Sync),
	) -> Self {
		let bar = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
			ProgressBar::new(total)
		} else {
			ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden())
		};
		bar.set_style(
			ProgressStyle::with_template(&format!(
				"{what} {{bar:40}} {{percent:>3}}% {{human_pos}}/{{human_len}} labels {{per_sec}} ETA {{eta}}"
			))
			.unwrap_or_else(|_| ProgressStyle::default_bar()),
		);
		Tracker {
			what,
			total,
			done: AtomicU64::new(0),
			started: Instant::now(),
			last_line: Mutex::new((Instant::now(), 0)),
			bar,
			stop,
			on_fraction,
		}
	}

	/// Counts `n` more labels; `false` once a stop was asked.
	fn advance(&self, n: u64) -> bool {
		let done = self.done.fetch_add(n, Ordering::Relaxed).saturating_add(n);
		self.bar.set_position(done);
		(self.on_fraction)(done as f64 / self.total.max(1) as f64);
		if self.bar.is_hidden() {
			let tenth = done.saturating_mul(10) / self.total.max(1);
			if let Ok(mut last) = self.last_line.try_lock() {
				if last.0.elapsed() >= LOG_EVERY || tenth > last.1 {
					*last = (Instant::now(), tenth);
					let seconds = self.started.elapsed().as_secs_f64().max(1e-3);
					let rate = done as f64 / seconds;
					let left = self.total.saturating_sub(done) as f64 / rate.max(1e-9);
					tracing::info!(
						"{}: {:.1}% ({done}/{} labels), {:.0} labels/s, ~{:.0} s left",
						self.what,
						100.0 * done as f64 / self.total.max(1) as f64,
						self.total,
						rate,
						left
					);
				}
			}
		}
		!self.stop.load(Ordering::Relaxed)
	}

	fn finish(&self) {
		self.bar.finish_and_clear();
	}
}

fn stopped(path: &Path) -> Error {
	Error::Stopped(format!(
		"sealing stopped; the lanes already on disk in {} are kept and the seal resumes from \
		 them at the next start",
		path.display()
	))
}

/// The lanes-done file beside `path`.
pub fn lanes_path(path: &Path) -> PathBuf {
	path.with_extension("lanes")
}

/// Reads the header of the dataset file at `path`, and the lanes done if it is incomplete.
pub fn read_header(path: &Path) -> Result<(Header, Option<Vec<bool>>)> {
	let corrupt =
		|reason: &str| Error::CorruptDataset { path: path.to_path_buf(), reason: reason.into() };
	let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
	let mut magic = [0u8; 8];
	file.read_exact(&mut magic).map_err(|_| corrupt("shorter than its header"))?;
	if &magic != MAGIC {
		return Err(corrupt("not an ember-miner dataset of this version (bad magic)"));
	}
	let header = Header::decode(&mut codec::IoReader(&mut file))
		.map_err(|_| corrupt("unreadable header"))?;
	header.params.validate().map_err(|_| corrupt("invalid parameters in header"))?;
	let length = file.metadata().map_err(|e| Error::io(path, e))?.len();
	let expected = header.labels_offset() + header.params.dataset_bytes();
	if length != expected {
		return Err(corrupt(&format!("{length} bytes where its header says {expected}")));
	}
	if header.root != Hash::default() {
		return Ok((header, None));
	}
	let done = match std::fs::read(lanes_path(path)) {
		Ok(bytes) if bytes.len() == header.params.lanes as usize => {
			bytes.iter().map(|b| *b == 1).collect()
		}
		// A seal that crashed before its first lane: nothing to keep.
		_ => vec![false; header.params.lanes as usize],
	};
	Ok((header, Some(done)))
}

/// Which sealer to use for `params` on `backend`: as asked, or (auto) whichever a short
/// measurement on this class's parameters says finishes first.
fn choose(
	seal_on: SealOn,
	backend: &dyn Backend,
	resident: &mut dyn Resident,
	params: &Params,
	ek: &Hash,
) -> Result<SealOn> {
	if backend.kind() == backend::BackendKind::Cpu {
		return Ok(SealOn::Device);
	}
	if seal_on != SealOn::Auto {
		return Ok(seal_on);
	}
	// The device: one dispatch over the first chunk's lanes, then stop; the first run warms
	// the pipeline up and is not counted.
	let lanes = resident.lanes_per_chunk().min(params.lanes);
	let mut device_rate = 0.0;
	for _ in 0..2 {
		let sealed = AtomicU64::new(0);
		let started = Instant::now();
		resident.seal_lanes(ek, 0, lanes, &|n| {
			sealed.fetch_add(n, Ordering::Relaxed);
			false
		})?;
		device_rate = sealed.into_inner() as f64 / started.elapsed().as_secs_f64().max(1e-9);
	}
	// The CPU: 4,096 label positions (fewer for short lanes) in as many lanes as it has
	// threads, also measured on a second run.
	let threads = (rayon::current_num_threads() as u32).min(params.lanes).max(1);
	let probe = (u64::from(params.lane_len).min(4096) as usize).max(1);
	let mut cpu_rate = 0.0;
	for _ in 0..2 {
		let started = Instant::now();
		(0..threads).into_par_iter().for_each(|lane| {
			let mut out = vec![[0u8; 32]; probe];
			ember_pocps::prover::seal_lane_reporting::<NativeSha256>(
				params,
				ek,
				lane,
				&mut out,
				probe,
				|_| false,
			);
		});
		cpu_rate =
			(u64::from(threads) * probe as u64) as f64 / started.elapsed().as_secs_f64().max(1e-9);
	}
	// The device seals one chunk at a time at that rate; the CPU `threads` lanes at a time.
	let device_seconds = params.total_labels() as f64 / device_rate.max(1e-9);
	let cpu_seconds =
		f64::from(params.lanes.div_ceil(threads)) * f64::from(params.lane_len) * f64::from(threads)
			/ cpu_rate.max(1e-9);
	let choice = if device_seconds < cpu_seconds { SealOn::Device } else { SealOn::Cpu };
	tracing::info!(
		"sealing on {}: measured ~{:.0} s on {} against ~{:.0} s on {threads} CPU threads",
		if choice == SealOn::Device { "the device" } else { "the CPU" },
		device_seconds,
		backend.device_name(),
		cpu_seconds
	);
	Ok(choice)
}

/// An open dataset file being sealed.
struct Sealing<'a> {
	path: &'a Path,
	file: File,
	lanes_file: File,
	header: Header,
}

impl Sealing<'_> {
	/// Writes lane `lane`'s labels, syncs them, then marks the lane done.
	fn save_lane(&self, lane: u32, labels: &[Hash]) -> Result<()> {
		let offset = self.header.labels_offset()
			+ u64::from(lane) * u64::from(self.header.params.lane_len) * 32;
		let bytes: &[u8] = bytemuck::cast_slice(labels);
		self.file.write_all_at(bytes, offset).map_err(|e| Error::io(self.path, e))?;
		self.file.sync_data().map_err(|e| Error::io(self.path, e))?;
		self.lanes_file.write_all_at(&[1], u64::from(lane)).map_err(|e| Error::io(self.path, e))?;
		self.lanes_file.sync_data().map_err(|e| Error::io(self.path, e))
	}

	fn read_lane(&self, lane: u32) -> Result<Vec<Hash>> {
		read_lane(&self.file, self.path, &self.header, lane)
	}
}

fn read_lane(file: &File, path: &Path, header: &Header, lane: u32) -> Result<Vec<Hash>> {
	let lane_len = header.params.lane_len as usize;
	let mut labels = vec![[0u8; 32]; lane_len];
	let offset = header.labels_offset() + u64::from(lane) * lane_len as u64 * 32;
	file.read_exact_at(bytemuck::cast_slice_mut(&mut labels), offset)
		.map_err(|e| Error::io(path, e))?;
	Ok(labels)
}

/// Seals the dataset `header` describes (its root ignored) on `backend`, resuming from the
/// lanes already in the file at `path` if it holds an incomplete seal of the same key.
/// Returns [`Error::Stopped`] within a second of `stop` being set, with every finished lane
/// kept on disk.
pub fn seal(
	backend: &dyn Backend,
	path: &Path,
	header: Header,
	seal_on: SealOn,
	stop: &AtomicBool,
	on_fraction: &(dyn Fn(f64) + Sync),
) -> Result<Sealed> {
	let params = header.params;
	params.validate().map_err(|e| Error::State(format!("class parameters invalid: {e:?}")))?;
	let header = Header { root: Hash::default(), ..header };
	let resumed = match read_header(path) {
		Ok((existing, Some(done))) if existing.same_seal(&header) => Some(done),
		_ => None,
	};
	let mut done = match resumed {
		Some(done) => done,
		None => {
			create(path, &header)?;
			vec![false; params.lanes as usize]
		}
	};
	let file = File::options().read(true).write(true).open(path).map_err(|e| Error::io(path, e))?;
	let lanes_file = File::options()
		.read(true)
		.write(true)
		.create(true)
		.truncate(false)
		.open(lanes_path(path))
		.map_err(|e| Error::io(path, e))?;
	lanes_file.set_len(u64::from(params.lanes)).map_err(|e| Error::io(path, e))?;
	let sealing = Sealing { path, file, lanes_file, header };
	let mut resident = backend.allocate(&params)?;
	let already = done.iter().filter(|d| **d).count();
	if already > 0 {
		tracing::info!(
			"resuming the seal of {}: {already} of {} lanes already on disk",
			path.display(),
			params.lanes
		);
		for lane in (0..params.lanes).filter(|l| done[*l as usize]) {
			resident.write_lanes(lane, &sealing.read_lane(lane)?)?;
		}
	}
	let sealer = choose(seal_on, backend, resident.as_mut(), &params, &sealing.header.ek)?;
	let tracker = Tracker::new("sealing", params.total_labels(), stop, on_fraction);
	tracker.advance(already as u64 * u64::from(params.lane_len));
	let started = Instant::now();
	match sealer {
		SealOn::Cpu | SealOn::Auto => {
			let threads = rayon::current_num_threads().max(1);
			let remaining: Vec<u32> = (0..params.lanes).filter(|l| !done[*l as usize]).collect();
			for batch in remaining.chunks(threads) {
				let sealed: Vec<(u32, Vec<Hash>, bool)> = batch
					.par_iter()
					.map(|&lane| {
						let mut out = vec![[0u8; 32]; params.lane_len as usize];
						let complete = ember_pocps::prover::seal_lane_reporting::<NativeSha256>(
							&params,
							&sealing.header.ek,
							lane,
							&mut out,
							backend::cpu::report_every(&params),
							|n| tracker.advance(n),
						);
						(lane, out, complete)
					})
					.collect();
				for (lane, labels, complete) in sealed {
					if complete {
						sealing.save_lane(lane, &labels)?;
						resident.write_lanes(lane, &labels)?;
						done[lane as usize] = true;
					}
				}
				if done.iter().any(|d| !d) && stop.load(Ordering::Relaxed) {
					tracker.finish();
					return Err(stopped(path));
				}
			}
		}
		SealOn::Device => {
			let per_chunk = resident.lanes_per_chunk().max(1);
			let mut lane = 0;
			while lane < params.lanes {
				// The next run of lanes not yet done, within one chunk.
				if done[lane as usize] {
					lane += 1;
					continue;
				}
				let chunk_end = ((lane / per_chunk) + 1) * per_chunk;
				let mut end = lane;
				while end < params.lanes.min(chunk_end) && !done[end as usize] {
					end += 1;
				}
				let complete = resident
					.seal_lanes(&sealing.header.ek, lane, end - lane, &|n| tracker.advance(n))?;
				if !complete {
					tracker.finish();
					return Err(stopped(path));
				}
				for sealed in lane..end {
					let lane_len = params.lane_len;
					let labels =
						resident.read(&[(u64::from(sealed) * u64::from(lane_len), lane_len)])?;
					sealing.save_lane(sealed, &labels)?;
					done[sealed as usize] = true;
					if stop.load(Ordering::Relaxed) {
						tracker.finish();
						return Err(stopped(path));
					}
				}
				lane = end;
			}
		}
	}
	tracker.finish();
	let sealed_in = started.elapsed();
	let upper = upper_tree(resident.as_ref(), &params)?;
	let tree_in = started.elapsed().saturating_sub(sealed_in);
	let header = Header { root: upper.root(), ..sealing.header.clone() };
	// The root last: a file with a root is a complete seal.
	sealing
		.file
		.write_all_at(&header.encode(), MAGIC.len() as u64)
		.map_err(|e| Error::io(path, e))?;
	sealing.file.sync_all().map_err(|e| Error::io(path, e))?;
	let _ = std::fs::remove_file(lanes_path(path));
	tracing::info!(
		"sealed {} labels ({} MiB) with {} in {:.2?} (tree {:.2?})",
		params.total_labels(),
		params.dataset_bytes() >> 20,
		if sealer == SealOn::Device { backend.device_name() } else { "the CPU".into() },
		sealed_in,
		tree_in,
	);
	Ok(Sealed { header, resident, upper, timings: (sealed_in, tree_in) })
}

/// Creates the dataset file at full length (labels zero) and its lanes-done file.
fn create(path: &Path, header: &Header) -> Result<()> {
	if let Some(parent) = path.parent() {
		std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
	}
	let write = || -> std::io::Result<()> {
		// The old lanes file goes first (and durably): lanes marked done for another key must
		// never survive beside this key's zeroed labels.
		match std::fs::remove_file(lanes_path(path)) {
			Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
			_ => {}
		}
		if let Some(parent) = path.parent() {
			File::open(parent)?.sync_all()?;
		}
		let file = File::create(path)?;
		file.write_all_at(MAGIC, 0)?;
		file.write_all_at(&header.encode(), MAGIC.len() as u64)?;
		let length = header.labels_offset() + header.params.dataset_bytes();
		// Reserve the blocks now: a disk too small for a 64 GiB dataset fails here, not hours
		// into the seal. Filesystems without fallocate get a sparse file instead.
		match rustix::fs::fallocate(&file, rustix::fs::FallocateFlags::empty(), 0, length) {
			Ok(()) => {}
			Err(rustix::io::Errno::NOSPC) => {
				return Err(std::io::Error::other(format!(
					"not enough free disk space for the {} MiB dataset",
					header.params.dataset_bytes() >> 20
				)))
			}
			Err(_) => file.set_len(length)?,
		}
		file.sync_all()?;
		let lanes = File::create(lanes_path(path))?;
		lanes.set_len(u64::from(header.params.lanes))?;
		lanes.sync_all()?;
		if let Some(parent) = path.parent() {
			File::open(parent)?.sync_all()?;
		}
		Ok(())
	};
	write().map_err(|e| Error::io(path, e))
}

/// The host's part of the tree, from the device's subtree roots, chunk by chunk.
fn upper_tree(resident: &dyn Resident, params: &Params) -> Result<UpperTree> {
	let rows = rows_for(params);
	let mut roots = Vec::with_capacity((params.total_labels() >> rows) as usize);
	for (lane, lanes) in backend::Chunks::new(params.lanes, resident.lanes_per_chunk()).iter() {
		roots.extend(resident.subtree_roots(lane, lanes, rows)?);
	}
	Ok(UpperTree::build(rows, roots))
}

/// Loads the complete dataset at `path` onto `backend`'s device, lane by lane, and checks
/// that its labels hash to the root in its header.
pub fn load(backend: &dyn Backend, path: &Path, stop: &AtomicBool) -> Result<Sealed> {
	let (header, incomplete) = read_header(path)?;
	if incomplete.is_some() {
		return Err(Error::State(format!("{} holds an incomplete seal", path.display())));
	}
	let params = header.params;
	let file = File::open(path).map_err(|e| Error::io(path, e))?;
	let mut resident = backend.allocate(&params)?;
	let tracker = Tracker::new("loading", params.total_labels(), stop, &|_| ());
	let started = Instant::now();
	for lane in 0..params.lanes {
		resident.write_lanes(lane, &read_lane(&file, path, &header, lane)?)?;
		if !tracker.advance(u64::from(params.lane_len)) {
			tracker.finish();
			return Err(Error::Stopped("loading stopped".into()));
		}
	}
	tracker.finish();
	let loaded_in = started.elapsed();
	let upper = upper_tree(resident.as_ref(), &params)?;
	let timings = (loaded_in, started.elapsed().saturating_sub(loaded_in));
	if upper.root() != header.root {
		return Err(Error::CorruptDataset {
			path: path.to_path_buf(),
			reason: "its labels do not hash to the root in its header".into(),
		});
	}
	Ok(Sealed { header, resident, upper, timings })
}
