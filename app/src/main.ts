// Ember's client app: classes, base prices and pools; buying hours; redeeming, acknowledging,
// checking and releasing leases. Every failure is shown in words.
import type { ApiPromise } from '@polkadot/api';
import type { EventRecord } from '@polkadot/types/interfaces';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { drawChart } from './chart';
import { connect, EMB, formatEmb, formatHours, MILLIHOURS, send } from './chain';
import {
  authorizeMessage, type ConnectionDetails, fingerprint, forgetLeaseKey, heartbeatMessage, LeaseEndpoint,
  leasePair, newLeaseKey, openDetails, sign,
} from './lease';
import { type Account, devAccounts, walletAccounts } from './wallet';
import './style.css';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
const NODE = params.get('node') ?? 'ws://127.0.0.1:9944';
/** Seconds between heartbeats while a lease is acknowledged. */
const HEARTBEAT_SECONDS = Number(params.get('heartbeat') ?? 6);

interface ClassRow { id: number; name: string }
interface LeaseView {
  id: number;
  device: number;
  class: number;
  hours: number;
  end: number;
  clientKey: string;
  connection: Uint8Array | null;
  state: string;
  since: number | null;
  deadline: number | null;
  hostKey: string | null;
}
interface Beat { endpoint: LeaseEndpoint; sent: number; accepted: number; error: string | null; timer: number }

let api: ApiPromise;
let accounts: Account[] = [];
let account: Account | null = null;
let classes: ClassRow[] = [];
let best = 0;
const prices = new Map<number, Array<[number, number]>>();
const details = new Map<number, ConnectionDetails | string>();
const beats = new Map<number, Beat>();
const myLeases = new Set<number>();
/** Each of my leases' key (0x-hex public key), to forget it when the lease ends. */
const leaseKeys = new Map<number, string>();
/** The chain's genesis hash: heartbeats and SSH keys are signed for this chain only. */
let genesis: Uint8Array = new Uint8Array(32);

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function say(text: string, kind: 'error' | 'notice' = 'notice'): void {
  const item = document.createElement('p');
  item.className = kind;
  item.textContent = text;
  const box = $('messages');
  box.prepend(item);
  while (box.children.length > 6) box.lastChild?.remove();
}

/** Runs `work`, showing its failure in words (and never leaving a button stuck). */
async function attempt(what: string, work: () => Promise<void>, button?: HTMLButtonElement): Promise<void> {
  if (button) button.disabled = true;
  try {
    await work();
  } catch (e) {
    say(`${what} failed: ${(e as Error).message}`, 'error');
  } finally {
    if (button) button.disabled = false;
  }
}

function needAccount(): Account {
  if (!account) throw new Error('choose an account first (top right)');
  return account;
}

function event(events: EventRecord[], method: string) {
  return events.find(({ event: e }) => e.section === 'computePools' && e.method === method)?.event;
}

// ---- accounts ----

function fillAccounts(): void {
  const select = $<HTMLSelectElement>('account');
  const chosen = select.value;
  select.innerHTML = '<option value="">— choose an account —</option>' +
    accounts.map((a) => `<option value="${a.address}">${escape(a.name)} ${a.address.slice(0, 8)}…</option>`).join('');
  select.value = accounts.some((a) => a.address === chosen) ? chosen : '';
}

$('connect-wallet').addEventListener('click', () =>
  attempt('Connecting a wallet', async () => {
    const found = await walletAccounts();
    accounts = [...found, ...accounts.filter((a) => a.pair)];
    fillAccounts();
    say(`${found.length} wallet account(s) available`);
  }),
);

$<HTMLSelectElement>('account').addEventListener('change', (e) => {
  account = accounts.find((a) => a.address === (e.target as HTMLSelectElement).value) ?? null;
  void refresh();
});

// ---- classes, prices, pools ----

async function loadClasses(): Promise<void> {
  const entries = await api.query.deviceRegistry.classes.entries();
  classes = entries
    .map(([key, value]) => {
      const id = (key.args[0] as unknown as { toNumber(): number }).toNumber();
      const info = (value as unknown as { unwrap(): { name: { toUtf8(): string } } }).unwrap();
      return { id, name: info.name.toUtf8() };
    })
    .sort((a, b) => a.id - b.id);
  const options = classes.map((c) => `<option value="${c.id}">${escape(c.name)} (${c.id})</option>`).join('');
  for (const id of ['buy-class', 'redeem-class', 'chart-class']) {
    const select = $<HTMLSelectElement>(id);
    const chosen = select.value;
    select.innerHTML = options;
    if (chosen) select.value = chosen;
  }
}

async function basePrice(classId: number, at?: string): Promise<bigint | null> {
  const source = at ? await api.at(at) : api;
  const price = (await source.query.computePrice.prices(classId)) as unknown as {
    isSome: boolean; unwrap(): { price: { toBigInt(): bigint } };
  };
  return price.isSome ? price.unwrap().price.toBigInt() : null;
}

/** The last ~250 blocks' base prices (what the node's pruned state keeps), then one per block. */
async function loadPriceHistory(): Promise<void> {
  const head = (await api.rpc.chain.getHeader()).number.toNumber();
  const from = Math.max(1, head - 240);
  for (let n = from; n <= head; n += 20) {
    const hash = (await api.rpc.chain.getBlockHash(n)).toHex();
    for (const c of classes) {
      const price = await basePrice(c.id, hash).catch(() => null);
      if (price !== null) pushPrice(c.id, n, price);
    }
  }
}

function pushPrice(classId: number, block: number, price: bigint): void {
  const series = prices.get(classId) ?? [];
  if (series.length > 0 && series[series.length - 1][0] >= block) return;
  series.push([block, Number(price) / Number(EMB)]);
  if (series.length > 400) series.shift();
  prices.set(classId, series);
}

async function renderClasses(): Promise<void> {
  const rows = await Promise.all(classes.map(async (c) => {
    const price = await basePrice(c.id);
    if (price !== null) pushPrice(c.id, best, price);
    const pool = (await api.call.computePoolsApi.pool(c.id)) as unknown as { isSome: boolean; unwrap(): { ch: { toBigInt(): bigint } } };
    const quote = (await api.call.computePoolsApi.quoteBuy(c.id, MILLIHOURS)) as unknown as { isSome: boolean; unwrap(): { toBigInt(): bigint } };
    const offers = (await api.call.computePoolsApi.offers(c.id, 32)) as unknown as Array<[{ toNumber(): number }, { toNumber(): number }]>;
    // Each free device with its reputation (Perbill), best first: what redeemAny picks from.
    const offerList = offers.map(([device, score]) => `#${device.toNumber()} (${(score.toNumber() / 1e7).toFixed(0)} %)`).join(', ');
    let held = '—';
    if (account) {
      const holding = (await api.call.computePoolsApi.holding(c.id, account.address)) as unknown as {
        isSome: boolean; unwrap(): { amount: { toBigInt(): bigint } };
      };
      held = holding.isSome ? formatHours(holding.unwrap().amount.toBigInt()) : '0 h';
    }
    return `<tr data-class="${c.id}"><td>${escape(c.name)}</td>
      <td class="base-price">${price === null ? 'not priced' : formatEmb(price)}</td>
      <td class="pool-price">${quote.isSome ? formatEmb(quote.unwrap().toBigInt()) : 'no liquidity'}</td>
      <td>${pool.isSome ? formatHours(pool.unwrap().ch.toBigInt()) : 'no pool'}</td>
      <td><span class="offers">${offers.length}</span>${offerList ? ` <small class="offer-list">${offerList}</small>` : ''}</td><td class="held">${held}</td></tr>`;
  }));
  $('classes').querySelector('tbody')!.innerHTML = rows.join('');
  const chartClass = Number($<HTMLSelectElement>('chart-class').value || classes[0]?.id || 0);
  drawChart($('chart') as unknown as SVGSVGElement, prices.get(chartClass) ?? [], 'EMB/h');
}

// ---- buying ----

async function quote(): Promise<bigint | null> {
  const classId = Number($<HTMLSelectElement>('buy-class').value);
  const hours = BigInt(Math.max(1, Math.floor(Number($<HTMLInputElement>('buy-hours').value) || 1)));
  const q = (await api.call.computePoolsApi.quoteBuy(classId, hours * MILLIHOURS)) as unknown as { isSome: boolean; unwrap(): { toBigInt(): bigint } };
  const cost = q.isSome ? q.unwrap().toBigInt() : null;
  $('buy-quote').textContent = cost === null ? 'The pool cannot sell that many hours now.' : `Costs ${formatEmb(cost)} (fee included)`;
  return cost;
}

for (const id of ['buy-class', 'buy-hours']) $(id).addEventListener('input', () => void quote().catch(() => {}));

$('buy-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void attempt('Buying hours', async () => {
    const who = needAccount();
    const classId = Number($<HTMLSelectElement>('buy-class').value);
    const hours = BigInt(Math.floor(Number($<HTMLInputElement>('buy-hours').value)));
    if (hours < 1n) throw new Error('buy at least one hour');
    const cost = await quote();
    if (cost === null) throw new Error('the pool cannot sell that many hours now');
    // 1 % slippage allowance: the chain refuses the trade if the price moved further.
    const events = await send(api, api.tx.computePools.buyHours(classId, hours * MILLIHOURS, (cost * 101n) / 100n), who);
    const bought = event(events, 'HoursBought');
    say(`Bought ${hours} hour(s) of class ${classId}${bought ? ` for ${formatEmb((bought.data[3] as unknown as { toBigInt(): bigint }).toBigInt())}` : ''}`);
    await refresh();
  }, $<HTMLButtonElement>('buy-button'));
});

// ---- redeeming ----

$('redeem-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void attempt('Redeeming a lease', async () => {
    const who = needAccount();
    const classId = Number($<HTMLSelectElement>('redeem-class').value);
    const hours = Math.floor(Number($<HTMLInputElement>('redeem-hours').value));
    if (!(hours >= 1)) throw new Error('redeem at least one hour');
    const deviceText = $<HTMLInputElement>('redeem-device').value.trim();
    if (deviceText && !/^\d+$/.test(deviceText)) throw new Error('the device is a number (or leave it empty for the best offer)');
    const key = newLeaseKey();
    const tx = deviceText
      ? api.tx.computePools.redeem(Number(deviceText), hours, key)
      : api.tx.computePools.redeemAny(classId, hours, key);
    const events = await send(api, tx, who);
    const started = event(events, 'LeaseStarted');
    if (!started) throw new Error('the chain recorded no LeaseStarted');
    const lease = (started.data[0] as unknown as { toNumber(): number }).toNumber();
    const device = (started.data[2] as unknown as { toNumber(): number }).toNumber();
    myLeases.add(lease);
    say(`Lease ${lease} started on device ${device}: waiting for the miner's connection details`);
    await refresh();
  }, $<HTMLButtonElement>('redeem-button'));
});

// ---- leases ----

async function loadLeases(): Promise<LeaseView[]> {
  if (!account) return [];
  const list = (await api.call.computePoolsApi.clientLeases(account.address)) as unknown as Array<[{ toNumber(): number }, {
    device: { toNumber(): number }; class: { toNumber(): number }; hours: { toNumber(): number }; end: { toNumber(): number };
    clientKey: { toHex(): string }; connection: { isSome: boolean; unwrap(): { toU8a(bare: boolean): Uint8Array } };
  }]>;
  return Promise.all(list.map(async ([idCodec, lease]) => {
    const id = idCodec.toNumber();
    myLeases.add(id);
    leaseKeys.set(id, lease.clientKey.toHex());
    const delivery = (await api.query.computePools.deliveries(id)) as unknown as {
      isSome: boolean;
      unwrap(): { state: { type: string; asAwaitingHandoff: { deadline: { toNumber(): number } }; asReported: { since: { toNumber(): number }; deadline: { toNumber(): number } } };
        hostKey: { isSome: boolean; unwrap(): { toU8a(): Uint8Array } } };
    };
    const d = delivery.isSome ? delivery.unwrap() : null;
    return {
      id,
      device: lease.device.toNumber(),
      class: lease.class.toNumber(),
      hours: lease.hours.toNumber(),
      end: lease.end.toNumber(),
      clientKey: lease.clientKey.toHex(),
      connection: lease.connection.isSome ? lease.connection.unwrap().toU8a(true) : null,
      state: d?.state.type ?? 'Unknown',
      since: d?.state.type === 'Reported' ? d.state.asReported.since.toNumber() : null,
      deadline: d?.state.type === 'AwaitingHandoff' ? d.state.asAwaitingHandoff.deadline.toNumber()
        : d?.state.type === 'Reported' ? d.state.asReported.deadline.toNumber() : null,
      hostKey: d?.hostKey.isSome ? fingerprint(d.hostKey.unwrap().toU8a()) : null,
    };
  }));
}

function open(lease: LeaseView): ConnectionDetails | string | null {
  if (!lease.connection) return null;
  const cached = details.get(lease.id);
  if (cached) return cached;
  // Only an opened result is kept: details the miner posts again are tried afresh.
  const pair = leasePair(lease.clientKey);
  let result: ConnectionDetails | string;
  if (!pair) result = 'this lease key is not in this browser: the details can only be read where the lease was redeemed';
  else {
    try {
      result = openDetails(pair, lease.connection);
    } catch (e) {
      result = (e as Error).message;
    }
  }
  if (typeof result !== 'string') details.set(lease.id, result);
  return result;
}

function stateText(lease: LeaseView): string {
  switch (lease.state) {
    case 'AwaitingHandoff': return `waiting for your acknowledgment (by #${lease.deadline}, or it ends refunded)`;
    case 'Delivered': return 'delivered';
    case 'Reported': return `failure reported at #${lease.since}; the miner must answer by #${lease.deadline}`;
    default: return lease.state;
  }
}

function renderLeases(leases: LeaseView[]): void {
  const box = $('leases');
  if (leases.length === 0) {
    box.innerHTML = '<p class="empty">No leases.</p>';
    return;
  }
  box.innerHTML = leases.map((lease) => {
    const opened = open(lease);
    const beat = beats.get(lease.id);
    const connection = opened === null
      ? '<p class="pending">The miner has not posted the connection details yet.</p>'
      : typeof opened === 'string'
        ? `<p class="error">${escape(opened)}</p>`
        : `<dl><dt>Endpoint</dt><dd class="endpoint">${escape(opened.endpoint)}</dd>
            <dt>Host key</dt><dd class="hostkey">${escape(opened.hostKey)} ${lease.hostKey === opened.hostKey
              ? '<span class="ok">matches the key the device signed on chain</span> — your SSH client must show this same fingerprint when you connect'
              : '<span class="error">does NOT match the key the device signed on chain: do not connect</span>'}</dd>
            <dt>Heartbeats</dt><dd class="heartbeats">${beat ? `${beat.accepted} accepted of ${beat.sent} sent${beat.error ? ` (${escape(beat.error)})` : ''}` : 'not sending'}</dd></dl>
            <label>SSH public key <input class="ssh-key" placeholder="ssh-ed25519 AAAA…"/></label>
            <button class="authorize" type="button">Install key</button>`;
    return `<article data-lease="${lease.id}">
      <h3>Lease ${lease.id} — device ${lease.device}, ${lease.hours} h, ends at #${lease.end}</h3>
      <p class="state" data-state="${lease.state}">${escape(stateText(lease))}</p>
      ${connection}
      <button class="ack" type="button" ${lease.state === 'Delivered' || !lease.connection ? 'disabled' : ''}>Acknowledge: it works</button>
      <button class="report" type="button" ${lease.state === 'Reported' ? 'disabled' : ''}>Report a failure</button>
      <button class="release" type="button">Release</button>
    </article>`;
  }).join('');
}

function startHeartbeats(lease: LeaseView, opened: ConnectionDetails): void {
  if (beats.has(lease.id)) return;
  const pair = leasePair(lease.clientKey);
  if (!pair) return;
  const endpoint = new LeaseEndpoint(opened.heartbeat);
  const beat: Beat = { endpoint, sent: 0, accepted: 0, error: null, timer: 0 };
  const tick = async () => {
    beat.sent += 1;
    try {
      const at = best;
      const ok = await endpoint.call<boolean>('lease_heartbeat', { lease: lease.id, at, signature: sign(pair, heartbeatMessage(genesis, lease.id, at)) });
      if (ok) beat.accepted += 1;
      beat.error = null;
    } catch (e) {
      beat.error = (e as Error).message;
    }
  };
  beat.timer = window.setInterval(() => void tick(), HEARTBEAT_SECONDS * 1000);
  beats.set(lease.id, beat);
  void tick();
}

function stopHeartbeats(lease: number): void {
  const beat = beats.get(lease);
  if (!beat) return;
  clearInterval(beat.timer);
  beat.endpoint.close();
  beats.delete(lease);
}

$('leases').addEventListener('click', (e) => {
  const button = (e.target as HTMLElement).closest('button');
  const article = button?.closest('article');
  if (!button || !article) return;
  const id = Number(article.getAttribute('data-lease'));
  const act = async (what: string, tx: () => ReturnType<typeof api.tx.computePools.acknowledge>, after?: () => void) =>
    attempt(what, async () => {
      await send(api, tx(), needAccount());
      after?.();
      say(`${what}: done (lease ${id})`);
      await refresh();
    }, button);
  if (button.classList.contains('ack')) void act('Acknowledging the hand-off', () => api.tx.computePools.acknowledge(id));
  else if (button.classList.contains('report')) {
    // No heartbeat may be signed once the client says the endpoint fails.
    stopHeartbeats(id);
    void act('Reporting a failure', () => api.tx.computePools.reportFailure(id));
  }
  else if (button.classList.contains('release')) void act('Releasing the lease', () => api.tx.computePools.releaseLease(id), () => stopHeartbeats(id));
  else if (button.classList.contains('authorize')) {
    void attempt('Installing the SSH key', async () => {
      const opened = details.get(id);
      const key = (article.querySelector('.ssh-key') as HTMLInputElement).value.trim();
      if (!key.startsWith('ssh-')) throw new Error('paste one OpenSSH public key line (ssh-ed25519 AAAA…)');
      if (!opened || typeof opened === 'string') throw new Error('the connection details are not open');
      const lease = (await loadLeases()).find((l) => l.id === id);
      const pair = lease && leasePair(lease.clientKey);
      if (!pair) throw new Error('this lease key is not in this browser');
      const endpoint = new LeaseEndpoint(opened.heartbeat);
      try {
        await endpoint.call('lease_authorize', { lease: id, sshKey: key, signature: sign(pair, authorizeMessage(genesis, id, key)) });
      } finally {
        endpoint.close();
      }
      say(`SSH key installed on lease ${id}'s endpoint`);
    }, button);
  }
});

// ---- lease ends ----

const REASONS: Record<string, string> = {
  Expired: 'it ran its term',
  Released: 'you released it',
  DeviceFaulted: 'the device failed a PoCPS check or retired; unused hours refunded',
  NotHandedOver: 'no hand-off was acknowledged in time; every hour refunded and the provider penalised',
  ReportUnanswered: 'the miner could not answer your report with a heartbeat; unused hours refunded and the provider penalised',
};

function noteEnded(events: EventRecord[], block: number): void {
  for (const { event: e } of events) {
    if (e.section !== 'computePools' || e.method !== 'LeaseEnded') continue;
    const lease = (e.data[0] as unknown as { toNumber(): number }).toNumber();
    if (!myLeases.has(lease)) continue;
    myLeases.delete(lease);
    stopHeartbeats(lease);
    const key = leaseKeys.get(lease);
    if (key) forgetLeaseKey(key);
    leaseKeys.delete(lease);
    details.delete(lease);
    const refunded = (e.data[1] as unknown as { toBigInt(): bigint }).toBigInt();
    const reason = e.data[2].toString();
    const item = document.createElement('li');
    item.setAttribute('data-lease', String(lease));
    item.setAttribute('data-reason', reason);
    item.textContent = `Lease ${lease} ended at #${block}: ${REASONS[reason] ?? reason}; ${formatHours(refunded)} refunded.`;
    $('ended').prepend(item);
  }
}

// ---- refresh ----

let refreshing = false;
async function refresh(): Promise<void> {
  if (refreshing || !api) return;
  refreshing = true;
  try {
    if (account) {
      const info = (await api.query.system.account(account.address)) as unknown as { data: { free: { toBigInt(): bigint } } };
      $('balance').textContent = formatEmb(info.data.free.toBigInt());
    } else $('balance').textContent = '';
    await renderClasses();
    const leases = await loadLeases();
    renderLeases(leases);
    for (const lease of leases) {
      const opened = details.get(lease.id);
      // Heartbeats only while the lease is delivered: never while a report stands.
      if (lease.state === 'Delivered' && opened && typeof opened !== 'string') startHeartbeats(lease, opened);
      else stopHeartbeats(lease.id);
    }
    for (const id of [...beats.keys()]) if (!leases.some((l) => l.id === id)) stopHeartbeats(id);
  } catch (e) {
    say(`Reading the chain failed: ${(e as Error).message}`, 'error');
  } finally {
    refreshing = false;
  }
}

async function main(): Promise<void> {
  await cryptoWaitReady();
  try {
    api = await connect(NODE);
  } catch (e) {
    $('node-status').textContent = `cannot reach ${NODE}`;
    say(`No node at ${NODE}: start one (scripts/run.sh) or open this page with ?node=ws://HOST:PORT. (${(e as Error).message})`, 'error');
    return;
  }
  const [chain, type] = await Promise.all([api.rpc.system.chain(), api.rpc.system.chainType()]);
  genesis = api.genesisHash.toU8a();
  $('node-status').textContent = `${chain.toString()} at ${NODE}`;
  if (type.isDevelopment || type.isLocal) accounts = devAccounts();
  fillAccounts();
  await loadClasses();
  await loadPriceHistory().catch((e: Error) => say(`Price history unavailable: ${e.message}`, 'error'));
  $<HTMLSelectElement>('chart-class').addEventListener('change', () => void refresh());
  await api.rpc.chain.subscribeNewHeads((header) => {
    best = header.number.toNumber();
    $('node-status').textContent = `${chain.toString()} at ${NODE}, block #${best}`;
    void refresh();
  });
  await api.query.system.events((events: unknown) => noteEnded(events as EventRecord[], best));
  void quote().catch(() => {});
  document.body.setAttribute('data-ready', 'true');
}

void main();
