// The web apps' signing code (web/lib) against docs/vectors/*.json: every body, signed byte string,
// signature, code and payload the vectors list is recomputed with WebCrypto (Node's, the same API as the
// browser's). Run: node --test web/test/ (ops/test runs it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { hex, unhex, id16, base32, unbase32 } from '../lib/bytes.js';
import { encode } from '../lib/pb.js';
import * as s from '../lib/sign.js';
import { seal, unseal, unsealSeed } from '../lib/keystore.js';
import { webcrypto } from 'node:crypto';
globalThis.crypto ??= webcrypto;  // Node 18 (Debian's) has WebCrypto, not always as a global.

const load = (name) => JSON.parse(readFileSync(new URL(`../../docs/vectors/${name}`, import.meta.url)));
const keys = {};
for (const k of load('keys.json').keys) keys[k.name] = k;
const privateKey = (name) => s.privateKeyFromSeed(unhex(keys[name].seed_hex));

// body_fields use *_hex for bytes fields.
function bodyOf(v) {
  const fields = {};
  for (const [k, value] of Object.entries(v.body_fields)) {
    if (k.endsWith('_hex')) fields[k.slice(0, -4)] = unhex(value);
    else fields[k] = value;
  }
  return encode(v.body_message, fields);
}

test('keys.json: the public key of each seed', async () => {
  for (const k of Object.values(keys)) assert.equal(hex(await s.publicKeyFromSeed(unhex(k.seed_hex))), k.public_key_hex, k.name);
});

test('pos_request.json: bodies, signed bytes, signatures and the ledger\'s verification', async () => {
  const file = load('pos_request.json');
  const key = await privateKey(file.key);
  const pub = unhex(keys[file.key].public_key_hex);
  for (const v of file.vectors) {
    const body = bodyOf(v);
    assert.equal(hex(body), v.body_hex, `${v.name}: body`);
    const bytes = s.posSignedBytes(v.method, id16(v.merchant_id_hex), v.terminal_id, v.timestamp_ms, body);
    assert.equal(hex(bytes), v.signed_bytes_hex, `${v.name}: signed bytes`);
    const client = v.client_signed_method
      ? s.posSignedBytes(v.client_signed_method, id16(v.merchant_id_hex), v.terminal_id, v.timestamp_ms, body) : bytes;
    const signature = await s.sign(key, client);
    assert.equal(hex(signature), v.signature_hex, `${v.name}: signature`);
    assert.equal(await s.verify(pub, bytes, signature), v.expected_status === 'OK', `${v.name}: verification`);
  }
});

test('wallet_request.json: bodies, signed bytes, signatures and the ledger\'s verification', async () => {
  const file = load('wallet_request.json');
  const key = await privateKey(file.key);
  const pub = unhex(keys[file.key].public_key_hex);
  for (const v of file.vectors) {
    const body = bodyOf(v);
    assert.equal(hex(body), v.body_hex, `${v.name}: body`);
    const bytes = s.walletSignedBytes(v.method, id16(v.account_id_hex), v.timestamp_ms, v.nonce, body);
    assert.equal(hex(bytes), v.signed_bytes_hex, `${v.name}: signed bytes`);
    const client = v.client_signed_method
      ? s.walletSignedBytes(v.client_signed_method, id16(v.account_id_hex), v.timestamp_ms, v.nonce, body) : bytes;
    const signature = await s.sign(key, client);
    assert.equal(hex(signature), v.signature_hex, `${v.name}: signature`);
    assert.equal(await s.verify(pub, bytes, signature), v.expected_status === 'OK', `${v.name}: verification`);
  }
});

test('step_report.json and task_code.json', async () => {
  const steps = load('step_report.json');
  const stepKey = await privateKey(steps.key);
  for (const v of steps.vectors) {
    const bytes = s.stepSignedBytes(v.program, id16(v.resident_id_hex), v.device_id, v.day, v.steps, v.nonce);
    assert.equal(hex(bytes), v.signed_bytes_hex, v.name);
    const client = v.client_signed_steps !== undefined
      ? s.stepSignedBytes(v.program, id16(v.resident_id_hex), v.device_id, v.day, v.client_signed_steps, v.nonce) : bytes;
    assert.equal(hex(await s.sign(stepKey, client)), v.signature_hex, v.name);
  }
  const tasks = load('task_code.json');
  const taskKey = await privateKey(tasks.key);
  for (const v of tasks.vectors) {
    const bytes = s.taskCodeBytes(id16(v.host_account_id_hex), v.task_id, id16(v.visitor_account_id_hex), v.day, v.out);
    assert.equal(hex(bytes), v.signed_bytes_hex, v.name);
    assert.equal(hex(await s.sign(taskKey, bytes)), v.host_signature_hex, v.name);
  }
});

test('cpm.json: base32, the LC1 code and reading it back', async () => {
  const file = load('cpm.json');
  for (const b of file.base32) {
    assert.equal(base32(unhex(b.bytes_hex)), b.base32);
    assert.equal(hex(unbase32(b.base32)), b.bytes_hex);
  }
  const key = await privateKey(file.key);
  for (const v of file.vectors) {
    assert.equal(hex(s.cpmBody(id16(v.account_id_hex), v.nonce, v.issued_at_ms, v.ttl_seconds)), v.body_hex, v.name);
    const text = await s.makeCpm(key, id16(v.account_id_hex),
                                 { nonce: v.nonce, issuedAtMs: v.issued_at_ms, ttlSeconds: v.ttl_seconds });
    assert.equal(text, v.text, v.name);
    const read = s.readCpm(text);
    assert.equal(read.accountHex, v.account_id_hex);
    assert.equal(read.nonce, String(v.nonce));
    assert.equal(String(read.issuedAtMs), String(v.issued_at_ms));
  }
  assert.throws(() => s.readCpm('LC1ABC'), /not a payment code/);
});

test('mpm.json: CRC and reading the payloads', () => {
  const file = load('mpm.json');
  for (const c of file.crc) assert.equal(s.crc16(c.input), c.crc_hex);
  for (const v of file.vectors) {
    const m = s.readMpm(v.payload);
    assert.equal(m.dynamic, v.fields.dynamic, v.name);
    assert.equal(m.merchantHex, v.fields.merchant_account, v.name);
    assert.equal(m.merchantName, v.fields.merchant_name, v.name);
    if (v.fields.dynamic) {
      assert.equal(m.amount, v.fields.amount, v.name);
      assert.equal(m.paymentId, v.fields.payment_id, v.name);
    }
    // An edited amount with the old CRC is refused.
    if (v.fields.dynamic) assert.throws(() => s.readMpm(v.payload.replace(`54${String(v.fields.amount).length.toString().padStart(2, '0')}${v.fields.amount}`, '540419990')), /CRC|malformed/);
  }
});

test('keystore: sealed under a passphrase, a wrong one refused, the extra data bound', async () => {
  const seed = unhex(keys.wallet.seed_hex);
  const record = await seal(seed, 'correct horse battery', { account: 'ab' });
  assert.equal(record.publicKey, keys.wallet.public_key_hex);
  assert.ok(!JSON.stringify(record).includes(keys.wallet.seed_hex));
  assert.equal(hex(await unsealSeed(record, 'correct horse battery')), keys.wallet.seed_hex);
  await assert.rejects(unseal(record, 'wrong passphrase'), /passphrase/);
  await assert.rejects(unseal({ ...record, info: JSON.stringify({ account: 'cd' }) }, 'correct horse battery'), /passphrase/);
  await assert.rejects(seal(seed, 'short'), /at least 8/);
});

test('pb: repeated bytes, negative-free varints, unknown fields refused', () => {
  assert.equal(hex(encode('WatchOverRequest', { watcher_ids: [new Uint8Array([1, 2])], silent_days: 2 })), '0a0201021002');
  assert.equal(hex(encode('ConsentRequest', { purpose: 2, granted: true })), '08021001');
  assert.equal(hex(encode('WalletAccountRequest', {})), '');
  assert.throws(() => encode('SendRequest', { amout: 3 }), /no field amout/);
});

test('pb: a proposal\'s CreateTransfersRequest (nested, repeated messages)', () => {
  const id = new Uint8Array(16).fill(1), a = new Uint8Array(16).fill(2), b = new Uint8Array(16).fill(3);
  const bytes = encode('CreateTransfersRequest', { transfers: [{ id, debit_account_id: a, credit_account_id: b, amount: 5000, code: 1 }] });
  // field 1, length 59: id(18) debit(18) credit(18) amount 5000 (3) code 1 (2)
  assert.equal(hex(bytes), '0a3b0a10' + '01'.repeat(16) + '1210' + '02'.repeat(16) + '1a10' + '03'.repeat(16) + '20882738' + '01');
});
