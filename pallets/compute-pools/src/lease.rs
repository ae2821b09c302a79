//! Clients: buying and selling hours, redeeming them for leases, and leases ending.

use crate::*;
use ember_primitives::DeviceStatus;
use sp_runtime::traits::One;

impl<T: Config> Pallet<T> {
	pub(crate) fn do_buy(
		who: T::AccountId,
		class: ClassId,
		hours: MilliHours,
		max_emb: Balance,
	) -> DispatchResult {
		let mut pool = Pools::<T>::get(class).ok_or(Error::<T>::NoPool)?;
		ensure!(pool.is_initialized(), Error::<T>::PoolEmpty);
		let fee = Parameters::<T>::get().swap_fee;
		let emb = pool.buy(hours, fee).ok_or(Error::<T>::InsufficientLiquidity)?;
		ensure!(emb <= max_emb, Error::<T>::SlippageExceeded);
		Self::pay_in(&who, emb)?;
		Self::credit_holding(class, &who, hours)?;
		Pools::<T>::insert(class, pool);
		Self::deposit_event(Event::HoursBought { class, who, hours, emb });
		Ok(())
	}

	pub(crate) fn do_sell(
		who: T::AccountId,
		class: ClassId,
		hours: MilliHours,
		min_emb: Balance,
	) -> DispatchResult {
		let mut pool = Pools::<T>::get(class).ok_or(Error::<T>::NoPool)?;
		Self::debit_holding(class, &who, hours)?;
		let fee = Parameters::<T>::get().swap_fee;
		let emb = pool.sell(hours, fee).ok_or(Error::<T>::InsufficientLiquidity)?;
		ensure!(emb >= min_emb, Error::<T>::SlippageExceeded);
		// Hours sold back are idle again.
		pool.sold = pool.sold.saturating_sub(hours);
		Self::pay_out(&who, emb)?;
		Pools::<T>::insert(class, pool);
		Self::deposit_event(Event::HoursSold { class, who, hours, emb });
		Ok(())
	}

	/// Adds `amount` CH to `who`'s holding of `class`. The new hours last `HoldingEpochs`; the
	/// holding's expiry becomes the amount-weighted mean of the old hours' and the new ones', so
	/// topping a holding up by a unit cannot keep it alive. Hours already expired are dropped
	/// first (with their prepaid base price); a new holding holds its deposit.
	pub(crate) fn credit_holding(
		class: ClassId,
		who: &T::AccountId,
		amount: MilliHours,
	) -> DispatchResult {
		let now = Self::current_epoch();
		let fresh = now.saturating_add(T::HoldingEpochs::get());
		let (held, expires) = match Holdings::<T>::get(class, who) {
			Some(holding) if holding.expires > now => (holding.amount, holding.expires),
			Some(_) => {
				Prepaid::<T>::remove(class, who);
				(0, fresh)
			}
			None => {
				T::Currency::hold(
					&HoldReason::HoldingDeposit.into(),
					who,
					T::HoldingDeposit::get(),
				)?;
				(0, fresh)
			}
		};
		let total = held.checked_add(amount).ok_or(Error::<T>::Overflow)?;
		// ⌈(held · expires + amount · fresh) / total⌉, at most `fresh`.
		let weighted = amm::mul_div(held, expires.into(), total)
			.and_then(|old| old.checked_add(amm::mul_div_up(amount, fresh.into(), total)?))
			.ok_or(Error::<T>::Overflow)?;
		let expires = EpochIndex::try_from(weighted).unwrap_or(fresh).min(fresh);
		Holdings::<T>::insert(class, who, Holding { amount: total, expires });
		Ok(())
	}

	/// Removes `who`'s holding of `class` with its prepaid base price, and returns its deposit.
	pub(crate) fn remove_holding(class: ClassId, who: &T::AccountId) -> DispatchResult {
		Holdings::<T>::remove(class, who);
		Prepaid::<T>::remove(class, who);
		T::Currency::release(
			&HoldReason::HoldingDeposit.into(),
			who,
			T::HoldingDeposit::get(),
			Precision::Exact,
		)?;
		Ok(())
	}

	/// Takes `amount` unexpired CH from `who`'s holding of `class`; an emptied holding is
	/// removed and its deposit returned.
	fn debit_holding(class: ClassId, who: &T::AccountId, amount: MilliHours) -> DispatchResult {
		let holding = Holdings::<T>::get(class, who).ok_or(Error::<T>::InsufficientHours)?;
		ensure!(
			amount > 0 && holding.expires > Self::current_epoch() && holding.amount >= amount,
			Error::<T>::InsufficientHours
		);
		let left = holding.amount.saturating_sub(amount);
		if left == 0 {
			Self::remove_holding(class, who)?;
		} else {
			Holdings::<T>::insert(class, who, Holding { amount: left, ..holding });
		}
		Ok(())
	}

	pub(crate) fn do_redeem(
		who: T::AccountId,
		device: DeviceId,
		hours: u32,
		client_key: [u8; 32],
	) -> DispatchResult {
		ensure!(hours > 0, Error::<T>::InsufficientHours);
		let class = T::Devices::class(device).ok_or(Error::<T>::UnknownDevice)?;
		ensure!(
			T::Devices::status(device) == Some(DeviceStatus::Active),
			Error::<T>::DeviceNotActive
		);
		let now = frame_system::Pallet::<T>::block_number();
		let end = now.saturating_add(T::BlocksPerHour::get().saturating_mul(hours.into()));
		let stake = DeviceStake::<T>::get(device)
			.and_then(Stakes::<T>::get)
			.ok_or(Error::<T>::NoCapacity)?;
		ensure!(Self::epoch_start(stake.end) >= end, Error::<T>::NoCapacity);
		if let Some(id) = DeviceLease::<T>::get(device) {
			let previous = Leases::<T>::get(id).ok_or(Error::<T>::UnknownLease)?;
			ensure!(now >= previous.end, Error::<T>::DeviceBusy);
			Self::close_lease(id, &previous, 0, LeaseEndReason::Expired)?;
		}
		// The base price of the hours, less what the client already paid for hours a fault
		// refunded; only what is burned now counts as a payment (for issuance).
		let price = T::BasePrice::note_lease(class, hours.into())?;
		let due = price.checked_mul(hours.into()).ok_or(Error::<T>::Overflow)?;
		let prepaid = Prepaid::<T>::take(class, &who).unwrap_or(0);
		let credit = prepaid.min(due);
		if prepaid > credit {
			Prepaid::<T>::insert(class, &who, prepaid.saturating_sub(credit));
		}
		let base_price = due.saturating_sub(credit);
		Self::debit_holding(class, &who, u128::from(hours).saturating_mul(MILLIHOURS_PER_HOUR))?;
		Self::burn(&who, base_price)?;
		T::BasePrice::note_paid(base_price);
		T::Currency::hold(&HoldReason::LeaseDeposit.into(), &who, T::LeaseDeposit::get())?;

		let id = NextLeaseId::<T>::get();
		let deadline = Self::schedule_deadline(now.saturating_add(T::HandoffBlocks::get()), id)?;
		Deliveries::<T>::insert(
			id,
			Delivery {
				state: DeliveryState::AwaitingHandoff { deadline },
				delivered: false,
				host_key: None,
			},
		);
		LeasePrices::<T>::insert(id, price);
		NextLeaseId::<T>::put(id.checked_add(1).ok_or(Error::<T>::Overflow)?);
		Leases::<T>::insert(
			id,
			Lease {
				client: who.clone(),
				device,
				class,
				hours,
				start: now,
				end,
				client_key,
				connection: None,
			},
		);
		DeviceLease::<T>::insert(device, id);
		ClientLeases::<T>::insert(&who, id, ());
		Self::deposit_event(Event::LeaseStarted {
			lease: id,
			client: who,
			device,
			class,
			hours,
			end,
			base_price,
		});
		Ok(())
	}

	pub(crate) fn do_post_connection(
		who: T::AccountId,
		id: LeaseId,
		connection: BoundedVec<u8, T::MaxConnectionLen>,
		host_key: [u8; 32],
		signature: [u8; 64],
	) -> DispatchResult {
		let mut lease = Leases::<T>::get(id).ok_or(Error::<T>::UnknownLease)?;
		ensure!(T::Devices::owner(lease.device) == Some(who), Error::<T>::NotOwner);
		ensure!(frame_system::Pallet::<T>::block_number() < lease.end, Error::<T>::LeaseOver);
		let device_key = T::Devices::device_key(lease.device).ok_or(Error::<T>::UnknownDevice)?;
		ensure!(
			sp_io::crypto::sr25519_verify(
				&sp_core::sr25519::Signature::from_raw(signature),
				&host_key_message(&Self::genesis(), id, &host_key),
				&sp_core::sr25519::Public::from_raw(device_key),
			),
			Error::<T>::BadSignature
		);
		let mut delivery = Deliveries::<T>::get(id).ok_or(Error::<T>::UnknownLease)?;
		// The first posting starts the client's time to acknowledge.
		if let DeliveryState::AwaitingHandoff { deadline } = delivery.state {
			if lease.connection.is_none() {
				let now = frame_system::Pallet::<T>::block_number();
				Self::unschedule_deadline(deadline, id);
				let deadline =
					Self::schedule_deadline(now.saturating_add(T::HandoffBlocks::get()), id)?;
				delivery.state = DeliveryState::AwaitingHandoff { deadline };
			}
		}
		delivery.host_key = Some(host_key);
		Deliveries::<T>::insert(id, delivery);
		lease.connection = Some(connection);
		Leases::<T>::insert(id, lease);
		Self::deposit_event(Event::ConnectionPosted { lease: id, host_key });
		Ok(())
	}

	pub(crate) fn do_acknowledge(who: T::AccountId, id: LeaseId) -> DispatchResult {
		let (lease, mut delivery) = Self::running_lease_of(&who, id)?;
		ensure!(lease.connection.is_some(), Error::<T>::NoConnection);
		ensure!(delivery.state != DeliveryState::Delivered, Error::<T>::WrongDeliveryState);
		if let Some(deadline) = delivery.state.deadline() {
			Self::unschedule_deadline(deadline, id);
		}
		delivery.state = DeliveryState::Delivered;
		delivery.delivered = true;
		Deliveries::<T>::insert(id, delivery);
		Self::deposit_event(Event::HandoffAcknowledged { lease: id });
		Ok(())
	}

	pub(crate) fn do_report_failure(who: T::AccountId, id: LeaseId) -> DispatchResult {
		let (lease, mut delivery) = Self::running_lease_of(&who, id)?;
		ensure!(
			!matches!(delivery.state, DeliveryState::Reported { .. }),
			Error::<T>::WrongDeliveryState
		);
		let since = frame_system::Pallet::<T>::block_number();
		// The provider must have the whole answer window inside the lease.
		let answer_by = since.saturating_add(T::AnswerBlocks::get());
		ensure!(answer_by < lease.end, Error::<T>::TooLateToReport);
		let deadline = Self::schedule_deadline(answer_by, id)?;
		if let Some(previous) = delivery.state.deadline() {
			Self::unschedule_deadline(previous, id);
		}
		delivery.state = DeliveryState::Reported { since, deadline };
		Deliveries::<T>::insert(id, delivery);
		Self::deposit_event(Event::FailureReported { lease: id, deadline });
		Ok(())
	}

	pub(crate) fn do_answer_report(
		who: T::AccountId,
		id: LeaseId,
		at: BlockNumberFor<T>,
		signature: [u8; 64],
	) -> DispatchResult {
		let lease = Leases::<T>::get(id).ok_or(Error::<T>::UnknownLease)?;
		ensure!(T::Devices::owner(lease.device) == Some(who), Error::<T>::NotOwner);
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now < lease.end, Error::<T>::LeaseOver);
		let mut delivery = Deliveries::<T>::get(id).ok_or(Error::<T>::UnknownLease)?;
		let DeliveryState::Reported { since, deadline } = delivery.state else {
			return Err(Error::<T>::WrongDeliveryState.into());
		};
		ensure!(at >= since && at <= now, Error::<T>::StaleHeartbeat);
		ensure!(
			sp_io::crypto::sr25519_verify(
				&sp_core::sr25519::Signature::from_raw(signature),
				&heartbeat_message(&Self::genesis(), id, at),
				&sp_core::sr25519::Public::from_raw(lease.client_key),
			),
			Error::<T>::BadSignature
		);
		Self::unschedule_deadline(deadline, id);
		delivery.state = DeliveryState::Delivered;
		delivery.delivered = true;
		Deliveries::<T>::insert(id, delivery);
		Self::deposit_event(Event::ReportAnswered { lease: id, at });
		Ok(())
	}

	/// `who`'s lease `id`, running, with its delivery record.
	fn running_lease_of(
		who: &T::AccountId,
		id: LeaseId,
	) -> Result<(LeaseOf<T>, Delivery<BlockNumberFor<T>>), DispatchError> {
		let lease = Leases::<T>::get(id).ok_or(Error::<T>::UnknownLease)?;
		ensure!(&lease.client == who, Error::<T>::NotClient);
		ensure!(frame_system::Pallet::<T>::block_number() < lease.end, Error::<T>::LeaseOver);
		let delivery = Deliveries::<T>::get(id).ok_or(Error::<T>::UnknownLease)?;
		Ok((lease, delivery))
	}

	/// This chain's genesis hash (signed messages name it: no replay from another chain).
	pub(crate) fn genesis() -> T::Hash {
		frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero())
	}

	/// Takes lease `id` off block `at`'s deadlines (its state moved on): one live entry per
	/// lease, so the queue is bounded by the leases, which hold deposits.
	fn unschedule_deadline(at: BlockNumberFor<T>, id: LeaseId) {
		DeliveryDeadlines::<T>::mutate_exists(at, |due| {
			if let Some(list) = due {
				list.retain(|listed| *listed != id);
				if list.is_empty() {
					*due = None;
				}
			}
		});
	}

	/// Lists lease `id` under the first block from `at` (at most 8 blocks on) with room for
	/// another deadline, and returns that block.
	fn schedule_deadline(
		at: BlockNumberFor<T>,
		id: LeaseId,
	) -> Result<BlockNumberFor<T>, DispatchError> {
		let mut block = at;
		for _ in 0..8 {
			let listed = DeliveryDeadlines::<T>::try_mutate(block, |due| due.try_push(id));
			if listed.is_ok() {
				return Ok(block);
			}
			block = block.saturating_add(One::one());
		}
		Err(Error::<T>::DeadlinesFull.into())
	}

	/// Ends the leases whose delivery deadline is `now` and that are still waiting for a
	/// hand-off, an acknowledgment or an answer; returns how many deadlines it looked at.
	///
	/// No details posted, or a report unanswered: the provider failed, and is penalised. Details
	/// posted but never acknowledged: the chain cannot tell whether the endpoint or the client
	/// failed, so the client is refunded and nobody penalised (a client that finds the details
	/// do not work reports, which the provider can only answer with the client's heartbeat).
	pub(crate) fn end_undelivered(now: BlockNumberFor<T>) -> u32 {
		let due = DeliveryDeadlines::<T>::take(now);
		let count = due.len().saturated_into();
		for id in due {
			let Some(delivery) = Deliveries::<T>::get(id) else { continue };
			if delivery.state.deadline() != Some(now) {
				continue;
			}
			let result = frame_support::storage::with_storage_layer(|| {
				let lease = Leases::<T>::get(id).ok_or(Error::<T>::UnknownLease)?;
				let (reason, from, penalise) = match delivery.state {
					DeliveryState::AwaitingHandoff { .. } if lease.connection.is_none() => {
						(LeaseEndReason::NotHandedOver, lease.start, true)
					}
					DeliveryState::AwaitingHandoff { .. } => {
						(LeaseEndReason::NotAcknowledged, lease.start, false)
					}
					DeliveryState::Reported { since, .. } => (
						LeaseEndReason::ReportUnanswered,
						if delivery.delivered { since } else { lease.start },
						true,
					),
					DeliveryState::Delivered => return Ok(()),
				};
				// A lease already over was served to its end: nothing to refund or penalise.
				let over = now >= lease.end;
				Self::refund_lease(id, &lease, from, reason)?;
				if penalise && !over {
					T::DeliveryFailed::on_delivery_failed(lease.device, id);
				}
				Ok::<_, DispatchError>(())
			});
			if let Err(error) = result {
				log::error!(target: "runtime::compute-pools", "ending undelivered lease {id}: {error:?}");
			}
		}
		count
	}

	/// The best free device of `class` that can serve `hours` now, and how many devices were
	/// looked at.
	pub(crate) fn best_offer(class: ClassId, hours: u32) -> Result<(DeviceId, u32), DispatchError> {
		let now = frame_system::Pallet::<T>::block_number();
		let end = now.saturating_add(T::BlocksPerHour::get().saturating_mul(hours.into()));
		let mut best: Option<(sp_runtime::Perbill, DeviceId)> = None;
		let mut scanned = 0u32;
		for device in
			ClassDevices::<T>::iter_key_prefix(class).take(T::MaxOffersScanned::get() as usize)
		{
			scanned = scanned.saturating_add(1);
			let free = DeviceLease::<T>::get(device)
				.and_then(Leases::<T>::get)
				.is_none_or(|lease| now >= lease.end);
			let staked = DeviceStake::<T>::get(device)
				.and_then(Stakes::<T>::get)
				.is_some_and(|stake| Self::epoch_start(stake.end) >= end);
			if !free || !staked || T::Devices::status(device) != Some(DeviceStatus::Active) {
				continue;
			}
			let score = T::Reputation::score(device);
			// Best score; among equals the lowest id (the first met: keys are in id order
			// only per hash prefix, so compare explicitly).
			if best.is_none_or(|(s, d)| score > s || (score == s && device < d)) {
				best = Some((score, device));
			}
		}
		best.map(|(_, device)| (device, scanned)).ok_or(Error::<T>::NoOffer.into())
	}

	/// Removes a lease, returns its deposit and records `refunded` CH and why it ended.
	pub(crate) fn close_lease(
		id: LeaseId,
		lease: &LeaseOf<T>,
		refunded: MilliHours,
		reason: LeaseEndReason,
	) -> DispatchResult {
		T::Currency::release(
			&HoldReason::LeaseDeposit.into(),
			&lease.client,
			T::LeaseDeposit::get(),
			Precision::Exact,
		)?;
		Leases::<T>::remove(id);
		Deliveries::<T>::remove(id);
		LeasePrices::<T>::remove(id);
		DeviceLease::<T>::remove(lease.device);
		ClientLeases::<T>::remove(&lease.client, id);
		Self::deposit_event(Event::LeaseEnded { lease: id, refunded, reason });
		Ok(())
	}

	/// A lease ends before its term: its remaining hours stop counting as demand.
	pub(crate) fn end_lease_early(lease: &LeaseOf<T>) {
		if frame_system::Pallet::<T>::block_number() < lease.end {
			T::BasePrice::note_lease_ended(
				lease.class,
				lease.start.saturated_into(),
				lease.hours.into(),
			);
		}
	}

	/// A fault (or retirement) of `device` ends its running lease; the hours not yet begun go
	/// back to the client as CH of the class, with the base price paid for them as a credit
	/// toward its next leases of the class.
	pub(crate) fn fault_lease(device: DeviceId) -> DispatchResult {
		let Some(id) = DeviceLease::<T>::get(device) else { return Ok(()) };
		let lease = Leases::<T>::get(id).ok_or(Error::<T>::UnknownLease)?;
		let delivered = Deliveries::<T>::get(id).is_some_and(|delivery| delivery.delivered);
		// A lease never delivered is refunded from its start.
		let from = if delivered { frame_system::Pallet::<T>::block_number() } else { lease.start };
		Self::refund_lease(id, &lease, from, LeaseEndReason::DeviceFaulted)
	}

	/// Ends a lease early for `reason`: the hours not begun at block `from` go back to the
	/// client as CH of the class, with the base price paid for them as a credit toward its next
	/// leases of the class. A lease already past its end just closes.
	fn refund_lease(
		id: LeaseId,
		lease: &LeaseOf<T>,
		from: BlockNumberFor<T>,
		reason: LeaseEndReason,
	) -> DispatchResult {
		let now = frame_system::Pallet::<T>::block_number();
		if now >= lease.end {
			return Self::close_lease(id, lease, 0, reason);
		}
		Self::end_lease_early(lease);
		let price = LeasePrices::<T>::get(id).unwrap_or(0);
		let hour: u128 = T::BlocksPerHour::get().saturated_into();
		let elapsed: u128 = from.max(lease.start).saturating_sub(lease.start).saturated_into();
		let begun = elapsed.div_ceil(hour.max(1));
		let unused = u128::from(lease.hours).saturating_sub(begun);
		let refunded = unused.saturating_mul(MILLIHOURS_PER_HOUR);
		// The released lease deposit covers a new holding's (integrity_test: LeaseDeposit ≥
		// HoldingDeposit).
		Self::close_lease(id, lease, refunded, reason)?;
		if refunded > 0 {
			Self::credit_holding(lease.class, &lease.client, refunded)?;
			let paid = price.saturating_mul(unused);
			Prepaid::<T>::mutate(lease.class, &lease.client, |prepaid| {
				*prepaid = Some(prepaid.unwrap_or(0).saturating_add(paid))
			});
		}
		Ok(())
	}
}
