//! Pallet configurations, one file per concern.

mod compute;
mod consensus;
mod currency;
mod economy;
mod governance;
mod system;
mod verifiers;

pub use compute::*;
pub use consensus::*;
pub use currency::*;
pub use economy::*;
pub use governance::*;
pub use system::*;
pub use verifiers::*;
