// Steps of the chaos test (chaos.zndsl), run by zombienet's `js-script` on a node:
//
//   start-miner        Dave's ember-miner registers, seals and answers on the node; returns 1
//                      once the device is Active.
//   finality,N         waits until the node finalizes N more blocks; returns how many it did.
//   answers,N          waits until the miner's device answers N more challenges.
//   mark               remembers the node's finalized height (before it is killed).
//   caught-up          the restarted node still has what it had (its finalized height did not
//                      go back to genesis, its blocks match alice's) and catches up with alice;
//                      returns 1.
//   upgrade            sets $EMBER_RUNTIME_WASM (the runtime one spec version on, from
//                      scripts/upgrade-wasm.sh) by sudo `set_code` and waits until the node
//                      runs it; returns its spec version.
//   flood,COUNT,SECS   submits up to COUNT signed remarks over loopback for at most SECS
//                      seconds, then waits for two more answers of the miner; returns how
//                      many remarks the pool took.
//   stop-miner         stops the miner; returns 1.
//
// The miner runs as a child of zombienet with its output in a file, and its pid in
// $TMPDIR/ember-chaos-miner.pid so that scripts/test.sh can stop it if a step fails.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const TARGET = process.env.CARGO_TARGET_DIR || path.join(os.homedir(), '.cache/ember/target');
const MINER = process.env.EMBER_MINER || path.join(TARGET, 'release/ember-miner');
// The runtime one spec version on (scripts/upgrade-wasm.sh).
const WASM = process.env.EMBER_RUNTIME_WASM;
const PID_FILE = path.join(os.tmpdir(), 'ember-chaos-miner.pid');

const state = global.__emberChaos || (global.__emberChaos = { marks: {} });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function connect(networkInfo, name) {
  const { wsUri } = networkInfo.nodesByName[name];
  const api = await zombie.ApiPromise.create({ provider: new zombie.WsProvider(wsUri), noInitWarn: true });
  return api;
}

async function finalizedNumber(api) {
  const hash = await api.rpc.chain.getFinalizedHead();
  return (await api.rpc.chain.getHeader(hash)).number.toNumber();
}

async function daveDevice(api) {
  const dave = new zombie.Keyring({ type: 'sr25519' }).addFromUri('//Dave').address;
  for (const [key, info] of await api.query.deviceRegistry.devices.entries()) {
    if (info.unwrap().owner.toString() === dave) return key.args[0].toNumber();
  }
  return null;
}

async function answered(api) {
  const device = await daveDevice(api);
  if (device === null) return 0;
  return (await api.query.pocps.stats(device)).answered.toNumber();
}

async function waitForMore(read, more) {
  const start = await read();
  for (;;) {
    const now = await read();
    if (now - start >= more) return now - start;
    await sleep(2000);
  }
}

const steps = {
  async 'start-miner'(api, networkInfo, name) {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'ember-chaos-miner-'));
    const log = fs.openSync(path.join(base, 'miner.log'), 'a');
    const url = networkInfo.nodesByName[name].wsUri;
    const child = spawn(MINER, ['--url', url, '--backend', 'cpu', '--base-path', base, '--suri', '//Dave',
      '--log', 'info', 'run', '--class', 'cpu-dev'], { stdio: ['ignore', log, log] });
    fs.writeFileSync(PID_FILE, `${child.pid}\n`);
    state.miner = child;
    console.log(`ember-miner ${child.pid} on ${url}, log ${path.join(base, 'miner.log')}`);
    for (;;) {
      const device = await daveDevice(api);
      if (device !== null) {
        const info = await api.query.deviceRegistry.devices(device);
        if (info.isSome && info.unwrap().status.toString() === 'Active') return 1;
      }
      if (child.exitCode !== null) throw new Error(`ember-miner exited with ${child.exitCode}`);
      await sleep(3000);
    }
  },
  async finality(api, _info, _name, [more]) {
    return waitForMore(() => finalizedNumber(api), Number(more));
  },
  async answers(api, _info, _name, [more]) {
    return waitForMore(() => answered(api), Number(more));
  },
  async mark(api, _info, name) {
    state.marks[name] = await finalizedNumber(api);
    return state.marks[name];
  },
  async 'caught-up'(api, networkInfo, name) {
    const marked = state.marks[name];
    const kept = await finalizedNumber(api);
    if (marked === undefined || kept < marked) {
      throw new Error(`${name} restarted at finalized #${kept}, below the #${marked} it had`);
    }
    const alice = await connect(networkInfo, 'alice');
    try {
      const target = await finalizedNumber(alice);
      while (await finalizedNumber(api) < target) await sleep(2000);
      for (const n of [1, marked, target]) {
        const [ours, theirs] = [await api.rpc.chain.getBlockHash(n), await alice.rpc.chain.getBlockHash(n)];
        if (!ours.eq(theirs)) throw new Error(`block #${n}: ${name} has ${ours}, alice ${theirs}`);
      }
      return 1;
    } finally {
      await alice.disconnect();
    }
  },
  async upgrade(api) {
    if (!WASM) throw new Error('EMBER_RUNTIME_WASM is not set (scripts/upgrade-wasm.sh prints it)');
    const code = fs.readFileSync(WASM);
    const before = (await api.rpc.state.getRuntimeVersion()).specVersion.toNumber();
    const sudo = new zombie.Keyring({ type: 'sr25519' }).addFromUri('//Alice');
    const call = api.tx.sudo.sudo(api.tx.system.setCode(`0x${code.toString('hex')}`));
    await new Promise((resolve, reject) => {
      call.signAndSend(sudo, ({ status, events, dispatchError }) => {
        if (dispatchError) reject(new Error(`set_code: ${dispatchError.toString()}`));
        const failed = events.find(({ event }) => event.section === 'sudo' && event.method === 'Sudid' &&
          event.data[0].isErr);
        if (failed) reject(new Error(`set_code failed: ${failed.event.data[0].toString()}`));
        if (status.isFinalized) resolve();
      }).catch(reject);
    });
    for (;;) {
      const version = await api.rpc.state.getRuntimeVersion();
      if (version.specVersion.toNumber() > before) return version.specVersion.toNumber();
      await sleep(2000);
    }
  },
  async flood(api, _info, _name, [count, seconds]) {
    const keyring = new zombie.Keyring({ type: 'sr25519' });
    const senders = ['//Eve', '//Ferdie', '//Charlie'].map((uri) => keyring.addFromUri(uri));
    const deadline = Date.now() + Number(seconds) * 1000;
    const per = Math.ceil(Number(count) / senders.length);
    const answeredBefore = await answered(api);
    let accepted = 0;
    await Promise.all(senders.map(async (sender) => {
      let nonce = (await api.rpc.system.accountNextIndex(sender.address)).toNumber();
      for (let i = 0; i < per && Date.now() < deadline; i++) {
        const tx = await api.tx.system.remark(`0x${'ee'.repeat(256)}`).signAsync(sender, { nonce: nonce++, era: 0 });
        try {
          await api.rpc.author.submitExtrinsic(tx);
          accepted++;
        } catch (error) {
          // A full pool refuses: that is the flood doing its job; carry on until the deadline.
          if (!/Immediately Dropped|Too low priority|limit/i.test(String(error))) throw error;
        }
      }
    }));
    // The answers land through (and after) the flood: they outrank remarks in the pool.
    await waitForMore(async () => (await answered(api)) - answeredBefore + 2, 2);
    return accepted;
  },
  async 'stop-miner'() {
    if (state.miner && state.miner.exitCode === null) state.miner.kill('SIGTERM');
    fs.rmSync(PID_FILE, { force: true });
    return 1;
  },
};

async function run(name, networkInfo, args) {
  const [step, ...rest] = args;
  if (!steps[step]) throw new Error(`chaos.js: no step "${step}"`);
  const api = await connect(networkInfo, name);
  try {
    return await steps[step](api, networkInfo, name, rest);
  } finally {
    await api.disconnect();
  }
}

module.exports = { run };
