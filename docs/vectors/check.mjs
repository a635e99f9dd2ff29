// An independent check of docs/signing.md: recomputes every vector in docs/vectors/*.json from the
// document's description alone (written without reading the ledger's C++), with nothing but Node's
// standard library (node:crypto for Ed25519; BLAKE2b-256 below, checked against node:crypto's
// BLAKE2b-512). Prints what it checked; exits 1 on any mismatch.
//   node docs/vectors/check.mjs            (Node 18 or later)
import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIR = dirname(fileURLToPath(import.meta.url));
const load = (name) => JSON.parse(readFileSync(join(DIR, name), 'utf8'));

let checks = 0;
const failures = [];
function expectEqual(what, got, want) {
  checks++;
  if (got !== want) failures.push(`${what}:\n    computed ${got}\n    vector   ${want}`);
}
function expectTrue(what, ok) {
  checks++;
  if (!ok) failures.push(what);
}

// ---- encodings (signing.md, "Conventions") ----
const ascii = (text) => Buffer.from(text, 'latin1');
const unhex = (hex) => Buffer.from(hex, 'hex');
const hex = (bytes) => Buffer.from(bytes).toString('hex');
const byte = (value) => Buffer.from([value]);
const NUL = byte(0);
function le(value, width) {  // Unsigned little-endian of `width` bytes; value a number, bigint or decimal string.
  let v = BigInt(value);
  const out = Buffer.alloc(width);
  for (let i = 0; i < width; i++) { out[i] = Number(v & 0xffn); v >>= 8n; }
  return out;
}
const id16 = (hex32) => { const b = unhex(hex32); if (b.length !== 16) throw new Error(`id ${hex32}`); return b; };
const cat = (...parts) => Buffer.concat(parts);

// ---- Ed25519 (RFC 8032, pure): the 32-byte seed is the private key ----
const PKCS8_ED25519_PREFIX = unhex('302e020100300506032b657004220420');
const privateKeyFromSeed = (seedHex) =>
  createPrivateKey({ key: cat(PKCS8_ED25519_PREFIX, unhex(seedHex)), format: 'der', type: 'pkcs8' });
const publicKeyHex = (privateKey) =>
  Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).x, 'base64url').toString('hex');
const publicKeyFromRaw = (rawHex) => createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: unhex(rawHex).toString('base64url') }, format: 'jwk' });

// ---- BLAKE2b (RFC 7693), unkeyed, any output length ----
const MASK = (1n << 64n) - 1n;
const IV = [0x6a09e667f3bcc908n, 0xbb67ae8584caa73bn, 0x3c6ef372fe94f82bn, 0xa54ff53a5f1d36f1n,
            0x510e527fade682d1n, 0x9b05688c2b3e6c1fn, 0x1f83d9abfb41bd6bn, 0x5be0cd19137e2179n];
const SIGMA = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4], [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13], [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11], [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5], [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0]];
const rotr = (x, n) => ((x >> BigInt(n)) | (x << BigInt(64 - n))) & MASK;
function blake2b(message, outlen) {
  const h = IV.slice();
  h[0] ^= 0x01010000n ^ BigInt(outlen);
  const blocks = Math.max(1, Math.ceil(message.length / 128));
  for (let b = 0; b < blocks; b++) {
    const block = Buffer.alloc(128);
    message.copy(block, 0, b * 128, Math.min(message.length, (b + 1) * 128));
    const m = [];
    for (let i = 0; i < 16; i++) m.push(block.readBigUInt64LE(8 * i));
    const last = b === blocks - 1;
    const t = BigInt(last ? message.length : (b + 1) * 128);
    const v = [...h, ...IV];
    v[12] ^= t & MASK;
    v[13] ^= t >> 64n;
    if (last) v[14] ^= MASK;
    const g = (a, bb, c, d, x, y) => {
      v[a] = (v[a] + v[bb] + x) & MASK; v[d] = rotr(v[d] ^ v[a], 32);
      v[c] = (v[c] + v[d]) & MASK;      v[bb] = rotr(v[bb] ^ v[c], 24);
      v[a] = (v[a] + v[bb] + y) & MASK; v[d] = rotr(v[d] ^ v[a], 16);
      v[c] = (v[c] + v[d]) & MASK;      v[bb] = rotr(v[bb] ^ v[c], 63);
    };
    for (let r = 0; r < 12; r++) {
      const s = SIGMA[r % 10];
      g(0, 4, 8, 12, m[s[0]], m[s[1]]); g(1, 5, 9, 13, m[s[2]], m[s[3]]);
      g(2, 6, 10, 14, m[s[4]], m[s[5]]); g(3, 7, 11, 15, m[s[6]], m[s[7]]);
      g(0, 5, 10, 15, m[s[8]], m[s[9]]); g(1, 6, 11, 12, m[s[10]], m[s[11]]);
      g(2, 7, 8, 13, m[s[12]], m[s[13]]); g(3, 4, 9, 14, m[s[14]], m[s[15]]);
    }
    for (let i = 0; i < 8; i++) h[i] ^= v[i] ^ v[i + 8];
  }
  const out = Buffer.alloc(64);
  h.forEach((word, i) => out.writeBigUInt64LE(word, 8 * i));
  return out.subarray(0, outlen);
}
const blake2b256 = (message) => blake2b(message, 32);
for (const text of ['', 'abc', 'x'.repeat(300)]) {  // Our BLAKE2b against node:crypto's (64-byte output).
  expectEqual(`BLAKE2b-512 of ${text.length} bytes`, hex(blake2b(ascii(text), 64)),
              createHash('blake2b512').update(text).digest('hex'));
}

// ---- keys.json ----
const keys = {};
for (const k of load('keys.json').keys) {
  const privateKey = privateKeyFromSeed(k.seed_hex);
  expectEqual(`keys.json ${k.name}: public key`, publicKeyHex(privateKey), k.public_key_hex);
  keys[k.name] = { privateKey, publicKey: publicKeyFromRaw(k.public_key_hex) };
}
console.log(`keys.json: ${Object.keys(keys).length} keys derived from their seeds`);

// An envelope: the bytes the ledger computes, the signature the client made, and whether it verifies.
function checkSignature(file, v, key, serverBytes, clientBytes, accepted) {
  const signature = sign(null, clientBytes, key.privateKey);
  expectEqual(`${file} "${v.name}": signature`, hex(signature), v.signature_hex ?? v.host_signature_hex);
  expectEqual(`${file} "${v.name}": the ledger's verification`, verify(null, serverBytes, key.publicKey, signature),
              accepted);
}

// ---- pos_request.json: "ledger-pos-req-v1" 0 method 0 merchant_id(16) terminal_id 0 timestamp_ms(8 LE) body ----
const posBytes = (method, v) => cat(ascii('ledger-pos-req-v1'), NUL, ascii(method), NUL, id16(v.merchant_id_hex),
                                    ascii(v.terminal_id), NUL, le(v.timestamp_ms, 8), unhex(v.body_hex));
{
  const file = load('pos_request.json');
  for (const v of file.vectors) {
    const bytes = posBytes(v.method, v);
    expectEqual(`pos_request.json "${v.name}": signed bytes`, hex(bytes), v.signed_bytes_hex);
    const client = v.client_signed_method ? posBytes(v.client_signed_method, v) : bytes;
    if (v.client_signed_method) expectEqual(`pos_request.json "${v.name}": client bytes`, hex(client), v.client_signed_bytes_hex);
    checkSignature('pos_request.json', v, keys[file.key], bytes, client, v.expected_status === 'OK');
    if (v.request_nonce !== undefined) {
      let nonce = blake2b256(bytes).readBigUInt64BE(0);
      if (nonce === 0n) nonce = 1n;
      expectEqual(`pos_request.json "${v.name}": request nonce`, nonce.toString(), v.request_nonce);
    }
  }
  console.log(`pos_request.json: ${file.vectors.length} Pos SignedRequest envelopes (bytes, signature, verification, derived nonces)`);
}

// ---- wallet_request.json: "ledger-wallet-req-v1" 0 method 0 account_id(16) timestamp_ms(8 LE) nonce(8 LE) body ----
const walletBytes = (method, v) => cat(ascii('ledger-wallet-req-v1'), NUL, ascii(method), NUL, id16(v.account_id_hex),
                                       le(v.timestamp_ms, 8), le(v.nonce, 8), unhex(v.body_hex));
{
  const file = load('wallet_request.json');
  for (const v of file.vectors) {
    const bytes = walletBytes(v.method, v);
    expectEqual(`wallet_request.json "${v.name}": signed bytes`, hex(bytes), v.signed_bytes_hex);
    const client = v.client_signed_method ? walletBytes(v.client_signed_method, v) : bytes;
    checkSignature('wallet_request.json', v, keys[file.key], bytes, client, v.expected_status === 'OK');
  }
  console.log(`wallet_request.json: ${file.vectors.length} WalletRequest envelopes`);
}

// ---- step_report.json: "ledger-steps-v1" 0 program(4 LE) resident(16) len(1) device_id day(4 LE) steps(4 LE) nonce(8 LE) ----
const stepBytes = (v, steps) => cat(ascii('ledger-steps-v1'), NUL, le(v.program, 4), id16(v.resident_id_hex),
                                    byte(v.device_id.length), ascii(v.device_id), le(v.day, 4), le(steps, 4), le(v.nonce, 8));
{
  const file = load('step_report.json');
  for (const v of file.vectors) {
    const bytes = stepBytes(v, v.steps);
    expectEqual(`step_report.json "${v.name}": signed bytes`, hex(bytes), v.signed_bytes_hex);
    const client = v.client_signed_steps !== undefined ? stepBytes(v, v.client_signed_steps) : bytes;
    checkSignature('step_report.json', v, keys[file.key], bytes, client, v.expected_result === 'OK');
  }
  console.log(`step_report.json: ${file.vectors.length} step reports`);
}

// ---- task_code.json: "ledger-task-v1" 0 host(16) len(1) task_id visitor(16) day(4 LE) 'I'|'O' ----
{
  const file = load('task_code.json');
  for (const v of file.vectors) {
    const bytes = cat(ascii('ledger-task-v1'), NUL, id16(v.host_account_id_hex), byte(v.task_id.length), ascii(v.task_id),
                      id16(v.visitor_account_id_hex), le(v.day, 4), ascii(v.out ? 'O' : 'I'));
    expectEqual(`task_code.json "${v.name}": signed bytes`, hex(bytes), v.signed_bytes_hex);
    checkSignature('task_code.json', v, keys[file.key], bytes, bytes, true);
  }
  console.log(`task_code.json: ${file.vectors.length} check-in codes`);
}

// ---- cpm.json: "LC1" + base32(01 account(16) nonce(8 LE) issued_at_ms(8 LE) ttl_seconds(4 LE) signature(64)) ----
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
function base32(bytes) {  // RFC 4648, upper case, no padding.
  let out = '', buffer = 0, bits = 0;
  for (const b of bytes) {
    buffer = ((buffer << 8) | b) & 0xffff; bits += 8;
    while (bits >= 5) { out += ALPHABET[(buffer >> (bits - 5)) & 31]; bits -= 5; }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}
{
  const file = load('cpm.json');
  for (const b of file.base32) expectEqual(`cpm.json base32 of ${b.bytes_hex}`, base32(unhex(b.bytes_hex)), b.base32);
  let windowChecks = 0;
  for (const v of file.vectors) {
    const body = cat(byte(1), id16(v.account_id_hex), le(v.nonce, 8), le(v.issued_at_ms, 8), le(v.ttl_seconds, 4));
    const signed = cat(ascii('ledger-cpm-v1'), body);
    expectEqual(`cpm.json "${v.name}": body`, hex(body), v.body_hex);
    expectEqual(`cpm.json "${v.name}": signed bytes`, hex(signed), v.signed_bytes_hex);
    const signature = sign(null, signed, keys[file.key].privateKey);
    expectEqual(`cpm.json "${v.name}": signature`, hex(signature), v.signature_hex);
    const text = 'LC1' + base32(cat(body, signature));
    expectEqual(`cpm.json "${v.name}": text`, text, v.text);
    expectEqual(`cpm.json "${v.name}": 165 characters`, text.length, 165);
    const valid = v.ttl_seconds >= 1 && v.ttl_seconds <= 600;
    expectEqual(`cpm.json "${v.name}": decodes`, valid, v.expected_result !== 'CPM_INVALID');
    for (const c of v.checks ?? []) {
      const now = BigInt(c.ledger_now_ms), issued = BigInt(v.issued_at_ms);
      const result = issued > now + 30000n ? 'CPM_NOT_YET_VALID'
                   : now >= issued + BigInt(v.ttl_seconds) * 1000n ? 'CPM_EXPIRED' : 'OK';
      expectEqual(`cpm.json "${v.name}" at ${c.ledger_now_ms}`, result, c.expected_result);
      windowChecks++;
    }
  }
  console.log(`cpm.json: ${file.base32.length} base32 examples, ${file.vectors.length} codes, ${windowChecks} validity-window answers`);
}

// ---- mpm.json: EMVCo TLV, CRC-16/CCITT-FALSE over everything up to and including "6304" ----
function crc16(text) {
  let crc = 0xffff;
  for (const b of ascii(text)) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc.toString(16).toUpperCase().padStart(4, '0');
}
const tlv = (tag, value) => String(tag).padStart(2, '0') + String(value.length).padStart(2, '0') + value;
{
  const file = load('mpm.json');
  for (const c of file.crc) expectEqual(`mpm.json CRC of "${c.input}"`, crc16(c.input), c.crc_hex);
  for (const v of file.vectors) {
    const f = v.fields;
    let p = tlv(0, '01') + tlv(1, f.dynamic ? '12' : '11') +
            tlv(26, tlv(0, 'JP.LOCALCOIN') + tlv(1, f.merchant_account) + tlv(2, String(f.asset)));
    if (f.dynamic) p += tlv(27, tlv(0, 'JP.LOCALCOIN') + tlv(1, f.payment_id));
    p += tlv(52, f.merchant_category) + tlv(53, '392');
    if (f.dynamic) p += tlv(54, String(f.amount));
    p += tlv(58, 'JP') + tlv(59, f.merchant_name) + tlv(60, f.merchant_city);
    if (f.terminal_label) p += tlv(62, tlv(7, f.terminal_label));
    p += '6304';
    expectEqual(`mpm.json "${v.name}": CRC input`, p, v.crc_input);
    expectEqual(`mpm.json "${v.name}": payload`, p + crc16(p), v.payload);
  }
  console.log(`mpm.json: ${file.crc.length} CRC examples, ${file.vectors.length} payloads`);
}

// ---- derived_ids.json: BLAKE2b-256("ledger-pos-v1" | kind | owner(16) | id), top 17 bits set ----
function derivedId(kind, ownerHex, id) {
  const hash = blake2b256(cat(ascii('ledger-pos-v1'), ascii(kind), id16(ownerHex), ascii(id)));
  const high = (hash.readBigUInt64BE(0) & 0x00007fffffffffffn) | 0xffff800000000000n;
  return high.toString(16).padStart(16, '0') + hash.subarray(8, 16).toString('hex');
}
{
  const file = load('derived_ids.json');
  for (const v of file.vectors) {
    const a = v.arguments;
    let kind = a.kind, owner, id;
    switch (v.function) {
      case 'PosTransferId': owner = a.merchant_hex; id = a.id; break;
      case 'HealthTransferId': owner = a.resident_hex; id = `health/${a.exchange_id}`; break;
      case 'HealthAwardId': kind = 'A'; owner = a.resident_hex; id = `health/${a.program}/${a.day}/${a.nonce}`; break;
      case 'TaskTransferId': owner = a.host_hex; id = `task/${a.slot}/${a.day}/${a.task_id}`; break;
      case 'TaskPayId': kind = 'V'; owner = a.host_hex; id = `task/${a.visitor_hex}/${a.day}/${a.task_id}`; break;
      case 'CampaignTransferId': owner = a.merchant_hex; id = `campaign/${a.campaign}/${a.id}`; break;
      default: failures.push(`derived_ids.json: unknown function ${v.function}`); continue;
    }
    expectEqual(`derived_ids.json ${v.function} ${kind} (${v.meaning}): id string`, id, v.id);
    expectEqual(`derived_ids.json ${v.function} ${kind} (${v.meaning}): transfer id`, derivedId(kind, owner, id),
                v.transfer_id_hex);
  }
  // A clawback's id: refund id length, ':', refund id, payment id ("0:" and the payment id for a cancel).
  const claw = (refund, payment) => `${refund.length}:${refund}${payment}`;
  expectTrue('derived_ids.json: the clawback suffixes', file.vectors.some((v) => v.id === `campaign/3/${claw('refund-1', 'order-1001')}`) &&
             file.vectors.some((v) => v.id === `campaign/3/${claw('', 'order-1001')}`));
  console.log(`derived_ids.json: ${file.vectors.length} derived transfer ids`);
}

if (failures.length > 0) {
  console.error(`\n${failures.length} of ${checks} checks FAILED (docs/signing.md and docs/vectors disagree):`);
  for (const f of failures) console.error(`  - ${f}`);
  process.exit(1);
}
console.log(`vectors: all ${checks} checks agree with docs/signing.md`);
