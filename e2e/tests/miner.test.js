// The miner's whole loop against a real dev node, with the real ember-miner binary (cpu
// backend, the cpu-dev class): it registers, seals, passes its seal check and answers storage
// challenges drawn at random blocks, seen as finalized events; stopped, it faults. A second miner presenting the same device is refused, and bad
// input gives one clear message and a non-zero exit.
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  freePort, runMiner, sendAndFinalize, startDevNode, startMiner, waitFor, watchFinalizedEvents,
} from '../lib/node.js';

let node;
let keyring;
let minerBase;
let device = null;
const seen = [];

const watching = [];
// Watches finalized events, carrying on after the last block seen (across node restarts).
async function watch() {
  const from = seen.length ? Math.max(...seen.map((e) => e.block)) + 1 : null;
  watching.push(await watchFinalizedEvents(node.api, (event, block) => seen.push({ ...event, block }), from));
}

const minerArgs = (base, suri, ...rest) =>
  ['--url', node.url, '--backend', 'cpu', '--base-path', base, '--suri', suri, '--log', 'info', ...rest];

before(async () => {
  await cryptoWaitReady();
  keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  node = await startDevNode();
  await watch();
});

after(async () => {
  for (const unwatch of watching) {
    try { unwatch(); } catch { /* its node was restarted */ }
  }
  await node?.stop();
});

const ours = (method) => seen.filter((e) => e.section === 'pocps' && e.method === method && e.data.device === device);

const metric = async (port, name) => {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes('class="cpu-dev"'));
  return line ? Number(line.split(' ')[1]) : 0;
};

test('a miner registers, seals and answers challenges, rides out a node restart; stopped, it faults', async () => {
  minerBase = mkdtempSync(join(tmpdir(), 'ember-miner-'));
  const dave = keyring.addFromUri('//Dave').address;
  const port = await freePort();
  const miner = startMiner([...minerArgs(minerBase, '//Dave'), 'run', '--class', 'cpu-dev', '--prometheus-port', `${port}`]);
  try {
    const registered = await waitFor('DeviceRegistered for Dave', () =>
      seen.find((e) => e.section === 'deviceRegistry' && e.method === 'DeviceRegistered' && e.data.owner === dave),
      120_000);
    device = registered.data.device;
    await waitFor('SealCommitted', () => ours('SealCommitted').length > 0, 120_000);
    await waitFor(`3 answered challenges (miner log: ${miner.logPath})`,
      () => ours('ChallengeAnswered').length >= 3, 240_000);
    assert.equal(ours('ChallengeMissed').length, 0, 'no challenge missed while the miner ran');
    assert.equal(ours('ProofRejected').length, 0, 'no proof rejected');
    const status = await node.api.call.pocpsApi.deviceStatus(device);
    assert.equal(status.unwrap().toString(), 'Active');
    // The seal check came first; every later challenge was a storage challenge the chain drew
    // at a block it published nowhere in advance (there is no "next challenge" to ask for).
    const kinds = ours('ChallengeOpened').map((e) => e.data.sealCheck ?? e.data.seal_check);
    assert.equal(kinds[0], true, 'the first challenge after sealing is the seal check');
    assert.ok(kinds.length >= 3 && kinds.slice(1).every((k) => k === false), `kinds ${kinds}`);
    assert.equal(node.api.call.pocpsApi.nextChallengeAt, undefined, 'no published schedule');
    await waitFor('3 answers in the miner\'s metrics',
      async () => (await metric(port, 'ember_miner_challenges_answered_total')) >= 3, 60_000);
    assert.ok((await metric(port, 'ember_miner_challenges_received_total')) >= 3);

    // The node restarts: the miner reconnects by itself and goes on answering.
    const before = ours('ChallengeAnswered').length;
    node = await node.restart();
    await watch();
    await waitFor(`2 more answers after the node restarted (miner log: ${miner.logPath})`,
      () => ours('ChallengeAnswered').length >= before + 2, 180_000);
    assert.equal(ours('ChallengeMissed').length, 0, 'no challenge missed across the restart');
  } finally {
    miner.child.kill('SIGKILL');
    await miner.exit;
  }
  // Stopped: its next challenge goes unanswered and the chain records the fault.
  await waitFor('ChallengeMissed after the miner stopped', () => ours('ChallengeMissed').length > 0, 180_000);
  const status = await node.api.call.pocpsApi.deviceStatus(device);
  assert.equal(status.unwrap().toString(), 'Suspended');
  const stats = await node.api.call.pocpsApi.stats(device);
  assert.ok(stats.answered.toNumber() >= 3);
  assert.equal(stats.missed.toNumber(), 1);
});

test('a second miner presenting the same device is refused', async () => {
  assert.notEqual(device, null, 'the first test registered a device');
  const other = mkdtempSync(join(tmpdir(), 'ember-miner-'));
  const result = await runMiner([...minerArgs(other, '//Eve'), 'register', '--class', 'cpu-dev']);
  assert.notEqual(result.code, 0);
  assert.match(result.output, /already registered as device \d+ by another account/);

  // And the chain itself refuses the fingerprint, whatever the client does.
  const info = (await node.api.query.deviceRegistry.devices(device)).unwrap();
  const eve = keyring.addFromUri('//Eve');
  const tx = node.api.tx.deviceRegistry.registerDevice(
    0, 1024, info.fingerprint, new Uint8Array(32).fill(7), new Uint8Array(64), 'SelfSigned');
  const { dispatchError } = await sendAndFinalize(node.api, tx, eve);
  const error = node.api.registry.findMetaError(dispatchError.asModule);
  assert.equal(`${error.section}.${error.name}`, 'deviceRegistry.DuplicateFingerprint');
});

test('bad input: one clear message and a non-zero exit, never a panic', async () => {
  const base = mkdtempSync(join(tmpdir(), 'ember-miner-'));
  const cases = [
    [['--url', 'ws://127.0.0.1:1', '--backend', 'cpu', '--base-path', base, '--suri', '//Ferdie', 'register', '--class', 'cpu-dev'],
      /cannot connect to the node at ws:\/\/127\.0\.0\.1:1/],
    [[...minerArgs(base, '//Ferdie'), 'register', '--class', 'no-such-class'],
      /unknown device class `no-such-class`; classes on chain: cpu-dev \(0\)/],
    [[...minerArgs(base, '//Ferdie'), 'register', '--class', 'gpu-80g'],
      /MiB of memory but class `gpu-80g` needs 80000 MiB/],
    [[...minerArgs(base, '//Ferdie//unfunded'), 'register', '--class', 'cpu-dev'],
      /has 0\.000 EMB free but 101\.000 EMB is needed/],
    [[...minerArgs(base, '//Ferdie'), 'run', '--bogus-flag'], /unexpected argument '--bogus-flag'/],
    [['--url', node.url, '--backend', 'cuda', '--base-path', base, '--suri', '//Ferdie', 'seal'],
      /backend cuda is unavailable|this miner has no device/],
  ];
  for (const [args, expected] of cases) {
    const result = await runMiner(args);
    assert.notEqual(result.code, 0, `exit code for ${args.join(' ')}`);
    assert.match(result.output, expected);
    assert.doesNotMatch(result.output, /panicked/);
  }

  // An unreadable dataset file where the miner's dataset should be: it is the operator's to look
  // at, not overwritten (a label flipped inside a *committed* dataset is caught on load:
  // miner/tests/dataset.rs; the first miner's device is suspended by now, so its next seal is a
  // new one and would not read the old labels at all).
  assert.ok(minerBase, 'the first test sealed a dataset');
  const corrupt = mkdtempSync(join(tmpdir(), 'ember-miner-'));
  cpSync(minerBase, corrupt, { recursive: true });
  const file = join(corrupt, 'dataset.bin');
  const bytes = readFileSync(file);
  bytes[0] ^= 0xff;
  writeFileSync(file, bytes);
  const result = await runMiner([...minerArgs(corrupt, '//Dave'), 'seal']);
  assert.notEqual(result.code, 0);
  assert.match(result.output, /dataset file .* is corrupted \(not an ember-miner dataset of this version \(bad magic\)\); delete it/);
  assert.doesNotMatch(result.output, /panicked/);
});
