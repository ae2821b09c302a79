//! The verifier's loop: bond if needed, follow new blocks, run each assigned round once, post
//! the verdicts (at least one post per round, so an idle round is not a missed one).

use crate::{metrics::Metrics, probe};
use ember_miner::{chain::Chain, error::Error};
use ember_runtime::{AccountId, RuntimeCall};
use futures::StreamExt;
use pallet_verifiers::{Assignment, FailReason, RoundIndex, Verdict, VerdictsOf};
use sp_core::{crypto::Ss58Codec, sr25519, Pair};
use std::{collections::HashSet, time::Duration};

/// What the loop needs.
pub struct Verifier {
	pub chain: Chain,
	pub key: sr25519::Pair,
	pub bond: u128,
	pub timeout: Duration,
	pub metrics: Option<Metrics>,
	/// Testing only: pass every device that answers in time without auditing it (a lazy
	/// verifier, which on-chain audits slash).
	pub skip_audit: bool,
}

type Result<T> = std::result::Result<T, Error>;

/// Rounds a verifier runs at once: each waits mostly on its device.
const CONCURRENT_ROUNDS: usize = 64;

/// Verdicts per `post_verdicts` (below the runtime's `MaxVerdicts`).
const VERDICTS_PER_CALL: usize = 1_000;

impl Verifier {
	fn account(&self) -> AccountId {
		AccountId::from(self.key.public().0)
	}

	/// Bonds `bond` unless the account is a verifier already.
	pub async fn ensure_registered(&self) -> Result<()> {
		let key =
			pallet_verifiers::Registered::<ember_runtime::Runtime>::hashed_key_for(self.account());
		let info: Option<pallet_verifiers::VerifierInfoOf<ember_runtime::Runtime>> =
			self.chain.storage(&key, None).await?;
		match info {
			Some(info) if info.unbonds_at.is_none() => {
				tracing::info!(
					"verifier {} bonded with {}",
					self.account().to_ss58check(),
					info.bond
				);
				Ok(())
			}
			Some(_) => Err(Error::State(
				"this account left the verifier set; withdraw its bond and register again".into(),
			)),
			None => {
				let call = RuntimeCall::Verifiers(pallet_verifiers::Call::register_verifier {
					bond: self.bond,
				});
				self.chain.submit_and_watch(&self.key, call, "verifiers.registerVerifier").await?;
				tracing::info!(
					"verifier {} registered, bond {}",
					self.account().to_ss58check(),
					self.bond
				);
				Ok(())
			}
		}
	}

	/// Fails once this account is no longer in the verifier set (it left, or slashes took its
	/// bond below the minimum): it would get no assignments, and should not look alive.
	async fn check_still_verifying(&self) -> Result<()> {
		let key =
			pallet_verifiers::Registered::<ember_runtime::Runtime>::hashed_key_for(self.account());
		let info: Option<pallet_verifiers::VerifierInfoOf<ember_runtime::Runtime>> =
			self.chain.storage(&key, None).await?;
		match info {
			Some(info) if info.unbonds_at.is_none() => Ok(()),
			Some(info) => Err(Error::State(format!(
				"this account is out of the verifier set (bond {} left, unbonds at block {:?}): \
				 withdraw it with verifiers.withdrawBond once unbonded and register again",
				info.bond, info.unbonds_at
			))),
			None => Err(Error::State("this account is not a verifier any more".into())),
		}
	}

	/// Runs until the node goes away (the caller reconnects) or `stop` is set.
	pub async fn run(&self, stop: &std::sync::atomic::AtomicBool) -> Result<()> {
		let mut heads = self.chain.subscribe_heads(false).await?;
		let mut done: HashSet<(RoundIndex, u64)> = HashSet::new();
		let mut posted_rounds: HashSet<RoundIndex> = HashSet::new();
		while let Some(head) = heads.next().await {
			if stop.load(std::sync::atomic::Ordering::Relaxed) {
				return Ok(());
			}
			head.map_err(|e| Error::Rpc {
				method: "chain_subscribeNewHeads".into(),
				reason: e.to_string(),
			})?;
			let (round, _seed): (RoundIndex, [u8; 32]) =
				self.chain.runtime_api("VerifiersApi_current_round", (), None).await?;
			if let Some(m) = &self.metrics {
				m.round.set(u64::from(round));
			}
			if round == 0 {
				continue;
			}
			if !posted_rounds.contains(&round) {
				self.check_still_verifying().await?;
				// Present at once, before any device is tested: the chain counts a verifier of
				// the round that posts nothing in it as missing it, and a round's tests may not
				// finish before it closes.
				self.post(round, Vec::new()).await?;
				posted_rounds.insert(round);
				posted_rounds.retain(|r| r.saturating_add(2) > round);
			}
			let assignments: Vec<Assignment> =
				self.chain.runtime_api("VerifiersApi_assignments", self.account(), None).await?;
			let fresh: Vec<Assignment> =
				assignments.into_iter().filter(|a| !done.contains(&(a.round, a.device))).collect();
			let mut by_round: std::collections::BTreeMap<RoundIndex, Vec<(u64, Verdict)>> =
				Default::default();
			// All at once (up to CONCURRENT_ROUNDS): a slow or unreachable device must not hold
			// up the others until their round has closed.
			let outcomes: Vec<(&Assignment, probe::Outcome)> = futures::stream::iter(&fresh)
				.map(|assignment| async move {
					let outcome =
						probe::run_round(assignment, &self.key, self.timeout, self.skip_audit)
							.await;
					(assignment, outcome)
				})
				.buffer_unordered(CONCURRENT_ROUNDS)
				.collect()
				.await;
			for (assignment, outcome) in outcomes {
				done.insert((assignment.round, assignment.device));
				self.record(assignment, &outcome);
				by_round
					.entry(assignment.round)
					.or_default()
					.push((assignment.device, outcome.verdict));
			}
			for (id, verdicts) in by_round {
				for chunk in verdicts.chunks(VERDICTS_PER_CALL) {
					self.post(id, chunk.to_vec()).await?;
				}
			}
			done.retain(|(r, _)| *r == round || r & pallet_verifiers::RETEST != 0);
		}
		Err(Error::Rpc {
			method: "chain_subscribeNewHeads".into(),
			reason: "the node closed the subscription".into(),
		})
	}

	/// Posts `verdicts` of round `id`. A call the chain refuses (the round closed while its
	/// devices were tested, a device left) is logged and the loop goes on.
	async fn post(&self, id: RoundIndex, verdicts: Vec<(u64, Verdict)>) -> Result<()> {
		let count = verdicts.len();
		let verdicts: VerdictsOf<ember_runtime::Runtime> =
			verdicts.try_into().map_err(|_| Error::State("too many verdicts".into()))?;
		let call =
			RuntimeCall::Verifiers(pallet_verifiers::Call::post_verdicts { round: id, verdicts });
		match self.chain.submit_and_watch(&self.key, call, "verifiers.postVerdicts").await {
			Ok(_) => {
				tracing::info!("round {id}: posted {count} verdicts");
				if let Some(m) = &self.metrics {
					m.posts.inc();
				}
				Ok(())
			}
			Err(Error::Dispatch { error, .. }) => {
				tracing::warn!("round {id}: verdicts refused: {error}");
				Ok(())
			}
			Err(e) => Err(e),
		}
	}

	fn record(&self, assignment: &Assignment, outcome: &probe::Outcome) {
		let verdict = match outcome.verdict {
			Verdict::Pass { .. } => "pass",
			Verdict::Fail(FailReason::Late) => "late",
			Verdict::Fail(FailReason::BadAudit) => "bad_audit",
			Verdict::Fail(FailReason::BadSignature) => "bad_signature",
			Verdict::Fail(FailReason::Unreachable) => "unreachable",
		};
		let ms = outcome.round_trip.map(|d| d.as_secs_f64() * 1000.0);
		match &outcome.verdict {
			Verdict::Pass { .. } => tracing::info!(
				"round {} device {}: pass in {:.1} ms",
				assignment.round,
				assignment.device,
				ms.unwrap_or_default()
			),
			Verdict::Fail(_) => tracing::warn!(
				"round {} device {}: {verdict} ({})",
				assignment.round,
				assignment.device,
				outcome.detail
			),
		}
		if let Some(m) = &self.metrics {
			m.rounds.with_label_values(&[verdict]).inc();
			if let Some(ms) = ms {
				m.round_trip_ms.with_label_values(&[&assignment.device.to_string()]).set(ms);
			}
		}
	}
}
