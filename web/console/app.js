// The city console, on the operator listener (the operator is the HTTPS client certificate's CN):
// assets and key accounts at a glance, registering residents' wallets and shops' terminals, issuing and
// redeeming with the four-eyes proposals, health programmes and campaigns, the live journal and the audit.
import * as ui from '../lib/ui.js';
import { $, $$, t, announce, money, el, errorText } from '../lib/ui.js';
import { hex, unhex, toBase64, fromBase64, randomId } from '../lib/bytes.js';
import { encode } from '../lib/pb.js';
import { call, stream } from '../lib/api.js';
import dictionary from './i18n.js';

const b64 = (hexText) => toBase64(unhex(hexText));
const state = { journal: null };
const firstResult = (reply) => reply?.results?.[0]?.result ?? 'OK';

function banner(selector, ok, text) {
  const box = $(selector);
  box.className = `banner ${ok ? 'ok' : 'bad'}`;
  box.textContent = text;
  box.hidden = false;
}

async function guarded(fn) {
  try { await fn(); } catch (e) { announce(errorText(e), { assertive: true }); }
}

function tab(name) {
  if (state.journal) { state.journal.abort(); state.journal = null; }
  for (const button of $$('[data-tab]')) button.setAttribute('aria-current', button.dataset.tab === name ? 'page' : 'false');
  for (const panel of $$('[data-tab-panel]')) panel.hidden = panel.dataset.tabPanel !== name;
  const enter = { overview, issue: proposals, journal, sim }[name];
  if (enter) guarded(enter);
}

// ---- overview ----
const watched = () => JSON.parse(localStorage.getItem('console.accounts') || '[]');

async function overview() {
  const digest = await call('Ledger', 'GetDigest', {});
  $('#overview-journal').textContent = String(digest.journalIndex);
  const assets = await call('Ledger', 'LookupAssets', { ids: Array.from({ length: 16 }, (_, i) => i + 1) });
  $('#asset-rows').replaceChildren(...(assets.assets || []).map((a) => el('tr', {},
    el('td', { text: String(a.id) }), el('td', { text: a.code }),
    el('td', { class: 'num', text: a.expirySeconds && a.expirySeconds !== '0' ? String(Number(a.expirySeconds) / 86400) : '—' }))));
  const ids = watched();
  const accounts = ids.length ? await call('Ledger', 'LookupAccounts', { ids: ids.map(b64) }) : { accounts: [] };
  $('#account-rows').replaceChildren(...(accounts.accounts || []).map((a) => el('tr', {},
    el('td', { class: 'mono', text: hex(fromBase64(a.id)) }), el('td', { text: a.kind }),
    el('td', { class: 'num', text: String(a.asset) }), el('td', { class: 'num', text: money(a.balance, a.asset) }))));
}

// ---- residents: LR1-<coin>-<points>-<public key> ----
async function registerResident(event) {
  event.preventDefault();
  const m = /^LR1-([0-9a-f]{32})-([0-9a-f]{32})?-([0-9a-f]{64})$/i.exec($('#resident-code').value.trim());
  if (!m) return announce(t('residents.bad'), { assertive: true });
  const [coin, points, publicKey] = m.slice(1).map((x) => (x || '').toLowerCase());
  const coinAsset = Number($('#resident-coin-asset').value), pointsAsset = Number($('#resident-points-asset').value);
  const accounts = [{ id: b64(coin), asset: coinAsset, kind: 'WALLET', flags: 1 }];
  if (points && pointsAsset > 0) accounts.push({ id: b64(points), asset: pointsAsset, kind: 'WALLET', flags: 1 });
  const created = await call('Ledger', 'CreateAccounts', { accounts });
  const bad = (created.results || []).find((r) => r.result !== 'OK' && !r.duplicate);
  if (bad) return banner('#resident-result', false, t('result', { result: bad.result }));
  const keys = accounts.map((a) => ({ accountId: a.id, publicKey: b64(publicKey) }));
  const registered = await call('Ledger', 'RegisterKeys', { keys });
  const badKey = (registered.results || []).find((r) => r.result !== 'OK' && !r.duplicate);
  if (badKey) return banner('#resident-result', false, t('result', { result: badKey.result }));
  banner('#resident-result', true, t('residents.done', { account: coin }));
  $('#issue-account').value = coin;
}

// ---- issue and redeem (four eyes: Propose, then a second operator Approves) ----
function transferRequest() {
  const issuer = $('#issue-issuer').value.toLowerCase(), account = $('#issue-account').value.toLowerCase();
  const issue = $('#issue-kind').value === 'issue';
  return { id: randomId(), debit_account_id: unhex(issue ? issuer : account), credit_account_id: unhex(issue ? account : issuer),
           amount: Number($('#issue-amount').value), code: issue ? 1 : 2 };
}

async function issue(event) {
  event.preventDefault();
  const tr = transferRequest();
  const reply = await call('Ledger', 'CreateTransfers', { transfers: [{
    id: toBase64(tr.id), debitAccountId: toBase64(tr.debit_account_id), creditAccountId: toBase64(tr.credit_account_id),
    amount: String(tr.amount), code: tr.code }] });
  const result = firstResult(reply);
  if (result === 'FOUR_EYES_REQUIRED') return banner('#issue-result', false, t('issue.four_eyes'));
  banner('#issue-result', result === 'OK', t('issue.done', { result }));
}

async function propose() {
  if (!$('#issue-form').reportValidity()) return;
  const request = encode('CreateTransfersRequest', { transfers: [transferRequest()] });
  const reply = await call('Ledger', 'Propose', { proposalId: toBase64(randomId()), method: 'CreateTransfers', request: toBase64(request) });
  const result = firstResult(reply);
  banner('#issue-result', result === 'OK', result === 'OK' ? t('issue.proposed') : t('result', { result }));
  await proposals();
}

async function proposals() {
  const reply = await call('Ledger', 'ListProposals', {});
  const items = (reply.proposals || []).map((p) => el('li', { 'data-proposal': p.proposalId },
    el('p', { text: `${p.method}: ${p.summary}` }), el('p', { class: 'muted', text: t('proposals.by', { who: p.proposer }) }),
    el('div', { class: 'row' },
      el('button', { type: 'button', text: t('proposals.approve'), onclick: () => guarded(() => decide('Approve', p.proposalId)) }),
      el('button', { type: 'button', class: 'secondary', text: t('proposals.reject'), onclick: () => guarded(() => decide('RejectProposal', p.proposalId)) }))));
  if (items.length === 0) items.push(el('li', { class: 'muted', text: t('proposals.none') }));
  $('#proposal-list').replaceChildren(...items);
}

async function decide(method, proposalId) {
  const reply = await call('Ledger', method, { proposalId });
  const result = firstResult(reply);
  banner('#issue-result', result === 'OK', t('proposals.done', { result }));
  await proposals();
}

// ---- shops and terminals ----
async function createShop(event) {
  event.preventDefault();
  const id = hex(randomId());
  const reply = await call('Ledger', 'CreateAccounts', { accounts: [{ id: b64(id), asset: Number($('#shop-asset').value),
    kind: 'MERCHANT', flags: 1, category: $('#shop-category').value }] });
  const result = firstResult(reply);
  if (result !== 'OK') return banner('#shop-result', false, t('result', { result }));
  $('#shop-made').textContent = t('shops.made', { account: id });
  banner('#shop-result', true, t('shops.made', { account: id }));
}

async function registerTerminal(event) {
  event.preventDefault();
  const m = /^LK1-([0-9a-fA-F]{32})-([ -~]{1,32})-([0-9a-fA-F]{64})$/.exec($('#terminal-code').value.trim());
  if (!m) return announce(t('shops.bad'), { assertive: true });
  const reply = await call('Ledger', 'RegisterKeys', { keys: [{ accountId: b64(m[1]), keyId: m[2], publicKey: b64(m[3]),
    manager: $('#terminal-manager').checked }] });
  const result = firstResult(reply);
  banner('#shop-result', result === 'OK', result === 'OK' ? t('shops.terminal.done', { terminal: m[2] }) : t('result', { result }));
}

// ---- programmes and campaigns ----
async function saveProgram(event) {
  event.preventDefault();
  const reply = await call('Ledger', 'SetHealthProgram', { program: Number($('#program-id').value),
    effectiveDay: Number($('#program-day').value), fundingAccountId: b64($('#program-funding').value) });
  const result = firstResult(reply);
  banner('#programme-result', result === 'OK', t('result', { result }));
}

async function showCampaign() {
  const campaign = await call('Ledger', 'GetCampaign', { campaign: Number($('#campaign-id').value) });
  $('#campaign-view').textContent = JSON.stringify(campaign, null, 2);
}

async function pauseCampaign(paused) {
  const reply = await call('Ledger', 'PauseCampaign', { campaign: Number($('#campaign-id').value), paused });
  banner('#programme-result', firstResult(reply) === 'OK', t('result', { result: firstResult(reply) }));
  await showCampaign();
}

// ---- the journal, live (Ledger.Subscribe as Server-Sent Events), and the audit ----
function describe(event) {
  if (event.transfer) return `transfer ${money(event.transfer.amount, event.transfer.asset)} (code ${event.transfer.code})`;
  if (event.accountCreated) return `account ${hex(fromBase64(event.accountCreated.id))} (${event.accountCreated.kind})`;
  if (event.assetCreated) return `asset ${event.assetCreated.id} ${event.assetCreated.code}`;
  if (event.pendingExpired) return 'pending expired';
  if (event.accountClosed) return 'account closed';
  return '';
}

async function journal() {
  const digest = await call('Ledger', 'GetDigest', {});
  const from = Math.max(1, Number(digest.journalIndex) - 30);
  const controller = new AbortController();
  state.journal = controller;
  $('#journal-rows').replaceChildren();
  stream('Ledger', 'Subscribe', { fromIndex: String(from) }, (event) => {
    const rows = $('#journal-rows');
    rows.prepend(el('tr', {}, el('td', { text: String(event.journalIndex) }), el('td', { text: describe(event) }),
                    el('td', { text: event.operatorName || '' })));
    while (rows.children.length > 100) rows.lastChild.remove();
  }, { signal: controller.signal }).catch((e) => { if (e.name !== 'AbortError') announce(errorText(e), { assertive: true }); });
}

async function audit() {
  const reply = await call('Ledger', 'Audit', {});
  const box = $('#audit-result');
  box.textContent = `${reply.ok ? 'OK' : `VIOLATION: ${reply.violation}`}\n${reply.summary}`;
  box.hidden = false;
}

// POST /v1/Console/Recalibrate (the operator listener; ledgerd --circsim): calibrates from this
// ledger's change stream and runs the simulator; 409 while another operator's run is going.
async function recalibrate() {
  const button = $('#sim-recalibrate');
  button.disabled = true;
  banner('#sim-result', true, t('sim.running', { seconds: '120' }));
  try {
    const reply = await call('Console', 'Recalibrate', {});
    banner('#sim-result', true, t('sim.done', { index: reply.journalIndex, events: reply.events,
                                                  seconds: Number(reply.seconds).toFixed(1), operator: reply.operator }));
    $('#sim-result').dataset.state = 'done';
    $('#sim-metrics').textContent = JSON.stringify(reply.metrics, null, 2).slice(0, 4000);
  } catch (e) {
    banner('#sim-result', false, errorText(e));
    $('#sim-result').dataset.state = 'failed';
  } finally { button.disabled = false; }
}

async function sim() {
  try {
    const response = await fetch('/console/sim/metrics.json');
    $('#sim-metrics').textContent = response.ok ? JSON.stringify(await response.json(), null, 2).slice(0, 4000) : t('sim.none');
  } catch { $('#sim-metrics').textContent = t('sim.none'); }
}

ui.init(dictionary);
for (const button of $$('[data-tab]')) button.addEventListener('click', () => tab(button.dataset.tab));
$('#overview-refresh').addEventListener('click', () => guarded(overview));
$('#watch-account-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const list = watched();
  list.push($('#watch-account').value.toLowerCase());
  localStorage.setItem('console.accounts', JSON.stringify([...new Set(list)]));
  $('#watch-account').value = '';
  guarded(overview);
});
$('#resident-form').addEventListener('submit', (e) => guarded(() => registerResident(e)));
$('#issue-form').addEventListener('submit', (e) => guarded(() => issue(e)));
$('#propose-button').addEventListener('click', () => guarded(propose));
$('#proposals-refresh').addEventListener('click', () => guarded(proposals));
$('#shop-form').addEventListener('submit', (e) => guarded(() => createShop(e)));
$('#terminal-form').addEventListener('submit', (e) => guarded(() => registerTerminal(e)));
$('#program-form').addEventListener('submit', (e) => guarded(() => saveProgram(e)));
$('#campaign-show').addEventListener('click', () => guarded(showCampaign));
$('#campaign-pause').addEventListener('click', () => guarded(() => pauseCampaign(true)));
$('#campaign-resume').addEventListener('click', () => guarded(() => pauseCampaign(false)));
$('#audit-button').addEventListener('click', () => guarded(audit));
$('#sim-recalibrate').addEventListener('click', () => guarded(recalibrate));
if (!$('#program-day').value) $('#program-day').value = String(ui.dayNumber());
document.addEventListener('langchange', () => tab($$('[data-tab]').find((b) => b.getAttribute('aria-current') === 'page')?.dataset.tab || 'overview'));
tab('overview');
