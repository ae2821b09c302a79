//! The miner in the compute market: staking its device's hours, claiming them, renewing while
//! healthy, and serving the leases clients redeem on it (with [`LeaseDesk`]).

use crate::{
	error::{Error, Result},
	keys,
	lease_desk::{LeaseDesk, Served},
	miner::{format_emb, Miner},
	sealed_box,
};
use ember_primitives::{DeviceId, DeviceStatus};
use ember_runtime::{AccountId, BlockNumber, Runtime, RuntimeCall, RuntimeEvent};
use pallet_compute_pools::{
	Delivery, DeliveryState, LeaseId, LeaseOf, PoolParameters, Stake, StakeId, StakeOffer,
};
use sp_core::{crypto::Ss58Codec, Pair, H256};
use std::collections::BTreeMap;

/// Blocks to wait for a posted transaction to show on chain before posting it again.
const REPOST_AFTER: BlockNumber = 3;

/// When `run` renews the device's stake: in its last epoch, while the device is `Active`, for
/// at most (a provider) or at least (a remover) `limit` planck.
#[derive(Clone, Copy, Debug)]
pub struct RenewPolicy {
	/// The most EMB a provider adds, or the least a remover receives.
	pub limit: u128,
}

/// What the run loop remembers between blocks about the market.
#[derive(Default)]
pub struct MarketFollow {
	/// Leases whose connection details were posted, and when.
	posted: BTreeMap<LeaseId, BlockNumber>,
	/// Reports answered: the report's block, and when the answer was posted.
	answered: BTreeMap<LeaseId, (BlockNumber, BlockNumber)>,
	/// Reports with no heartbeat to answer them (warned once).
	unanswerable: BTreeMap<LeaseId, BlockNumber>,
	/// Leases whose endpoint the hook failed to prepare, and when.
	start_failed: BTreeMap<LeaseId, BlockNumber>,
	/// The epoch the stake was last renewed in.
	renewed: Option<u32>,
}

/// The pool epoch block `number` lies in.
pub fn epoch_of(number: BlockNumber) -> u32 {
	number / ember_runtime::configs::PoolEpoch::get().max(1)
}

impl Miner {
	/// The stake `device` backs, if any.
	pub async fn device_stake(
		&self,
		device: DeviceId,
	) -> Result<Option<(StakeId, Stake<AccountId>)>> {
		self.chain.runtime_api("ComputePoolsApi_device_stake", device, None).await
	}

	/// The pool parameters and the shortest viable stake (epochs).
	pub async fn pool_parameters(&self) -> Result<(PoolParameters, u32)> {
		self.chain.runtime_api("ComputePoolsApi_parameters", (), None).await
	}

	/// Stakes `hours` of `device` for `epochs` epochs (the shortest viable stake and the most
	/// hours it allows when not given).
	pub async fn stake(
		&self,
		device: DeviceId,
		hours: Option<u64>,
		epochs: Option<u32>,
		offer: StakeOffer,
	) -> Result<StakeId> {
		if self.status(device).await? != Some(DeviceStatus::Active) {
			return Err(Error::State(format!(
				"device {device} is not Active yet: run `ember-miner run` until its first \
				 challenge is answered, then stake"
			)));
		}
		if let Some((id, stake)) = self.device_stake(device).await? {
			return Err(Error::State(format!(
				"device {device} already backs stake {id} (until epoch {}): claim it after it \
				 expires (`ember-miner claim`) before staking again",
				stake.end
			)));
		}
		let (_, min_epochs) = self.pool_parameters().await?;
		let epochs = epochs.unwrap_or(min_epochs);
		let per_epoch = u64::from(ember_runtime::configs::PoolEpoch::get())
			/ u64::from(ember_runtime::configs::BlocksPerHour::get()).max(1);
		let hours = hours.unwrap_or(per_epoch.saturating_mul(epochs.into()));
		let call = RuntimeCall::ComputePools(pallet_compute_pools::Call::stake {
			device,
			hours,
			epochs,
			offer,
		});
		let (_, events) =
			self.chain.submit_and_watch(&self.account, call, "computePools.stake").await?;
		events
			.iter()
			.find_map(|event| match event {
				RuntimeEvent::ComputePools(pallet_compute_pools::Event::Staked {
					stake,
					end,
					emb,
					fee_burned,
					..
				}) => {
					tracing::info!(
						"staked {hours} hours of device {device} as stake {stake} until epoch {end} \
						 ({} moved, {} fee burned)",
						format_emb(*emb),
						format_emb(*fee_burned)
					);
					Some(*stake)
				}
				_ => None,
			})
			.ok_or_else(|| Error::State("computePools.stake emitted no Staked".into()))
	}

	/// Claims the device's expired stake; returns what was paid and rewarded.
	pub async fn claim(&self, device: DeviceId) -> Result<(u128, u128)> {
		let (id, stake) = self.device_stake(device).await?.ok_or_else(|| {
			Error::State(format!("device {device} backs no stake: nothing to claim"))
		})?;
		let best = self.chain.best_header().await?.number;
		if stake.end > epoch_of(best) {
			return Err(Error::State(format!(
				"stake {id} runs until epoch {} (now {}): claim it after it expires",
				stake.end,
				epoch_of(best)
			)));
		}
		let call = RuntimeCall::ComputePools(pallet_compute_pools::Call::claim_stake { stake: id });
		let (_, events) =
			self.chain.submit_and_watch(&self.account, call, "computePools.claimStake").await?;
		events
			.iter()
			.find_map(|event| match event {
				RuntimeEvent::ComputePools(pallet_compute_pools::Event::StakeClaimed {
					paid,
					reward,
					..
				}) => Some((*paid, *reward)),
				_ => None,
			})
			.ok_or_else(|| Error::State("computePools.claimStake emitted no StakeClaimed".into()))
	}

	/// Each best block: renews the stake in its last epoch (with a policy), and serves the
	/// device's lease (with a lease desk).
	pub(crate) async fn follow_market(
		&self,
		device: DeviceId,
		header: &ember_runtime::Header,
		follow: &mut MarketFollow,
	) -> Result<()> {
		let (at, number) = (header.hash(), header.number);
		// Independent: a renewal the pool refuses must not stop the leases being served.
		let renewed = match self.renew {
			Some(policy) => self.renew_if_due(device, at, number, policy, follow).await,
			None => Ok(()),
		};
		let served = match &self.leases {
			Some(desk) => self.serve_lease(device, at, number, desk, follow).await,
			None => Ok(()),
		};
		if let Err(error) = renewed {
			if served.is_err() {
				tracing::warn!("renewing the stake: {error}");
			} else {
				return Err(error);
			}
		}
		served
	}

	async fn renew_if_due(
		&self,
		device: DeviceId,
		at: H256,
		number: BlockNumber,
		policy: RenewPolicy,
		follow: &mut MarketFollow,
	) -> Result<()> {
		let epoch = epoch_of(number);
		if follow.renewed == Some(epoch) {
			return Ok(());
		}
		let stake: Option<(StakeId, Stake<AccountId>)> =
			self.chain.runtime_api("ComputePoolsApi_device_stake", device, Some(at)).await?;
		let Some((id, stake)) = stake else { return Ok(()) };
		// Only in the last epoch, and only while healthy: a suspended device must re-seal first.
		if stake.end != epoch.saturating_add(1) {
			return Ok(());
		}
		let status: Option<DeviceStatus> =
			self.chain.runtime_api("PocpsApi_device_status", device, Some(at)).await?;
		if status != Some(DeviceStatus::Active) {
			return Ok(());
		}
		let call = RuntimeCall::ComputePools(pallet_compute_pools::Call::renew_stake {
			stake: id,
			limit: policy.limit,
		});
		self.chain.sign_and_submit(&self.account, call).await?;
		follow.renewed = Some(epoch);
		tracing::info!(
			"renewing stake {id} in its last epoch ({epoch}) to epoch {}",
			stake.end + 1
		);
		Ok(())
	}

	async fn serve_lease(
		&self,
		device: DeviceId,
		at: H256,
		number: BlockNumber,
		desk: &LeaseDesk,
		follow: &mut MarketFollow,
	) -> Result<()> {
		desk.set_chain(self.chain.genesis, number);
		let lease: Option<(LeaseId, LeaseOf<Runtime>)> =
			self.chain.runtime_api("ComputePoolsApi_device_lease", device, Some(at)).await?;
		// A lease past its end is over even before anyone removes its record.
		let lease = lease.filter(|(_, lease)| number < lease.end);
		let current = lease.as_ref().map(|(id, _)| *id);
		for id in desk.served() {
			if Some(id) != current {
				desk.end(id).await;
				follow.posted.remove(&id);
				follow.answered.remove(&id);
				follow.unanswerable.remove(&id);
				tracing::info!("lease {id} is over: endpoint released");
			}
		}
		follow.start_failed.retain(|id, _| Some(*id) == current);
		let Some((id, lease)) = lease else { return Ok(()) };
		if !desk.is_served(id) {
			if follow.start_failed.get(&id).is_some_and(|failed| number < failed + REPOST_AFTER) {
				return Ok(());
			}
			tracing::info!(
				"lease {id} started for {} until block #{}: preparing the endpoint",
				lease.client.to_ss58check(),
				lease.end
			);
			let served = Served {
				client_key: lease.client_key,
				client: lease.client.to_ss58check(),
				end: lease.end,
				heartbeats: 0,
				latest: None,
			};
			if let Err(error) = desk.begin(id, served).await {
				follow.start_failed.insert(id, number);
				return Err(Error::State(format!(
					"lease {id}: the endpoint is not ready, no details posted ({error}); trying \
					 again in {REPOST_AFTER} blocks"
				)));
			}
			follow.start_failed.remove(&id);
		}
		if lease.connection.is_none()
			&& follow.posted.get(&id).is_none_or(|posted| number >= posted + REPOST_AFTER)
		{
			let sealed = sealed_box::seal(&lease.client_key, &desk.details(id)).map_err(|e| {
				Error::State(format!("sealing lease {id}'s connection details: {e}"))
			})?;
			let connection = sealed.try_into().map_err(|_| {
				Error::State(format!(
					"lease {id}'s connection details are longer than the chain allows: shorten \
					 --lease-endpoint"
				))
			})?;
			let device_key = keys::load(&self.paths.device_key())?;
			let host_key = desk.config.host_key;
			let message =
				pallet_compute_pools::host_key_message(&self.chain.genesis, id, &host_key);
			let signature = device_key.sign(&message).0;
			let call = RuntimeCall::ComputePools(pallet_compute_pools::Call::post_connection {
				lease: id,
				connection,
				host_key,
				signature,
			});
			self.chain.sign_and_submit(&self.account, call).await?;
			follow.posted.insert(id, number);
			tracing::info!("lease {id}: connection details posted, sealed to the client");
		}
		let delivery: Option<Delivery<BlockNumber>> = self
			.chain
			.storage(&pallet_compute_pools::Deliveries::<Runtime>::hashed_key_for(id), Some(at))
			.await?;
		if let Some(DeliveryState::Reported { since, deadline }) = delivery.map(|d| d.state) {
			let answered = follow.answered.get(&id).copied();
			let due = answered
				.is_none_or(|(report, posted)| report != since || number >= posted + REPOST_AFTER);
			if due {
				// Dated from the report to this block (the chain refuses a later one).
				match desk.heartbeat_between(id, since, number) {
					Some((beat, signature)) => {
						let call =
							RuntimeCall::ComputePools(pallet_compute_pools::Call::answer_report {
								lease: id,
								at: beat,
								signature,
							});
						self.chain.sign_and_submit(&self.account, call).await?;
						follow.answered.insert(id, (since, number));
						tracing::info!(
							"lease {id}: the client's report of #{since} answered with its \
							 heartbeat of #{beat}"
						);
					}
					None if follow.unanswerable.get(&id) != Some(&since) => {
						follow.unanswerable.insert(id, since);
						tracing::warn!(
							"lease {id}: the client reported a failure at #{since} and has sent no \
							 heartbeat since; unless one comes by #{deadline} the lease ends \
							 refunded and the device is penalised"
						);
					}
					None => {}
				}
			}
		}
		Ok(())
	}
}
