// The service worker: keeps the app shell and the inspections a user opened, so a tablet can keep
// filling with no network. Writes never go through here: the page keeps them in its IndexedDB outbox
// and sends them itself, so nothing depends on this worker staying alive.
"use strict";

const VERSION = {{ version|tojson }};
const SHELL = `shell-${VERSION}`;
const PAGES = "pages-v1";
const SHELL_FILES = {{ shell|tojson }};
// Bumped when the pages are forgotten (at logout, at the login page): a copy fetched before that is not kept.
let generation = 0;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(SHELL_FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("shell-") && name !== SHELL) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

// Pages and data of one inspection (its registers too): the network first, the copy from the last visit when
// offline.
const CACHED_PAGE = /^\/inspections\/\d+\/(fill)?$|^\/api\/v1\/inspections\/\d+(\/registers)?$|^\/inspections\/\d+\/photos\/\d+\/thumb$/;

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (SHELL_FILES.includes(url.pathname + url.search)) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
    return;
  }
  if (CACHED_PAGE.test(url.pathname)) {
    event.respondWith(networkFirst(request));
  }
});

async function networkFirst(request) {
  const cache = await caches.open(PAGES);
  const started = generation;
  try {
    const response = await fetch(request);
    // Keep only real pages: a redirect to the login page must not replace the cached copy.
    if (response.ok && !response.redirected && started === generation) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const hit = await cache.match(request);
    if (hit) return hit;
    throw error;
  }
}

self.addEventListener("message", (event) => {
  // At logout the copies of pages go; the outbox (in the page's IndexedDB) stays until it is sent.
  if (event.data === "forget-pages") {
    generation += 1;
    event.waitUntil(caches.delete(PAGES));
  }
  // A page asks to keep itself and its data now, so it opens offline even after this first visit.
  if (event.data && event.data.type === "keep") {
    const started = generation;
    event.waitUntil(caches.open(PAGES).then((cache) => Promise.all(event.data.urls.map(async (url) => {
      if (!CACHED_PAGE.test(new URL(url, self.location.origin).pathname)) return;
      const response = await fetch(url, { credentials: "same-origin" });
      if (response.ok && !response.redirected && started === generation) await cache.put(url, response);
    }))));
  }
});
