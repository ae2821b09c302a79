// Residency rounds end to end, with the real node, two miners and three verifiers:
// - an honest miner (CPU backend) passes its rounds and its on-chain audit;
// - at the same time, a device that holds only 15/16 of its dataset in fast memory (Vulkan
//   backend) is passed by the two lazy verifiers that skip their off-chain audit, failed by the
//   honest one, audited on chain, fails the audit and is faulted; both verifiers that passed it
//   are slashed;
// - the honest miner, restarted slower than the class's deadline (8 s added to each round),
//   fails on time, and the failed round becomes a PoCPS fault;
// - bad input to a miner's round endpoint gets a typed JSON-RPC error, and a verdict from an
//   account that is no verifier of the round is refused and changes nothing.
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  freePort, sendAndFinalize, startDevNode, startMiner, startVerifier, waitFor, watchFinalizedEvents,
} from '../lib/node.js';

let node;
let keyring;
const seen = [];
const processes = [];
let unwatch;

const events = (method, pred = () => true) =>
  seen.filter((e) => e.section === 'verifiers' && e.method === method && pred(e.data));
const deviceOf = (address) => seen
  .find((e) => e.section === 'deviceRegistry' && e.method === 'DeviceRegistered' && e.data.owner === address)
  ?.data.device;

before(async () => {
  await cryptoWaitReady();
  keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  node = await startDevNode();
  unwatch = await watchFinalizedEvents(node.api, (event, block) => seen.push({ ...event, block }));
});

after(async () => {
  for (const p of processes) p.child.kill('SIGINT');
  await Promise.all(processes.map((p) => p.exit));
  unwatch?.();
  await node?.stop();
});

async function miner(suri, backend, extra) {
  const base = mkdtempSync(join(tmpdir(), 'ember-round-miner-'));
  const rounds = await freePort();
  const args = ['--url', node.url, '--backend', backend, '--base-path', base, '--suri', suri,
    'run', '--class', 'cpu-dev', '--prometheus-port', `${await freePort()}`,
    '--round-listen', `127.0.0.1:${rounds}`, ...extra];
  const started = startMiner(args);
  processes.push(started);
  return { ...started, base, args, rounds };
}

test('verifiers pass an honest device, fail a slow one on time, and an audit catches a partial one and slashes its passers', async () => {
  const alice = keyring.addFromUri('//Alice');
  const share = await sendAndFinalize(node.api,
    node.api.tx.sudo.sudo(node.api.tx.verifiers.setAuditShare(1_000_000_000)), alice);
  assert.ok(share.events.some(({ event }) => event.method === 'AuditShareSet'), 'every pass audited');

  const verifiers = { honest: '//Eve', lazyA: '//Ferdie', lazyB: '//Bob' };
  for (const [role, suri] of Object.entries(verifiers)) {
    const extra = role === 'honest' ? [] : ['--unsafe-skip-audit'];
    // Twice the minimum bond, so one slash does not expel it.
    const v = startVerifier(['--url', node.url, '--suri', suri, '--prometheus-port', `${await freePort()}`,
      '--timeout', '40', '--bond', `${2000n * 10n ** 12n}`, ...extra]);
    processes.push(v);
    verifiers[role] = { suri, address: keyring.addFromUri(suri).address, process: v };
  }
  await waitFor('three verifiers bonded', () => events('VerifierRegistered').length === 3, 120_000);

  // Two devices at once (one machine has two fingerprints: its CPU and its Vulkan adapter):
  // honest on the CPU backend, and one holding 15/16 of its dataset in fast memory on Vulkan
  // (every 16th block from slow memory).
  const honest = await miner('//Charlie', 'cpu', []);
  const partial = await miner('//Dave', 'vulkan', ['--unsafe-round-drop-every', '16']);
  const [a, c] = await waitFor('both devices registered', () => {
    const devices = ['//Charlie', '//Dave'].map((suri) => deviceOf(keyring.addFromUri(suri).address));
    return devices.every((d) => d !== undefined) ? devices : null;
  }, 180_000);
  await waitFor('both endpoints set', () => events('EndpointSet').length >= 2, 180_000);

  // The honest device passes a round by its committee's majority, and its audit verifies.
  const passed = await waitFor(`device ${a} passes a round (miner log: ${honest.logPath})`,
    () => events('RoundPassed', (d) => d.device === a)[0], 400_000);
  await waitFor(`device ${a}'s audit verifies`, () => events('AuditPassed', (d) => d.device === a).length > 0, 120_000);
  assert.ok(events('VerdictsPosted', (d) => d.round === passed.data.round).length >= 3, 'every verifier posted');

  // The partial device: the lazy majority passes it, the on-chain audit does not.
  const audited = await waitFor(`device ${c}'s pass audited (miner log: ${partial.logPath})`,
    () => events('AuditFailed', (d) => d.device === c)[0], 600_000);
  const round = audited.data.round;
  assert.ok(events('RoundPassed', (d) => d.device === c && d.round === round).length === 1, 'passed by the lazy majority');
  const slashed = events('VerifierSlashed', (d) => d.reason === 'PassedFailedAudit').map((e) => e.data.who);
  assert.ok(slashed.includes(verifiers.lazyA.address) && slashed.includes(verifiers.lazyB.address),
    `both lazy verifiers slashed (${slashed})`);
  assert.ok(!slashed.includes(verifiers.honest.address), 'the honest verifier, which failed it, is not');
  assert.match(verifiers.honest.process.output(), new RegExp(`round ${round} device ${c}: bad_audit`));
  assert.ok(seen.some((e) => e.section === 'pocps' && e.method === 'RoundFaulted' && e.data.device === c
    && e.data.outcome === 'InvalidProof'), 'faulted for an invalid proof');
  assert.equal(events('VerifierSlashed', (d) => d.reason === 'MissedRound').length, 0, 'nobody missed a round');

  // Bad input to the round endpoint: a typed error, and the endpoint still serves.
  const call = async (method, params) => (await fetch(`http://127.0.0.1:${honest.rounds}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  })).json();
  const zero32 = `0x${'00'.repeat(32)}`;
  const roundParams = (await node.api.query.verifiers.roundPolicy(0)).unwrap().toJSON();
  const badSignature = await call('round_challenge', {
    device: a, seed: zero32, nonce: zero32, round: roundParams, verifier: zero32, signature: `0x${'00'.repeat(64)}`,
  });
  assert.equal(badSignature.error?.code, -32003, JSON.stringify(badSignature));
  const malformed = await call('round_open', { device: a, seed: '0x12', nonce: zero32, verifier: zero32, segments: [] });
  assert.equal(malformed.error?.code, -32008, JSON.stringify(malformed));
  const unknown = await call('round_open', { device: a, seed: zero32, nonce: zero32, verifier: zero32, segments: [] });
  assert.equal(unknown.error?.code, -32005, JSON.stringify(unknown));

  // Then the honest device is restarted slower than the class's deadline (8 s added to every
  // round, as a slower medium would): it fails on time (the lazy verifiers check the deadline
  // too) and is faulted once the re-test window has passed.
  honest.child.kill('SIGINT');
  await honest.exit;
  const slow = startMiner([...honest.args, '--unsafe-round-delay-ms', '8000']);
  processes.push(slow);
  const b = a;
  const failed = await waitFor(`device ${b} fails a round on time (miner log: ${slow.logPath})`,
    () => events('RoundFailed', (d) => d.device === b)[0], 400_000);
  await waitFor(`device ${b}'s failed round becomes a fault`,
    () => events('DeviceFaulted', (d) => d.device === b && d.round === failed.data.round).length > 0, 120_000);
  assert.ok(seen.some((e) => e.section === 'pocps' && e.method === 'RoundFaulted' && e.data.device === b),
    'the fault went through PoCPS');
  const late = verifiers.honest.process.output();
  assert.match(late, new RegExp(`device ${b}: late`), 'the honest verifier saw it late');

  // A verdict from Alice, who is no verifier: refused, no tally written. Sent early in a round,
  // so the round is still open when it is included.
  const current = await waitFor('the start of a round', async () => {
    const round = (await node.api.query.verifiers.currentRound()).toJSON();
    const best = (await node.api.rpc.chain.getHeader()).number.toNumber();
    return best - round.started <= 3 ? round.index : null;
  }, 120_000, 1000);
  const bad = await sendAndFinalize(node.api,
    node.api.tx.verifiers.postVerdicts(current, [[a, { Fail: 'Late' }]]), alice);
  assert.ok(bad.dispatchError?.isModule, 'refused');
  const { section, name } = node.api.registry.findMetaError(bad.dispatchError.asModule);
  assert.equal(`${section}.${name}`, 'verifiers.NotInRound');
  const tally = await node.api.query.verifiers.tallies(current, a);
  assert.ok(tally.isNone || !tally.unwrap().fails.toJSON().includes(alice.address), 'nothing recorded for Alice');
});
