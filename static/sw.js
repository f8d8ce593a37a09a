// Service worker: keeps the app shell and visited checklist pages so a started run can be
// continued offline. Pages: network first, cache as fallback. Static files: cache first.
"use strict";

const VERSION = "safetylist-v4";  // bump when a static file changes: static files are served cache-first
const SHELL = ["/static/css/app.css", "/static/js/app.js", "/static/js/fill.js", "/static/js/conditions.js",
               "/static/js/outbox.js", "/static/js/messages.js", "/static/img/icon.svg"];
// Pages worth having offline: home (today's list) and checklist runs.
const OFFLINE_PAGES = [/^\/$/, /^\/runs\/\d+$/];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(VERSION).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== VERSION).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request).then((response) => {
      const copy = response.clone();
      if (response.ok) caches.open(VERSION).then((cache) => cache.put(request, copy));
      return response;
    })));
    return;
  }
  if (request.mode === "navigate" && OFFLINE_PAGES.some((re) => re.test(url.pathname))) {
    event.respondWith(fetch(request).then((response) => {
      if (response.ok && !response.redirected) {
        const copy = response.clone();
        caches.open(VERSION).then((cache) => cache.put(request, copy));
      }
      return response;
    }).catch(() => caches.match(request).then((hit) => hit || Response.error())));
  }
});
