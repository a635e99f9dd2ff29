// The wallet's service worker: keeps the app shell (HTML, CSS, JS, vendor libraries) so the wallet opens
// without a network; calls to the ledger (/v1/...) always go to the network and are never cached.
const CACHE = 'wallet-v1';
const SHELL = ['/wallet/', '/wallet/app.js', '/wallet/i18n.js', '/wallet/manifest.json', '/wallet/icon-192.png',
               '/common/app.css', '/lib/ui.js', '/lib/bytes.js', '/lib/pb.js', '/lib/sign.js', '/lib/keystore.js',
               '/lib/api.js', '/vendor/qrcode.js', '/vendor/jsQR.js'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});
self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys().then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});
self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/v1/')) return;
  // Network first (a new version shows at once), the cache when offline.
  event.respondWith(fetch(event.request).then((response) => {
    const copy = response.clone();
    if (response.ok) caches.open(CACHE).then((cache) => cache.put(event.request, copy));
    return response;
  }).catch(() => caches.match(event.request)));
});
