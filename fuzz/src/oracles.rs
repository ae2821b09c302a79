//! What must hold after every block, whatever the fuzzer did: every pallet's `try_state`,
//! total issuance equal to the sum of all balances, no event that reports a rule the runtime
//! could not carry out, no extrinsic slower than twice the weight it was charged, no block
//! slower than two seconds.

use ember_runtime::{AllPalletsWithSystem, BlockNumber, Runtime, RuntimeCall, RuntimeEvent};
use frame_support::traits::TryState;
use frame_try_runtime::TryStateSelect;
use std::{fmt, time::Duration};

/// Which oracles a run checks. Timing oracles are on in the fuzzer and the long run; the
/// seeded `cargo test` mode leaves them off by default, as timed tests flake on shared
/// machines (docs/benchmarks.md records the long run's figures instead).
#[derive(Clone, Copy, Debug)]
pub struct Oracles {
	/// Each extrinsic's measured time at most twice its charged weight.
	pub weights: bool,
	/// Each block's runtime time at most [`MAX_BLOCK_TIME`].
	pub block_time: bool,
}

impl Oracles {
	/// Every oracle.
	pub fn all() -> Self {
		Self { weights: true, block_time: true }
	}

	/// The state oracles only.
	pub fn state_only() -> Self {
		Self { weights: false, block_time: false }
	}
}

/// The longest a block's runtime work may take (a 6 s slot leaves the rest to the network).
pub const MAX_BLOCK_TIME: Duration = Duration::from_secs(2);

/// Why a run failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
	/// A pallet's `try_state` failed after `block`.
	TryState { block: BlockNumber, error: String },
	/// Total issuance is not the sum of the balances.
	Issuance { block: BlockNumber, total_issuance: u128, sum_of_balances: u128 },
	/// An event that reports a rule the runtime could not carry out.
	Event { block: BlockNumber, event: String },
	/// An extrinsic took more than twice the time its charged weight stands for.
	Overweight { call: String, nanos: u128, charged_ref_time: u64 },
	/// A block's runtime work took longer than [`MAX_BLOCK_TIME`].
	SlowBlock { block: BlockNumber, millis: u128 },
	/// The runtime rejected what a block builder must include (the timestamp inherent).
	Panicked(String),
	/// The fuzzer's own setup failed: a bug of the harness, not of the runtime.
	Setup(String),
}

impl Failure {
	pub(crate) fn setup(what: &str) -> Self {
		Failure::Setup(what.to_string())
	}
}

impl fmt::Display for Failure {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			Failure::TryState { block, error } => {
				write!(f, "try_state after block {block}: {error}")
			}
			Failure::Issuance { block, total_issuance, sum_of_balances } => write!(
				f,
				"after block {block}: total issuance {total_issuance} != sum of balances \
				 {sum_of_balances}"
			),
			Failure::Event { block, event } => write!(f, "block {block} deposited {event}"),
			Failure::Overweight { call, nanos, charged_ref_time } => write!(
				f,
				"{call} took {nanos} ns (least of 3), more than twice its charged weight of \
				 {charged_ref_time} ps"
			),
			Failure::SlowBlock { block, millis } => {
				write!(f, "block {block} took {millis} ms of runtime work")
			}
			Failure::Panicked(what) => write!(f, "{what}"),
			Failure::Setup(what) => write!(f, "fuzzer setup: {what}"),
		}
	}
}

/// The block's total charged ref-time so far.
pub fn block_ref_time() -> u64 {
	frame_system::BlockWeight::<Runtime>::get().total().ref_time()
}

/// `spent` is at most twice the `charged` ref-time (picoseconds).
pub fn within_weight(spent: Duration, charged: u64) -> bool {
	spent.as_nanos().saturating_mul(1_000) <= u128::from(charged).saturating_mul(2)
}

/// Whether `call`'s charged weight is the runtime's own: calls whose weight the caller names
/// (`sudo_unchecked_weight`, `with_weight`) are not held to it.
pub fn weight_is_charged(call: &RuntimeCall) -> bool {
	match call {
		RuntimeCall::Sudo(pallet_sudo::Call::sudo_unchecked_weight { .. })
		| RuntimeCall::Utility(pallet_utility::Call::with_weight { .. }) => false,
		RuntimeCall::Sudo(pallet_sudo::Call::sudo { call })
		| RuntimeCall::Sudo(pallet_sudo::Call::sudo_as { call, .. })
		| RuntimeCall::Utility(pallet_utility::Call::as_derivative { call, .. })
		| RuntimeCall::Utility(pallet_utility::Call::dispatch_as { call, .. })
		| RuntimeCall::Utility(pallet_utility::Call::dispatch_as_fallible { call, .. }) => {
			weight_is_charged(call)
		}
		RuntimeCall::Utility(pallet_utility::Call::batch { calls })
		| RuntimeCall::Utility(pallet_utility::Call::batch_all { calls })
		| RuntimeCall::Utility(pallet_utility::Call::force_batch { calls }) => {
			calls.iter().all(weight_is_charged)
		}
		RuntimeCall::Utility(pallet_utility::Call::if_else { main, fallback }) => {
			weight_is_charged(main) && weight_is_charged(fallback)
		}
		_ => true,
	}
}

/// Whether the last `Sudid` event of the block reports success.
pub fn sudo_succeeded() -> bool {
	frame_system::Pallet::<Runtime>::read_events_no_consensus()
		.filter_map(|record| match record.event {
			RuntimeEvent::Sudo(pallet_sudo::Event::Sudid { sudo_result }) => Some(sudo_result),
			_ => None,
		})
		.last()
		.is_some_and(|result| result.is_ok())
}

/// Runs the oracles on the block just finalized.
pub fn after_block(oracles: &Oracles, block: BlockNumber, spent: Duration) -> Result<(), Failure> {
	<AllPalletsWithSystem as TryState<BlockNumber>>::try_state(block, TryStateSelect::All)
		.map_err(|error| Failure::TryState { block, error: format!("{error:?}") })?;

	let total_issuance = pallet_balances::TotalIssuance::<Runtime>::get();
	let sum_of_balances = frame_system::Account::<Runtime>::iter_values()
		.fold(0u128, |sum, account| {
			sum.saturating_add(account.data.free).saturating_add(account.data.reserved)
		});
	if total_issuance != sum_of_balances {
		return Err(Failure::Issuance { block, total_issuance, sum_of_balances });
	}

	for record in frame_system::Pallet::<Runtime>::read_events_no_consensus() {
		let failed = matches!(
			record.event,
			RuntimeEvent::ComputePools(pallet_compute_pools::Event::FaultNotHandled { .. })
				| RuntimeEvent::Slashing(pallet_slashing::Event::SlashFailed { .. })
				| RuntimeEvent::Slashing(pallet_slashing::Event::OffenceNotScheduled { .. })
		);
		if failed {
			return Err(Failure::Event { block, event: format!("{:?}", record.event) });
		}
	}

	if oracles.block_time && spent > MAX_BLOCK_TIME {
		return Err(Failure::SlowBlock { block, millis: spent.as_millis() });
	}
	Ok(())
}
