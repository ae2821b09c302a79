//! # Ember's economic simulator
//!
//! Agent models (miners that enter and leave on profit, clients with elastic demand, demand
//! shocks) run over the real runtime — every stake, purchase, lease, price move, mint and slash
//! is the pallets' own code in `TestExternalities` — in Monte Carlo over seeds. What the chain
//! does not decide (the EMB/USD price, costs, demand) is modelled in [`market`] and stated
//! there.
//!
//! - [`world`]: the chain: a development-preset state, accounts, devices, hours passing.
//! - [`market`]: the experiments: the base price under demand shocks, network survival against
//!   demand growth, and stake profit against its length.
//! - [`report`]: CSV and PNG output.

pub mod market;
pub mod report;
pub mod world;
