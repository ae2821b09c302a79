// The compute market end to end, as a client sees it: a real dev node; a real miner (cpu
// backend) that seals and proves a cpu-dev device, stakes its hours by itself and serves its
// leases (hook script, host key, lease endpoint); and the web app (app/dist) in headless
// Chromium, where a client buys hours, redeems a lease on the best offer, opens the sealed
// connection details, checks the device-signed host key, acknowledges, sends heartbeats and
// releases. A second lease, whose endpoint never comes up, ends refunded with the provider
// penalised.
import { Keyring } from '@polkadot/keyring';
import { bnToU8a, hexToU8a, stringToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { cryptoWaitReady, sr25519PairFromSeed, sr25519Sign } from '@polkadot/util-crypto';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { freePort, runMiner, startDevNode, startMiner, waitFor } from '../lib/node.js';

const EMB = 10n ** 12n;
const APP = fileURLToPath(new URL('../../app/dist', import.meta.url));
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
// Where to save the main screens (docs/app/ when refreshing the docs); none by default.
const SCREENSHOTS = process.env.EMBER_SCREENSHOTS;
const HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIInz6TL69iMw5J9n2uo3Lf50W/FtyHJgEYE7T0tEXD58 lease-host';
const ENDPOINT = 'ssh://lease@127.0.0.1:2222';

let node;
let miner;
let server;
let browser;

/** Serves app/dist (the built web app) on a free port. */
async function serveApp() {
  assert.ok(existsSync(join(APP, 'index.html')), `build the app first: npm --prefix app ci && npm --prefix app run build (${APP})`);
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.wasm': 'application/wasm' };
  const port = await freePort();
  server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = join(APP, path === '/' ? 'index.html' : path);
    if (!file.startsWith(APP) || !existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return `http://127.0.0.1:${port}`;
}

before(async () => {
  await cryptoWaitReady();
  node = await startDevNode();
});

after(async () => {
  await browser?.close();
  server?.close();
  if (miner) {
    miner.child.kill('SIGINT');
    await miner.exit;
  }
  await node?.stop();
});

async function shot(page, name) {
  if (!SCREENSHOTS) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

test('a miner stakes and serves leases by itself; a client leases, checks and releases in the web app; an undelivered lease is refunded', async () => {
  const { api } = node;
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const dave = keyring.addFromUri('//Dave');
  const ferdie = keyring.addFromUri('//Ferdie');

  // Every computePools event from now on, with its block.
  const seen = [];
  await api.query.system.events((events) => {
    for (const { event } of events) if (event.section === 'computePools' || event.section === 'slashing') seen.push(event);
  });
  const saw = (method, lease) => seen.find((e) => e.method === method && (lease === undefined || e.data.lease?.toNumber() === lease));

  // The operator's endpoint: a host key and a hook that records what it is asked and fails
  // while `broken` exists (an endpoint that cannot come up).
  const dir = mkdtempSync(join(tmpdir(), 'ember-market-'));
  const hostKey = join(dir, 'host.pub');
  writeFileSync(hostKey, `${HOST_KEY}\n`);
  const hookLog = join(dir, 'hook.log');
  const broken = join(dir, 'broken');
  const hook = join(dir, 'hook.sh');
  writeFileSync(hook, `#!/bin/sh\n[ -e ${broken} ] && { echo "sshd is down" >&2; exit 1; }\necho "$1 $EMBER_LEASE" >> ${hookLog}\n`);
  chmodSync(hook, 0o755);
  const hookLines = () => (existsSync(hookLog) ? readFileSync(hookLog, 'utf8') : '');
  const fingerprint = `SHA256:${createHash('sha256').update(Buffer.from(HOST_KEY.split(' ')[1], 'base64')).digest('base64').replace(/=+$/, '')}`;

  const base = join(dir, 'miner');
  const leasePort = await freePort();
  const common = ['--url', node.url, '--backend', 'cpu', '--base-path', base, '--suri', '//Dave'];
  miner = startMiner([...common, '--log', 'info', 'run', '--class', 'cpu-dev', '--no-prometheus',
    '--lease-endpoint', ENDPOINT, '--lease-host-key', hostKey, '--lease-hook', hook,
    '--lease-listen', `127.0.0.1:${leasePort}`]);
  const device = await waitFor(`Dave's device Active (miner log: ${miner.logPath})`, async () => {
    const id = (await api.query.deviceRegistry.ownedDevices(dave.address))[0]?.toNumber();
    if (id === undefined) return null;
    const status = await api.call.pocpsApi.deviceStatus(id);
    return status.isSome && status.unwrap().toString() === 'Active' ? { id } : null;
  }, 240_000, 1000).then(({ id }) => id);

  // The miner stakes by itself: T_min epochs, all the hours they hold, 1 EMB per hour.
  const [, minEpochs] = await api.call.computePoolsApi.parameters();
  const staked = await runMiner([...common, 'stake', '--max-emb', `${minEpochs.toNumber()}`]);
  assert.equal(staked.code, 0, staked.output);
  assert.match(staked.output, /stake \d+/);
  assert.equal((await api.call.computePoolsApi.deviceStake(device)).unwrap()[1].device.toNumber(), device);
  // Staking twice is refused with a message that says what to do.
  const twice = await runMiner([...common, 'stake', '--max-emb', '1']);
  assert.notEqual(twice.code, 0);
  assert.match(twice.output, /already backs stake .* claim it after it expires/);

  // The client opens the web app on the dev chain as Ferdie.
  const appUrl = await serveApp();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
  const consoleErrors = [];
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  await page.goto(`${appUrl}/?node=${encodeURIComponent(node.url)}&heartbeat=2`);
  await page.waitForSelector('body[data-ready=true]', { timeout: 60_000 });
  await page.selectOption('#account', ferdie.address);
  const message = (pattern) => page.waitForFunction(
    (source) => [...document.querySelectorAll('#messages p')].some((p) => new RegExp(source).test(p.textContent)),
    pattern.source, { timeout: 60_000 });

  // Classes, prices and the pool the miner's stake made.
  const row = page.locator('#classes tr[data-class="0"]');
  await waitFor('the pool price in the app', async () => !/no liquidity|no pool/.test(await row.locator('.pool-price').textContent()), 30_000);
  assert.match(await row.locator('.base-price').textContent(), /EMB/);
  assert.equal(await row.locator('.offers').textContent(), '1');
  // A flat line has no height: attached, with a point per sampled block.
  await page.waitForSelector('#chart polyline', { state: 'attached' });
  assert.ok((await page.getAttribute('#chart polyline', 'points')).split(' ').length >= 2);

  // Errors are shown in words: redeeming hours the client does not hold.
  await page.selectOption('#redeem-class', '0');
  await page.fill('#redeem-hours', '1');
  await page.click('#redeem-button');
  await message(/Redeeming a lease failed: computePools\.InsufficientHours: Not enough unexpired hours/);

  // Buy two hours, then redeem one on the best offer (no device named).
  await page.selectOption('#buy-class', '0');
  await page.fill('#buy-hours', '2');
  await page.click('#buy-button');
  await message(/Bought 2 hour\(s\) of class 0/);
  await shot(page, 'classes-and-pools');
  const burnedBefore = (await api.query.computePools.burned()).toBigInt();
  await page.click('#redeem-button');
  await message(/Lease \d+ started on device \d+/);
  const started = saw('LeaseStarted');
  const lease = started.data.lease.toNumber();
  assert.equal(started.data.device.toNumber(), device, 'matched to the only offer');
  assert.equal(started.data.client.toString(), ferdie.address);
  // The base price was burned.
  assert.ok(started.data.basePrice.toBigInt() > 0n, 'a priced class');
  assert.ok((await api.query.computePools.burned()).toBigInt() - burnedBefore >= started.data.basePrice.toBigInt());

  // The miner prepares the endpoint (hook) and posts the details sealed to the lease key; the
  // app opens them and checks the host key against the one the device key signed on chain.
  const card = page.locator(`article[data-lease="${lease}"]`);
  await card.locator('.endpoint').waitFor({ timeout: 60_000 });
  assert.equal(await card.locator('.endpoint').textContent(), ENDPOINT);
  const hostKeyText = await card.locator('.hostkey').textContent();
  assert.ok(hostKeyText.includes(fingerprint), hostKeyText);
  assert.match(hostKeyText, /matches the key the device signed on chain/);
  assert.match(hookLines(), new RegExp(`^start ${lease}$`, 'm'));
  const onChain = (await api.query.computePools.leases(lease)).unwrap().connection.unwrap();
  assert.ok(!Buffer.from(onChain.toU8a(true)).toString('latin1').includes('127.0.0.1:2222'), 'the chain holds no clear text');
  await shot(page, 'lease-handed-over');

  // Acknowledge; heartbeats flow to the miner's lease endpoint.
  await card.locator('.ack').click();
  await card.locator('.state[data-state="Delivered"]').waitFor({ timeout: 60_000 });
  assert.ok(saw('HandoffAcknowledged', lease));
  await waitFor('two heartbeats accepted', async () => {
    const text = await card.locator('.heartbeats').textContent();
    return Number(/^(\d+) accepted/.exec(text)?.[1] ?? 0) >= 2;
  }, 60_000);

  // The client reports a failure in the app (which stops its heartbeats at once), but its tooling
  // on the leased machine still reaches the endpoint and signs a heartbeat with the lease key:
  // the miner answers the report with it and the lease goes on.
  await card.locator('.report').click();
  await card.locator('.state[data-state="Reported"]').waitFor({ timeout: 60_000 });
  const beatsAfterReport = await card.locator('.heartbeats').textContent();
  assert.equal(beatsAfterReport, 'not sending', 'no heartbeat while a report stands');
  const clientKey = (await api.query.computePools.leases(lease)).unwrap().clientKey.toHex();
  const seed = await page.evaluate((key) => JSON.parse(localStorage.getItem('ember.leaseKeys'))[key], clientKey);
  const leasePair = sr25519PairFromSeed(hexToU8a(seed));
  const at = (await api.rpc.chain.getHeader()).number.toNumber();
  const signed = u8aConcat(stringToU8a('ember/heartbeat'), api.genesisHash.toU8a(),
    bnToU8a(lease, { bitLength: 64, isLe: true }), bnToU8a(at, { bitLength: 32, isLe: true }));
  const reply = await (await fetch(`http://127.0.0.1:${leasePort}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'lease_heartbeat',
      params: { lease, at, signature: u8aToHex(sr25519Sign(signed, leasePair)) } }),
  })).json();
  assert.equal(reply.result, true, JSON.stringify(reply));
  await waitFor(`the miner answering the report (miner log: ${miner.logPath})`, async () => saw('ReportAnswered', lease), 60_000);
  // (`data.at` is Array.prototype.at on event data: the field by index.)
  assert.ok(saw('ReportAnswered', lease).data[1].toNumber() >= at);
  await card.locator('.state[data-state="Delivered"]').waitFor({ timeout: 30_000 });
  await shot(page, 'lease-delivered');

  // Release: the lease ends with its reason, the hook releases the endpoint.
  await card.locator('.release').click();
  await page.locator(`#ended li[data-lease="${lease}"][data-reason="Released"]`).waitFor({ timeout: 60_000 });
  await waitFor('the hook releasing the endpoint', async () => new RegExp(`^stop ${lease}$`, 'm').test(hookLines()), 30_000);

  // A second lease whose endpoint never comes up: no details, no acknowledgment; at the
  // hand-off deadline it ends, every hour back to the client, and the device is penalised.
  writeFileSync(broken, '');
  const heldBefore = (await api.call.computePoolsApi.holding(0, ferdie.address)).unwrap().amount.toBigInt();
  await page.click('#redeem-button');
  await waitFor('the second lease', async () => seen.filter((e) => e.method === 'LeaseStarted').length === 2, 60_000);
  const second = seen.filter((e) => e.method === 'LeaseStarted')[1].data.lease.toNumber();
  await page.locator(`article[data-lease="${second}"] .pending`).waitFor({ timeout: 30_000 });
  await page.locator(`#ended li[data-lease="${second}"][data-reason="NotHandedOver"]`).waitFor({ timeout: 120_000 });
  const ended = seen.find((e) => e.method === 'LeaseEnded' && e.data.lease.toNumber() === second);
  assert.equal(ended.data.reason.toString(), 'NotHandedOver');
  assert.equal(ended.data.refunded.toBigInt(), 1000n);
  const heldAfter = (await api.call.computePoolsApi.holding(0, ferdie.address)).unwrap().amount.toBigInt();
  assert.equal(heldAfter, heldBefore, 'the hour spent on the lease came back');
  assert.ok((await api.query.computePools.prepaid(0, ferdie.address)).unwrap().toBigInt() > 0n, 'its base price credited');
  const penalties = (await api.query.slashing.pending.entries())
    .map(([, v]) => (typeof v.unwrap === 'function' ? v.unwrap() : v))
    .filter((p) => p.device.toNumber() === device && p.offence.toString() === 'Undelivered');
  assert.equal(penalties.length, 1, 'the provider penalty is scheduled');
  assert.equal(penalties[0].incident.asLease.toNumber(), second);
  assert.doesNotMatch(hookLines(), new RegExp(`^start ${second}$`, 'm'));
  await shot(page, 'lease-refunded');
  assert.deepEqual(consoleErrors, []);
});
