// Accounts: a browser wallet (the polkadot.js extension and compatible ones) or, on a
// development chain, the well-known development accounts.
import { web3Accounts, web3Enable, web3FromAddress } from '@polkadot/extension-dapp';
import { Keyring } from '@polkadot/keyring';
import type { KeyringPair } from '@polkadot/keyring/types';
import type { Signer } from '@polkadot/api/types';

export interface Account {
  address: string;
  name: string;
  /** A development account's key (signs locally). */
  pair?: KeyringPair;
  /** A browser wallet's signer. */
  signer?: Signer;
}

export const DEV_NAMES = ['Alice', 'Bob', 'Charlie', 'Dave', 'Eve', 'Ferdie'];

export function devAccounts(): Account[] {
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  return DEV_NAMES.map((name) => {
    const pair = keyring.addFromUri(`//${name}`);
    return { address: pair.address, name: `${name} (development)`, pair };
  });
}

/** The browser wallet's accounts; an error in words if there is no wallet or it refused. */
export async function walletAccounts(): Promise<Account[]> {
  const extensions = await web3Enable('Ember');
  if (extensions.length === 0) {
    throw new Error('No browser wallet answered: install the polkadot.js extension (or Talisman, SubWallet) and allow this site.');
  }
  const accounts = await web3Accounts();
  if (accounts.length === 0) throw new Error('The wallet shares no accounts with this site: add or allow one in it.');
  return Promise.all(
    accounts.map(async (a) => ({
      address: a.address,
      name: `${a.meta.name ?? a.address} (${a.meta.source})`,
      signer: (await web3FromAddress(a.address)).signer,
    })),
  );
}
