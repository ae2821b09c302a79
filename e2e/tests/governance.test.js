// Governance without sudo (issue 18), with polkadot.js on a dev chain: council motions create a
// class and price it (and a bad floor is refused with its typed error, changing nothing), the
// technical committee upholds an accusation inside the dispute window, the council pays a
// treasury spend, and root needs both houses (the committee whitelists, the council dispatches).
// Sudo exists on the dev chain but no step uses it; the production preset has none at all.
import { Keyring } from '@polkadot/keyring';
import { u8aConcat } from '@polkadot/util';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { NODE_BIN, sendAndInclude, startDevNode } from '../lib/node.js';

const EMB = 10n ** 12n;
let node;
let api;
let mainnetSpec;
const who = {};

before(async () => {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519' });
  for (const name of ['Alice', 'Bob', 'Charlie', 'Dave', 'Eve', 'Ferdie']) {
    who[name] = keyring.addFromUri(`//${name}`);
  }
  // The production spec is built while the dev node starts. It carries the runtime's wasm: tens
  // of MiB of output.
  const spec = promisify(execFile)(NODE_BIN, ['build-spec', '--chain', 'mainnet'], { maxBuffer: 256 << 20 });
  node = await startDevNode();
  api = node.api;
  mainnetSpec = JSON.parse((await spec).stdout);
});

after(async () => {
  await node?.stop();
});

/** The dispatch error of a finished call as `section.Name`. */
function errorName(dispatchError) {
  if (!dispatchError.isModule) return dispatchError.toString();
  const meta = api.registry.findMetaError(dispatchError.asModule);
  return `${meta.section}.${meta.name}`;
}

/**
 * The next nonce of each signer, counted here so that one account can have several
 * transactions in one block (its motions run side by side).
 */
const nonces = new Map();
function nextNonce(signer) {
  const last = nonces.get(signer.address)
    ?? api.rpc.system.accountNextIndex(signer.address).then((n) => n.toNumber() - 1);
  const next = last.then((n) => n + 1);
  nonces.set(signer.address, next);
  return next;
}

/** Sends `tx` from `signer` and waits for its block. */
async function submit(tx, signer) {
  return sendAndInclude(api, tx, signer, await nextNonce(signer));
}

/** Sends `tx` from `signer`; fails the test on a dispatch error. */
async function send(tx, signer) {
  const result = await submit(tx, signer);
  assert.equal(result.dispatchError, undefined, result.dispatchError && errorName(result.dispatchError));
  return result;
}

/**
 * Moves `call` in `body` ('council' or 'technicalCommittee'): `proposer` proposes it needing
 * `threshold` ayes, it and `voters` vote aye (each from its own account, in one block), and the
 * proposer closes it. Returns the call's own result: null when it succeeded, else the error's
 * name.
 */
async function motion(body, threshold, call, proposer, voters) {
  const pallet = api.tx[body];
  const length = call.method.encodedLength;
  const { events } = await send(pallet.propose(threshold, call, length), proposer);
  const proposed = events.find(({ event }) => api.events[body].Proposed.is(event));
  assert.ok(proposed, `${body}.Proposed`);
  const { proposalIndex, proposalHash } = proposed.event.data;
  await Promise.all([proposer, ...voters].map((voter) => send(pallet.vote(proposalHash, proposalIndex, true), voter)));
  const { weight } = await call.paymentInfo(proposer);
  const closed = await send(pallet.close(proposalHash, proposalIndex, weight, length), proposer);
  const executed = closed.events.find(({ event }) => api.events[body].Executed.is(event));
  assert.ok(executed, `${body}.Executed (the motion met its threshold)`);
  const result = executed.event.data.result;
  return { error: result.isErr ? errorName(result.asErr) : null, events: closed.events };
}

test('the production preset has no sudo key and its bodies at genesis', { timeout: 30_000 }, () => {
  const patch = mainnetSpec.genesis.runtimeGenesis.patch;
  assert.equal(patch.sudo.key, null);
  assert.equal(patch.council.members.length, 7);
  assert.equal(patch.technicalCommittee.members.length, 3);
  // Only the GPU classes: no CPU class to farm rewards with.
  assert.deepEqual(patch.deviceRegistry.classes.map((c) => Buffer.from(c.name).toString()), ['gpu-80g', 'gpu-24g']);
  assert.ok(patch.validatorSet.desiredCandidates > 0, 'validator candidacy is open');
});

// A rejected transaction would leave a nonce gap and stall its signer: the timeout fails the test
// instead of hanging it.
test('motions create and price a class, uphold an accusation, pay a spend; root needs both houses', { timeout: 240_000 }, async () => {
  const { Alice, Bob, Charlie, Dave, Eve, Ferdie } = who;
  const class3 = (await api.query.deviceRegistry.nextClassId()).toNumber();
  const gpu = (await api.query.deviceRegistry.classes(2)).unwrap();

  // The root-only call: the council's own membership, with Ferdie added.
  const members = [Alice, Bob, Charlie, Dave, Eve, Ferdie].map((k) => k.address);
  const setMembers = api.tx.council.setMembers(members, null, 5);

  // Three motions of the council (Dave, Eve, Charlie: 3 of 5) and two of the committee (Alice,
  // Bob: 2 of 3) run side by side; each account's transactions carry consecutive nonces.
  const councilWork = (async () => {
    // One motion: the class, its base price, its pool.
    const price = 3n * EMB;
    const create = api.tx.utility.batchAll([
      api.tx.deviceRegistry.createClass({ ...gpu.toJSON(), name: 'gpu-48g' }),
      api.tx.computePrice.addPrice(class3, price, price / 20n, 500),
      api.tx.computePools.createPool(class3),
    ]);
    assert.equal((await motion('council', 3, create, Dave, [Eve, Charlie])).error, null);
    const created = (await api.query.deviceRegistry.classes(class3)).unwrap();
    assert.equal(created.name.toUtf8(), 'gpu-48g');
    assert.equal((await api.call.computePriceApi.basePrice(class3)).unwrap().toBigInt(), price);
    assert.equal((await api.call.computePriceApi.quote(class3, 5)).unwrap().toBigInt(), 5n * price);
    assert.ok((await api.query.computePools.pools(class3)).isSome);

    // Bad input through a motion: the call's typed error, and nothing changes.
    const bad = await motion('council', 3, api.tx.computePrice.setParameters(class3, 1, 500), Dave, [Eve, Charlie]);
    assert.equal(bad.error, 'computePrice.InvalidPrice');
    assert.equal((await api.query.computePrice.prices(class3)).unwrap().floor.toBigInt(), price / 20n);
  })();

  const treasuryWork = (async () => {
    // A treasury spend (3 of 5) to a new account, paid out at once.
    const grantee = new Keyring({ type: 'sr25519' }).addFromUri('//governance-e2e-grantee');
    const before = (await api.query.system.account(grantee.address)).data.free.toBigInt();
    assert.equal(before, 0n);
    const spend = api.tx.treasury.spend(null, 250n * EMB, grantee.address, null);
    const approved = await motion('council', 3, spend, Dave, [Eve, Charlie]);
    assert.equal(approved.error, null);
    const event = approved.events.find(({ event }) => api.events.treasury.AssetSpendApproved.is(event));
    const index = event.event.data.index;
    const paid = await send(api.tx.treasury.payout(index), Eve);
    assert.ok(paid.events.some(({ event }) => api.events.treasury.Paid.is(event)));
    const after = (await api.query.system.account(grantee.address)).data.free.toBigInt();
    assert.equal(after, 250n * EMB);
  })();

  const committeeWork = (async () => {
    // Ferdie registers a device; a stranger (Bob's stash) accuses it of a result mismatch: an
    // accusation applies only if governance upholds it inside the dispute window. Meanwhile a
    // member alone tries to create a class: the origin is the council's, not any signature.
    const keyring = new Keyring({ type: 'sr25519' });
    const deviceKey = keyring.addFromUri('//governance-e2e-device');
    const fingerprint = new Uint8Array(32).fill(0x48);
    const genesis = api.genesisHash.toU8a();
    const payload = u8aConcat(new TextEncoder().encode('EMBDEVKY'), Ferdie.publicKey, fingerprint, genesis);
    const [alone, registered] = await Promise.all([
      submit(api.tx.deviceRegistry.createClass(gpu), Alice),
      send(api.tx.deviceRegistry.registerDevice(
        0, 1024, fingerprint, deviceKey.publicKey, deviceKey.sign(payload), 'SelfSigned'), Ferdie),
    ]);
    assert.match(errorName(alone.dispatchError), /BadOrigin/);
    const device = registered.events
      .find(({ event }) => api.events.deviceRegistry.DeviceRegistered.is(event)).event.data.device.toNumber();
    const accuser = keyring.addFromUri('//Bob//stash');
    const reported = await send(api.tx.slashing.report(device, 'ResultMismatch', { Lease: 1 }), accuser);
    const id = reported.events.find(({ event }) => api.events.slashing.SlashScheduled.is(event)).event.data.id;
    // One member of the committee cannot uphold it; two of three can.
    const [one, upheld] = await Promise.all([
      submit(api.tx.slashing.uphold(id), Alice),
      motion('technicalCommittee', 2, api.tx.slashing.uphold(id), Alice, [Bob]),
    ]);
    assert.match(errorName(one.dispatchError), /BadOrigin/);
    assert.equal(upheld.error, null);
    assert.ok(upheld.events.some(({ event }) => api.events.slashing.ReportUpheld.is(event)));
    assert.ok((await api.query.slashing.pending(id)).unwrap().upheld.isTrue);
  })();

  // Root by both houses, first half: the committee (2 of 3) whitelists a root-only call.
  const whitelistWork = (async () => {
    const whitelisted = await motion('technicalCommittee', 2, api.tx.whitelist.whitelistCall(setMembers.method.hash), Alice, [Bob]);
    assert.equal(whitelisted.error, null);
  })();

  await Promise.all([councilWork, treasuryWork, committeeWork, whitelistWork]);

  // Second half: four of five of the council dispatch the whitelisted call, which runs as root.
  const dispatched = await motion('council', 4, api.tx.whitelist.dispatchWhitelistedCallWithPreimage(setMembers), Alice, [Bob, Dave, Eve]);
  assert.equal(dispatched.error, null);
  const asRoot = dispatched.events.find(({ event }) => api.events.whitelist.WhitelistedCallDispatched.is(event));
  assert.ok(asRoot, 'whitelist.WhitelistedCallDispatched');
  assert.ok(asRoot.event.data.result.isOk, `root call result: ${asRoot.event.data.result}`);
  assert.equal((await api.query.council.members()).length, 6);
});
