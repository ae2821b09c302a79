//! Stakes: making, renewing and claiming them, and ending them on a fault.

use crate::*;
use ember_primitives::{DeviceStatus, ReputationInspect};
use sp_runtime::FixedPointNumber;

impl<T: Config> Pallet<T> {
	pub(crate) fn do_stake(
		who: T::AccountId,
		device: DeviceId,
		hours: u64,
		epochs: u32,
		offer: StakeOffer,
	) -> DispatchResult {
		let owner = T::Devices::owner(device).ok_or(Error::<T>::UnknownDevice)?;
		ensure!(owner == who, Error::<T>::NotOwner);
		ensure!(
			T::Devices::status(device) == Some(DeviceStatus::Active),
			Error::<T>::DeviceNotActive
		);
		ensure!(!DeviceStake::<T>::contains_key(device), Error::<T>::AlreadyStaked);
		let class = T::Devices::class(device).ok_or(Error::<T>::UnknownDevice)?;
		let mut pool = Pools::<T>::get(class).ok_or(Error::<T>::NoPool)?;
		let params = Parameters::<T>::get();
		ensure!(
			epochs >= Self::min_stake_epochs().max(1) && epochs <= T::MaxStakeEpochs::get(),
			Error::<T>::InvalidDuration
		);
		let staked = u128::from(hours).saturating_mul(MILLIHOURS_PER_HOUR);
		let capacity = Self::epoch_capacity().saturating_mul(epochs.into());
		ensure!(staked > 0 && staked <= capacity, Error::<T>::InvalidHours);
		let rate = staked.checked_div(epochs.into()).unwrap_or(0);
		ensure!(rate > 0, Error::<T>::InvalidHours);

		// α · r, with r in hours per epoch.
		let fee = amm::mul_div(params.staking_fee, rate, MILLIHOURS_PER_HOUR)
			.ok_or(Error::<T>::Overflow)?;
		Self::burn(&who, fee)?;

		if pool.rate == 0 && pool.shares <= T::MinimumLiquidity::get() {
			// Every stake has left: what remains is the locked minimum's dust, whose price
			// rounding has distorted. It goes to the reward pot and the next provider prices the
			// pool afresh.
			Self::account_owned(pool.emb, Balance::checked_sub)?;
			pool = Pool {
				unclaimed: pool.unclaimed,
				dividend_per_share: pool.dividend_per_share,
				reward_per_rate: pool.reward_per_rate,
				..Pool::default()
			};
		}
		let (kind, emb) = Self::enter_pool(&who, &mut pool, staked, offer, &params)?;
		if let StakeKind::Remover { deposit } = kind {
			T::Currency::hold(&HoldReason::MaintenanceDeposit.into(), &who, deposit)?;
		}

		let start = Self::current_epoch();
		let end = start.checked_add(epochs).ok_or(Error::<T>::Overflow)?;
		pool.rate = pool.rate.checked_add(rate).ok_or(Error::<T>::Overflow)?;
		Self::bucket_add(class, end, rate, &kind)?;
		let reward_at = pool.reward_per_rate;
		Pools::<T>::insert(class, pool);

		let id = NextStakeId::<T>::get();
		NextStakeId::<T>::put(id.checked_add(1).ok_or(Error::<T>::Overflow)?);
		let provider = matches!(kind, StakeKind::Provider { .. });
		Stakes::<T>::insert(
			id,
			Stake { owner: who.clone(), device, class, staked, rate, start, end, kind, reward_at },
		);
		StakeTerms::<T>::insert(id, RewardTerms::from(&params));
		DeviceStake::<T>::insert(device, id);
		ClassDevices::<T>::insert(class, device, ());
		Self::deposit_event(Event::Staked {
			stake: id,
			owner: who,
			device,
			class,
			hours: staked,
			end,
			provider,
			emb,
			fee_burned: fee,
		});
		Ok(())
	}

	/// Puts `ch` of a stake into `pool` as `offer` says, moving the EMB. Returns the stake's
	/// kind (with a remover's deposit, not yet held) and the EMB added or received.
	fn enter_pool(
		who: &T::AccountId,
		pool: &mut Pool,
		ch: MilliHours,
		offer: StakeOffer,
		params: &PoolParameters,
	) -> Result<(StakeKind, Balance), DispatchError> {
		match offer {
			StakeOffer::Provide { min_emb, max_emb } => {
				let (emb, shares) = pool
					.add_liquidity(ch, max_emb, T::MinimumLiquidity::get())
					.ok_or(Error::<T>::InsufficientLiquidity)?;
				ensure!(emb >= min_emb && emb <= max_emb, Error::<T>::SlippageExceeded);
				Self::pay_in(who, emb)?;
				Ok((StakeKind::Provider { shares, dividend_at: pool.dividend_per_share }, emb))
			}
			StakeOffer::Sell { min_emb } => {
				ensure!(pool.is_initialized(), Error::<T>::PoolEmpty);
				let gross = pool.sell_at_par(ch).ok_or(Error::<T>::InsufficientLiquidity)?;
				let fee = params.exchange_fee.mul_ceil(gross);
				let net = gross.saturating_sub(fee);
				ensure!(net >= min_emb, Error::<T>::SlippageExceeded);
				Self::burn_owned(fee)?;
				Self::pay_out(who, net)?;
				let deposit = amm::mul_div(params.deposit_per_hour, ch, MILLIHOURS_PER_HOUR)
					.ok_or(Error::<T>::Overflow)?;
				Ok((StakeKind::Remover { deposit }, net))
			}
		}
	}

	/// Adds a stake to the bucket of its expiry epoch.
	fn bucket_add(
		class: ClassId,
		end: EpochIndex,
		rate: MilliHours,
		kind: &StakeKind,
	) -> DispatchResult {
		Expiring::<T>::try_mutate(class, end, |bucket| -> DispatchResult {
			let bucket = bucket.get_or_insert_with(Default::default);
			bucket.rate = bucket.rate.checked_add(rate).ok_or(Error::<T>::Overflow)?;
			bucket.stakes = bucket.stakes.checked_add(1).ok_or(Error::<T>::Overflow)?;
			if let StakeKind::Provider { shares, .. } = kind {
				bucket.shares = bucket.shares.checked_add(*shares).ok_or(Error::<T>::Overflow)?;
			}
			Ok(())
		})
	}

	/// Takes a stake out of the bucket of its expiry epoch.
	fn bucket_remove(class: ClassId, end: EpochIndex, rate: MilliHours, kind: &StakeKind) {
		Expiring::<T>::mutate_exists(class, end, |entry| {
			if let Some(bucket) = entry {
				bucket.rate = bucket.rate.saturating_sub(rate);
				bucket.stakes = bucket.stakes.saturating_sub(1);
				if let StakeKind::Provider { shares, .. } = kind {
					bucket.shares = bucket.shares.saturating_sub(*shares);
				}
				if bucket.stakes == 0 {
					*entry = None;
				}
			}
		});
	}

	pub(crate) fn do_renew(who: T::AccountId, id: StakeId, limit: Balance) -> DispatchResult {
		let mut stake = Stakes::<T>::get(id).ok_or(Error::<T>::UnknownStake)?;
		ensure!(stake.owner == who, Error::<T>::NotOwner);
		let now = Self::current_epoch();
		ensure!(stake.end > now, Error::<T>::StakeExpired);
		// Only in its last epoch: at most one renewal (one epoch more) per epoch.
		ensure!(stake.end == now.saturating_add(1), Error::<T>::RenewTooEarly);
		ensure!(
			T::Devices::status(stake.device) == Some(DeviceStatus::Active),
			Error::<T>::DeviceNotActive
		);
		let new_end = stake.end.checked_add(1).ok_or(Error::<T>::Overflow)?;
		ensure!(
			new_end.saturating_sub(stake.start) <= T::MaxStakeEpochs::get(),
			Error::<T>::InvalidDuration
		);
		let mut pool = Pools::<T>::get(stake.class).ok_or(Error::<T>::NoPool)?;
		let params = Parameters::<T>::get();
		let offer = match stake.kind {
			StakeKind::Provider { .. } => StakeOffer::Provide { min_emb: 0, max_emb: limit },
			StakeKind::Remover { .. } => StakeOffer::Sell { min_emb: limit },
		};
		// A live stake's pool is initialized; were it not, `limit` would set a provider's price.
		ensure!(pool.is_initialized(), Error::<T>::PoolEmpty);
		let (added, emb) = Self::enter_pool(&who, &mut pool, stake.rate, offer, &params)?;

		Self::bucket_remove(stake.class, stake.end, stake.rate, &stake.kind);
		stake.kind = match (stake.kind, added) {
			(
				StakeKind::Provider { shares, dividend_at },
				StakeKind::Provider { shares: more, dividend_at: now },
			) => {
				// Dividends owed so far stay owed: move the old shares' entry point forward by
				// what they would lose when averaged with the new shares.
				let owed_so_far = amm::owed(shares, now.saturating_sub(dividend_at))
					.ok_or(Error::<T>::Overflow)?;
				let total = shares.checked_add(more).ok_or(Error::<T>::Overflow)?;
				let back = amm::per_share(owed_so_far, total).ok_or(Error::<T>::Overflow)?;
				StakeKind::Provider { shares: total, dividend_at: now.saturating_sub(back) }
			}
			// A remover's deposit grows by the deposit of the hours added.
			(StakeKind::Remover { deposit }, StakeKind::Remover { deposit: more }) => {
				T::Currency::hold(&HoldReason::MaintenanceDeposit.into(), &who, more)?;
				StakeKind::Remover {
					deposit: deposit.checked_add(more).ok_or(Error::<T>::Overflow)?,
				}
			}
			(kind, _) => kind,
		};
		stake.end = new_end;
		stake.staked = stake.staked.checked_add(stake.rate).ok_or(Error::<T>::Overflow)?;
		Self::bucket_add(stake.class, new_end, stake.rate, &stake.kind)?;
		Pools::<T>::insert(stake.class, pool);
		Self::deposit_event(Event::StakeRenewed {
			stake: id,
			end: new_end,
			hours: stake.rate,
			emb,
		});
		Stakes::<T>::insert(id, stake);
		Ok(())
	}

	pub(crate) fn do_claim(who: T::AccountId, id: StakeId) -> DispatchResult {
		let stake = Stakes::<T>::get(id).ok_or(Error::<T>::UnknownStake)?;
		ensure!(stake.owner == who, Error::<T>::NotOwner);
		let exit = Exits::<T>::get(stake.class, stake.end).ok_or(Error::<T>::StakeLive)?;
		ensure!(stake.end <= Self::current_epoch(), Error::<T>::StakeLive);

		// A provider's share of the exit and of the dissipation while it was live.
		let paid = match stake.kind {
			StakeKind::Provider { shares, dividend_at } => {
				let per_share = exit
					.emb_per_share
					.checked_add(exit.dividend_per_share.saturating_sub(dividend_at))
					.ok_or(Error::<T>::Overflow)?;
				amm::owed(shares, per_share).ok_or(Error::<T>::Overflow)?
			}
			StakeKind::Remover { .. } => 0,
		};
		let rewarded = stake.rewards_owed(exit.reward_per_rate).ok_or(Error::<T>::Overflow)?;
		let paid = paid.checked_add(rewarded).ok_or(Error::<T>::Overflow)?;
		Pools::<T>::try_mutate(stake.class, |pool| -> DispatchResult {
			let pool = pool.as_mut().ok_or(Error::<T>::NoPool)?;
			pool.unclaimed = pool.unclaimed.checked_sub(paid).ok_or(Error::<T>::Overflow)?;
			Ok(())
		})?;
		Self::pay_out(&who, paid)?;

		// An expired stake served its whole term proven: a fault or a retirement during it would
		// have ended it.
		// Under the terms it was made with, whatever governance set since.
		let terms =
			StakeTerms::<T>::take(id).unwrap_or_else(|| RewardTerms::from(&Parameters::<T>::get()));
		let base = amm::mul_div(terms.reward_rate, stake.staked, MILLIHOURS_PER_HOUR)
			.ok_or(Error::<T>::Overflow)?;
		let earned = T::Reputation::reward_multiplier(stake.device).saturating_mul_int(base);
		let gross = earned.min(Self::reward_pot());
		// β of every γ is the maintenance burn.
		let burned = amm::mul_div(gross, terms.maintenance_rate, terms.reward_rate.max(1))
			.ok_or(Error::<T>::Overflow)?
			.min(gross);
		let reward = gross.saturating_sub(burned);
		Self::burn(&Self::account_id(), burned)?;
		if reward > 0 {
			T::Currency::transfer(&Self::account_id(), &who, reward, Preservation::Preserve)?;
		}
		let mut deposit_returned = 0;
		if let StakeKind::Remover { deposit } = stake.kind {
			let reason = HoldReason::MaintenanceDeposit.into();
			T::Currency::release(&reason, &who, deposit, Precision::Exact)?;
			deposit_returned = deposit;
		}

		Exits::<T>::mutate_exists(stake.class, stake.end, |entry| {
			if let Some(exit) = entry {
				exit.unclaimed_stakes = exit.unclaimed_stakes.saturating_sub(1);
				if exit.unclaimed_stakes == 0 {
					*entry = None;
				}
			}
		});
		Stakes::<T>::remove(id);
		DeviceStake::<T>::remove(stake.device);
		ClassDevices::<T>::remove(stake.class, stake.device);
		Self::deposit_event(Event::StakeClaimed {
			stake: id,
			owner: who,
			paid,
			reward,
			deposit_returned,
			burned,
		});
		Ok(())
	}

	/// Burns a remover's held maintenance deposit.
	fn burn_held(who: &T::AccountId, deposit: Balance) -> DispatchResult {
		T::Currency::burn_held(
			&HoldReason::MaintenanceDeposit.into(),
			who,
			deposit,
			Precision::Exact,
			Fortitude::Force,
		)?;
		Burned::<T>::mutate(|total| *total = total.saturating_add(deposit));
		Ok(())
	}

	/// A PoCPS fault on `device`, or its retirement: its live stake ends (a provider's EMB
	/// returned, a remover's deposit burned; issuance rewards of the epochs it was proven kept,
	/// the pot's `γ` forfeited) and its lease ends with the unused hours refunded.
	pub(crate) fn handle_fault(device: DeviceId) -> DispatchResult {
		Self::fault_lease(device)?;
		let Some(id) = DeviceStake::<T>::get(device) else { return Ok(()) };
		let Some(stake) = Stakes::<T>::get(id) else { return Ok(()) };
		if stake.end <= Self::current_epoch() {
			// Already expired: it served its term; the claim settles it.
			return Ok(());
		}
		let mut pool = Pools::<T>::get(stake.class).ok_or(Error::<T>::NoPool)?;
		Self::bucket_remove(stake.class, stake.end, stake.rate, &stake.kind);
		pool.rate = pool.rate.saturating_sub(stake.rate);
		let (mut returned, mut burned) = (0, 0);
		match stake.kind {
			StakeKind::Provider { shares, dividend_at } => {
				let (_, out) = pool.remove_liquidity(shares).ok_or(Error::<T>::Overflow)?;
				let dividends =
					amm::owed(shares, pool.dividend_per_share.saturating_sub(dividend_at))
						.ok_or(Error::<T>::Overflow)?;
				pool.unclaimed =
					pool.unclaimed.checked_sub(dividends).ok_or(Error::<T>::Overflow)?;
				returned = out.checked_add(dividends).ok_or(Error::<T>::Overflow)?;
				Self::pay_out(&stake.owner, returned)?;
			}
			StakeKind::Remover { deposit } => {
				Self::burn_held(&stake.owner, deposit)?;
				burned = deposit;
			}
		}
		// Miner rewards earned by the hours proven before the fault are still owed.
		let rewarded = stake.rewards_owed(pool.reward_per_rate).ok_or(Error::<T>::Overflow)?;
		pool.unclaimed = pool.unclaimed.checked_sub(rewarded).ok_or(Error::<T>::Overflow)?;
		Self::pay_out(&stake.owner, rewarded)?;
		returned = returned.saturating_add(rewarded);
		Pools::<T>::insert(stake.class, pool);
		Stakes::<T>::remove(id);
		StakeTerms::<T>::remove(id);
		DeviceStake::<T>::remove(device);
		ClassDevices::<T>::remove(stake.class, device);
		Self::deposit_event(Event::StakeFaulted { stake: id, device, returned, burned });
		Ok(())
	}
}
