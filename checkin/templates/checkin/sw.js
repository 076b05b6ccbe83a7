/* Huiguan door scanner: service worker (scope /scan/), rendered by checkin.views.service_worker.
 *
 * Its one job: a volunteer whose phone reloads the scanner with no network (a discarded tab, a
 * locked screen, a wrong tap) still gets the page, which then decides from the ticket list it
 * keeps in localStorage. The API is never cached here: answers must be live or decided (and
 * labelled) by the page itself.
 *
 * - the scanner page: network first (4 s), else the last copy that loaded while logged in;
 * - its static files: from the cache, refreshed in the background; the cache name carries a
 *   hash of their contents, so a deploy installs a new worker and drops the old files;
 * - the JavaScript catalog (/jsi18n/, per language): network first, else the cached one.
 */
"use strict";

const VERSION = "{{ version }}";
const CACHE = `hg-scan-${VERSION}`;
const PAGE = "{{ page_url }}";
const CATALOG = "{{ catalog_url }}";
const ASSETS = JSON.parse("{{ assets_json|escapejs }}");

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(ASSETS))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key.startsWith("hg-scan-") && key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

function fetchWithin(request, ms) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  return fetch(request, { signal: controller.signal }).finally(() => clearTimeout(timer));
}

/** Keep the page only as a logged-in volunteer got it: not a redirect to the login page, not a refusal. */
function keepable(response) {
  return response && response.ok && !response.redirected && response.type === "basic";
}

async function savePage() {
  const response = await fetch(PAGE, { credentials: "same-origin", cache: "no-store" });
  const cache = await caches.open(CACHE);
  if (keepable(response)) await cache.put(PAGE, response);
  else await cache.delete(PAGE);
}

self.addEventListener("message", (event) => {
  if (event.data === "page-loaded") event.waitUntil(savePage().catch(() => undefined));
  if (event.data === "logged-out") event.waitUntil(caches.open(CACHE).then((cache) => cache.delete(PAGE)));
});

async function networkFirst(request, key, ms) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetchWithin(request, ms);
    if (keepable(response)) await cache.put(key, response.clone());
    else if (key === PAGE && response.status < 500) await cache.delete(PAGE);
    return response;
  } catch (error) {
    const cached = await cache.match(key);
    if (cached) return cached;
    throw error;
  }
}

async function cacheFirst(event, request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request);
  const refresh = fetch(request)
    .then((response) => (keepable(response) ? cache.put(request, response.clone()).then(() => response) : response))
    .catch(() => undefined);
  if (cached) {
    event.waitUntil(refresh);
    return cached;
  }
  return (await refresh) || Response.error();
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === PAGE) {
    event.respondWith(networkFirst(request, PAGE, 4000));
  } else if (url.pathname === CATALOG) {
    event.respondWith(networkFirst(request, request, 4000));
  } else if (ASSETS.includes(url.pathname)) {
    event.respondWith(cacheFirst(event, request));
  }
});
