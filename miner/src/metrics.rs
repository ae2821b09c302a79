//! Prometheus metrics, served at `/metrics` on `--prometheus-port` (127.0.0.1 unless
//! `--prometheus-external`). Every series carries `device` (the PCI address or UUID, `cpu` for
//! the CPU backend), `backend` and `class` labels, so several miners on one host (one per GPU)
//! can share one scrape config.

use crate::dataset::Sealed;
use std::sync::{Arc, RwLock};
use substrate_prometheus_endpoint::{
	register, CounterVec, GaugeVec, HistogramOpts, HistogramVec, Opts, PrometheusError, Registry,
	F64, U64,
};

const LABELS: [&str; 3] = ["device", "backend", "class"];

/// The miner's metrics.
#[derive(Clone)]
pub struct Metrics {
	inner: Arc<Inner>,
}

struct Inner {
	labels: RwLock<[String; 3]>,
	received: CounterVec<U64>,
	answered: CounterVec<U64>,
	missed: CounterVec<U64>,
	response_seconds: HistogramVec,
	answer_latency_blocks: GaugeVec<U64>,
	last_answer: GaugeVec<F64>,
	seal_progress: GaugeVec<F64>,
	hashrate: GaugeVec<F64>,
	device_bytes: GaugeVec<U64>,
	host_tree_bytes: GaugeVec<U64>,
	host_resident_bytes: GaugeVec<U64>,
	gpu_temperature: GaugeVec<U64>,
	gpu_power: GaugeVec<F64>,
	gpu_memory_used: GaugeVec<U64>,
	gpu_sm_clock: GaugeVec<U64>,
	rounds_served: CounterVec<U64>,
	round_walk_ms: GaugeVec<F64>,
}

macro_rules! labelled {
	(@get $self:ident, $field:ident) => {{
		let [device, backend, class] =
			$self.inner.labels.read().map(|l| l.clone()).unwrap_or_default();
		$self.inner.$field.with_label_values(&[&device, &backend, &class])
	}};
	($name:ident, $field:ident, $ty:ty) => {
		#[doc = concat!("The `", stringify!($field), "` series for this miner's labels.")]
		pub fn $name(&self) -> $ty {
			labelled!(@get self, $field)
		}
	};
}

impl Metrics {
	/// Registers every metric in `registry`, labelled with `device` and `backend` (the class
	/// label is set by [`Metrics::set_class`] once the chain says it).
	pub fn register(
		registry: &Registry,
		device: &str,
		backend: &str,
	) -> Result<Self, PrometheusError> {
		let counter = |name: &str, help: &str| {
			register(CounterVec::new(Opts::new(name, help), &LABELS)?, registry)
		};
		let gauge_u = |name: &str, help: &str| {
			register(GaugeVec::<U64>::new(Opts::new(name, help), &LABELS)?, registry)
		};
		let gauge_f = |name: &str, help: &str| {
			register(GaugeVec::<F64>::new(Opts::new(name, help), &LABELS)?, registry)
		};
		Ok(Metrics {
			inner: Arc::new(Inner {
				labels: RwLock::new([device.into(), backend.into(), String::new()]),
				received: counter("ember_miner_challenges_received_total", "Challenges seen open")?,
				answered: counter(
					"ember_miner_challenges_answered_total",
					"Challenges answered (finalized)",
				)?,
				missed: counter(
					"ember_miner_challenges_missed_total",
					"Challenges missed or failed (finalized)",
				)?,
				response_seconds: register(
					HistogramVec::new(
						HistogramOpts::new(
							"ember_miner_response_seconds",
							"Seconds from seeing a challenge to the node accepting the answer",
						)
						.buckets(vec![0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0]),
						&LABELS,
					)?,
					registry,
				)?,
				answer_latency_blocks: gauge_u(
					"ember_miner_answer_latency_blocks",
					"Blocks between a challenge opening and its answer (last answer)",
				)?,
				last_answer: gauge_f(
					"ember_miner_last_answer_timestamp_seconds",
					"Unix time of the last answer the node accepted",
				)?,
				seal_progress: gauge_f(
					"ember_miner_seal_progress",
					"Fraction of the current seal done",
				)?,
				hashrate: gauge_f(
					"ember_miner_hashrate",
					"SHA-256 compressions per second of the last seal",
				)?,
				device_bytes: gauge_u(
					"ember_miner_dataset_device_bytes",
					"Bytes of the dataset held in device memory (RAM for the CPU backend)",
				)?,
				host_tree_bytes: gauge_u(
					"ember_miner_tree_host_bytes",
					"Bytes of the Merkle tree held on the host",
				)?,
				host_resident_bytes: gauge_u(
					"ember_miner_host_resident_bytes",
					"The miner process's resident set size",
				)?,
				gpu_temperature: gauge_u(
					"ember_miner_gpu_temperature_celsius",
					"GPU temperature (NVML)",
				)?,
				gpu_power: gauge_f("ember_miner_gpu_power_watts", "GPU power draw (NVML)")?,
				gpu_memory_used: gauge_u(
					"ember_miner_gpu_memory_used_bytes",
					"GPU memory in use by all processes (NVML)",
				)?,
				gpu_sm_clock: gauge_u("ember_miner_gpu_sm_clock_mhz", "GPU SM clock (NVML)")?,
				rounds_served: counter(
					"ember_miner_rounds_served_total",
					"Residency rounds run and signed for verifiers",
				)?,
				round_walk_ms: gauge_f(
					"ember_miner_round_walk_milliseconds",
					"Milliseconds the last residency round's walks took on the device",
				)?,
			}),
		})
	}

	/// Sets the `class` label, dropping the series recorded under the previous one so a scrape
	/// never sees a stale copy.
	pub fn set_class(&self, class: &str) {
		let Ok(mut labels) = self.inner.labels.write() else { return };
		let [device, backend, old] = labels.clone();
		if old == class {
			return;
		}
		let old = [device.as_str(), backend.as_str(), old.as_str()];
		let inner = &self.inner;
		let _ = inner.received.remove_label_values(&old);
		let _ = inner.answered.remove_label_values(&old);
		let _ = inner.missed.remove_label_values(&old);
		let _ = inner.response_seconds.remove_label_values(&old);
		let _ = inner.rounds_served.remove_label_values(&old);
		for gauge in [
			&inner.answer_latency_blocks,
			&inner.device_bytes,
			&inner.host_tree_bytes,
			&inner.host_resident_bytes,
			&inner.gpu_temperature,
			&inner.gpu_memory_used,
			&inner.gpu_sm_clock,
		] {
			let _ = gauge.remove_label_values(&old);
		}
		for gauge in [
			&inner.last_answer,
			&inner.seal_progress,
			&inner.hashrate,
			&inner.gpu_power,
			&inner.round_walk_ms,
		] {
			let _ = gauge.remove_label_values(&old);
		}
		labels[2] = class.into();
	}

	labelled!(received, received, substrate_prometheus_endpoint::Counter<U64>);
	labelled!(answered, answered, substrate_prometheus_endpoint::Counter<U64>);
	labelled!(missed, missed, substrate_prometheus_endpoint::Counter<U64>);
	labelled!(response_seconds, response_seconds, substrate_prometheus_endpoint::Histogram);
	labelled!(
		answer_latency_blocks,
		answer_latency_blocks,
		substrate_prometheus_endpoint::Gauge<U64>
	);
	labelled!(last_answer, last_answer, substrate_prometheus_endpoint::Gauge<F64>);
	labelled!(seal_progress, seal_progress, substrate_prometheus_endpoint::Gauge<F64>);
	labelled!(hashrate, hashrate, substrate_prometheus_endpoint::Gauge<F64>);
	labelled!(rounds_served, rounds_served, substrate_prometheus_endpoint::Counter<U64>);
	labelled!(round_walk_ms, round_walk_ms, substrate_prometheus_endpoint::Gauge<F64>);

	/// Records where a dataset's memory is: on the device, and the host's tree.
	pub fn record_memory(&self, data: &Sealed) {
		labelled!(@get self, device_bytes).set(data.device_bytes());
		labelled!(@get self, host_tree_bytes).set(data.host_tree_bytes());
		self.record_host();
	}

	/// Records this process's resident set size.
	pub fn record_host(&self) {
		if let Some(bytes) = resident_set_bytes() {
			labelled!(@get self, host_resident_bytes).set(bytes);
		}
	}

	/// Reads NVML telemetry for GPU `index` (NVML numbering) into the GPU gauges.
	pub fn record_gpu(&self, nvml: &nvml_wrapper::Nvml, index: u32) {
		use nvml_wrapper::enum_wrappers::device::{Clock, TemperatureSensor};
		let Ok(device) = nvml.device_by_index(index) else { return };
		if let Ok(celsius) = device.temperature(TemperatureSensor::Gpu) {
			labelled!(@get self, gpu_temperature).set(u64::from(celsius));
		}
		if let Ok(milliwatts) = device.power_usage() {
			labelled!(@get self, gpu_power).set(f64::from(milliwatts) / 1e3);
		}
		if let Ok(memory) = device.memory_info() {
			labelled!(@get self, gpu_memory_used).set(memory.used);
		}
		if let Ok(mhz) = device.clock_info(Clock::SM) {
			labelled!(@get self, gpu_sm_clock).set(u64::from(mhz));
		}
	}
}

/// This process's resident set size (`VmRSS`), where /proc says it.
pub fn resident_set_bytes() -> Option<u64> {
	let status = std::fs::read_to_string("/proc/self/status").ok()?;
	let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
	let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
	Some(kib * 1024)
}
