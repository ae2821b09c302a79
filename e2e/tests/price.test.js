// The compute base price through polkadot.js: governance (sudo) prices a class, the runtime API
// quotes it, and a bad floor fails with the pallet's typed error and changes nothing.
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sendAndFinalize, startDevNode } from '../lib/node.js';

const EMB = 10n ** 12n;
let node;
let alice;

before(async () => {
  await cryptoWaitReady();
  alice = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
  node = await startDevNode();
});

after(async () => {
  await node?.stop();
});

test('sudo prices a class; the runtime API quotes it; a bad floor is refused', async () => {
  const { api } = node;
  // Genesis prices the preset classes 0–2; class 7 has none.
  assert.ok((await api.call.computePriceApi.basePrice(0)).isSome);
  assert.ok((await api.call.computePriceApi.basePrice(7)).isNone);

  const add = api.tx.sudo.sudo(api.tx.computePrice.addPrice(7, EMB / 10n, EMB / 100n, 1_000));
  const { events } = await sendAndFinalize(api, add, alice);
  const added = events.find(({ event }) => api.events.computePrice.PriceAdded.is(event));
  assert.ok(added, 'PriceAdded emitted');
  assert.equal((await api.call.computePriceApi.basePrice(7)).unwrap().toBigInt(), EMB / 10n);
  assert.equal((await api.call.computePriceApi.quote(7, 5)).unwrap().toBigInt(), EMB / 2n);

  // A floor below min_floor (10 planck): sudo dispatches it and reports the inner error.
  const bad = api.tx.sudo.sudo(api.tx.computePrice.setParameters(7, 1, 1_000));
  const result = await sendAndFinalize(api, bad, alice);
  const sudid = result.events.find(({ event }) => api.events.sudo.Sudid.is(event));
  const inner = sudid.event.data[0];
  assert.ok(inner.isErr);
  const error = api.registry.findMetaError(inner.asErr.asModule);
  assert.equal(`${error.section}.${error.name}`, 'computePrice.InvalidPrice');
  const state = (await api.query.computePrice.prices(7)).unwrap();
  assert.equal(state.floor.toBigInt(), EMB / 100n);
});
