// The shop counter: the terminal's key (sealed under a passphrase), "charge ¥N" as a dynamic QR that
// turns green when paid, a customer's code scanned or typed, card + PIN, today's payments with refund
// and cancel, closing the day (the settlement report) and cash-out. Every call is a signed Pos request.
import * as ui from '../lib/ui.js';
import { $, $$, t, show, announce, money, el, errorText } from '../lib/ui.js';
import { hex, unhex, randomId } from '../lib/bytes.js';
import * as keystore from '../lib/keystore.js';
import { posCall, posRequest, stream, resultOf } from '../lib/api.js';
import { scanQr } from '../lib/camera.js';
import dictionary from './i18n.js';

const state = { terminal: null, info: null, watch: null, camera: null };
// A signed Pos call; an answer at all means the terminal is registered, so its registration code goes.
async function pos(method, bodyName, fields) {
  const reply = await posCall(state.terminal, method, bodyName, fields);
  $('#terminal-card').hidden = true;
  return reply;
}
// What the page drew from a reply, drawn again in the other language when the language switches.
const drawn = new Map();
function render(selector, draw) {
  drawn.set(selector, draw);
  draw($(selector));
}
const newId = (prefix) => `${prefix}-${ui.dayNumber()}-${hex(randomId()).slice(0, 10)}`;

function remember(id, amount) {
  const list = JSON.parse(localStorage.getItem('shop.payments') || '[]');
  list.push({ id, amount, day: ui.dayNumber() });
  localStorage.setItem('shop.payments', JSON.stringify(list.slice(-200)));
}
const todays = () => JSON.parse(localStorage.getItem('shop.payments') || '[]').filter((p) => p.day === ui.dayNumber());

async function open(record, passphrase) {
  const privateKey = await keystore.unseal(record, passphrase);
  state.info = keystore.infoOf(record);
  state.terminal = { privateKey, merchantId: unhex(state.info.merchant), terminalId: state.info.terminal };
  $('#terminal-code').textContent = `LK1-${state.info.merchant}-${state.info.terminal}-${record.publicKey}`;
  show('counter');
  tab('charge');
}

function wireKey() {
  $('#setup-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const info = { merchant: $('#setup-merchant').value.toLowerCase(), terminal: $('#setup-terminal').value,
                   name: $('#setup-name').value, city: $('#setup-city').value };
    try {
      const record = await keystore.seal(await keystore.newSeed(), $('#setup-pass').value, info);
      keystore.store('terminal', record);
      await open(record, $('#setup-pass').value);
      $('#terminal-card').hidden = false;
    } catch (e) { announce(e.message, { assertive: true }); }
  });
  // A key registered elsewhere (the demo town's var/demo/shop.code): LT1-SEED-MERCHANT-TERMINAL.
  $('#import-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const m = /^LT1-([0-9a-f]{64})-([0-9a-f]{32})-([ -~]{1,32})$/i.exec($('#import-code').value.trim());
    if (!m) return announce(t('import.bad'), { assertive: true });
    const info = { merchant: m[2].toLowerCase(), terminal: m[3], name: $('#import-name').value, city: $('#import-city').value };
    try {
      const record = await keystore.seal(unhex(m[1]), $('#import-pass').value, info);
      keystore.store('terminal', record);
      await open(record, $('#import-pass').value);
    } catch (e) { announce(e.message, { assertive: true }); }
  });
  $('#unlock-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    try { await open(keystore.load('terminal'), $('#unlock-pass').value); $('#unlock-pass').value = ''; } catch { announce(t('unlock.wrong'), { assertive: true }); }
  });
}

function tab(name) {
  if (state.camera) { state.camera(); state.camera = null; }
  for (const button of $$('[data-tab]')) button.setAttribute('aria-current', button.dataset.tab === name ? 'page' : 'false');
  for (const panel of $$('[data-tab-panel]')) panel.hidden = panel.dataset.tabPanel !== name;
  if (name === 'today') refreshToday();
  if (name === 'close' && !$('#close-day').value) $('#close-day').value = String(ui.dayNumber());
}

// A refused request (PERMISSION_DENIED: the terminal is not registered yet) shows the registration code.
function failed(e) {
  if (e.httpStatus === 403) $('#terminal-card').hidden = false;
  announce(errorText(e), { assertive: true });
}

// ---- charge with a dynamic QR (Pos.CreateMpm); Pos.WatchPayment's stream says when it is paid ----
async function charge(event) {
  event.preventDefault();
  const amount = Number($('#charge-amount').value);
  const id = newId('q');
  try {
    const reply = await pos('CreateMpm', 'CreateMpmRequest', {
      payment_id: id, amount, lifetime_seconds: 300, merchant_name: state.info.name, merchant_city: state.info.city });
    if (resultOf(reply) !== 'OK') return announce(t('charge.refused', { result: resultOf(reply) }), { assertive: true });
    remember(id, amount);
    $('#charge-total').textContent = money(amount);
    $('#charge-qr').replaceChildren(el('img', { src: `data:image/png;base64,${reply.mpmQrPng}`, alt: t('charge.qr', { amount: money(amount) }),
                                                id: 'charge-qr-image' }));
    $('#charge-payload').textContent = reply.mpmPayload;
    $('#charge-panel').hidden = false;
    $('#charge-panel').classList.remove('paid');
    render('#charge-state', (banner) => {
      banner.className = 'banner';
      banner.dataset.state = 'awaiting';
      banner.textContent = t('charge.waiting');
    });
    $('#charge-form').hidden = true;
    watch(id, amount);
  } catch (e) { failed(e); }
}

// The payment's state on the banner; true once it is decided (paid, expired, cancelled, refused).
function showPayment(payment, amount) {
  const s = payment?.state;
  if (!s || s === 'awaiting') return false;
  render('#charge-state', (banner) => {
    banner.dataset.state = s;
    banner.className = `banner ${s === 'captured' ? 'ok' : 'bad'}`;
    banner.textContent = s === 'captured' ? t('charge.paid', { amount: money(amount) })
      : s === 'expired' ? t('charge.expired') : t('refused', { result: s });
  });
  if (s === 'captured') {
    $('#charge-panel').classList.add('paid');
    $('#charge-qr').replaceChildren();
    announce(t('charge.paid', { amount: money(amount) }), { assertive: true });
  }
  return true;
}

function stopWatching() {
  if (state.watch) state.watch.abort();
  state.watch = null;
}

// Pos.WatchPayment as Server-Sent Events: the state at once, then each change, pushed by the ledger (no
// polling). A stream that drops (network, the server's 300 s bound) is opened again after a growing pause;
// a refusal that cannot pass on retry (unknown payment, bad signature) is shown and ends the watch.
function watch(id, amount) {
  stopWatching();
  const controller = new AbortController();
  state.watch = controller;
  const { signal } = controller;
  (async () => {
    for (let pause = 1000; !signal.aborted; pause = Math.min(pause * 2, 15000)) {
      try {
        const request = await posRequest(state.terminal, 'WatchPayment', 'PaymentIdRequest', { payment_id: id });
        await stream('Pos', 'WatchPayment', request, (reply) => {
          pause = 500;
          if (showPayment(reply.payment, amount)) controller.abort();
        }, { signal });
      } catch (e) {
        if (signal.aborted) return;
        announce(errorText(e));
        if (['NOT_FOUND', 'PERMISSION_DENIED', 'INVALID_ARGUMENT'].includes(e.status)) return;
      }
      if (!signal.aborted) await new Promise((resolve) => setTimeout(resolve, pause));
    }
  })();
}

function nextCustomer() {
  stopWatching();
  $('#charge-panel').hidden = true;
  $('#charge-form').hidden = false;
  $('#charge-form').reset();
  $('#charge-amount').focus();
}

function banner(selector, reply, amount) {
  const ok = resultOf(reply) === 'OK';
  render(selector, (box) => {
    box.className = `banner ${ok ? 'ok' : 'bad'}`;
    box.textContent = ok ? t('paid', { amount: money(amount) }) : t('refused', { result: resultOf(reply) });
    box.hidden = false;
  });
  return ok;
}

// ---- a customer's code (LC1…), by camera or typed: Pos.CreatePayment ----
async function takeCode(event) {
  event.preventDefault();
  const amount = Number($('#scan-amount').value), id = newId('c');
  try {
    const reply = await pos('CreatePayment', 'CreatePaymentRequest',
                                { payment_id: id, amount, cpm: $('#scan-code').value.trim() });
    remember(id, amount);
    if (banner('#scan-result', reply, amount)) $('#scan-form').reset();
  } catch (e) { failed(e); }
}

async function startCamera() {
  const stop = await scanQr($('#scan-video'), {
    accept: (text) => text.startsWith('LC1'),
    opened: () => { $('#scan-stop').hidden = false; },
    found: (text) => { state.camera = null; $('#scan-code').value = text; announce(t('scan.scanned')); },
    stopped: () => { $('#scan-stop').hidden = true; },
  });
  if (stop === null) return announce(t('scan.fail'), { assertive: true });
  state.camera = stop;
}

// ---- card + PIN ----
async function cardPay(event) {
  event.preventDefault();
  const amount = Number($('#card-amount').value), id = newId('k');
  try {
    const reply = await pos('CardPayment', 'CardPaymentRequest', {
      payment_id: id, amount, card_number: $('#card-number').value, pin: $('#card-pin').value, staff_id: $('#card-staff').value });
    $('#card-pin').value = '';
    remember(id, amount);
    if (banner('#card-result', reply, amount)) $('#card-form').reset();
  } catch (e) { failed(e); }
}

// ---- today's payments, refund, cancel ----
async function refreshToday() {
  const rows = [];
  for (const p of todays().reverse()) {
    try {
      const reply = await pos('GetPayment', 'PaymentIdRequest', { payment_id: p.id });
      const payment = reply.payment || {};
      rows.push(el('tr', { 'data-payment': p.id },
        el('td', { class: 'mono', text: p.id }), el('td', { class: 'num', text: money(payment.amount || p.amount) }),
        el('td', { class: 'num', text: money(payment.refunded || 0) }),
        el('td', { text: t(`state.${payment.state}`) })));
    } catch (e) {
      // An attempt the ledger kept nothing of (a wrong PIN, a refused customer code): not a payment.
      if (e.status === 'NOT_FOUND') continue;
      failed(e);
      break;
    }
  }
  if (rows.length === 0) rows.push(el('tr', {}, el('td', { colspan: '4', text: t('today.empty') })));
  $('#today-rows').replaceChildren(...rows);
}

async function refund(event) {
  event.preventDefault();
  const amount = Number($('#refund-amount').value);
  try {
    const reply = await pos('RefundPayment', 'RefundPaymentRequest',
                                { payment_id: $('#refund-payment').value, refund_id: newId('r'), amount });
    const ok = resultOf(reply) === 'OK';
    announce(ok ? t('refund.done', { amount: money(amount) }) : t('refused', { result: resultOf(reply) }), { assertive: !ok });
    await refreshToday();
  } catch (e) { failed(e); }
}

async function cancel() {
  try {
    const reply = await pos('CancelPayment', 'PaymentIdRequest', { payment_id: $('#refund-payment').value });
    const ok = resultOf(reply) === 'OK';
    announce(ok ? t('cancel.done') : t('refused', { result: resultOf(reply) }), { assertive: !ok });
    await refreshToday();
  } catch (e) { failed(e); }
}

// ---- close the day (the frozen settlement report) and cash out ----
async function closeDay(event) {
  event.preventDefault();
  const day = Number($('#close-day').value);
  try {
    const reply = await pos('CloseDay', 'CloseDayRequest', { business_day: day });
    if (resultOf(reply) !== 'OK') {
      render('#close-report', (box) => { box.hidden = true; });
      return announce(t('refused', { result: resultOf(reply) }), { assertive: true });
    }
    render('#close-report', (box) => {
      const head = el('tr', {}, ...['close.terminal', 'close.payments', 'close.gross', 'close.refunded', 'close.net']
        .map((k, i) => el('th', { scope: 'col', class: i ? 'num' : '', text: t(k) })));
      const rows = (reply.day || []).map((d) => el('tr', {},
        el('th', { scope: 'row', text: d.terminalId || t('close.total') }), el('td', { class: 'num', text: String(d.payments) }),
        el('td', { class: 'num', text: money(d.gross, d.asset) }), el('td', { class: 'num', text: money(d.refunded, d.asset) }),
        el('td', { class: 'num', text: money(d.net, d.asset) })));
      box.replaceChildren(el('h3', { text: t('close.title', { day: String(day) }) }),
                          el('table', {}, el('thead', {}, head), el('tbody', {}, ...rows)));
      box.hidden = false;
    });
  } catch (e) { failed(e); }
}

async function cashOut(event) {
  event.preventDefault();
  const amount = Number($('#cashout-amount').value);
  try {
    const reply = await pos('CashOut', 'CashOutRequest',
                                { cashout_id: newId('x'), amount, member: $('#cashout-member').checked });
    const ok = resultOf(reply) === 'OK';
    render('#cashout-result', (box) => {
      box.className = `banner ${ok ? 'ok' : 'bad'}`;
      box.textContent = ok ? t('cashout.done', { amount: money(amount), fee: money(reply.fee) }) : t('refused', { result: resultOf(reply) });
      box.hidden = false;
    });
  } catch (e) { failed(e); }
}

ui.init(dictionary);
wireKey();
for (const button of $$('[data-tab]')) button.addEventListener('click', () => tab(button.dataset.tab));
$('#charge-form').addEventListener('submit', charge);
$('#charge-new').addEventListener('click', nextCustomer);
$('#scan-form').addEventListener('submit', takeCode);
$('#scan-start').addEventListener('click', startCamera);
$('#scan-stop').addEventListener('click', () => { if (state.camera) { state.camera(); state.camera = null; } });
$('#card-form').addEventListener('submit', cardPay);
$('#refund-form').addEventListener('submit', refund);
$('#cancel-button').addEventListener('click', cancel);
$('#today-refresh').addEventListener('click', refreshToday);
$('#close-form').addEventListener('submit', closeDay);
$('#cashout-form').addEventListener('submit', cashOut);
document.addEventListener('langchange', () => { for (const [selector, draw] of drawn) draw($(selector)); });
show(keystore.load('terminal') ? 'unlock' : 'setup');
