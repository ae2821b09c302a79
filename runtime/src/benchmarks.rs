//! The pallets `benchmark pallet` measures. Each pallet's weights.rs is generated from these.

frame_benchmarking::define_benchmarks!(
	[frame_system, SystemBench::<Runtime>]
	[pallet_balances, Balances]
	[pallet_timestamp, Timestamp]
	[pallet_collator_selection, ValidatorSet]
	[pallet_sudo, Sudo]
	[pallet_utility, Utility]
	[pallet_device_registry, DeviceRegistry]
	[pallet_pocps, Pocps]
);
