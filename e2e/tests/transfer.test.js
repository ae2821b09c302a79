// polkadot.js against a fresh dev node: metadata, a finalized transfer, and a typed failure.
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady, mnemonicGenerate } from '@polkadot/util-crypto';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sendAndFinalize, sendAndInclude, startDevNode } from '../lib/node.js';

const EMB = 10n ** 12n;
let node;
let keyring;

before(async () => {
  await cryptoWaitReady();
  keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  node = await startDevNode();
});

after(async () => {
  await node?.stop();
});

test('reads metadata with no custom type definitions', async () => {
  const { api } = node;
  assert.ok(api.runtimeMetadata.version >= 14, `metadata v${api.runtimeMetadata.version}`);
  assert.equal(api.runtimeVersion.specName.toString(), 'ember');
  assert.equal(api.registry.chainDecimals[0], 12);
  assert.equal(api.registry.chainTokens[0], 'EMB');
  // Pallets Ember depends on are present under their names.
  for (const pallet of ['balances', 'babe', 'grandpa', 'session', 'validatorSet', 'sudo', 'utility']) {
    assert.ok(api.tx[pallet] || api.query[pallet], `pallet ${pallet} in metadata`);
  }
  // Runtime APIs are visible through metadata.
  assert.ok(api.call.accountNonceApi?.accountNonce, 'AccountNonceApi in metadata');
});

test('device classes and the PoCPS runtime API are readable without type definitions', async () => {
  const { api } = node;
  const classes = await api.query.deviceRegistry.classes.entries();
  const names = classes.map(([, c]) => c.unwrap().name.toUtf8()).sort();
  assert.deepEqual(names, ['cpu-dev', 'gpu-24g', 'gpu-80g']);
  const gpu = classes.map(([, c]) => c.unwrap()).find((c) => c.name.toUtf8() === 'gpu-80g');
  assert.equal(gpu.pocps.laneLen.toNumber(), 2 ** 25);
  assert.equal(gpu.responseDeadline.toNumber(), 5);
  assert.equal(gpu.pocps.challenges.toNumber(), 4);
  // No device registered: the API answers None / empty, typed from metadata.
  assert.ok((await api.call.pocpsApi.deviceStatus(0)).isNone);
  assert.equal((await api.call.pocpsApi.openChallenges(0)).length, 0);
  // Nothing admitted yet: the answer space is free.
  const capacity = await api.call.pocpsApi.capacity();
  assert.equal(capacity.answersPerBlock.toNumber(), 1000);
  assert.equal(capacity.devices.toNumber(), 0);
});

test('a transfer signed by //Alice is finalized and moves the balances', async () => {
  const { api } = node;
  const alice = keyring.addFromUri('//Alice');
  const recipient = keyring.addFromUri(mnemonicGenerate());
  const amount = 7n * EMB;

  const before = (await api.query.system.account(alice.address)).data.free.toBigInt();
  const { blockHash, events, dispatchError } = await sendAndFinalize(
    api, api.tx.balances.transferKeepAlive(recipient.address, amount), alice);
  assert.equal(dispatchError, undefined, `transfer failed: ${dispatchError?.toString()}`);

  const fee = events
    .map(({ event }) => event)
    .find((e) => api.events.transactionPayment.TransactionFeePaid.is(e));
  assert.ok(fee, 'TransactionFeePaid event');
  const actualFee = fee.data.actualFee.toBigInt();
  assert.ok(actualFee > 0n, 'a transfer pays a fee');

  const at = await api.at(blockHash);
  const aliceAfter = (await at.query.system.account(alice.address)).data.free.toBigInt();
  const recipientAfter = (await at.query.system.account(recipient.address)).data.free.toBigInt();
  assert.equal(recipientAfter, amount);
  assert.equal(aliceAfter, before - amount - actualFee);
});

test('a transfer beyond the balance fails with the runtime\'s typed error and moves nothing', async () => {
  const { api } = node;
  const bob = keyring.addFromUri('//Bob');
  const charlie = keyring.addFromUri('//Charlie');
  const bobBefore = (await api.query.system.account(bob.address)).data.free.toBigInt();
  const charlieBefore = (await api.query.system.account(charlie.address)).data.free.toBigInt();

  // The block that includes it is enough: finality is the previous test's subject.
  const { dispatchError, blockHash, events } = await sendAndInclude(
    api, api.tx.balances.transferAllowDeath(charlie.address, bobBefore + EMB), bob);
  assert.ok(dispatchError, 'the transfer must fail');
  assert.ok(dispatchError.isToken, `expected a TokenError, got ${dispatchError.toString()}`);
  assert.equal(dispatchError.asToken.type, 'FundsUnavailable');

  const fee = events.map(({ event }) => event)
    .find((e) => api.events.transactionPayment.TransactionFeePaid.is(e)).data.actualFee.toBigInt();
  const at = await api.at(blockHash);
  assert.equal((await at.query.system.account(charlie.address)).data.free.toBigInt(), charlieBefore);
  assert.equal((await at.query.system.account(bob.address)).data.free.toBigInt(), bobBefore - fee);
});
