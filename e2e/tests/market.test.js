// The compute market through polkadot.js, against a real dev node and a real miner: the miner
// (ember-miner, cpu backend) seals and proves a cpu-dev device; its owner stakes the device's
// hours as a liquidity provider; a client buys compute-hours from the pool, redeems them for a
// lease on that device, and the base price it pays shows as burned in total issuance. The
// owner posts connection details encrypted to the client, who decrypts them.
import { Keyring } from '@polkadot/keyring';
import { hexToU8a, stringToU8a, u8aConcat, u8aToHex, u8aToString } from '@polkadot/util';
import {
  cryptoWaitReady, naclDecrypt, naclEncrypt, randomAsU8a, sr25519Agreement, sr25519PairFromSeed,
} from '@polkadot/util-crypto';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sendAndFinalize, startDevNode, startMiner, waitFor } from '../lib/node.js';

const EMB = 10n ** 12n;
const HOUR = 1_000n; // CH units per compute-hour
let node;
let miner;

before(async () => {
  await cryptoWaitReady();
  node = await startDevNode();
});

after(async () => {
  if (miner) {
    miner.child.kill('SIGINT');
    await miner.exit;
  }
  await node?.stop();
});

/** Sends `tx`, retrying if the miner's own transactions took the nonce; fails on a dispatch error. */
async function submit(api, tx, signer) {
  for (let attempt = 1; ; attempt += 1) {
    let result;
    try {
      result = await sendAndFinalize(api, tx, signer);
    } catch (e) {
      if (attempt < 5 && /1014|Priority|Invalid|usurped|dropped/i.test(String(e))) continue;
      throw e;
    }
    if (result.dispatchError) {
      const err = result.dispatchError.isModule
        ? api.registry.findMetaError(result.dispatchError.asModule)
        : null;
      throw new Error(err ? `${err.section}.${err.name}` : result.dispatchError.toString());
    }
    return result;
  }
}

const find = (api, events, section, method) =>
  events.find(({ event }) => event.section === section && event.method === method)?.event;

test('a client buys compute-hours and redeems a lease on a miner-sealed device; the base price is burned', async () => {
  const { api } = node;
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const dave = keyring.addFromUri('//Dave');
  const ferdie = keyring.addFromUri('//Ferdie');

  // The miner registers, seals and proves a device.
  const base = mkdtempSync(join(tmpdir(), 'ember-market-miner-'));
  miner = startMiner(['--url', node.url, '--backend', 'cpu', '--base-path', base, '--suri', '//Dave',
    '--log', 'info', 'run', '--class', 'cpu-dev']);
  const device = await waitFor(`Dave's device Active (miner log: ${miner.logPath})`, async () => {
    const owned = await api.query.deviceRegistry.ownedDevices(dave.address);
    const id = owned[0]?.toNumber();
    if (id === undefined) return null;
    const status = await api.call.pocpsApi.deviceStatus(id);
    // Wrapped: device 0 is a valid id but falsy.
    return status.isSome && status.unwrap().toString() === 'Active' ? { id } : null;
  }, 240_000, 1000).then(({ id }) => id);

  // Genesis priced class 0 and made its pool; T_min comes from the runtime API.
  const [, minEpochs] = await api.call.computePoolsApi.parameters();
  const epochs = minEpochs.toNumber();
  assert.ok(epochs >= 1);
  const basePrice = (await api.call.computePriceApi.basePrice(0)).unwrap().toBigInt();
  assert.ok(basePrice > 0n);

  // The owner stakes the device's hours as the pool's first liquidity: 1 EMB per hour.
  const hours = BigInt(epochs);
  const staked = await submit(api,
    api.tx.computePools.stake(device, hours, epochs, { Provide: { minEmb: 0, maxEmb: hours * EMB } }), dave);
  const stakedEvent = find(api, staked.events, 'computePools', 'Staked');
  assert.ok(stakedEvent, 'Staked emitted');
  const stake = (await api.call.computePoolsApi.deviceStake(device)).unwrap();
  assert.equal(stake[1].device.toNumber(), device);
  const pool = (await api.call.computePoolsApi.pool(0)).unwrap();
  assert.equal(pool.ch.toBigInt(), hours * HOUR);
  assert.equal(pool.emb.toBigInt(), hours * EMB);

  // A bad swap fails with the pallet's error and changes nothing.
  const quote = (await api.call.computePoolsApi.quoteBuy(0, HOUR)).unwrap().toBigInt();
  await assert.rejects(submit(api, api.tx.computePools.buyHours(0, HOUR, quote - 1n), ferdie),
    /computePools\.SlippageExceeded/);

  // The client buys an hour at the quoted price.
  const bought = await submit(api, api.tx.computePools.buyHours(0, HOUR, quote), ferdie);
  assert.equal(find(api, bought.events, 'computePools', 'HoursBought').data.emb.toBigInt(), quote);
  const holding = (await api.call.computePoolsApi.holding(0, ferdie.address)).unwrap();
  assert.equal(holding.amount.toBigInt(), HOUR);

  // ...and redeems it for a lease on Dave's device, with a fresh key for the connection details.
  const clientPair = sr25519PairFromSeed(randomAsU8a(32));
  const redeemed = await submit(api, api.tx.computePools.redeem(device, 1, clientPair.publicKey), ferdie);
  const started = find(api, redeemed.events, 'computePools', 'LeaseStarted');
  assert.ok(started, 'LeaseStarted emitted');
  assert.equal(started.data.basePrice.toBigInt(), basePrice);

  // The base price is burned: total issuance fell by it plus the block's burned fees, and nothing else.
  const header = await api.rpc.chain.getHeader(redeemed.blockHash);
  const before = await (await api.at(header.parentHash)).query.balances.totalIssuance();
  const after = await (await api.at(redeemed.blockHash)).query.balances.totalIssuance();
  const blockEvents = await (await api.at(redeemed.blockHash)).query.system.events();
  const fees = blockEvents
    .filter(({ event }) => event.section === 'transactionPayment' && event.method === 'TransactionFeePaid')
    .reduce((sum, { event }) => sum + event.data.actualFee.toBigInt(), 0n);
  assert.equal(before.toBigInt() - after.toBigInt(), basePrice + fees);
  const burned = await api.query.computePools.burned();
  assert.ok(burned.toBigInt() >= basePrice);

  // The owner posts the connection details encrypted to the client's key.
  const lease = started.data.lease.toNumber();
  const ephemeral = sr25519PairFromSeed(randomAsU8a(32));
  const secret = sr25519Agreement(ephemeral.secretKey, clientPair.publicKey);
  const details = 'ssh ember@198.51.100.7 -p 2222';
  const { encrypted, nonce } = naclEncrypt(stringToU8a(details), secret);
  await submit(api,
    api.tx.computePools.postConnection(lease, u8aToHex(u8aConcat(ephemeral.publicKey, nonce, encrypted))), dave);

  // The client reads its lease through the runtime API and decrypts them.
  const leases = await api.call.computePoolsApi.clientLeases(ferdie.address);
  assert.equal(leases.length, 1);
  const posted = hexToU8a(leases[0][1].connection.unwrap().toHex());
  const shared = sr25519Agreement(clientPair.secretKey, posted.slice(0, 32));
  const opened = naclDecrypt(posted.slice(56), posted.slice(32, 56), shared);
  assert.equal(u8aToString(opened), details);
  assert.ok(!u8aToString(posted).includes('198.51.100.7'), 'the chain holds no clear text');

  // The device is busy; releasing frees it and returns the deposit.
  await assert.rejects(submit(api, api.tx.computePools.redeem(device, 1, clientPair.publicKey), ferdie),
    /computePools\.InsufficientHours|computePools\.DeviceBusy/);
  await submit(api, api.tx.computePools.releaseLease(lease), ferdie);
  assert.ok((await api.call.computePoolsApi.deviceLease(device)).isNone);
});
