// The miner at scale and in company, with the real node and miner binaries:
// - a 1 GiB class (2^25 labels), the miner given a dead node's URL before the live one:
//   sealed on the CPU lane by lane; Ctrl-C stops the seal within
//   a second or two and a restart resumes it from the lanes on disk; then it answers, and rides
//   out a node restart without reloading or re-hashing the dataset (same process, no "loading"
//   line); its memory figures are read from its metrics;
// - two miner processes sharing one account (one per device, as one would run one per GPU)
//   both keep answering: their signatures take nonces one after another.
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  freePort, sendAndFinalize, startDevNode, startMiner, waitFor, watchFinalizedEvents,
} from '../lib/node.js';

const EMB = 10n ** 12n;
let node;
let keyring;
const seen = [];
const watching = [];

async function watch() {
  const from = seen.length ? Math.max(...seen.map((e) => e.block)) + 1 : null;
  watching.push(await watchFinalizedEvents(node.api, (event, block) => seen.push({ ...event, block }), from));
}

const of = (device, method) => seen.filter((e) => e.section === 'pocps' && e.method === method && e.data.device === device);
const registeredBy = (address) => seen
  .filter((e) => e.section === 'deviceRegistry' && e.method === 'DeviceRegistered' && e.data.owner === address)
  .map((e) => e.data.device);

// A metric of the class's series (every series is labelled device, backend and class).
const metric = async (port, name, cls = 'cpu-1g') => {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(`class="${cls}"`));
  return line ? Number(line.split(' ').pop()) : null;
};

// Each test runs its own chain: this machine has two device fingerprints (the CPU, and lavapipe
// through Vulkan), and each registers once per chain.
async function freshChain() {
  await stopChain();
  seen.length = 0;
  node = await startDevNode();
  await watch();
}

async function stopChain() {
  for (const unwatch of watching.splice(0)) {
    try { unwatch(); } catch { /* its node was restarted */ }
  }
  await node?.stop();
  node = null;
}

before(async () => {
  await cryptoWaitReady();
  keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
});

after(stopChain);

test('a 1 GiB class: Ctrl-C stops the seal, a restart resumes it; answers ride out a node restart without a reload', async () => {
  await freshChain();
  const alice = keyring.addFromUri('//Alice');
  const cpuDev = (await node.api.query.deviceRegistry.classes(0)).unwrap();
  // 64 lanes of 2^19 labels: 1 GiB. One hash per label keeps the seal short on CI's 2 cores;
  // the dataset's size, not its hashing cost, is what this test is about.
  const create = node.api.tx.sudo.sudo(node.api.tx.deviceRegistry.createClass({
    name: 'cpu-1g',
    minVramMib: 1024,
    pocps: { lanes: 64, laneLen: 1 << 19, parents: 6, iterations: 1, challenges: 4 },
    responseDeadline: cpuDev.responseDeadline,
    minChallengeInterval: cpuDev.minChallengeInterval,
    maxChallengeInterval: cpuDev.maxChallengeInterval,
    bond: 100n * EMB,
    requireCertificate: false,
  }));
  const { events } = await sendAndFinalize(node.api, create, alice);
  const created = events.find(({ event }) => event.section === 'deviceRegistry' && event.method === 'ClassCreated');
  assert.ok(created, 'ClassCreated');

  const base = mkdtempSync(join(tmpdir(), 'ember-miner-1g-'));
  const port = await freePort();
  // A dead node first: the miner fails over to the next --url (here and on every reconnect).
  const args = ['--url', `ws://127.0.0.1:1,${node.url}`, '--backend', 'cpu', '--base-path', base, '--suri', '//Charlie',
    '--log', 'info', 'run', '--class', 'cpu-1g', '--prometheus-port', `${port}`];

  // Stopped partway through the seal, it exits promptly and keeps its finished lanes.
  const first = startMiner(args);
  await waitFor(`a quarter of the 1 GiB seal (log: ${first.logPath})`,
    async () => (await metric(port, 'ember_miner_seal_progress').catch(() => null)) >= 0.25, 600_000, 250);
  const interrupted = Date.now();
  first.child.kill('SIGINT');
  const stopped = await first.exit;
  const stopSeconds = (Date.now() - interrupted) / 1000;
  assert.equal(stopped.code, 0, stopped.output.slice(-2000));
  assert.ok(stopSeconds < 5, `stopped ${stopSeconds} s after Ctrl-C`);
  assert.ok(existsSync(join(base, 'dataset.lanes')), 'the lanes done are recorded');
  const lanesDone = [...readFileSync(join(base, 'dataset.lanes'))].filter((b) => b === 1).length;
  assert.ok(lanesDone > 0 && lanesDone < 64, `${lanesDone} of 64 lanes on disk`);
  console.log(`# Ctrl-C during the 1 GiB seal: exited in ${stopSeconds.toFixed(2)} s with ${lanesDone}/64 lanes on disk`);

  const miner = startMiner(args);
  try {
    await waitFor(`the seal resumed (log: ${miner.logPath})`,
      () => /resuming the seal .*: (\d+) of 64 lanes already on disk/.test(miner.output()), 120_000);
    const resumedWith = Number(miner.output().match(/(\d+) of 64 lanes already on disk/)[1]);
    assert.ok(resumedWith >= lanesDone, `resumed with ${resumedWith} lanes`);
    const [device] = await waitFor('DeviceRegistered for Charlie', () => {
      const devices = registeredBy(keyring.addFromUri('//Charlie').address);
      return devices.length ? devices : null;
    }, 60_000);
    await waitFor(`the 1 GiB seal committed (log: ${miner.logPath})`, () => of(device, 'SealCommitted').length > 0, 600_000);
    await waitFor(`3 answers (log: ${miner.logPath})`, () => of(device, 'ChallengeAnswered').length >= 3, 300_000);
    assert.equal(of(device, 'ProofRejected').length, 0);
    assert.match(miner.output(), /sealing: \d+\.\d% \(\d+\/33554432 labels\)/, 'progress lines when stderr is not a terminal');

    // Memory while answering, from the miner's own metrics.
    const dataset = 1 << 30;
    const onDevice = await metric(port, 'ember_miner_dataset_device_bytes');
    const tree = await metric(port, 'ember_miner_tree_host_bytes');
    const rss = await metric(port, 'ember_miner_host_resident_bytes');
    assert.equal(onDevice, dataset, 'the CPU backend holds the dataset in RAM, once');
    assert.ok(tree <= dataset * 0.05, `host tree ${tree} bytes is ≤ 5 % of the dataset`);
    // The CPU backend's "device memory" is RAM: beyond it, the host holds the tree and a
    // fixed few hundred MiB at most.
    assert.ok(rss >= dataset && rss - dataset <= dataset * 0.05 + 256 * 2 ** 20, `RSS ${rss}`);
    console.log(`# cpu-1g answering: dataset in RAM ${onDevice} B, host tree ${tree} B (${(100 * tree / dataset).toFixed(2)} %), RSS ${rss} B (${(rss / 2 ** 20).toFixed(0)} MiB)`);

    // The node restarts under the miner: it reconnects, keeps the dataset it holds and answers on.
    const loads = (miner.output().match(/loading the dataset|sealing \d+ MiB/g) ?? []).length;
    const answered = of(device, 'ChallengeAnswered').length;
    node = await node.restart();
    await watch();
    await waitFor(`2 answers after the node restart (log: ${miner.logPath})`,
      () => of(device, 'ChallengeAnswered').length >= answered + 2, 240_000);
    assert.equal(of(device, 'ChallengeMissed').length, 0, 'no challenge missed across the restart');
    assert.equal((miner.output().match(/loading the dataset|sealing \d+ MiB/g) ?? []).length, loads,
      'the dataset was neither reloaded nor resealed on reconnect');
    assert.equal(miner.child.exitCode, null, 'the same miner process');
  } finally {
    miner.child.kill('SIGKILL');
    await miner.exit;
  }
});

test('two miners sharing one account both keep answering', async () => {
  await freshChain();
  const eve = keyring.addFromUri('//Eve').address;
  const start = (backend) => {
    const base = mkdtempSync(join(tmpdir(), `ember-miner-shared-${backend}-`));
    return startMiner(['--url', node.url, '--backend', backend, '--base-path', base, '--suri', '//Eve',
      '--log', 'info', 'run', '--class', 'cpu-dev', '--no-prometheus']);
  };
  // Two devices (the CPU, and lavapipe through Vulkan), one account, started together.
  const miners = [start('cpu'), start('vulkan')];
  try {
    const devices = await waitFor('both devices registered by Eve',
      () => (registeredBy(eve).length >= 2 ? registeredBy(eve) : null), 180_000);
    await waitFor(`4 answers from each (logs: ${miners.map((m) => m.logPath).join(', ')})`,
      () => devices.every((d) => of(d, 'ChallengeAnswered').length >= 4), 300_000);
    for (const d of devices) {
      assert.equal(of(d, 'ChallengeMissed').length, 0, `device ${d} missed nothing`);
      assert.equal(of(d, 'ProofRejected').length, 0);
    }
    for (const m of miners) assert.equal(m.child.exitCode, null, 'both miners still running');
  } finally {
    for (const m of miners) m.child.kill('SIGKILL');
    await Promise.all(miners.map((m) => m.exit));
  }
});
