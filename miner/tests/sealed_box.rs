//! Connection details sealed by the miner open in polkadot.js, and back.

#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used, clippy::indexing_slicing)]

use ember_miner::sealed_box::{self, SealError};

/// Made with @polkadot/util-crypto 14.0.3 (e2e/node_modules): `sr25519PairFromSeed` of 32 × 4
/// (the client) and of 32 × 7 (the ephemeral key), `sr25519Agreement(ephemeral.secretKey,
/// client.publicKey)`, `naclEncrypt(message, shared, 24 × 9)`; printed as ephemeral public ‖
/// nonce ‖ encrypted.
const CLIENT_PUBLIC: &str = "c2e2bd71e04a6af2897c3414d6fd403477245060fd22daaa412ff51b83c0c22e";
const SEALED_BY_POLKADOT_JS: &str = "7c0f469d3bd340bae718203fa30ca071a5e37c751e891dbded837b213d45d91d09090909090909090909090909090909090909090909090996fa6a2472b8647b7b3f78e486656a229e84c5dd8ea646637312d5f384567a633e107c90e7ff";
const MESSAGE: &[u8] = br#"{"host":"203.0.113.7"}"#;

fn client_public() -> [u8; 32] {
	hex::decode(CLIENT_PUBLIC).unwrap().try_into().unwrap()
}

#[test]
fn the_miner_seals_exactly_as_polkadot_js_does() {
	let sealed = sealed_box::seal_with(&client_public(), MESSAGE, [7; 32], [9; 24]).unwrap();
	assert_eq!(hex::encode(sealed), SEALED_BY_POLKADOT_JS);
}

#[test]
fn what_polkadot_js_sealed_opens_with_the_clients_key() {
	let sealed = hex::decode(SEALED_BY_POLKADOT_JS).unwrap();
	assert_eq!(sealed_box::open(&[4; 32], &sealed).unwrap(), MESSAGE);
}

#[test]
fn a_fresh_seal_opens_only_with_the_clients_key() {
	let sealed = sealed_box::seal(&client_public(), MESSAGE).unwrap();
	assert_eq!(sealed_box::open(&[4; 32], &sealed).unwrap(), MESSAGE);
	assert!(matches!(sealed_box::open(&[5; 32], &sealed), Err(SealError::DoesNotOpen)));
	let mut tampered = sealed.clone();
	*tampered.last_mut().unwrap() ^= 1;
	assert!(matches!(sealed_box::open(&[4; 32], &tampered), Err(SealError::DoesNotOpen)));
	assert!(matches!(sealed_box::open(&[4; 32], &sealed[..40]), Err(SealError::DoesNotOpen)));
	// Not a Ristretto point.
	assert!(matches!(sealed_box::seal(&[0xff; 32], MESSAGE), Err(SealError::BadPublicKey)));
}

#[test]
fn ssh_host_key_fingerprints_match_ssh_keygen() {
	// `ssh-keygen -l -f` of this key prints SHA256:16cqLbKkczdWxyu2UajqTWrRVKZzSWU+VrnQNq1qbf4.
	let line =
		"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIInz6TL69iMw5J9n2uo3Lf50W/FtyHJgEYE7T0tEXD58 host";
	let fingerprint = sealed_box::ssh_host_key_fingerprint(line).unwrap();
	assert_eq!(
		sealed_box::ssh_fingerprint_string(&fingerprint),
		"SHA256:16cqLbKkczdWxyu2UajqTWrRVKZzSWU+VrnQNq1qbf4"
	);
	assert!(sealed_box::ssh_host_key_fingerprint("ssh-ed25519").is_none());
	assert!(sealed_box::ssh_host_key_fingerprint("ssh-ed25519 not-base64!").is_none());
}
