//! Clients: buying and selling hours, redeeming them for leases, and leases ending.

use crate::*;
use ember_primitives::DeviceStatus;

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
			Self::close_lease(id, &previous, 0)?;
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
	) -> DispatchResult {
		let mut lease = Leases::<T>::get(id).ok_or(Error::<T>::UnknownLease)?;
		ensure!(T::Devices::owner(lease.device) == Some(who), Error::<T>::NotOwner);
		ensure!(frame_system::Pallet::<T>::block_number() < lease.end, Error::<T>::LeaseOver);
		lease.connection = Some(connection);
		Leases::<T>::insert(id, lease);
		Self::deposit_event(Event::ConnectionPosted { lease: id });
		Ok(())
	}

	/// Removes a lease, returns its deposit and records `refunded` CH.
	pub(crate) fn close_lease(
		id: LeaseId,
		lease: &LeaseOf<T>,
		refunded: MilliHours,
	) -> DispatchResult {
		T::Currency::release(
			&HoldReason::LeaseDeposit.into(),
			&lease.client,
			T::LeaseDeposit::get(),
			Precision::Exact,
		)?;
		Leases::<T>::remove(id);
		LeasePrices::<T>::remove(id);
		DeviceLease::<T>::remove(lease.device);
		ClientLeases::<T>::remove(&lease.client, id);
		Self::deposit_event(Event::LeaseEnded { lease: id, refunded });
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
		let now = frame_system::Pallet::<T>::block_number();
		if now >= lease.end {
			return Self::close_lease(id, &lease, 0);
		}
		Self::end_lease_early(&lease);
		let price = LeasePrices::<T>::get(id).unwrap_or(0);
		let hour: u128 = T::BlocksPerHour::get().saturated_into();
		let elapsed: u128 = now.saturating_sub(lease.start).saturated_into();
		let begun = elapsed.div_ceil(hour.max(1));
		let unused = u128::from(lease.hours).saturating_sub(begun);
		let refunded = unused.saturating_mul(MILLIHOURS_PER_HOUR);
		// The released lease deposit covers a new holding's (integrity_test: LeaseDeposit ≥
		// HoldingDeposit).
		Self::close_lease(id, &lease, refunded)?;
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
