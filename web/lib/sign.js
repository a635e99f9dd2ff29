// The signed bytes of docs/signing.md, Ed25519 with WebCrypto, the customer-presented code (LC1…) and
// the merchant-presented EMVCo payload. Checked against docs/vectors/*.json by web/test/vectors.test.mjs.
import { ascii, concat, le, id16, hex, unhex, base32, unbase32, readLe, randomNonce } from './bytes.js';

const NUL = new Uint8Array([0]);
const subtle = () => globalThis.crypto.subtle;

// "ledger-pos-req-v1" 0 method 0 merchant_id(16) terminal_id 0 timestamp_ms(8 LE) body
export function posSignedBytes(method, merchantId, terminalId, timestampMs, body) {
  return concat(ascii('ledger-pos-req-v1'), NUL, ascii(method), NUL, merchantId, ascii(terminalId), NUL,
                le(timestampMs, 8), body);
}

// "ledger-wallet-req-v1" 0 method 0 account_id(16) timestamp_ms(8 LE) nonce(8 LE) body
export function walletSignedBytes(method, accountId, timestampMs, nonce, body) {
  return concat(ascii('ledger-wallet-req-v1'), NUL, ascii(method), NUL, accountId, le(timestampMs, 8),
                le(nonce, 8), body);
}

// "ledger-steps-v1" 0 program(4 LE) resident(16) len(1) device_id day(4 LE) steps(4 LE) nonce(8 LE)
export function stepSignedBytes(program, residentId, deviceId, day, steps, nonce) {
  return concat(ascii('ledger-steps-v1'), NUL, le(program, 4), residentId, new Uint8Array([deviceId.length]),
                ascii(deviceId), le(day, 4), le(steps, 4), le(nonce, 8));
}

// "ledger-task-v1" 0 host(16) len(1) task_id visitor(16) day(4 LE) 'I'|'O'
export function taskCodeBytes(hostId, taskId, visitorId, day, out) {
  return concat(ascii('ledger-task-v1'), NUL, hostId, new Uint8Array([taskId.length]), ascii(taskId), visitorId,
                le(day, 4), ascii(out ? 'O' : 'I'));
}

// ---- Ed25519 (RFC 8032, pure) with WebCrypto ----
const PKCS8_PREFIX = unhex('302e020100300506032b657004220420');

export async function generateKeyPair() {
  return subtle().generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
}

// The 32-byte seed of an extractable private key (the last 32 bytes of its PKCS#8 form).
export async function seedOf(privateKey) {
  const pkcs8 = new Uint8Array(await subtle().exportKey('pkcs8', privateKey));
  return pkcs8.slice(pkcs8.length - 32);
}

export async function privateKeyFromSeed(seed, extractable = false) {
  if (seed.length !== 32) throw new Error('an Ed25519 seed is 32 bytes');
  return subtle().importKey('pkcs8', concat(PKCS8_PREFIX, seed), { name: 'Ed25519' }, extractable, ['sign']);
}

// The raw 32-byte public key of a seed (WebCrypto derives it through JWK).
export async function publicKeyFromSeed(seed) {
  const key = await privateKeyFromSeed(seed, true);
  const jwk = await subtle().exportKey('jwk', key);
  const b64 = jwk.x.replace(/-/g, '+').replace(/_/g, '/');
  const s = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

export async function sign(privateKey, bytes) {
  return new Uint8Array(await subtle().sign({ name: 'Ed25519' }, privateKey, bytes));
}

export async function verify(publicKeyRaw, bytes, signature) {
  const key = await subtle().importKey('raw', publicKeyRaw, { name: 'Ed25519' }, false, ['verify']);
  return subtle().verify({ name: 'Ed25519' }, key, signature, bytes);
}

// ---- Customer-presented code: "LC1" + base32(01 account(16) nonce(8 LE) issued_at_ms(8 LE) ttl(4 LE) sig(64)) ----
export function cpmBody(accountId, nonce, issuedAtMs, ttlSeconds) {
  return concat(new Uint8Array([1]), accountId, le(nonce, 8), le(issuedAtMs, 8), le(ttlSeconds, 4));
}

export async function makeCpm(privateKey, accountId, { nonce = randomNonce(), issuedAtMs = Date.now(), ttlSeconds = 60 } = {}) {
  const body = cpmBody(accountId, nonce, issuedAtMs, ttlSeconds);
  const signature = await sign(privateKey, concat(ascii('ledger-cpm-v1'), body));
  return 'LC1' + base32(concat(body, signature));
}

// Reads a code (for display only; the ledger decides): the account, issue time and lifetime.
export function readCpm(text) {
  if (!/^LC1[A-Z2-7]{162}$/.test(text)) throw new Error('not a payment code (LC1 and 162 base32 characters)');
  const b = unbase32(text.slice(3));
  if (b.length !== 101 || b[0] !== 1) throw new Error('not a version 1 payment code');
  return { accountHex: hex(b.slice(1, 17)), nonce: readLe(b, 17, 8).toString(),
           issuedAtMs: Number(readLe(b, 25, 8)), ttlSeconds: Number(readLe(b, 33, 4)) };
}

// ---- EMVCo merchant-presented payload ----
export function crc16(text) {
  let crc = 0xffff;
  for (const b of ascii(text)) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc.toString(16).toUpperCase().padStart(4, '0');
}

function readTlv(text) {
  const fields = new Map();
  let at = 0;
  while (at < text.length) {
    if (at + 4 > text.length) throw new Error('payload: a field is cut short');
    const tag = text.substr(at, 2), length = Number(text.substr(at + 2, 2));
    if (!/^\d\d$/.test(tag) || !/^\d\d$/.test(text.substr(at + 2, 2)) || at + 4 + length > text.length) {
      throw new Error(`payload: field at ${at} is malformed`);
    }
    fields.set(tag, text.substr(at + 4, length));
    at += 4 + length;
  }
  return fields;
}

// A shop's QR payload, read for the payer to check (the ledger checks it again).
export function readMpm(payload) {
  const text = String(payload).trim();
  if (text.length < 8 || text.substr(-8, 4) !== '6304') throw new Error('payload: no CRC field (6304) at the end');
  if (crc16(text.slice(0, -4)) !== text.slice(-4).toUpperCase()) throw new Error('payload: the CRC does not match');
  const f = readTlv(text);
  const ours = readTlv(f.get('26') || '');
  if (ours.get('00') !== 'JP.LOCALCOIN') throw new Error('payload: not a regional coin code (tag 26)');
  const order = f.has('27') ? readTlv(f.get('27')) : new Map();
  return {
    dynamic: f.get('01') === '12',
    merchantHex: ours.get('01') || '',
    asset: Number(ours.get('02') || 0),
    paymentId: order.get('01') || '',
    amount: f.has('54') ? Number(f.get('54')) : 0,
    merchantName: f.get('59') || '',
    merchantCity: f.get('60') || '',
  };
}

export { id16 };
