// The gateway's HTTP/JSON contract (docs: README "Web apps"): POST /v1/<Service>/<Method> with the
// request in protobuf's canonical JSON; 200 with the reply; errors {code, status, message}; server
// streams as Server-Sent Events read with fetch() (EventSource cannot POST).
import { toBase64, randomNonce } from './bytes.js';
import { encode } from './pb.js';
import { posSignedBytes, walletSignedBytes, sign } from './sign.js';

export class ApiError extends Error {
  constructor(httpStatus, body) {
    super(body?.message || `HTTP ${httpStatus}`);
    this.httpStatus = httpStatus;
    this.status = body?.status || '';
    this.code = body?.code;
  }
}

async function errorOf(response) {
  let body = null;
  try { body = await response.json(); } catch { /* not JSON */ }
  return new ApiError(response.status, body);
}

export async function call(service, method, request = {}, { signal } = {}) {
  const response = await fetch(`/v1/${service}/${method}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(request), signal,
    credentials: 'same-origin',
  });
  if (!response.ok) throw await errorOf(response);
  return response.json();
}

// Reads a server stream: calls onMessage(json) per event until the stream ends or `signal` aborts.
export async function stream(service, method, request, onMessage, { signal } = {}) {
  const response = await fetch(`/v1/${service}/${method}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
    body: JSON.stringify(request), signal, credentials: 'same-origin',
  });
  if (!response.ok) throw await errorOf(response);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
      let event = 'message';
      const data = [];
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length === 0) continue;
      const json = JSON.parse(data.join('\n'));
      if (event === 'error') throw new ApiError(500, json);
      onMessage(json);
    }
  }
}

// A wallet's signed request (Wallet and Health services): WalletRequest as JSON.
export async function walletRequest(wallet, method, bodyName, fields) {
  const body = encode(bodyName, fields);
  const timestampMs = String(Date.now());
  const nonce = randomNonce();
  const signature = await sign(wallet.privateKey, walletSignedBytes(method, wallet.accountId, timestampMs, nonce, body));
  return { accountId: toBase64(wallet.accountId), timestampMs, nonce, body: toBase64(body), signature: toBase64(signature) };
}

export async function walletCall(wallet, service, method, bodyName, fields = {}) {
  return call(service, method, await walletRequest(wallet, method, bodyName, fields));
}

// A terminal's signed request (Pos service): SignedRequest as JSON.
export async function posRequest(terminal, method, bodyName, fields = {}) {
  const body = encode(bodyName, fields);
  const timestampMs = String(Date.now());
  const signature = await sign(terminal.privateKey,
                               posSignedBytes(method, terminal.merchantId, terminal.terminalId, timestampMs, body));
  return { merchantId: toBase64(terminal.merchantId), terminalId: terminal.terminalId,
           timestampMs, body: toBase64(body), signature: toBase64(signature) };
}

export async function posCall(terminal, method, bodyName, fields = {}) {
  return call('Pos', method, await posRequest(terminal, method, bodyName, fields));
}

// Results come back as enum names in JSON ("OK", "EXCEEDS_BALANCE"); an omitted result is OK.
export const resultOf = (reply) => reply?.result ?? 'OK';
