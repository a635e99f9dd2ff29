// What every app shares on screen: Japanese first with English (a switch), large text and high contrast
// (a setting kept in localStorage), a polite live region for announcements, and formatting.
const COMMON = {
  ja: {
    'lang.switch': 'English', 'lang.switch.label': 'Switch to English',
    'settings.large': '大きな文字', 'settings.contrast': '高コントラスト',
    'error.network': '通信できませんでした。もう一度お試しください。',
    'unit.coin': '円', 'unit.points': 'ポイント',
  },
  en: {
    'lang.switch': '日本語', 'lang.switch.label': '日本語に切り替え',
    'settings.large': 'Large text', 'settings.contrast': 'High contrast',
    'error.network': 'Could not reach the ledger. Please try again.',
    'unit.coin': 'yen', 'unit.points': 'points',
  },
};

let dictionary = { ja: {}, en: {} };
export let lang = localStorage.getItem('ledger.lang') || 'ja';

export function t(key, vars = {}) {
  const text = dictionary[lang][key] ?? COMMON[lang][key] ?? dictionary.en[key] ?? COMMON.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (vars[name] ?? `{${name}}`));
}

// Fills every [data-i18n] element's text and every [data-i18n-attr="attr:key;attr:key"] attribute.
export function translate(root = document) {
  document.documentElement.lang = lang;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':');
      el.setAttribute(attr, t(key));
    }
  }
  document.getElementById('lang-switch')?.setAttribute('lang', lang === 'ja' ? 'en' : 'ja');  // it names the other language
  const title = document.querySelector('title[data-i18n]');
  if (title) document.title = title.textContent;
}

export function setLang(next) {
  lang = next;
  localStorage.setItem('ledger.lang', next);
  for (const id of ['status-region', 'alert-region']) { const region = document.getElementById(id); if (region) region.textContent = ''; }
  translate();
  document.dispatchEvent(new CustomEvent('langchange'));
}

function applySettings() {
  const root = document.documentElement;
  root.classList.toggle('large-text', localStorage.getItem('ledger.large') === '1');
  root.classList.toggle('high-contrast', localStorage.getItem('ledger.contrast') === '1');
}

// Wires the header controls every page has: #lang-switch, #large-text and #high-contrast checkboxes.
export function init(appDictionary) {
  dictionary = appDictionary;
  applySettings();
  translate();
  $('#lang-switch')?.addEventListener('click', () => setLang(lang === 'ja' ? 'en' : 'ja'));
  for (const [id, key] of [['large-text', 'ledger.large'], ['high-contrast', 'ledger.contrast']]) {
    const box = document.getElementById(id);
    if (!box) continue;
    box.checked = localStorage.getItem(key) === '1';
    box.addEventListener('change', () => { localStorage.setItem(key, box.checked ? '1' : '0'); applySettings(); });
  }
}

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

// Says something to screen readers (and shows it in the status line).
export function announce(text, { assertive = false } = {}) {
  const region = document.getElementById(assertive ? 'alert-region' : 'status-region');
  if (!region) return;
  region.textContent = '';
  setTimeout(() => { region.textContent = text; }, 30);
}

export function money(amount, asset = 1) {
  const n = Number(amount ?? 0);
  const formatted = n.toLocaleString(lang === 'ja' ? 'ja-JP' : 'en-US');
  if (asset === 1) return lang === 'ja' ? `${formatted}円` : `¥${formatted}`;
  return `${formatted} ${t('unit.points')}`;
}

// Ledger timestamps are nanoseconds since 1970 (strings in JSON).
export function when(nanos) {
  if (!nanos || nanos === '0') return '';
  const ms = Number(BigInt(nanos) / 1000000n);
  return new Date(ms).toLocaleString(lang === 'ja' ? 'ja-JP' : 'en-GB', { timeZone: 'Asia/Tokyo', dateStyle: 'medium', timeStyle: 'short' });
}

export function dayNumber(date = new Date()) {  // yyyymmdd in Japan
  const jst = new Date(date.getTime() + 9 * 3600 * 1000);
  return jst.getUTCFullYear() * 10000 + (jst.getUTCMonth() + 1) * 100 + jst.getUTCDate();
}

// Shows one <section data-view> and hides the others; moves focus to its heading for screen readers.
export function show(view) {
  for (const section of $$('[data-view]')) section.hidden = section.dataset.view !== view;
  const heading = $(`[data-view="${view}"] h2`);
  if (heading) { heading.setAttribute('tabindex', '-1'); heading.focus(); }
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'text') node.textContent = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

// A message for an error from the gateway or the network.
export function errorText(e) {
  if (e?.httpStatus) return `${e.status || e.httpStatus}: ${e.message}`;
  return t('error.network');
}
