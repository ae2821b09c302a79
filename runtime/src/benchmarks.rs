//! The pallets `benchmark pallet` measures. Each pallet's weights.rs is generated from these.

// pallet-collator-selection (`ValidatorSet`) is not listed: its benchmarks need cumulus's session
// benchmarking pallet; the runtime uses its upstream `SubstrateWeight`.
frame_benchmarking::define_benchmarks!(
	[frame_system, SystemBench::<Runtime>]
	[pallet_balances, Balances]
	[pallet_timestamp, Timestamp]
	[pallet_sudo, Sudo]
	[pallet_utility, Utility]
	[pallet_collective, Council]
	[pallet_treasury, Treasury]
	[pallet_preimage, Preimage]
	[pallet_whitelist, Whitelist]
	[pallet_device_registry, DeviceRegistry]
	[pallet_pocps, Pocps]
	[pallet_compute_price, ComputePrice]
	[pallet_compute_pools, ComputePools]
	[pallet_reputation, Reputation]
	[pallet_verifiers, Verifiers]
	[pallet_slashing, Slashing]
	[pallet_issuance, Issuance]
);
