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

	/// Adds `amount` CH to `who`'s holding of `class`, which then expires `HoldingEpochs` from
	/// now. Hours already expired are dropped first; a new holding holds its deposit.
	fn credit_holding(class: ClassId, who: &T::AccountId, amount: MilliHours) -> DispatchResult {
		let now = Self::current_epoch();
		let expires = now.saturating_add(T::HoldingEpochs::get());
		let held = match Holdings::<T>::get(class, who) {
			Some(holding) if holding.expires > now => holding.amount,
			Some(_) => 0,
			None => {
				T::Currency::hold(
					&HoldReason::HoldingDeposit.into(),
					who,
					T::HoldingDeposit::get(),
				)?;
				0
			}
		};
		let amount = held.checked_add(amount).ok_or(Error::<T>::Overflow)?;
		Holdings::<T>::insert(class, who, Holding { amount, expires });
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
			Holdings::<T>::remove(class, who);
			T::Currency::release(
				&HoldReason::HoldingDeposit.into(),
				who,
				T::HoldingDeposit::get(),
				Precision::Exact,
			)?;
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
		Self::debit_holding(class, &who, u128::from(hours).saturating_mul(MILLIHOURS_PER_HOUR))?;
		let base_price = T::BasePrice::note_redeemed(class, hours.into())?;
		Self::burn(&who, base_price)?;
		T::Currency::hold(&HoldReason::LeaseDeposit.into(), &who, T::LeaseDeposit::get())?;

		let id = NextLeaseId::<T>::get();
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
		DeviceLease::<T>::remove(lease.device);
		ClientLeases::<T>::remove(&lease.client, id);
		Self::deposit_event(Event::LeaseEnded { lease: id, refunded });
		Ok(())
	}

	/// A fault on `device` ends its running lease; the hours not yet begun go back to the
	/// client as CH of the class.
	pub(crate) fn fault_lease(device: DeviceId) -> DispatchResult {
		let Some(id) = DeviceLease::<T>::get(device) else { return Ok(()) };
		let lease = Leases::<T>::get(id).ok_or(Error::<T>::UnknownLease)?;
		let now = frame_system::Pallet::<T>::block_number();
		if now >= lease.end {
			return Self::close_lease(id, &lease, 0);
		}
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
		}
		Ok(())
	}
}
