//! Chain specifications built from the runtime's genesis presets.

use ember_runtime::WASM_BINARY;
use sc_service::ChainType;

/// The chain-spec type: the runtime's JSON genesis config plus no client extensions.
pub type ChainSpec = sc_service::GenericChainSpec;

/// How wallets display EMB.
fn properties() -> sc_chain_spec::Properties {
	let mut properties = sc_chain_spec::Properties::new();
	properties.insert("tokenSymbol".into(), "EMB".into());
	properties.insert("tokenDecimals".into(), 12.into());
	properties.insert("ss58Format".into(), 42.into());
	properties
}

fn wasm_binary() -> Result<&'static [u8], String> {
	WASM_BINARY.ok_or_else(|| {
		"this ember-node was built without its wasm runtime (SKIP_WASM_BUILD was set); rebuild \
		 it with `cargo build --release -p ember-node`"
			.to_string()
	})
}

/// One validator (Alice), for `--dev`.
pub fn development() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("Ember Development")
		.with_id("ember_dev")
		.with_chain_type(ChainType::Development)
		.with_genesis_config_preset_name(sp_genesis_builder::DEV_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}

/// Four validators (Alice, Bob, Charlie, Dave), for local multi-node nets and zombienet.
pub fn local_testnet() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("Ember Local Testnet")
		.with_id("ember_local_testnet")
		.with_chain_type(ChainType::Local)
		.with_genesis_config_preset_name(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}

/// Production-shaped: no sudo key, the council and the technical committee at genesis, open
/// validator candidacy. Its accounts are the public dev keys standing in for launch keys: build
/// the spec (`ember-node build-spec --chain mainnet > spec.json`), replace them, then
/// `build-spec --chain spec.json --raw` (docs/governance.md).
pub fn mainnet() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("Ember")
		.with_id("ember")
		.with_chain_type(ChainType::Live)
		.with_genesis_config_preset_name(ember_runtime::genesis_config_presets::MAINNET_PRESET)
		.with_properties(properties())
		.build())
}

/// Resolves `--chain`: a built-in name or the path of a chain-spec JSON file.
pub fn load(id: &str) -> Result<Box<dyn sc_service::ChainSpec>, String> {
	Ok(match id {
		"dev" | "development" => Box::new(development()?),
		"" | "local" | "local_testnet" => Box::new(local_testnet()?),
		"mainnet" => Box::new(mainnet()?),
		path => {
			let path = std::path::PathBuf::from(path);
			if !path.is_file() {
				return Err(format!(
					"no chain spec at `{}`: pass --chain dev, --chain local, --chain mainnet, or the path of a \
					 chain-spec JSON file (make one with `ember-node build-spec --chain local`)",
					path.display()
				));
			}
			Box::new(ChainSpec::from_json_file(path.clone()).map_err(|e| {
				format!(
					"`{}` is not a valid chain spec ({e}); regenerate it with `ember-node \
					 build-spec --chain local > spec.json`",
					path.display()
				)
			})?)
		}
	})
}
