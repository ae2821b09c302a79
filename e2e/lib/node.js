// Starts a real ember-node for a test and connects polkadot.js to it.
import { ApiPromise, WsProvider } from '@polkadot/api';
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const NODE_BIN =
  process.env.EMBER_NODE ??
  join(process.env.CARGO_TARGET_DIR ?? join(process.env.HOME, '.cache/ember/target'), 'release/ember-node');

export const MINER_BIN =
  process.env.EMBER_MINER ??
  join(process.env.CARGO_TARGET_DIR ?? join(process.env.HOME, '.cache/ember/target'), 'release/ember-miner');

export const VERIFIER_BIN =
  process.env.EMBER_VERIFIER ??
  join(process.env.CARGO_TARGET_DIR ?? join(process.env.HOME, '.cache/ember/target'), 'release/ember-verifier');

/**
 * Starts `ember-miner` with `args`; its output goes to a log file. `exit` resolves with the exit
 * code and the output once it stops.
 */
export function startMiner(args) {
  return startProcess(MINER_BIN, args, 'miner');
}

/** Starts `ember-verifier` with `args`, like `startMiner`. */
export function startVerifier(args) {
  return startProcess(VERIFIER_BIN, args, 'verifier');
}

function startProcess(bin, args, name) {
  const dir = mkdtempSync(join(tmpdir(), `ember-${name}-log-`));
  const logPath = join(dir, `${name}.log`);
  const log = createWriteStream(logPath);
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk) => { output += chunk; log.write(chunk); });
  }
  const exit = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, output })));
  return { child, logPath, exit, output: () => output };
}

/** Runs `ember-miner` with `args` to completion. */
export function runMiner(args) {
  return startMiner(args).exit;
}

/**
 * Calls `onEvent(event, blockNumber)` for every event of every finalized block from block `from`
 * (default: the next finalized head), in order (finality may skip heads; the blocks in between
 * are fetched by number). Returns a function that stops watching.
 */
export async function watchFinalizedEvents(api, onEvent, from = null) {
  let next = from;
  let queue = Promise.resolve();
  const unsub = await api.rpc.chain.subscribeFinalizedHeads((header) => {
    const upTo = header.number.toNumber();
    queue = queue.then(async () => {
      for (let n = next ?? upTo; n <= upTo; n++) {
        const hash = await api.rpc.chain.getBlockHash(n);
        const events = await api.query.system.events.at(hash);
        for (const { event } of events) {
          // Named fields as an object ({ device, owner, … }), like the Rust event.
          const values = event.data.toJSON();
          const names = event.data.names;
          const data = names ? Object.fromEntries(names.map((name, i) => [name, values[i]])) : values;
          onEvent({ section: event.section, method: event.method, data }, n);
        }
      }
      next = Math.max(next ?? 0, upTo + 1);
    }).catch(() => {});
  });
  return unsub;
}

/** A TCP port nobody listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns a truthy value, or fails after `timeoutMs`. */
export async function waitFor(what, check, timeoutMs = 120_000, intervalMs = 500) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (e) {
      lastError = e;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${lastError.message}` : ''}`);
}

/**
 * Starts `ember-node --dev` on free ports with its own temporary base path, and returns a
 * connected ApiPromise. The node's output goes to a log file whose path is printed on failure.
 * `restart()` stops it and starts it again on the same ports and base path.
 */
export async function startDevNode(extraArgs = [], reuse = null) {
  const rpcPort = reuse?.rpcPort ?? await freePort();
  const p2pPort = reuse?.p2pPort ?? await freePort();
  const dir = reuse?.dir ?? mkdtempSync(join(tmpdir(), 'ember-e2e-'));
  const logPath = join(dir, 'node.log');
  const log = createWriteStream(logPath, { flags: 'a' });
  const child = spawn(
    NODE_BIN,
    ['--dev', '--base-path', join(dir, 'db'), '--rpc-port', `${rpcPort}`, '--port', `${p2pPort}`,
      '--no-prometheus', '--no-telemetry', '--no-mdns', ...extraArgs],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  let exited = null;
  child.on('exit', (code) => { exited = code; });

  const url = `ws://127.0.0.1:${rpcPort}`;
  const api = await waitFor(`ember-node RPC at ${url} (log: ${logPath})`, async () => {
    if (exited !== null) throw new Error(`ember-node exited with ${exited}; see ${logPath}`);
    const provider = new WsProvider(url, false);
    try {
      await provider.connect();
      return await ApiPromise.create({ provider, throwOnConnect: true, noInitWarn: true });
    } catch (e) {
      await provider.disconnect().catch(() => {});
      throw e;
    }
  }, 60_000);

  const node = {
    api,
    url,
    logPath,
    async stop() {
      await api.disconnect().catch(() => {});
      if (exited === null) {
        const done = new Promise((r) => child.once('exit', r));
        child.kill('SIGINT');
        await done;
      }
    },
    async restart() {
      await node.stop();
      return startDevNode(extraArgs, { rpcPort, p2pPort, dir });
    },
  };
  return node;
}

/** Resolves when `number` is finalized. */
export function waitForFinalized(api, number, timeoutMs = 120_000) {
  return waitFor(`finalized block #${number}`, async () => {
    const head = await api.rpc.chain.getFinalizedHead();
    const header = await api.rpc.chain.getHeader(head);
    return header.number.toNumber() >= number;
  }, timeoutMs, 1000);
}

/**
 * Signs and sends `tx`, resolves with { blockHash, events, dispatchError } once the block that
 * includes it is finalized.
 */
export function sendAndFinalize(api, tx, signer) {
  return sendUntil(tx, signer, -1, (status) => status.isFinalized && status.asFinalized);
}

/**
 * Signs and sends `tx` (with `nonce`, or the node's next one), resolves with { blockHash,
 * events, dispatchError } once a block includes it (for steps that only need the next block,
 * not finality).
 */
export function sendAndInclude(api, tx, signer, nonce = -1) {
  return sendUntil(tx, signer, nonce, (status) => status.isInBlock && status.asInBlock);
}

/** Sends `tx` and resolves when `reached(status)` gives the block hash. */
function sendUntil(tx, signer, nonce, reached) {
  return new Promise((resolve, reject) => {
    let unsub;
    tx.signAndSend(signer, { nonce }, (result) => {
      const blockHash = reached(result.status);
      if (result.isError) {
        reject(new Error(`transaction ${result.status.type}`));
        unsub?.();
      } else if (blockHash) {
        resolve({ blockHash, events: result.events, dispatchError: result.dispatchError });
        unsub?.();
      }
    }).then((u) => { unsub = u; }, reject);
  });
}
