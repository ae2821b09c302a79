//! Pallet configurations, one file per concern.

mod compute;
mod consensus;
mod currency;
mod governance;
mod system;

pub use compute::*;
pub use consensus::*;
pub use currency::*;
pub use system::*;
