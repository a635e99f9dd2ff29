// web/lib/api.js against a stand-in fetch: the JSON call, the error body, Server-Sent Events split across
// chunks, an error event ending a stream, and the signed envelopes (verified with the public key).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, stream, walletCall, posCall, ApiError } from '../lib/api.js';
import { walletSignedBytes, posSignedBytes, privateKeyFromSeed, publicKeyFromSeed, verify } from '../lib/sign.js';
import { fromBase64, unhex } from '../lib/bytes.js';
import { webcrypto } from 'node:crypto';
globalThis.crypto ??= webcrypto;  // Node 18 (Debian's) has WebCrypto, not always as a global.

function respond(status, chunks) {
  const encoder = new TextEncoder();
  const body = new ReadableStream({ start(c) { for (const chunk of chunks) c.enqueue(encoder.encode(chunk)); c.close(); } });
  return new Response(body, { status, headers: { 'Content-Type': 'application/json' } });
}

test('call: POST /v1/Service/Method with JSON; an error body becomes an ApiError', async () => {
  let seen;
  globalThis.fetch = async (url, init) => { seen = { url, init }; return respond(200, ['{"result":"OK"}']); };
  assert.deepEqual(await call('Wallet', 'Send', { a: 1 }), { result: 'OK' });
  assert.equal(seen.url, '/v1/Wallet/Send');
  assert.equal(seen.init.method, 'POST');
  assert.equal(seen.init.headers['Content-Type'], 'application/json');
  globalThis.fetch = async () => respond(400, ['{"code":3,"status":"INVALID_ARGUMENT","message":"body: not a SendRequest"}']);
  await assert.rejects(call('Wallet', 'Send', {}), (e) => e instanceof ApiError && e.httpStatus === 400 &&
                       e.status === 'INVALID_ARGUMENT' && e.message === 'body: not a SendRequest');
});

test('stream: events split across chunks, then an error event', async () => {
  globalThis.fetch = async (url, init) => {
    assert.equal(init.headers.Accept, 'text/event-stream');
    return respond(200, ['data: {"seq":1}\n', '\ndata: {"se', 'q":2}\r\n\r\n: comment\n\n', 'event: error\ndata: {"code":14,"status":"UNAVAILABLE","message":"gone"}\n\n']);
  };
  const got = [];
  await assert.rejects(stream('Health', 'WatchAlerts', {}, (m) => got.push(m.seq)), (e) => e.status === 'UNAVAILABLE' && e.message === 'gone');
  assert.deepEqual(got, [1, 2]);
});

test('walletCall and posCall send envelopes the ledger verifies', async () => {
  const seed = unhex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
  const privateKey = await privateKeyFromSeed(seed);
  const publicKey = await publicKeyFromSeed(seed);
  let sent;
  globalThis.fetch = async (url, init) => { sent = JSON.parse(init.body); return respond(200, ['{}']); };
  const accountId = unhex('00000000000000020000000000000007');
  await walletCall({ privateKey, accountId }, 'Wallet', 'GetAccount', 'WalletAccountRequest');
  assert.notEqual(sent.nonce, '0');
  assert.ok(Math.abs(Number(sent.timestampMs) - Date.now()) < 5000);
  assert.ok(await verify(publicKey, walletSignedBytes('GetAccount', fromBase64(sent.accountId), sent.timestampMs, sent.nonce,
                                                       fromBase64(sent.body)), fromBase64(sent.signature)));
  const merchantId = unhex('000000000000000a0000000000000001');
  await posCall({ privateKey, merchantId, terminalId: 'till-1' }, 'GetPayment', 'PaymentIdRequest', { payment_id: 'order-1001' });
  assert.equal(sent.terminalId, 'till-1');
  assert.ok(await verify(publicKey, posSignedBytes('GetPayment', fromBase64(sent.merchantId), 'till-1', sent.timestampMs,
                                                    fromBase64(sent.body)), fromBase64(sent.signature)));
  assert.equal(Buffer.from(fromBase64(sent.body)).toString('hex'), '0a0a6f726465722d31303031');
});
