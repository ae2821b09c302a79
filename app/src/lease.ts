// A lease's keys and what they open: a fresh sr25519 key per lease (kept in this browser),
// the connection details the miner sealed to it, and the heartbeats it signs while the
// endpoint works.
import { bnToU8a, hexToU8a, stringToU8a, u8aConcat, u8aToHex, u8aToString } from '@polkadot/util';
import { naclDecrypt, randomAsU8a, sr25519Agreement, sr25519PairFromSeed, sr25519Sign } from '@polkadot/util-crypto';

const STORE = 'ember.leaseKeys';

export interface ConnectionDetails {
  endpoint: string;
  /** `SHA256:…`, as `ssh-keygen -l` prints it. */
  hostKey: string;
  /** The miner's lease endpoint (JSON-RPC over WebSocket). */
  heartbeat: string;
  lease: number;
}

type Pair = { publicKey: Uint8Array; secretKey: Uint8Array };

function stored(): Record<string, string> {
  try {
    return JSON.parse(localStorage.getItem(STORE) ?? '{}') as Record<string, string>;
  } catch {
    return {};
  }
}

/** A new lease key, kept (its seed) in this browser's storage; returns its public key. */
export function newLeaseKey(): Uint8Array {
  const seed = randomAsU8a(32);
  const pair = sr25519PairFromSeed(seed);
  const keys = stored();
  keys[u8aToHex(pair.publicKey)] = u8aToHex(seed);
  localStorage.setItem(STORE, JSON.stringify(keys));
  return pair.publicKey;
}

/** Forgets a lease key once its lease has ended (it could still sign for that lease). */
export function forgetLeaseKey(publicKey: string): void {
  const keys = stored();
  delete keys[publicKey];
  localStorage.setItem(STORE, JSON.stringify(keys));
}

/** The key pair whose public key is `publicKey`, if this browser made it. */
export function leasePair(publicKey: Uint8Array | string): Pair | null {
  const hex = typeof publicKey === 'string' ? publicKey : u8aToHex(publicKey);
  const seed = stored()[hex];
  return seed ? sr25519PairFromSeed(hexToU8a(seed)) : null;
}

/** Opens the miner's sealed details: ephemeral public key (32) ‖ nonce (24) ‖ secretbox. */
export function openDetails(pair: Pair, sealed: Uint8Array): ConnectionDetails {
  if (sealed.length < 56 + 16) throw new Error('the sealed connection details are too short');
  const shared = sr25519Agreement(pair.secretKey, sealed.subarray(0, 32));
  const opened = naclDecrypt(sealed.subarray(56), sealed.subarray(32, 56), shared);
  if (!opened) throw new Error('the connection details do not open with this lease key');
  return JSON.parse(u8aToString(opened)) as ConnectionDetails;
}

/** What the lease key signs for a heartbeat at block `at` (SCALE, as the chain checks it). */
export function heartbeatMessage(genesis: Uint8Array, lease: number, at: number): Uint8Array {
  return u8aConcat(
    stringToU8a('ember/heartbeat'),
    genesis,
    bnToU8a(lease, { bitLength: 64, isLe: true }),
    bnToU8a(at, { bitLength: 32, isLe: true }),
  );
}

/** What the lease key signs to have an SSH key installed. */
export function authorizeMessage(genesis: Uint8Array, lease: number, sshKey: string): Uint8Array {
  const key = stringToU8a(sshKey);
  return u8aConcat(
    stringToU8a('ember/authorize'),
    genesis,
    bnToU8a(lease, { bitLength: 64, isLe: true }),
    compactLength(key.length),
    key,
  );
}

function compactLength(n: number): Uint8Array {
  if (n < 64) return new Uint8Array([n << 2]);
  if (n < 16384) return bnToU8a((n << 2) | 1, { bitLength: 16, isLe: true });
  return bnToU8a(n * 4 + 2, { bitLength: 32, isLe: true });
}

export function sign(pair: Pair, message: Uint8Array): string {
  return u8aToHex(sr25519Sign(message, pair));
}

/** A host key fingerprint as `ssh-keygen -l` prints it. */
export function fingerprint(bytes: Uint8Array): string {
  let binary = '';
  bytes.forEach((b) => (binary += String.fromCharCode(b)));
  return `SHA256:${btoa(binary).replace(/=+$/, '')}`;
}

/** A JSON-RPC client for the miner's lease endpoint, over WebSocket. */
export class LeaseEndpoint {
  private socket: WebSocket;
  private next = 1;
  private waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly ready: Promise<void>;

  constructor(readonly url: string) {
    this.socket = new WebSocket(url);
    this.ready = new Promise((resolve, reject) => {
      this.socket.onopen = () => resolve();
      this.socket.onerror = () => reject(new Error(`cannot reach the lease endpoint ${url}`));
    });
    this.socket.onmessage = (event) => {
      const reply = JSON.parse(String(event.data)) as { id: number; result?: unknown; error?: { code: number; message: string } };
      const waiter = this.waiting.get(reply.id);
      if (!waiter) return;
      this.waiting.delete(reply.id);
      if (reply.error) waiter.reject(new Error(`${reply.error.message} (${reply.error.code})`));
      else waiter.resolve(reply.result);
    };
    this.socket.onclose = () => {
      for (const waiter of this.waiting.values()) waiter.reject(new Error(`the lease endpoint ${url} closed`));
      this.waiting.clear();
    };
  }

  async call<T>(method: string, params: Record<string, unknown>): Promise<T> {
    await this.ready;
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.socket.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
  }

  close(): void {
    this.socket.close();
  }
}
