//! The `ember-miner` command line.

use crate::{
	backend::{self, BackendKind},
	bench,
	chain::Chain,
	dataset::{SealOn, Sealed},
	error::{Error, Result},
	fingerprint,
	impostor::Impostor,
	keys,
	lease_desk::{LeaseConfig, LeaseDesk},
	market::RenewPolicy,
	metrics::Metrics,
	miner::{self, format_emb, Miner},
	round_server::RoundServer,
	sealed_box,
	state::Paths,
};
use clap::{Parser, Subcommand};
use ember_runtime::currency::EMB;
use pallet_compute_pools::StakeOffer;
use sp_core::{crypto::Ss58Codec, sr25519, Pair};
use std::{
	net::SocketAddr,
	path::PathBuf,
	process::ExitCode,
	sync::{atomic::AtomicBool, Arc},
	time::Duration,
};

/// Seals PoCPS datasets on a GPU (or CPU) and answers an Ember chain's challenges.
#[derive(Debug, Parser)]
#[command(name = "ember-miner", version, propagate_version = true)]
pub struct Cli {
	/// The node's WebSocket RPC endpoint; repeat it (or separate with commas) to fail over
	/// to the next node when one is unreachable.
	#[arg(long, global = true, value_delimiter = ',', default_value = "ws://127.0.0.1:9944")]
	pub url: Vec<String>,
	/// Where the device key, state and dataset live [default: ~/.local/share/ember-miner].
	#[arg(long, global = true)]
	pub base_path: Option<PathBuf>,
	/// Compute backend [default: the best present: cuda, then a Vulkan GPU, then cpu].
	#[arg(long, global = true, value_enum)]
	pub backend: Option<BackendKind>,
	/// Which GPU: an index (the CUDA ordinal where CUDA is present, respecting
	/// CUDA_VISIBLE_DEVICES; else the NVML or Vulkan index), a UUID (GPU-…) or a PCI address,
	/// as `ember-miner devices` lists them. One physical card for CUDA, NVML and Vulkan alike.
	#[arg(long, global = true, default_value = "0")]
	pub gpu: String,
	/// Where to seal: measure both and take the faster (auto), the CPU cores, or the device.
	#[arg(long, global = true, value_enum, default_value_t = SealOn::Auto)]
	pub seal_on: SealOn,
	/// The account's secret URI (e.g. //Bob on a dev chain); or use --key-file.
	#[arg(long, global = true, conflicts_with = "key_file")]
	pub suri: Option<String>,
	/// The account's key file (from `ember-miner key generate`).
	#[arg(long, global = true)]
	pub key_file: Option<PathBuf>,
	/// Log filter (tracing `EnvFilter` syntax), e.g. `debug` or `ember_miner=debug`.
	#[arg(long, global = true, default_value = "info")]
	pub log: String,
	#[command(subcommand)]
	pub command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
	/// Generate or inspect an sr25519 key file.
	#[command(subcommand)]
	Key(KeyCommand),
	/// List the devices each backend sees, with their fingerprints.
	Devices,
	/// Register this device in a class (bonds the class's deposit).
	Register {
		/// Class name or number (e.g. cpu-dev, gpu-80g).
		#[arg(long)]
		class: String,
	},
	/// Seal the registered device's dataset and commit its root.
	Seal,
	/// Stake the registered device's hours into its class's pool (the device must be Active).
	Stake(StakeArgs),
	/// Claim the device's expired stake: its EMB back, dividends and rewards.
	Claim,
	/// Register (if --class is given and needed), seal, and answer challenges until stopped.
	Run {
		/// Class to register in if this miner has no device on this chain yet.
		#[arg(long)]
		class: Option<String>,
		/// Serve Prometheus metrics on this port (127.0.0.1 unless --prometheus-external).
		#[arg(long, default_value_t = 9616)]
		prometheus_port: u16,
		/// Serve metrics on every interface (0.0.0.0), not only 127.0.0.1.
		#[arg(long)]
		prometheus_external: bool,
		/// Do not serve Prometheus metrics.
		#[arg(long)]
		no_prometheus: bool,
		/// Serve residency rounds to verifiers (JSON-RPC over HTTP and WebSocket) on this
		/// address, e.g. 0.0.0.0:9934; off unless given.
		#[arg(long, value_name = "IP:PORT")]
		round_listen: Option<SocketAddr>,
		/// The URL verifiers reach the round endpoint at, set on chain for the device (e.g.
		/// ws://203.0.113.7:9934); defaults to ws://<--round-listen> unless that listens on
		/// every interface.
		#[arg(long, value_name = "URL", requires = "round_listen")]
		round_endpoint: Option<String>,
		/// Testing only: walk rounds as a device missing every n-th block from fast memory
		/// (it fails its audits).
		#[arg(long, value_name = "N", requires = "round_listen", hide = true)]
		unsafe_round_drop_every: Option<u64>,
		/// Testing only: add this many milliseconds to every round, as a slower medium would
		/// (it fails on time).
		#[arg(
			long,
			value_name = "MS",
			requires = "round_listen",
			hide = true,
			default_value_t = 0
		)]
		unsafe_round_delay_ms: u64,
		/// Serve the device's leases: what clients connect to, given to each sealed to its key
		/// (e.g. ssh://lease@203.0.113.7:2222).
		#[arg(long, value_name = "URL", requires_all = ["lease_host_key", "lease_listen"])]
		lease_endpoint: Option<String>,
		/// The endpoint's host public key (OpenSSH format, e.g.
		/// /etc/ssh/ssh_host_ed25519_key.pub): its fingerprint is signed by the device key
		/// and recorded on chain with each lease.
		#[arg(long, value_name = "FILE", requires = "lease_endpoint")]
		lease_host_key: Option<PathBuf>,
		/// A script run as `HOOK start|authorize|stop` for each lease (EMBER_LEASE,
		/// EMBER_CLIENT, EMBER_CLIENT_KEY, EMBER_LEASE_END, EMBER_SSH_KEY in its environment):
		/// create the renter's access, install its SSH key, remove it.
		#[arg(long, value_name = "FILE", requires = "lease_endpoint")]
		lease_hook: Option<PathBuf>,
		/// Where clients send heartbeats and SSH keys (JSON-RPC over HTTP and WebSocket).
		#[arg(long, value_name = "IP:PORT", requires = "lease_endpoint")]
		lease_listen: Option<SocketAddr>,
		/// The URL clients reach --lease-listen at; defaults to ws://<--lease-listen> unless
		/// that listens on every interface.
		#[arg(long, value_name = "URL", requires = "lease_listen")]
		lease_heartbeat_url: Option<String>,
		/// Renew the device's stake in its last epoch while the device is Active, adding at
		/// most (a provider) or receiving at least (a remover) this many EMB.
		#[arg(long, value_name = "EMB", value_parser = parse_emb)]
		renew_limit: Option<u128>,
	},
	/// Measure label and hash throughput, seal time and proof latency per backend.
	Bench(bench::BenchArgs),
	/// Seal, reload and prove one dataset of a chosen size on the chosen backend, and print
	/// its timings and memory (JSON): what scripts/gpu-check.sh and docs/benchmarks.md use.
	BenchDataset(bench::DatasetArgs),
	/// Seal a dataset of a chosen size, run one residency round on it, and print the walk's
	/// random-read throughput (JSON).
	BenchRound(bench::RoundArgs),
	/// Show the registered device's state on chain.
	Status,
}

/// `ember-miner stake`.
#[derive(Debug, clap::Args)]
pub struct StakeArgs {
	/// Hours to stake [default: the most the epochs allow, one device-hour per hour].
	#[arg(long)]
	pub hours: Option<u64>,
	/// Epochs to stake for [default: the shortest viable stake, T_min].
	#[arg(long)]
	pub epochs: Option<u32>,
	/// Sell the hours into the pool (a liquidity-removal miner) instead of providing them
	/// with EMB.
	#[arg(long)]
	pub sell: bool,
	/// As a provider, the most EMB to add with the hours (in an empty pool, exactly this:
	/// it sets the price).
	#[arg(long, value_name = "EMB", value_parser = parse_emb, required_unless_present = "sell")]
	pub max_emb: Option<u128>,
	/// The least EMB to add (provider) or to receive (seller): refuses a moved price.
	#[arg(long, value_name = "EMB", value_parser = parse_emb, default_value = "0")]
	pub min_emb: u128,
}

/// An amount of EMB with up to 12 decimals, in planck.
pub fn parse_emb(text: &str) -> std::result::Result<u128, String> {
	let invalid = || format!("{text:?} is not an amount of EMB (e.g. 100 or 0.25)");
	let (whole, fraction) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
	if whole.is_empty() && fraction.is_empty() || fraction.len() > 12 {
		return Err(invalid());
	}
	let digits = |part: &str| part.chars().all(|c| c.is_ascii_digit());
	if !digits(whole) || !digits(fraction) {
		return Err(invalid());
	}
	let whole: u128 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| invalid())? };
	let fraction: u128 = format!("{fraction:0<12}").parse().map_err(|_| invalid())?;
	whole.checked_mul(EMB).and_then(|w| w.checked_add(fraction)).ok_or_else(invalid)
}

/// `ember-miner key …`.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
	/// Generate a key and write it to a file readable only by its owner (0600).
	Generate {
		/// The file to write.
		#[arg(long)]
		out: PathBuf,
		/// Overwrite an existing file.
		#[arg(long)]
		force: bool,
	},
	/// Print a key file's public key and address.
	Inspect {
		/// The key file.
		key_file: PathBuf,
	},
}

/// Parses the command line, runs it, and turns any error into one line on stderr and exit 1.
pub fn main() -> ExitCode {
	let cli = Cli::parse();
	let filter = tracing_subscriber::EnvFilter::try_new(&cli.log)
		.unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
	tracing_subscriber::fmt()
		.with_env_filter(filter)
		.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
		.with_writer(std::io::stderr)
		.init();
	let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
		Ok(runtime) => runtime,
		Err(error) => {
			eprintln!("error: cannot start the async runtime: {error}");
			return ExitCode::FAILURE;
		}
	};
	match runtime.block_on(run(cli)) {
		Ok(()) => ExitCode::SUCCESS,
		Err(error) => {
			eprintln!("error: {error}");
			ExitCode::FAILURE
		}
	}
}

impl Cli {
	fn paths(&self) -> Paths {
		let base = self.base_path.clone().unwrap_or_else(|| {
			dirs::data_local_dir().unwrap_or_else(|| PathBuf::from(".")).join("ember-miner")
		});
		Paths { base }
	}

	fn account(&self) -> Result<sr25519::Pair> {
		match (&self.suri, &self.key_file) {
			(Some(suri), _) => keys::from_suri(suri),
			(None, Some(path)) => keys::load(path),
			(None, None) => Err(Error::Key(
				"no account: pass --suri (e.g. //Bob on a dev chain) or --key-file (see `ember-miner key generate`)".into(),
			)),
		}
	}

	/// The directory miners of this operator share for signing locks: the base path's parent
	/// (e.g. /var/lib/ember-miner for /var/lib/ember-miner/gpu0 and …/gpu1).
	fn lock_dir(&self) -> Option<PathBuf> {
		self.paths().base.parent().map(PathBuf::from)
	}

	async fn miner(&self, mut chain: Chain, backend: Arc<dyn backend::Backend>) -> Result<Miner> {
		chain.signing_lock_dir = self.lock_dir();
		let metrics = Metrics::register(&Default::default(), &self.gpu, backend.kind().name())
			.map_err(|e| Error::State(format!("metrics: {e}")))?;
		let stop = Arc::new(AtomicBool::new(false));
		stop_on_ctrl_c(stop.clone());
		Ok(Miner {
			chain,
			account: self.account()?,
			gpu: match backend.kind() {
				BackendKind::Cpu => fingerprint::Selected::default(),
				_ => fingerprint::resolve(&self.gpu)?,
			},
			backend,
			seal_on: self.seal_on,
			stop,
			paths: self.paths(),
			metrics,
			rounds: None,
			leases: None,
			renew: None,
		})
	}

	async fn connect(&self) -> Result<Chain> {
		let mut last = None;
		for url in &self.url {
			match Chain::connect(url).await {
				Ok(chain) => return Ok(chain),
				Err(error) => last = Some(error),
			}
		}
		Err(last.unwrap_or_else(|| Error::State("no --url given".into())))
	}
}

async fn run(cli: Cli) -> Result<()> {
	match &cli.command {
		Command::Key(KeyCommand::Generate { out, force }) => {
			let pair = keys::generate(out, *force)?;
			println!("wrote {} (mode 0600)", out.display());
			println!("address: {}", pair.public().to_ss58check());
			Ok(())
		}
		Command::Key(KeyCommand::Inspect { key_file }) => {
			let pair = keys::load(key_file)?;
			println!("public key: 0x{}", hex::encode(pair.public()));
			println!("address:    {}", pair.public().to_ss58check());
			Ok(())
		}
		Command::Devices => {
			let index = |i: Option<usize>| i.map_or("-".into(), |i| i.to_string());
			println!(
				"{:<7} {:>4} {:>4} {:>6} {:<12} {:<42} {:>8}  uuid / fingerprint",
				"backend", "cuda", "nvml", "vulkan", "pci", "model", "MiB"
			);
			for (identity, selected) in fingerprint::list() {
				println!(
					"{:<7} {:>4} {:>4} {:>6} {:<12} {:<42} {:>8}  {}  {:?}",
					identity.backend,
					index(selected.cuda),
					index(selected.nvml.map(|n| n as usize)),
					index(selected.vulkan),
					selected.pci.as_deref().unwrap_or("-"),
					identity.model,
					identity.memory_mib,
					identity.uuid,
					identity.fingerprint()
				);
			}
			Ok(())
		}
		Command::BenchDataset(args) => {
			let backend = backend::open(cli.backend, &cli.gpu)?;
			let result = bench::dataset(args, backend.as_ref())?;
			println!("{}", serde_json::to_string_pretty(&result).unwrap_or_default());
			Ok(())
		}
		Command::BenchRound(args) => {
			let backend = backend::open(cli.backend, &cli.gpu)?;
			let result = bench::round(args, backend.as_ref())?;
			println!("{}", serde_json::to_string_pretty(&result).unwrap_or_default());
			Ok(())
		}
		Command::Bench(args) => {
			let results = bench::run(args, cli.backend, &cli.gpu)?;
			bench::print(&results, args.json);
			Ok(())
		}
		Command::Register { class } => {
			let backend = backend::open(cli.backend, &cli.gpu)?;
			let miner = cli.miner(cli.connect().await?, backend).await?;
			let device = miner.register(class).await?;
			println!("device {device}");
			Ok(())
		}
		Command::Seal => {
			let backend = backend::open(cli.backend, &cli.gpu)?;
			let miner = cli.miner(cli.connect().await?, backend).await?;
			let device = miner.registered_device().await?.ok_or_else(not_registered)?;
			let data = miner.ensure_sealed(device, None).await?;
			println!("device {device} sealed, root 0x{}", hex::encode(data.root()));
			Ok(())
		}
		Command::Stake(args) => {
			let backend = Arc::new(backend::cpu::CpuBackend::new());
			let miner = cli.miner(cli.connect().await?, backend).await?;
			let device = miner.registered_device().await?.ok_or_else(not_registered)?;
			let offer = if args.sell {
				StakeOffer::Sell { min_emb: args.min_emb }
			} else {
				StakeOffer::Provide { min_emb: args.min_emb, max_emb: args.max_emb.unwrap_or(0) }
			};
			let stake = miner.stake(device, args.hours, args.epochs, offer).await?;
			println!("stake {stake}");
			Ok(())
		}
		Command::Claim => {
			let backend = Arc::new(backend::cpu::CpuBackend::new());
			let miner = cli.miner(cli.connect().await?, backend).await?;
			let device = miner.registered_device().await?.ok_or_else(not_registered)?;
			let (paid, reward) = miner.claim(device).await?;
			println!("claimed: {} from the pool, {} reward", format_emb(paid), format_emb(reward));
			Ok(())
		}
		Command::Status => {
			let backend = Arc::new(backend::cpu::CpuBackend::new());
			let miner = cli.miner(cli.connect().await?, backend).await?;
			let account = keys::account(&miner.account);
			let balance = miner.chain.account(&account).await?.data;
			println!("account {} free {}", account.to_ss58check(), format_emb(balance.free));
			let device = miner.registered_device().await?.ok_or_else(not_registered)?;
			println!("device {device}: {:?}", miner.status(device).await?);
			let stats = miner.stats(device).await?;
			println!(
				"challenges: {} answered, {} missed, {} invalid; last latency {} blocks",
				stats.answered, stats.missed, stats.invalid, stats.last_latency
			);
			for (id, view) in miner.open_challenges(device).await? {
				let kind = if view.info.seal_check { "seal check" } else { "storage challenge" };
				let seed = if view.seed.is_some() { "answerable" } else { "seed not yet known" };
				println!(
					"open {kind} {id}: opened #{}, deadline #{}, {seed}",
					view.info.opened_at, view.info.deadline
				);
			}
			Ok(())
		}
		Command::Run {
			class,
			prometheus_port,
			no_prometheus,
			prometheus_external,
			round_listen,
			round_endpoint,
			unsafe_round_drop_every,
			unsafe_round_delay_ms,
			lease_endpoint,
			lease_host_key,
			lease_hook,
			lease_listen,
			lease_heartbeat_url,
			renew_limit,
		} => {
			let host = if *prometheus_external { [0, 0, 0, 0] } else { [127, 0, 0, 1] };
			let metrics_at = (!no_prometheus).then(|| SocketAddr::from((host, *prometheus_port)));
			let rounds = round_listen.map(|listen| Rounds {
				listen,
				endpoint: round_endpoint.clone(),
				impostor: Impostor {
					drop_every: *unsafe_round_drop_every,
					delay: Duration::from_millis(*unsafe_round_delay_ms),
				},
			});
			let market = Market {
				renew: renew_limit.map(|limit| RenewPolicy { limit }),
				lease: match (lease_endpoint, lease_host_key, lease_listen) {
					(Some(endpoint), Some(host_key), Some(listen)) => Some(LeaseService {
						endpoint: endpoint.clone(),
						host_key: host_key.clone(),
						hook: lease_hook.clone(),
						listen: *listen,
						heartbeat_url: lease_heartbeat_url.clone(),
					}),
					_ => None,
				},
			};
			run_worker(&cli, class.as_deref(), metrics_at, rounds, market).await
		}
	}
}

/// How `run` serves residency rounds.
struct Rounds {
	listen: SocketAddr,
	endpoint: Option<String>,
	impostor: Impostor,
}

impl Rounds {
	/// The URL set on chain: `--round-endpoint`, or the bound address when it is one a
	/// verifier can reach.
	fn endpoint(&self, bound: SocketAddr) -> Result<String> {
		match &self.endpoint {
			Some(url) => Ok(url.clone()),
			None if bound.ip().is_unspecified() => Err(Error::State(format!(
				"--round-listen {bound} listens on every interface: pass --round-endpoint \
				 ws://PUBLIC-ADDRESS:{} so verifiers can reach it",
				bound.port()
			))),
			None => Ok(format!("ws://{bound}")),
		}
	}
}

/// How `run` takes part in the market.
struct Market {
	renew: Option<RenewPolicy>,
	lease: Option<LeaseService>,
}

/// How `run` serves leases.
struct LeaseService {
	endpoint: String,
	host_key: PathBuf,
	hook: Option<PathBuf>,
	listen: SocketAddr,
	heartbeat_url: Option<String>,
}

impl LeaseService {
	/// Starts the lease desk: reads the host key and binds the heartbeat endpoint.
	async fn start(&self) -> Result<LeaseDesk> {
		let line = std::fs::read_to_string(&self.host_key).map_err(|e| {
			Error::State(format!("cannot read --lease-host-key {}: {e}", self.host_key.display()))
		})?;
		let host_key = sealed_box::ssh_host_key_fingerprint(&line).ok_or_else(|| {
			Error::State(format!(
				"--lease-host-key {} is not an OpenSSH public key (`TYPE BASE64 [comment]`, \
				 e.g. /etc/ssh/ssh_host_ed25519_key.pub)",
				self.host_key.display()
			))
		})?;
		if let Some(hook) = &self.hook {
			if !hook.is_file() {
				return Err(Error::State(format!(
					"--lease-hook {} is not a file: give the script that prepares the endpoint",
					hook.display()
				)));
			}
		}
		let config = LeaseConfig {
			endpoint: self.endpoint.clone(),
			host_key,
			hook: self.hook.clone(),
			heartbeat_url: String::new(),
		};
		let mut desk = LeaseDesk::start(self.listen, config).await?;
		let bound = desk.local_addr();
		desk.config.heartbeat_url = match &self.heartbeat_url {
			Some(url) => url.clone(),
			None if bound.ip().is_unspecified() => {
				return Err(Error::State(format!(
					"--lease-listen {bound} listens on every interface: pass \
					 --lease-heartbeat-url ws://PUBLIC-ADDRESS:{} so clients can reach it",
					bound.port()
				)))
			}
			None => format!("ws://{bound}"),
		};
		tracing::info!(
			"serving leases as {} (host key {}), heartbeats at {}",
			self.endpoint,
			sealed_box::ssh_fingerprint_string(&host_key),
			desk.config.heartbeat_url
		);
		Ok(desk)
	}
}

fn not_registered() -> Error {
	Error::State(
		"this miner has no device on this chain: run `ember-miner register --class NAME` first"
			.into(),
	)
}

/// Sets `stop` on Ctrl-C (or SIGTERM), so a seal in progress ends at its next chunk with its
/// finished lanes on disk.
fn stop_on_ctrl_c(stop: Arc<AtomicBool>) {
	tokio::spawn(async move {
		let terminate = async {
			match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
				Ok(mut signal) => {
					signal.recv().await;
				}
				Err(_) => std::future::pending::<()>().await,
			}
		};
		tokio::select! {
			_ = tokio::signal::ctrl_c() => {}
			_ = terminate => {}
		}
		tracing::info!("stopping");
		stop.store(true, std::sync::atomic::Ordering::Relaxed);
	});
}

/// `ember-miner run`: the long-running worker. The first connection must succeed (a wrong URL
/// is an error); after that, a lost node is reconnected with backoff, failing over between the
/// `--url`s. The dataset stays in device memory across reconnects: a node restart, a dropped
/// socket or a timeout never reloads it.
async fn run_worker(
	cli: &Cli,
	class: Option<&str>,
	metrics_at: Option<SocketAddr>,
	round_config: Option<Rounds>,
	market: Market,
) -> Result<()> {
	let backend = backend::open(cli.backend, &cli.gpu)?;
	let selected = match backend.kind() {
		BackendKind::Cpu => fingerprint::Selected { asked: "cpu".into(), ..Default::default() },
		_ => fingerprint::resolve(&cli.gpu)?,
	};
	tracing::info!("backend {} on {} ({selected})", backend.kind().name(), backend.device_name());
	let registry = substrate_prometheus_endpoint::Registry::new();
	let device_label = match backend.kind() {
		BackendKind::Cpu => "cpu".to_string(),
		_ => selected.uuid.clone().or(selected.pci.clone()).unwrap_or_else(|| cli.gpu.clone()),
	};
	let metrics = Metrics::register(&registry, &device_label, backend.kind().name())
		.map_err(|e| Error::State(format!("metrics: {e}")))?;
	if let Some(address) = metrics_at {
		// Bind first so a taken port is an error now, not a silent failure later.
		std::net::TcpListener::bind(address).map_err(|e| {
			Error::State(format!(
				"cannot serve metrics on {address}: {e}; pass --prometheus-port or --no-prometheus"
			))
		})?;
		tokio::spawn(async move {
			if let Err(error) =
				substrate_prometheus_endpoint::init_prometheus(address, registry).await
			{
				tracing::error!("metrics endpoint stopped: {error}");
			}
		});
		tracing::info!("metrics on http://{address}/metrics");
	}
	spawn_telemetry(metrics.clone(), selected.nvml);
	// Residency rounds: bound now, so a taken port is an error at start; answers once the
	// dataset is sealed (below).
	let (rounds, endpoint) = match &round_config {
		Some(config) => {
			let server = RoundServer::start(config.listen, Some(metrics.clone())).await?;
			let endpoint = config.endpoint(server.local_addr())?;
			if !config.impostor.is_honest() {
				tracing::warn!(
					"answering rounds as a cheating device ({:?}): testing only",
					config.impostor
				);
				server.set_impostor(config.impostor);
			}
			tracing::info!("residency rounds served on {} as {endpoint}", server.local_addr());
			// From now on only the committees the chain names are served.
			server.set_open_rounds(Vec::new());
			(Some(Arc::new(server)), Some(endpoint))
		}
		None => (None, None),
	};
	let leases = match &market.lease {
		Some(service) => Some(Arc::new(service.start().await?)),
		None => None,
	};
	let stop = Arc::new(AtomicBool::new(false));
	stop_on_ctrl_c(stop.clone());
	let account = cli.account()?;
	let mut chain = Some(cli.connect().await?);
	let mut held: Option<Arc<Sealed>> = None;
	loop {
		let mut connected = match chain.take() {
			Some(chain) => chain,
			None => miner::connect_any(&cli.url).await,
		};
		connected.signing_lock_dir = cli.lock_dir();
		let miner = Miner {
			chain: connected,
			account: account.clone(),
			backend: backend.clone(),
			gpu: selected.clone(),
			seal_on: cli.seal_on,
			stop: stop.clone(),
			paths: cli.paths(),
			metrics: metrics.clone(),
			rounds: rounds.clone(),
			leases: leases.clone(),
			renew: market.renew,
		};
		let work = async {
			let device = match class {
				Some(class) => miner.register(class).await?,
				None => miner.registered_device().await?.ok_or_else(not_registered)?,
			};
			if let Some(info) = miner.device_info(device).await? {
				if let Ok(classes) = miner.classes().await {
					if let Some((_, class)) = classes.iter().find(|(id, _)| *id == info.class) {
						metrics.set_class(&String::from_utf8_lossy(&class.name));
					}
				}
			}
			// Round endpoint: the device and its key (the key signs every round's result).
			if let (Some(rounds), Some(endpoint)) = (&rounds, &endpoint) {
				rounds.set_device(device, keys::load(&miner.paths.device_key())?);
				miner.ensure_endpoint(device, endpoint).await?;
			}
			loop {
				// Handed over, not cloned: a re-seal must free the old dataset's device memory
				// before allocating the new one (two 64 GiB datasets do not fit an 80 GB card),
				// so the round endpoint lets go of it first.
				if let Some(rounds) = &rounds {
					rounds.set_dataset(None);
				}
				let data = miner.ensure_sealed(device, held.take()).await?;
				held = Some(data.clone());
				if let Some(rounds) = &rounds {
					rounds.set_dataset(Some(data.clone()));
				}
				miner.answer(device, &data).await?;
			}
		};
		let stopped = async {
			while !stop.load(std::sync::atomic::Ordering::Relaxed) {
				tokio::time::sleep(Duration::from_millis(100)).await;
			}
		};
		let result: Result<()> = tokio::select! {
			result = work => result,
			_ = stopped => {
				// A seal in progress sees the flag too and stops at its next chunk; dropping the
				// async runtime waits for its thread, so its finished lanes are on disk at exit.
				tracing::info!("stopped");
				return Ok(());
			}
		};
		match result {
			Err(error @ (Error::Rpc { .. } | Error::Connect { .. } | Error::Rejected(_))) => {
				tracing::warn!("{error}; reconnecting");
				tokio::time::sleep(Duration::from_secs(1)).await;
			}
			// A suspended device whose last challenge is still open cannot commit its new seal
			// until that challenge's deadline closes it (a few blocks): wait and try again.
			Err(Error::Dispatch { error, .. }) if error.contains("ChallengeOpen") => {
				tracing::warn!("a challenge of the device is still open; committing again shortly");
				tokio::time::sleep(Duration::from_secs(6)).await;
			}
			Err(Error::Stopped(reason)) => {
				tracing::info!("{reason}");
				return Ok(());
			}
			Err(error) => return Err(error),
			Ok(()) => {}
		}
	}
}

/// Polls NVML every 5 s for the GPU's temperature, power, memory and clock.
fn spawn_telemetry(metrics: Metrics, nvml_index: Option<u32>) {
	tokio::spawn(async move {
		let nvml = nvml_index.and_then(|_| nvml_wrapper::Nvml::init().ok());
		loop {
			if let (Some(nvml), Some(index)) = (&nvml, nvml_index) {
				metrics.record_gpu(nvml, index);
			}
			metrics.record_host();
			tokio::time::sleep(Duration::from_secs(5)).await;
		}
	});
}
