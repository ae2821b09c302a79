//! Prometheus metrics, served at `/metrics` on `--prometheus-port`.

use substrate_prometheus_endpoint::{
	register, CounterVec, Gauge, GaugeVec, Opts, PrometheusError, Registry, F64, U64,
};

/// The verifier's metrics.
#[derive(Clone)]
pub struct Metrics {
	/// Rounds run, by verdict (`pass`, `late`, `bad_audit`, `bad_signature`, `unreachable`).
	pub rounds: CounterVec<U64>,
	/// The last round trip (challenge sent → signed result) per device, in milliseconds.
	pub round_trip_ms: GaugeVec<F64>,
	/// Verdict extrinsics posted.
	pub posts: Gauge<U64>,
	/// The round the verifier last saw open.
	pub round: Gauge<U64>,
}

impl Metrics {
	/// Registers every metric in `registry`.
	pub fn register(registry: &Registry) -> Result<Self, PrometheusError> {
		Ok(Metrics {
			rounds: register(
				CounterVec::new(
					Opts::new("ember_verifier_rounds_total", "Residency rounds run, by verdict"),
					&["verdict"],
				)?,
				registry,
			)?,
			round_trip_ms: register(
				GaugeVec::new(
					Opts::new(
						"ember_verifier_round_trip_ms",
						"Last round trip from challenge sent to signed result, per device",
					),
					&["device"],
				)?,
				registry,
			)?,
			posts: register(
				Gauge::new("ember_verifier_verdict_posts", "Verdict extrinsics posted")?,
				registry,
			)?,
			round: register(Gauge::new("ember_verifier_round", "The open round")?, registry)?,
		})
	}
}
