// The phone page's service worker (scope /routes/): every GET the page makes goes to the
// network first and falls back to what the page cached when it was opened, so the route, its
// checklists, scripts, photos and basemap tiles open again with no signal (a tile server that
// sends no CORS headers gives opaque answers: kept too). Writes are not touched: the page
// queues them itself (IndexedDB) and sends them when the connection returns.
const CACHE = "geoapi-phone";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", event => event.waitUntil(self.clients.claim()));
self.addEventListener("fetch", event => {
  if (event.request.method !== "GET") return;
  event.respondWith(
    fetch(event.request)
      .then(response => {
        if (response.ok || response.type === "opaque") {
          const copy = response.clone();
          caches.open(CACHE).then(cache => cache.put(event.request, copy));
        }
        return response;
      })
      .catch(() => caches.match(event.request, {ignoreVary: true})
        .then(found => found || Response.error()))
  );
});
