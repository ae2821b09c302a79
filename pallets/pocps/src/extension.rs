//! [`PrioritizeAnswers`]: how the transaction pool treats PoCPS answers.
//!
//! An answer is worth nothing unless it lands before its deadline, and a block has room for a
//! bounded number of them, so the pool must not let other transactions crowd answers out nor
//! let junk answers take their place. This extension validates every `respond` in the pool
//! against the chain: only the device owner's answer to an open challenge whose seed is known
//! and whose deadline is ahead is valid, once per challenge, and it gets a priority above any
//! tip. Every other call passes through untouched. It carries no data, so clients sign as
//! before (polkadot.js warns about an unknown extension and goes on).

use crate::*;
use codec::{Decode, DecodeWithMemTracking, Encode};
use core::marker::PhantomData;
use frame_support::{
	pallet_prelude::TransactionSource,
	traits::{IsSubType, OriginTrait},
	DefaultNoBound,
};
use scale_info::TypeInfo;
use sp_runtime::{
	impl_tx_ext_default,
	traits::{DispatchInfoOf, TransactionExtension, ValidateResult},
	transaction_validity::{InvalidTransaction, TransactionPriority, ValidTransaction},
};

/// The pool priority of a valid answer: above whatever a tip can buy (tip-based priorities are
/// a fee times the transactions of its kind that fit a block, far below this).
pub const ANSWER_PRIORITY: TransactionPriority = TransactionPriority::MAX / 2;

/// Why the pool refuses an answer (`InvalidTransaction::Custom`).
pub mod refusal {
	/// No open challenge with this id.
	pub const UNKNOWN_CHALLENGE: u8 = 1;
	/// The signer does not own the challenged device.
	pub const NOT_OWNER: u8 = 2;
	/// The challenge's seed is not on chain yet.
	pub const SEED_NOT_YET_KNOWN: u8 = 3;
	/// The challenge's deadline has passed.
	pub const DEADLINE_PASSED: u8 = 4;
}

/// Validates PoCPS answers in the pool and puts the valid ones first; see the module docs.
#[derive(Encode, Decode, DecodeWithMemTracking, DefaultNoBound, Clone, Eq, PartialEq, TypeInfo)]
#[scale_info(skip_type_params(T))]
pub struct PrioritizeAnswers<T>(PhantomData<T>);

impl<T> PrioritizeAnswers<T> {
	/// The extension (it carries no data).
	pub fn new() -> Self {
		Self(PhantomData)
	}
}

impl<T> core::fmt::Debug for PrioritizeAnswers<T> {
	fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
		write!(f, "PrioritizeAnswers")
	}
}

impl<T: Config + Send + Sync> TransactionExtension<T::RuntimeCall> for PrioritizeAnswers<T>
where
	T::RuntimeCall: IsSubType<Call<T>>,
{
	const IDENTIFIER: &'static str = "PrioritizeAnswers";
	type Implicit = ();
	type Val = ();
	type Pre = ();

	fn weight(&self, call: &T::RuntimeCall) -> Weight {
		// The challenge, the owner and two beacon entries (read again by `respond` itself).
		match call.is_sub_type() {
			Some(Call::respond { .. }) => T::DbWeight::get().reads(4),
			_ => Weight::zero(),
		}
	}

	fn validate(
		&self,
		origin: T::RuntimeOrigin,
		call: &T::RuntimeCall,
		_info: &DispatchInfoOf<T::RuntimeCall>,
		_len: usize,
		_self_implicit: Self::Implicit,
		_inherited_implication: &impl Encode,
		_source: TransactionSource,
	) -> ValidateResult<Self::Val, T::RuntimeCall> {
		let Some(Call::respond { challenge, .. }) = call.is_sub_type() else {
			return Ok((ValidTransaction::default(), (), origin));
		};
		let who = origin.as_signer().ok_or(InvalidTransaction::BadSigner)?;
		Pallet::<T>::check_answerable(who, *challenge).map_err(InvalidTransaction::Custom)?;
		let validity = ValidTransaction {
			priority: ANSWER_PRIORITY,
			// One answer per challenge in the pool.
			provides: alloc::vec![(b"pocps/answer", challenge).encode()],
			..Default::default()
		};
		Ok((validity, (), origin))
	}

	impl_tx_ext_default!(T::RuntimeCall; prepare);
}
