// A signing key kept in the browser, sealed under a passphrase: PBKDF2-SHA-256 (310,000 iterations, a
// random 16-byte salt) derives an AES-256-GCM key that seals the Ed25519 seed (random 12-byte IV). The
// sealed record is JSON in localStorage; the passphrase and the seed are never stored, and the unsealed
// private key is a non-extractable CryptoKey held in memory only. The gateway never sees any of it.
import { toBase64, fromBase64, randomBytes, hex, unhex, ascii } from './bytes.js';
import { generateKeyPair, seedOf, privateKeyFromSeed, publicKeyFromSeed } from './sign.js';

export const PBKDF2_ITERATIONS = 310000;
const subtle = () => globalThis.crypto.subtle;

async function wrappingKey(passphrase, salt, iterations) {
  const material = await subtle().importKey('raw', ascii(passphrase), 'PBKDF2', false, ['deriveKey']);
  return subtle().deriveKey({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, material,
                            { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
}

// Seals a 32-byte seed; `extra` (account ids, terminal id…) is stored beside it and bound to it as the
// AES-GCM additional data, so it cannot be swapped without the passphrase.
export async function seal(seed, passphrase, extra = {}) {
  if (!passphrase || passphrase.length < 8) throw new Error('passphrase: at least 8 characters');
  const salt = randomBytes(16), iv = randomBytes(12);
  const key = await wrappingKey(passphrase, salt, PBKDF2_ITERATIONS);
  const info = JSON.stringify(extra);
  const sealed = new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv, additionalData: ascii(info) }, key, seed));
  return { v: 1, kdf: 'PBKDF2-SHA256', iterations: PBKDF2_ITERATIONS, salt: toBase64(salt), iv: toBase64(iv),
           sealed: toBase64(sealed), publicKey: hex(await publicKeyFromSeed(seed)), info };
}

// The seed back, or an Error('passphrase') when the passphrase is wrong (or the record was altered).
export async function unsealSeed(record, passphrase) {
  const key = await wrappingKey(passphrase, fromBase64(record.salt), record.iterations);
  try {
    return new Uint8Array(await subtle().decrypt(
      { name: 'AES-GCM', iv: fromBase64(record.iv), additionalData: ascii(record.info) }, key, fromBase64(record.sealed)));
  } catch {
    throw new Error('passphrase');
  }
}

export async function unseal(record, passphrase) {
  const seed = await unsealSeed(record, passphrase);
  const privateKey = await privateKeyFromSeed(seed, false);
  seed.fill(0);
  return privateKey;
}

export async function newSeed() {
  const pair = await generateKeyPair();
  return seedOf(pair.privateKey);
}

// localStorage, one record per name ("wallet", "terminal").
export function load(name) {
  const text = globalThis.localStorage?.getItem(`ledger.key.${name}`);
  return text ? JSON.parse(text) : null;
}
export function store(name, record) { globalThis.localStorage.setItem(`ledger.key.${name}`, JSON.stringify(record)); }
export function forget(name) { globalThis.localStorage.removeItem(`ledger.key.${name}`); }
export const infoOf = (record) => JSON.parse(record.info || '{}');

export { hex, unhex };
