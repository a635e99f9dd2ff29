// The demo town in the browser (what `ops/run` prints): web/e2e/run runs demo_town against a second
// ledgerd with --demo_keys_dir; here the wallet restores demo resident 0 from wallet.code and shows her
// balance (the one the operator API reports for her coin account) and her history with the shopping
// street's ¥1,200 payment; the shop imports the soba shop's terminal key from shop.code and closes the
// day: the settlement report has that ¥1,200; the console's "recalibrate" (demo's client certificate,
// ledgerd --circsim) calibrates the simulator from the town's flows. Prints "N passed, N failed" last.
//   env: LEDGER_HTTP=https://127.0.0.1:PORT LEDGER_HTTP_OPERATOR=https://127.0.0.1:PORT PKI=DIR
//        CHROME_HOME=DIR (NSS database with the CA) OUT=DIR DEMO_KEYS=DIR (wallet.code, shop.code)
import { readFileSync, mkdirSync } from 'node:fs';
import https from 'node:https';
import puppeteer from 'puppeteer-core';

const env = (name) => { if (!process.env[name]) throw new Error(`${name} is not set (web/e2e/run sets it)`); return process.env[name]; };
const PUBLIC = env('LEDGER_HTTP'), OPERATOR = env('LEDGER_HTTP_OPERATOR'), PKI = env('PKI'), OUT = env('OUT'), KEYS = env('DEMO_KEYS');
mkdirSync(OUT, { recursive: true });
const started = Date.now();
let passed = 0, failed = 0;
const log = (text) => console.log(`[demo ${((Date.now() - started) / 1000).toFixed(1)}s] ${text}`);
const pages = [];
async function step(name, fn) {
  try { await fn(); passed++; log(`ok - ${name}`); } catch (e) {
    failed++;
    log(`not ok - ${name}: ${e.stack || e}`);
    for (const [i, page] of pages.entries()) {
      const shown = await page.evaluate(() => [...document.querySelectorAll('[role=alert], [role=status]')]
        .map((n) => n.textContent.trim()).filter(Boolean).join(' | ')).catch(() => '');
      if (shown) log(`  ${page.url()} shows: ${shown}`);
      await page.screenshot({ path: `${OUT}/demo-failure-${i}.png`, fullPage: true }).catch(() => {});
    }
    throw e;
  }
}
function expect(what, actual, wanted) { if (actual !== wanted) throw new Error(`${what}: got ${JSON.stringify(actual)}, want ${JSON.stringify(wanted)}`); }

function operatorCall(service, method, body) {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(`/v1/${service}/${method}`, OPERATOR), { method: 'POST', ca: readFileSync(`${PKI}/ca.crt`),
      cert: readFileSync(`${PKI}/operators/demo.crt`), key: readFileSync(`${PKI}/operators/demo.key`),
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } },
    (res) => { let text = ''; res.on('data', (c) => { text += c; }); res.on('end', () => {
      if (res.statusCode !== 200) reject(new Error(`${service}.${method}: HTTP ${res.statusCode} ${text}`)); else resolve(JSON.parse(text)); }); });
    req.on('error', reject);
    req.end(data);
  });
}

const visible = (page, selector, timeout = 15000) => page.waitForSelector(`${selector}:not([hidden])`, { visible: true, timeout });
const text = (page, selector) => page.$eval(selector, (e) => e.textContent.trim());
async function newPage(browser, url) {
  const page = await (await browser.createBrowserContext()).newPage();
  await page.setViewport({ width: 390, height: 844 });
  page.on('pageerror', (e) => log(`page error on ${url}: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') log(`console error on ${url}: ${m.text()}`); });
  page.on('requestfinished', (r) => { if (/\/v1\/Console/.test(r.url())) log(`${r.url()}: HTTP ${r.response()?.status()}`); });
  await page.goto(url, { waitUntil: 'networkidle0' });
  pages.push(page);
  return page;
}

async function main() {
  const walletCode = readFileSync(`${KEYS}/wallet.code`, 'utf8').trim();
  const shopCode = readFileSync(`${KEYS}/shop.code`, 'utf8').trim();
  const coinHex = walletCode.split('-')[2];
  const browser = await puppeteer.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
    env: { ...process.env, HOME: env('CHROME_HOME') }, args: ['--no-sandbox', '--lang=ja'] });
  try {
    await step('wallet: restores demo resident 0 from var/demo/wallet.code and shows her balance', async () => {
      const reply = await operatorCall('Ledger', 'LookupAccounts', { ids: [Buffer.from(coinHex, 'hex').toString('base64')] });
      expect('demo resident accounts found', (reply.accounts || []).length, 1);
      const balance = Number(reply.accounts[0].balance);
      if (!(balance > 0)) throw new Error(`demo resident's balance ${balance}`);
      const wallet = await newPage(browser, `${PUBLIC}/wallet/`);
      await wallet.click('[data-view="setup"] details summary');
      await wallet.type('#restore-code', walletCode);
      await wallet.type('#restore-pass', 'demo-passphrase');
      await wallet.click('#restore-form button[type="submit"]');
      await visible(wallet, '[data-view="home"]');
      await wallet.waitForSelector('[data-balance="1"]');
      expect('balance shown', await text(wallet, '[data-balance="1"]'), `${balance.toLocaleString('en-US')}円`);
      await wallet.waitForSelector('[data-balance="2"]');
      await wallet.screenshot({ path: `${OUT}/demo-wallet-home-ja-phone.png`, fullPage: true });
      await wallet.click('[data-go="history"]');
      await wallet.waitForSelector('#history-rows td[data-delta="-1200"]');
      await wallet.screenshot({ path: `${OUT}/demo-wallet-history-ja-phone.png`, fullPage: true });
    });

    await step('shop: imports the soba shop\'s terminal key from var/demo/shop.code; the day\'s report has the ¥1,200', async () => {
      const shop = await newPage(browser, `${PUBLIC}/shop/`);
      await visible(shop, '[data-view="setup"]');
      await shop.click('[data-view="setup"] details summary');
      await shop.type('#import-code', shopCode);
      await shop.type('#import-name', 'Tsuruoka Soba');
      await shop.type('#import-pass', 'demo-passphrase');
      await shop.click('#import-form button[type="submit"]');
      await visible(shop, '[data-view="counter"]');
      await shop.click('[data-tab="close"]');
      await shop.click('#close-form button[type="submit"]');
      await visible(shop, '#close-report');
      await shop.waitForFunction(() => /1,200/.test(document.querySelector('#close-report')?.textContent || ''), { timeout: 15000 });
      expect('registration card hidden (the key is registered)', await shop.$eval('#terminal-card', (e) => e.hidden), true);
      await shop.screenshot({ path: `${OUT}/demo-shop-close-ja-phone.png`, fullPage: true });
    });

    await step('console: "recalibrate" runs the simulator on the town\'s own flows (the operator listener, one at a time)', async () => {
      const console_ = await newPage(browser, `${OPERATOR}/console/`);
      await console_.setViewport({ width: 820, height: 1180 });
      await console_.click('[data-tab="sim"]');
      await console_.click('#sim-recalibrate');
      await console_.waitForSelector('#sim-result[data-state]', { timeout: 130000 });
      const state = await console_.$eval('#sim-result', (e) => e.dataset.state);
      if (state !== 'done') throw new Error(`recalibration: ${await text(console_, '#sim-result')}`);
      await console_.waitForFunction(() => (document.querySelector('#sim-metrics')?.textContent || '').startsWith('{'));
      await console_.screenshot({ path: `${OUT}/demo-console-recalibrated-ja-tablet.png`, fullPage: true });
    });
  } finally {
    await browser.close();
  }
}

try { await main(); } catch { /* counted */ }
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
