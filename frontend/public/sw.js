/* Baton Pass service worker (scope /m/): an offline shell, push alerts that vibrate, taps that open the handoff.
 * Plain JS, served as-is from /sw.js (never cached for long, so updates land on the next visit). */
const SHELL_CACHE = "bp-shell-v1";
const SHELL = ["/m/", "/manifest.webmanifest", "/icons/icon-192.png", "/icons/icon-512.png"];

/** The built index.html names its hashed bundles: cache them too, so the shell starts offline. */
async function precache() {
  const cache = await caches.open(SHELL_CACHE);
  await cache.addAll(SHELL);
  const index = await cache.match("/m/");
  if (!index) return;
  const html = await index.text();
  const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
  if (assets.length) await cache.addAll(assets);
}

self.addEventListener("install", (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith("bp-") && n !== SHELL_CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  // The API (JSON, SSE, frames) always goes to the network: it is live and per-session.
  if (request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;

  if (request.mode === "navigate") {
    // Network first, so a fresh deploy is picked up; the cached shell when offline.
    event.respondWith(fetch(request).catch(() => caches.match("/m/").then((r) => r || Response.error())));
    return;
  }
  if (url.pathname.startsWith("/assets/")) {
    // Content-hashed, immutable: cache first.
    event.respondWith(
      caches.match(request).then(
        (cached) =>
          cached ||
          fetch(request).then((response) => {
            if (response.ok) {
              const copy = response.clone();
              caches.open(SHELL_CACHE).then((cache) => cache.put(request, copy));
            }
            return response;
          }),
      ),
    );
    return;
  }
  // Icons and the manifest: serve the cached copy, refresh it in the background.
  event.respondWith(
    caches.match(request).then((cached) => {
      const network = fetch(request)
        .then((response) => {
          if (response.ok) {
            const copy = response.clone();
            caches.open(SHELL_CACHE).then((cache) => cache.put(request, copy));
          }
          return response;
        })
        .catch(() => cached || Response.error());
      return cached || network;
    }),
  );
});

/** Push payload (JSON): {title, body, url, handoff_id}; anything else is shown as text. */
function parsePush(data) {
  if (!data) return {};
  try {
    return data.json();
  } catch {
    return { body: data.text() };
  }
}

self.addEventListener("push", (event) => {
  const payload = parsePush(event.data);
  const url = payload.url || "/m/";
  const title = payload.title || "An agent needs you";
  event.waitUntil(
    self.registration.showNotification(title, {
      body: payload.body || "Tap to open the handoff.",
      tag: payload.handoff_id || payload.tag || "batonpass",
      renotify: true,
      requireInteraction: true,
      vibrate: [200, 100, 200],
      icon: "/icons/icon-192.png",
      badge: "/icons/icon-192.png",
      data: { url },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL((event.notification.data && event.notification.data.url) || "/m/", self.location.origin);
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      // Focus a window already on this handoff; a fresh link (new token) always opens as a new navigation.
      const same = windows.find((w) => new URL(w.url).pathname === target.pathname && !target.search);
      if (same) return same.focus();
      return self.clients.openWindow(target.href);
    }),
  );
});
