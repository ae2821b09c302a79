//! Prometheus metrics, served at `/metrics` on `--prometheus-port`.

use substrate_prometheus_endpoint::{
	register, Counter, Gauge, Histogram, HistogramOpts, PrometheusError, Registry, F64, U64,
};

/// The miner's metrics.
#[derive(Clone)]
pub struct Metrics {
	/// Challenges seen open for this device.
	pub received: Counter<U64>,
	/// Challenges answered with a valid proof, as recorded in finalized blocks.
	pub answered: Counter<U64>,
	/// Challenges missed or failed, as recorded in finalized blocks.
	pub missed: Counter<U64>,
	/// Seconds from seeing a challenge to the node accepting the answer.
	pub response_seconds: Histogram,
	/// Blocks between a challenge opening and its answer, for the last answer.
	pub answer_latency_blocks: Gauge<U64>,
	/// Fraction of the current seal done (1 when sealed).
	pub seal_progress: Gauge<F64>,
	/// SHA-256 compressions per second of the last seal.
	pub hashrate: Gauge<F64>,
}

impl Metrics {
	/// Registers every metric in `registry`.
	pub fn register(registry: &Registry) -> Result<Self, PrometheusError> {
		Ok(Metrics {
			received: register(
				Counter::new("ember_miner_challenges_received_total", "Challenges seen open")?,
				registry,
			)?,
			answered: register(
				Counter::new(
					"ember_miner_challenges_answered_total",
					"Challenges answered (finalized)",
				)?,
				registry,
			)?,
			missed: register(
				Counter::new(
					"ember_miner_challenges_missed_total",
					"Challenges missed or failed (finalized)",
				)?,
				registry,
			)?,
			response_seconds: register(
				Histogram::with_opts(
					HistogramOpts::new(
						"ember_miner_response_seconds",
						"Seconds from seeing a challenge to the node accepting the answer",
					)
					.buckets(vec![0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0]),
				)?,
				registry,
			)?,
			answer_latency_blocks: register(
				Gauge::new(
					"ember_miner_answer_latency_blocks",
					"Blocks between a challenge opening and its answer (last answer)",
				)?,
				registry,
			)?,
			seal_progress: register(
				Gauge::new("ember_miner_seal_progress", "Fraction of the current seal done")?,
				registry,
			)?,
			hashrate: register(
				Gauge::new(
					"ember_miner_hashrate",
					"SHA-256 compressions per second of the last seal",
				)?,
				registry,
			)?,
		})
	}
}
