// The app's shell for offline use: its page and assets, cached when the
// worker installs and refreshed on every load. Same-origin GETs only: the
// smsync server's requests go to the network (the SDK queues while offline).
const cacheName = "smsync-notes-shell";

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      // Requests to other origins (the smsync server) go straight to the network, without waking this worker
      // (static routing, where the browser has it; elsewhere the fetch handler below passes them by). Through
      // the worker, Chromium's offline emulation (DevTools, playwright's setOffline) would not apply to them.
      if (event.addRoutes) {
        const { protocol, hostname, port } = self.location;
        const ownOrigin = new URLPattern({ protocol: protocol.replace(":", ""), hostname, port });
        await event.addRoutes({ condition: { not: { urlPattern: ownOrigin } }, source: "network" });
      }
      const cache = await caches.open(cacheName);
      const page = await fetch("/");
      const html = await page.clone().text();
      await cache.put("/", page);
      // The page's hashed scripts and styles, as Vite wrote them into it.
      const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1]);
      await cache.addAll(assets);
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

// Network first, so a new build is seen at once; the cache when the network fails.
self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  const key = event.request.mode === "navigate" ? "/" : event.request;
  event.respondWith(
    fetch(event.request)
      .then(async (response) => {
        if (response.ok) await (await caches.open(cacheName)).put(key, response.clone());
        return response;
      })
      // ignoreVary: a module script's request carries an Origin header that the install's requests did not.
      .catch(async () => (await caches.match(key, { ignoreVary: true })) ?? Response.error()),
  );
});
