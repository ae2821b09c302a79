//! `ember-miner`: see `ember_miner::cli` for the commands.

fn main() -> std::process::ExitCode {
	ember_miner::cli::main()
}
