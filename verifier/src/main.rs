//! `ember-verifier`: bonds as a verifier, follows the chain for its round assignments, runs
//! each round against the device's endpoint (timing challenge → signed result, then auditing
//! segments off chain) and posts its verdicts. docs/verifier.md explains it.

mod metrics;
mod probe;
mod verifier;

use clap::Parser;
use ember_miner::{chain::Chain, keys};
use std::{
	net::{Ipv4Addr, SocketAddr},
	sync::{
		atomic::{AtomicBool, Ordering},
		Arc,
	},
	time::Duration,
};

/// Ember verifier.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
	/// The node's WebSocket RPC URL.
	#[arg(long, default_value = "ws://127.0.0.1:9944")]
	url: String,
	/// The verifier account's secret URI (e.g. //Charlie on a dev chain); or --key-file.
	#[arg(long, conflicts_with = "key_file")]
	suri: Option<String>,
	/// The verifier account's key file (`ember-miner key generate` writes one).
	#[arg(long)]
	key_file: Option<std::path::PathBuf>,
	/// The bond to register with if the account is not a verifier yet, in planck.
	#[arg(long, default_value_t = 1_000_000_000_000_000)]
	bond: u128,
	/// Seconds to wait for a device's endpoint before failing it as unreachable.
	#[arg(long, default_value_t = 30)]
	timeout: u64,
	/// Serve Prometheus metrics on this port (127.0.0.1).
	#[arg(long, default_value_t = 9617)]
	prometheus_port: u16,
	/// Do not serve metrics.
	#[arg(long)]
	no_prometheus: bool,
	/// Testing only: pass devices that answer in time without auditing them (a lazy verifier;
	/// on-chain audits slash it).
	#[arg(long, hide = true)]
	unsafe_skip_audit: bool,
	/// Log filter (tracing's env-filter syntax).
	#[arg(long, default_value = "info")]
	log: String,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
	let cli = Cli::parse();
	tracing_subscriber::fmt()
		.with_env_filter(tracing_subscriber::EnvFilter::new(&cli.log))
		.with_writer(std::io::stderr)
		.init();
	match run(cli).await {
		Ok(()) => std::process::ExitCode::SUCCESS,
		Err(e) => {
			tracing::error!("{e}");
			std::process::ExitCode::FAILURE
		}
	}
}

async fn run(cli: Cli) -> Result<(), ember_miner::error::Error> {
	let key = match (&cli.suri, &cli.key_file) {
		(Some(suri), _) => keys::from_suri(suri)?,
		(None, Some(path)) => keys::load(path)?,
		(None, None) => {
			return Err(ember_miner::error::Error::Key(
				"no account: pass --suri (e.g. //Charlie on a dev chain) or --key-file".into(),
			))
		}
	};
	let metrics = if cli.no_prometheus {
		None
	} else {
		let registry = substrate_prometheus_endpoint::Registry::new();
		let metrics = metrics::Metrics::register(&registry)
			.map_err(|e| ember_miner::error::Error::State(format!("metrics: {e}")))?;
		let address = SocketAddr::from((Ipv4Addr::LOCALHOST, cli.prometheus_port));
		std::net::TcpListener::bind(address).map_err(|e| {
			ember_miner::error::Error::State(format!(
				"cannot serve metrics on {address}: {e}; pass --prometheus-port or --no-prometheus"
			))
		})?;
		tokio::spawn(async move {
			if let Err(e) = substrate_prometheus_endpoint::init_prometheus(address, registry).await
			{
				tracing::error!("metrics endpoint stopped: {e}");
			}
		});
		tracing::info!("metrics on http://{address}/metrics");
		Some(metrics)
	};
	let stop = Arc::new(AtomicBool::new(false));
	{
		let stop = stop.clone();
		tokio::spawn(async move {
			if tokio::signal::ctrl_c().await.is_ok() {
				stop.store(true, Ordering::Relaxed);
				tracing::info!("stopping after the current block");
			}
		});
	}
	let mut first = true;
	loop {
		let chain = match Chain::connect(&cli.url).await {
			Ok(chain) => chain,
			Err(e) if first => return Err(e),
			Err(e) => {
				tracing::warn!("{e}; retrying in 5 s");
				tokio::time::sleep(Duration::from_secs(5)).await;
				continue;
			}
		};
		let verifier = verifier::Verifier {
			chain,
			key: key.clone(),
			bond: cli.bond,
			timeout: Duration::from_secs(cli.timeout),
			metrics: metrics.clone(),
			skip_audit: cli.unsafe_skip_audit,
		};
		if first {
			verifier.ensure_registered().await?;
			first = false;
		}
		match verifier.run(&stop).await {
			Ok(()) => return Ok(()),
			// A lost node is reconnected; anything else (expelled, a refused bond) ends the run.
			Err(
				e @ (ember_miner::error::Error::Rpc { .. }
				| ember_miner::error::Error::Connect { .. }),
			) => {
				tracing::warn!("{e}; reconnecting");
				tokio::time::sleep(Duration::from_secs(2)).await;
			}
			Err(e) => return Err(e),
		}
	}
}
