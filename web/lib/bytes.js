// Bytes, hex, base64, base32 and little-endian integers: the building blocks of docs/signing.md.
// Plain ES module; runs in browsers and in Node (tests).

const enc = new TextEncoder();

export const ascii = (text) => enc.encode(text);

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function unhex(text) {
  const clean = String(text).trim().toLowerCase();
  if (clean.length % 2 !== 0 || !/^[0-9a-f]*$/.test(clean)) throw new Error(`not hex: ${text}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.substr(2 * i, 2), 16);
  return out;
}

// An unsigned integer (number, string or BigInt) as `width` bytes, little-endian.
export function le(value, width) {
  let v = BigInt(value);
  if (v < 0n || v >= 1n << BigInt(8 * width)) throw new Error(`${value} does not fit ${width} bytes`);
  const out = new Uint8Array(width);
  for (let i = 0; i < width; i++) { out[i] = Number(v & 0xffn); v >>= 8n; }
  return out;
}

export function readLe(bytes, at, width) {
  let v = 0n;
  for (let i = width - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i]);
  return v;
}

// A 16-byte id from 32 hex digits (big-endian).
export function id16(hexText) {
  const b = unhex(hexText);
  if (b.length !== 16) throw new Error(`an id is 32 hex digits, got ${hexText}`);
  return b;
}

export function randomBytes(n) {
  const out = new Uint8Array(n);
  globalThis.crypto.getRandomValues(out);
  return out;
}

// A fresh non-zero 64-bit nonce as a decimal string (JSON's uint64 form).
export function randomNonce() {
  for (;;) {
    const v = readLe(randomBytes(8), 0, 8);
    if (v !== 0n) return v.toString();
  }
}

// A random account or transfer id: 16 bytes, not zero, first two bytes not 0xffff (docs/API.md, Id ranges).
export function randomId() {
  for (;;) {
    const b = randomBytes(16);
    if (!(b[0] === 0xff && b[1] === 0xff) && b.some((x) => x !== 0)) return b;
  }
}

export function toBase64(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export function fromBase64(text) {
  const s = atob(text || '');
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

// RFC 4648 base32, upper case, no padding (the LC1 code).
export function base32(bytes) {
  let out = '', buffer = 0, bits = 0;
  for (const b of bytes) {
    buffer = ((buffer << 8) | b) & 0xffff; bits += 8;
    while (bits >= 5) { out += ALPHABET[(buffer >> (bits - 5)) & 31]; bits -= 5; }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

export function unbase32(text) {
  const out = [];
  let buffer = 0, bits = 0;
  for (const c of text) {
    const v = ALPHABET.indexOf(c);
    if (v < 0) throw new Error(`not base32: ${c}`);
    buffer = ((buffer << 5) | v) & 0xffff; bits += 5;
    if (bits >= 8) { out.push((buffer >> (bits - 8)) & 0xff); bits -= 8; }
  }
  return new Uint8Array(out);
}
