//! The compute price runtime API: what clients and the compute pools' quotes read.

use crate::Price;
use ember_primitives::ClassId;

sp_api::decl_runtime_apis! {
	/// Base prices per device class.
	pub trait ComputePriceApi {
		/// The base price per compute-hour of `class`, in planck, if it is priced.
		fn base_price(class: ClassId) -> Option<Price>;
		/// The base price of `hours` compute-hours of `class`.
		fn quote(class: ClassId, hours: u64) -> Option<Price>;
	}
}
