//! The seed corpus: the scenarios of the runtime and pallet tests, as op sequences. The fuzzer
//! starts from these (`ember-fuzz seeds`), and `cargo test` runs each of them with the oracles.

use crate::ops::Op;
use codec::Encode;
use ember_runtime::RuntimeCall;

/// Bob's first device (the devices are indexed in id order).
const FIRST: u8 = 0;
const SECOND: u8 = 1;
const BOB: u8 = 1;
const CHARLIE: u8 = 2;
const DAVE: u8 = 3;
/// Mapped to the tiny class by `ops::class`.
const TINY: u8 = 0;

/// Two devices of the tiny class, sealed honestly and answering by themselves until active.
fn two_active_devices() -> Vec<Op> {
	vec![
		Op::Register { owner: BOB, class: TINY },
		Op::Register { owner: CHARLIE, class: TINY },
		Op::Seal { device: FIRST, honest: true },
		Op::Seal { device: SECOND, honest: true },
		Op::Auto { device: FIRST, on: true },
		Op::Auto { device: SECOND, on: true },
		Op::Blocks(24),
	]
}

/// Both devices staked (one providing liquidity, one selling), hours bought and redeemed for a
/// lease whose connection is posted.
fn market() -> Vec<Op> {
	let mut ops = two_active_devices();
	ops.extend([
		Op::Stake { device: FIRST, hours: 11, epochs: 0, sell: false, emb: 1_000 },
		Op::Stake { device: SECOND, hours: 11, epochs: 0, sell: true, emb: 0 },
		Op::Buy { who: DAVE, class: TINY, hours: 40, max_emb: 2_000 },
		Op::Redeem { who: DAVE, device: FIRST, hours: 1 },
		Op::Lease { lease: 0, action: 0 },
		Op::Blocks(3),
	]);
	ops
}

/// Named seeds, each after a test: `(name, ops)`.
pub fn all() -> Vec<(&'static str, Vec<Op>)> {
	let mut seeds = Vec::new();

	// runtime: register_seal_challenged_at_random_answer_then_miss_a_deadline.
	let mut pocps_loop = two_active_devices();
	pocps_loop.extend([
		Op::Stake { device: FIRST, hours: 11, epochs: 0, sell: false, emb: 100 },
		Op::Auto { device: FIRST, on: false },
		Op::Blocks(16),
	]);
	seeds.push(("pocps-loop-then-missed-deadline", pocps_loop));

	// pocps: a tampered seal check and storage proofs; a seal of nothing.
	seeds.push((
		"tampered-answers-and-a-dead-seal",
		vec![
			Op::Register { owner: BOB, class: TINY },
			Op::Register { owner: CHARLIE, class: TINY },
			Op::Seal { device: FIRST, honest: true },
			Op::Seal { device: SECOND, honest: false },
			Op::Blocks(2),
			Op::Answer { device: FIRST, tamper: Some(7) },
			Op::Seal { device: FIRST, honest: true },
			Op::Blocks(2),
			Op::Answer { device: FIRST, tamper: None },
			Op::Blocks(3),
			Op::Answer { device: FIRST, tamper: Some(300) },
			Op::Blocks(8),
		],
	));

	// compute-pools: the market loop, the lease ended, hours sold back, stakes claimed.
	let mut market_loop = market();
	market_loop.extend([
		Op::Blocks(12),
		Op::Lease { lease: 0, action: 2 },
		Op::Sell { who: DAVE, class: TINY, hours: 10 },
		Op::Renew { stake: 0, limit: 1_000 },
		Op::Blocks(100),
		Op::Renew { stake: 0, limit: 1_000 },
		Op::Claim { stake: 0 },
		Op::Claim { stake: 1 },
		Op::ExpireHolding { who: DAVE, class: TINY },
	]);
	seeds.push(("market-stake-buy-redeem-lease-claim", market_loop));

	// slashing: a lease client's evidence, a stranger's accusation upheld, another cancelled.
	let mut slashing = market();
	slashing.extend([
		Op::Report { who: DAVE, device: FIRST, offence: 0, incident: 0 },
		Op::Report { who: CHARLIE, device: SECOND, offence: 3, incident: 1 },
		Op::Report { who: BOB, device: SECOND, offence: 2, incident: 0 },
		Op::Slash { id: 1, action: 0 },
		Op::Slash { id: 2, action: 1 },
		Op::Slash { id: 0, action: 2 },
		Op::Blocks(40),
	]);
	seeds.push(("evidence-accusation-uphold-cancel", slashing));

	// compute-pools: retiring_a_device_ends_its_stake_and_lease_as_a_fault; then the bond.
	let mut retire = market();
	retire.extend([
		Op::Retire { device: FIRST },
		Op::Blocks(255),
		Op::Withdraw { device: FIRST },
		Op::Retire { device: SECOND },
	]);
	seeds.push(("retire-a-staked-leased-device", retire));

	// issuance: days of minting into the pools' streams, past an issuance period.
	let mut issuance = market();
	issuance.extend([Op::Blocks(255), Op::Blocks(255), Op::Blocks(255), Op::Blocks(255)]);
	seeds.push(("issuance-across-a-period", issuance));

	// Governance and plain calls through the `Call` op: root, signed and unsigned.
	let transfer = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
		dest: sp_runtime::MultiAddress::Id(sp_keyring::Sr25519Keyring::Eve.to_account_id()),
		value: 10 * ember_runtime::currency::EMB,
	});
	let remark = RuntimeCall::System(frame_system::Call::remark { remark: vec![1; 64] });
	let set_code = RuntimeCall::System(frame_system::Call::set_code { code: vec![0; 8] });
	seeds.push((
		"calls-by-every-origin",
		vec![
			Op::Call { origin: 1, call: remark.encode() },
			Op::Call { origin: 2, call: transfer.encode() },
			Op::Call { origin: 0, call: transfer.encode() },
			Op::Call { origin: 1, call: set_code.encode() },
			Op::Blocks(0),
		],
	));

	seeds
}
