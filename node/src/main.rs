//! ember-node: the Ember validator and full node.

// sc-cli and sc-service return their own (large) error types; boxing them here would only add
// noise at every call.
#![allow(clippy::result_large_err)]

mod chain_spec;
mod cli;
mod command;
mod rpc;
mod service;

fn main() {
	// One line that says what went wrong (and, where we know it, what to do), not a Debug dump.
	if let Err(error) = command::run() {
		eprintln!("Error: {error}");
		std::process::exit(1);
	}
}
