//! ember-node: the Ember validator and full node.

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
