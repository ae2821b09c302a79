// The node: connecting, sending transactions and saying in words why one failed.
import { ApiPromise, WsProvider } from '@polkadot/api';
import type { SubmittableExtrinsic } from '@polkadot/api/types';
import type { DispatchError, EventRecord } from '@polkadot/types/interfaces';
import type { Account } from './wallet';

export const EMB = 10n ** 12n;
/** CH units per compute-hour (the pools count thousandths). */
export const MILLIHOURS = 1000n;

export async function connect(url: string): Promise<ApiPromise> {
  const provider = new WsProvider(url, 2500);
  return ApiPromise.create({ provider, throwOnConnect: true });
}

/** A dispatch error in words: the pallet's error name and its documentation. */
export function describe(api: ApiPromise, error: DispatchError): string {
  if (error.isModule) {
    const meta = api.registry.findMetaError(error.asModule);
    return `${meta.section}.${meta.name}: ${meta.docs.join(' ').trim() || 'no description'}`;
  }
  if (error.isToken) return `token error: ${error.asToken.type}`;
  if (error.isArithmetic) return `arithmetic error: ${error.asArithmetic.type}`;
  return error.type;
}

/** Signs and sends `tx` as `account`; resolves with its events once in a block, rejects with the reason. */
export function send(
  api: ApiPromise,
  tx: SubmittableExtrinsic<'promise'>,
  account: Account,
): Promise<EventRecord[]> {
  return new Promise((resolve, reject) => {
    let done = false;
    let unsubscribe: (() => void) | undefined;
    const finish = (f: () => void) => {
      if (done) return;
      done = true;
      unsubscribe?.();
      f();
    };
    const signer = account.pair ?? account.address;
    const options = account.signer ? { signer: account.signer, nonce: -1 } : { nonce: -1 };
    tx.signAndSend(signer, options, (result) => {
      if (result.dispatchError) {
        finish(() => reject(new Error(describe(api, result.dispatchError as DispatchError))));
      } else if (result.status.isInBlock || result.status.isFinalized) {
        finish(() => resolve(result.events));
      } else if (result.status.isDropped || result.status.isInvalid || result.status.isUsurped) {
        finish(() => reject(new Error(`the transaction was ${result.status.type.toLowerCase()}: send it again`)));
      }
    })
      .then((u) => {
        unsubscribe = u;
        if (done) u();
      })
      .catch((e: Error) => finish(() => reject(new Error(`not sent: ${e.message}`))));
  });
}

export function formatEmb(planck: bigint): string {
  const milli = planck / (EMB / 1000n);
  return `${milli / 1000n}.${(milli % 1000n).toString().padStart(3, '0')} EMB`;
}

export function formatHours(millihours: bigint): string {
  const whole = millihours / MILLIHOURS;
  const rest = millihours % MILLIHOURS;
  return rest === 0n ? `${whole} h` : `${whole}.${rest.toString().padStart(3, '0')} h`;
}
