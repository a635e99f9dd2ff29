// The resident's wallet: create or restore the key (sealed under a passphrase), balances with what
// expires when, the 60-second payment code, paying a shop's QR (camera or typed), sending, history,
// health mileage and consent, watch-over (naming watchers; a watcher's live alerts), farm-help tasks.
import * as ui from '../lib/ui.js';
import { $, $$, t, show, announce, money, when, el, errorText } from '../lib/ui.js';
import { hex, unhex, fromBase64, toBase64, randomId } from '../lib/bytes.js';
import * as keystore from '../lib/keystore.js';
import { makeCpm, readMpm } from '../lib/sign.js';
import { walletCall, walletRequest, stream, resultOf } from '../lib/api.js';
import { scanQr } from '../lib/camera.js';
import dictionary from './i18n.js';

const state = { record: null, privateKey: null, coin: null, points: null, leave: null };
const PURPOSES = { EARNING: 1, WATCH_OVER: 2, STATISTICS: 3 };
const as = (accountId) => ({ privateKey: state.privateKey, accountId });

function go(view) {
  if (state.leave) { state.leave(); state.leave = null; }
  show(view);
  const enter = { home: enterHome, code: enterCode, history: enterHistory, health: enterHealth, alerts: enterAlerts,
                  pay: enterPay }[view];
  if (enter) enter().catch((e) => announce(errorText(e), { assertive: true }));
}

// ---- key: create, restore, unlock ----
async function keep(seed, passphrase, coinHex, pointsHex) {
  const record = await keystore.seal(seed, passphrase, { coin: coinHex, points: pointsHex });
  keystore.store('wallet', record);
  await open(record, passphrase);
}

async function open(record, passphrase) {
  state.record = record;
  state.privateKey = await keystore.unseal(record, passphrase);
  const info = keystore.infoOf(record);
  state.coin = unhex(info.coin);
  state.points = info.points ? unhex(info.points) : null;
}

const registrationCode = () => {
  const info = keystore.infoOf(state.record);
  return `LR1-${info.coin}-${info.points || ''}-${state.record.publicKey}`;
};

function wireSetup() {
  $('#create-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const pass = $('#create-pass').value;
    if (pass !== $('#create-pass2').value) return announce(t('setup.mismatch'), { assertive: true });
    try {
      await keep(await keystore.newSeed(), pass, hex(randomId()), hex(randomId()));
      announce(t('setup.created'));
      go('home');
    } catch (e) { announce(e.message, { assertive: true }); }
  });
  $('#restore-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const m = /^LW1-([0-9a-f]{64})-([0-9a-f]{32})-([0-9a-f]{32})?$/i.exec($('#restore-code').value.trim());
    if (!m) return announce(t('setup.restore.bad'), { assertive: true });
    try {
      await keep(unhex(m[1]), $('#restore-pass').value, m[2].toLowerCase(), (m[3] || '').toLowerCase());
      go('home');
    } catch (e) { announce(e.message, { assertive: true }); }
  });
  $('#unlock-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await open(keystore.load('wallet'), $('#unlock-pass').value);
      $('#unlock-pass').value = '';
      go('home');
    } catch { announce(t('unlock.wrong'), { assertive: true }); }
  });
  $('#lock-button').addEventListener('click', () => { state.privateKey = null; go('unlock'); });
  $('#backup-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const seed = await keystore.unsealSeed(state.record, $('#backup-pass').value);
      const info = keystore.infoOf(state.record);
      $('#backup-code').textContent = `LW1-${hex(seed)}-${info.coin}-${info.points || ''}`;
      $('#backup-pass').value = '';
    } catch { announce(t('unlock.wrong'), { assertive: true }); }
  });
}

// ---- home: balances and expiry lots ----
function qrImage(text, label, mode = 'Alphanumeric') {
  const qr = globalThis.qrcode(0, 'M');
  qr.addData(text, mode);
  qr.make();
  return el('img', { src: qr.createDataURL(6, 4), alt: label });
}

async function balanceCard(accountId, asset, titleKey) {
  const card = el('div', { class: 'card' }, el('h3', { text: t(titleKey) }));
  try {
    const reply = await walletCall(as(accountId), 'Wallet', 'GetAccount', 'WalletAccountRequest');
    const account = reply.account || {};
    card.append(el('p', { class: 'big', 'data-balance': String(asset), text: money(account.balance, asset) }));
    for (const lot of account.lots || []) {
      card.append(el('p', { class: 'muted', text: t('home.expires', { amount: money(lot.amount, asset), date: when(lot.expiry) }) }));
    }
    return { card, registered: true };
  } catch (e) {
    const unregistered = e.httpStatus === 403 || e.httpStatus === 404;
    card.append(el('p', { class: 'muted', text: unregistered ? t('not_registered') : errorText(e) }));
    return { card, registered: !unregistered };
  }
}

async function enterHome() {
  const box = $('#balances');
  const parts = [await balanceCard(state.coin, 1, 'home.coin')];
  if (state.points) parts.push(await balanceCard(state.points, 2, 'home.points'));
  box.replaceChildren(...parts.map((p) => p.card),
                      el('p', {}, `${t('home.account')}: `, el('span', { class: 'mono', id: 'my-account', text: hex(state.coin) })));
  const registered = parts[0].registered;
  $('#register-card').hidden = registered;
  if (!registered) {
    const code = registrationCode();
    $('#register-code').textContent = code;
    $('#register-qr').replaceChildren(qrImage(code, t('register.code'), 'Byte'));
  }
}

// ---- the customer-presented code, renewed every 60 s with a countdown ----
async function enterCode() {
  let left = 0, timer = null;
  const renew = async () => {
    const code = await makeCpm(state.privateKey, state.coin, { ttlSeconds: 60 });
    $('#cpm-qr').replaceChildren(qrImage(code, t('code.qr')));
    $('#cpm-text').textContent = code;
    left = 60;
  };
  await renew();
  $('#cpm-countdown').textContent = String(left);
  timer = setInterval(async () => {
    left -= 1;
    if (left <= 0) await renew();
    $('#cpm-countdown').textContent = String(left);
  }, 1000);
  state.leave = () => clearInterval(timer);
}

// ---- paying a shop's QR: camera (jsQR on video frames) or typed ----
let pending = null;

async function startCamera() {
  const stop = await scanQr($('#scan-video'), {
    opened: () => { $('#scan-stop').hidden = false; },
    found: (text) => {
      $('#pay-payload').value = text;
      announce(t('pay.scanned'));
      check();
    },
    stopped: () => { $('#scan-stop').hidden = true; },
  });
  if (stop === null) {
    announce(t('pay.camera.fail'), { assertive: true });
    return;
  }
  state.leave = stop;
}

function check() {
  $('#pay-result').hidden = true;
  try {
    pending = readMpm($('#pay-payload').value);
  } catch (e) {
    pending = null;
    $('#pay-confirm').hidden = true;
    return announce(t('pay.bad', { error: e.message }), { assertive: true });
  }
  $('#pay-shop').textContent = `${pending.merchantName} (${pending.merchantCity})`;
  $('#pay-amount').textContent = pending.dynamic ? money(pending.amount, pending.asset) : '';
  $('#pay-static').hidden = pending.dynamic;
  $('#pay-confirm').hidden = false;
  $('#pay-button').focus();
}

async function pay() {
  if (!pending) return;
  const account = pending.asset === 2 && state.points ? state.points : state.coin;
  const fields = { payload: $('#pay-payload').value.trim() };
  let amount = pending.amount;
  if (!pending.dynamic) {
    amount = Number($('#pay-static-amount').value);
    fields.amount = amount;
    fields.payment_id = `w-${hex(randomId()).slice(0, 24)}`;
  }
  $('#pay-button').disabled = true;
  try {
    const reply = await walletCall(as(account), 'Wallet', 'PayMpm', 'PayMpmRequest', fields);
    const ok = resultOf(reply) === 'OK';
    const banner = $('#pay-result');
    banner.className = `banner ${ok ? 'ok' : 'bad'}`;
    banner.textContent = ok ? t('pay.done', { amount: money(amount, pending.asset), shop: pending.merchantName })
                            : t('pay.refused', { result: resultOf(reply) });
    banner.hidden = false;
    $('#pay-confirm').hidden = true;
    if (ok) $('#pay-payload').value = '';
  } catch (e) {
    announce(errorText(e), { assertive: true });
  } finally {
    $('#pay-button').disabled = false;
  }
}

async function enterPay() {
  $('#pay-result').hidden = true;
  $('#pay-confirm').hidden = true;
}

// ---- send ----
async function send(event) {
  event.preventDefault();
  const amount = Number($('#send-amount').value);
  try {
    const reply = await walletCall(as(state.coin), 'Wallet', 'Send', 'SendRequest',
                                   { transfer_id: randomId(), to_account_id: unhex($('#send-to').value), amount });
    const ok = resultOf(reply) === 'OK';
    announce(ok ? t('send.done', { amount: money(amount) }) : t('send.refused', { result: resultOf(reply) }), { assertive: !ok });
    if (ok) $('#send-form').reset();
  } catch (e) { announce(errorText(e), { assertive: true }); }
}

// ---- history ----
async function enterHistory() {
  const reply = await walletCall(as(state.coin), 'Wallet', 'GetHistory', 'WalletHistoryRequest', { limit: 30, reverse: true });
  const rows = (reply.entries || []).map((entry) => el('tr', {},
    el('td', { text: when(entry.timestamp) }),
    el('td', { class: `num ${Number(entry.delta) < 0 ? '' : 'ok'}`, 'data-delta': String(entry.delta),
               text: (Number(entry.delta) > 0 ? '+' : '') + money(entry.delta) }),
    el('td', { class: 'num', text: money(entry.balanceAfter) })));
  if (rows.length === 0) rows.push(el('tr', {}, el('td', { colspan: '3', text: t('history.empty') })));
  $('#history-rows').replaceChildren(...rows);
}

// ---- health mileage and consent ----
async function enterHealth() {
  if (!state.points) return announce(t('health.none'));
  const reply = await walletCall(as(state.points), 'Health', 'GetMileage', 'MileageRequest', { program: 1 });
  const today = ui.dayNumber();
  const day = (reply.days || []).find((d) => Number(d.day) === today);
  $('#health-today').textContent = String(day?.points ?? 0);
  $('#health-month').textContent = String(reply.monthQualifyingDays ?? 0);
  $('#health-balance').textContent = money(reply.pointsBalance, 2);
  const granted = new Set((reply.consents || []).map((c) => PURPOSES[c] ?? Number(c)));
  for (const box of $$('[data-purpose]')) box.checked = granted.has(Number(box.dataset.purpose));
}

async function setConsent(box) {
  try {
    const reply = await walletCall(as(state.points), 'Health', 'SetConsent', 'ConsentRequest',
                                   { purpose: Number(box.dataset.purpose), granted: box.checked });
    announce(resultOf(reply) === 'OK' ? t('health.saved') : resultOf(reply));
  } catch (e) { box.checked = !box.checked; announce(errorText(e), { assertive: true }); }
}

async function erase() {
  if (!confirm(t('health.erase.confirm'))) return;
  try {
    const reply = await walletCall(as(state.points), 'Health', 'EraseStepData', 'EraseStepDataRequest');
    announce(resultOf(reply) === 'OK' ? t('health.erased') : resultOf(reply));
    await enterHealth();
  } catch (e) { announce(errorText(e), { assertive: true }); }
}

async function registerDevice(event) {
  event.preventDefault();
  try {
    const reply = await walletCall(as(state.points), 'Health', 'RegisterDevice', 'RegisterDeviceRequest',
                                   { device_id: $('#device-id').value, public_key: unhex($('#device-key').value) });
    const ok = resultOf(reply) === 'OK';
    announce(ok ? t('health.device.done') : resultOf(reply), { assertive: !ok });
    if (ok) $('#device-form').reset();
  } catch (e) { announce(errorText(e), { assertive: true }); }
}

async function saveWatchers(event) {
  event.preventDefault();
  const ids = $('#watch-ids').value.split(/\s+/).filter(Boolean).map((h) => unhex(h));
  try {
    const reply = await walletCall(as(state.points || state.coin), 'Health', 'SetWatchOver', 'WatchOverRequest', { watcher_ids: ids });
    announce(resultOf(reply) === 'OK' ? t('watch.saved') : resultOf(reply), { assertive: resultOf(reply) !== 'OK' });
  } catch (e) { announce(errorText(e), { assertive: true }); }
}

// ---- a watcher's live alerts (Health.WatchAlerts as Server-Sent Events) ----
function alertText(alert) {
  const day = String(alert.day);
  return alert.kind === 'no_reports' ? t('alerts.no_reports', { days: alert.daysSilent, day })
                                     : t('alerts.steps_fell', { percent: alert.percentOfBaseline, day });
}

const alerts = new Map();  // the alerts shown, re-drawn when the language changes

function showAlert(alert) {
  const key = `${alert.residentId}/${alert.seq}`;
  alerts.set(key, alert);
  const acked = Boolean(alert.acknowledgedBy);
  const existing = $$('#alert-list li').find((li) => li.dataset.key === key);
  const text = alertText(alert);
  const resident = hex(fromBase64(alert.residentId));
  const item = el('li', { class: 'alert-item', 'data-key': key, 'data-kind': alert.kind },
    el('strong', { text }), el('br'), el('span', { class: 'muted mono', text: `${t('alerts.resident')}: ${resident}` }), el('br'));
  if (acked) item.append(el('span', { class: 'ok', text: t('alerts.acked') }));
  else item.append(el('button', { type: 'button', text: t('alerts.ack'), onclick: () => ack(alert) }));
  if (existing) existing.replaceWith(item);
  else { $('#alert-list').append(item); if (!acked) announce(t('alerts.new', { text }), { assertive: true }); }
  $('#alerts-empty').hidden = true;
}

async function ack(alert) {
  try {
    const reply = await walletCall(as(state.coin), 'Health', 'AckAlert', 'AckAlertRequest',
                                   { resident_id: fromBase64(alert.residentId), alert: alert.seq });
    if (resultOf(reply) !== 'OK') announce(resultOf(reply), { assertive: true });
  } catch (e) { announce(errorText(e), { assertive: true }); }
}

async function enterAlerts() {
  $('#alert-list').replaceChildren();
  alerts.clear();
  $('#alerts-empty').hidden = false;
  const controller = new AbortController();
  state.leave = () => controller.abort();
  const request = await walletRequest(as(state.coin), 'WatchAlerts', 'WatchAlertsRequest', {});
  stream('Health', 'WatchAlerts', request, showAlert, { signal: controller.signal })
    .catch((e) => { if (e.name !== 'AbortError') announce(errorText(e), { assertive: true }); });
}

// ---- farm help ----
async function taskCall(method, bodyName, fields) {
  try {
    const reply = await walletCall(as(state.coin), 'Wallet', method, bodyName, fields);
    const ok = resultOf(reply) === 'OK';
    announce(ok ? t('tasks.done') : t('tasks.refused', { result: resultOf(reply) }), { assertive: !ok });
  } catch (e) { announce(errorText(e), { assertive: true }); }
}

function wireViews() {
  for (const button of $$('[data-go]')) button.addEventListener('click', () => go(button.dataset.go));
  $('#scan-start').addEventListener('click', startCamera);
  $('#scan-stop').addEventListener('click', () => { if (state.leave) { state.leave(); state.leave = null; } });
  $('#pay-form').addEventListener('submit', (event) => { event.preventDefault(); check(); });
  $('#pay-button').addEventListener('click', pay);
  $('#pay-cancel').addEventListener('click', () => { $('#pay-confirm').hidden = true; pending = null; });
  $('#send-form').addEventListener('submit', send);
  $('#history-refresh').addEventListener('click', () => enterHistory().catch((e) => announce(errorText(e), { assertive: true })));
  for (const box of $$('[data-purpose]')) box.addEventListener('change', () => setConsent(box));
  $('#erase-button').addEventListener('click', erase);
  $('#device-form').addEventListener('submit', registerDevice);
  $('#watch-form').addEventListener('submit', saveWatchers);
  $('#task-apply-form').addEventListener('submit', (event) => {
    event.preventDefault();
    taskCall('ApplyTask', 'ApplyTaskRequest', { host_account_id: unhex($('#task-host').value), task_id: $('#task-id').value });
  });
  $('#task-checkin-form').addEventListener('submit', (event) => {
    event.preventDefault();
    taskCall('CheckIn', 'CheckInRequest', { host_account_id: unhex($('#task-host').value), task_id: $('#task-id').value,
                                            out: $('#checkin-out').checked, host_signature: unhex($('#checkin-code').value) });
  });
  document.addEventListener('langchange', () => {
    const current = $$('[data-view]').find((s) => !s.hidden)?.dataset.view;
    if (current === 'home' || current === 'history' || current === 'health') go(current);
    if (current === 'alerts') for (const alert of alerts.values()) showAlert(alert);
  });
}

ui.init(dictionary);
wireSetup();
wireViews();
go(keystore.load('wallet') ? 'unlock' : 'setup');
if ('serviceWorker' in navigator) navigator.serviceWorker.register('/wallet/sw.js', { scope: '/wallet/' }).catch(() => {});
export { toBase64 };
