// The phone page opens again with no signal: the service worker (/routes/sw.js) answers from
// the cache "geoapi-phone", filled here when the page opens with the page itself, what it
// loaded from this service (scripts, photos) and the basemap's tiles over the route's area,
// from the zoom it opens at to street level, so the map still draws in a basement.
const GEOAPI_TILE_LIMIT = 1200;  // ~15 MB of tiles at most; the deepest zooms go first

function geoapiMap() {
  return Object.values(window).find(v => window.L && v instanceof L.Map);
}

function geoapiTileUrls(map, basemap) {  // Leaflet's own tile numbering and subdomain choice
  const urls = [], bounds = map.getBounds(), subdomains = basemap.subdomains;
  for (let z = Math.max(map.getZoom() - 1, 0); z <= basemap.max_zoom; z++) {
    const low = map.project(bounds.getNorthWest(), z).divideBy(256).floor();
    const high = map.project(bounds.getSouthEast(), z).divideBy(256).floor();
    const count = (high.x - low.x + 1) * (high.y - low.y + 1);
    if (urls.length + count > GEOAPI_TILE_LIMIT) break;
    for (let x = low.x; x <= high.x; x++) {
      for (let y = low.y; y <= high.y; y++) {
        const s = subdomains[Math.abs(x + y) % subdomains.length];
        urls.push(L.Util.template(basemap.url, {s: s, x: x, y: y, z: z, r: ""}));
      }
    }
  }
  return urls;
}

function geoapiMarkerImages() {
  // Each pin starts as Leaflet's default marker for an instant before its own icon replaces
  // it: a request that may or may not have started while online, so cache its pictures.
  if (!window.L) return [];
  const icon = new L.Icon.Default();
  return ["icon", "shadow"].map(name => new URL(icon._getIconUrl(name), location.href).href);
}

async function geoapiCacheTiles(cache) {
  const found = document.getElementById("geoapi-basemap");
  const map = geoapiMap();
  if (!found || !map) return 0;
  const urls = geoapiTileUrls(map, JSON.parse(found.textContent));
  let stored = 0, next = 0;
  async function worker() {  // six at a time, as a browser fetches tiles
    while (next < urls.length) {
      const url = urls[next++];
      if (await cache.match(url)) { stored++; continue; }
      try {  // a CORS answer where the tile server allows it, else an opaque one
        const answer = await fetch(url, {mode: "cors", credentials: "omit"})
          .catch(() => fetch(url, {mode: "no-cors", credentials: "omit"}));
        if (answer.ok || answer.type === "opaque") { await cache.put(url, answer); stored++; }
      } catch (e) { /* no signal: the tiles seen so far stay cached */ }
    }
  }
  await Promise.all(Array.from({length: 6}, worker));
  return stored;
}

if ("serviceWorker" in navigator && window.caches) {
  navigator.serviceWorker.register("/routes/sw.js", {scope: "/routes/"})
    .then(() => navigator.serviceWorker.ready)
    .then(async () => {
      const cache = await caches.open("geoapi-phone");
      const urls = [location.href].concat(performance.getEntriesByType("resource")
        .map(e => e.name).filter(u => u.startsWith(location.origin)), geoapiMarkerImages());
      await Promise.all(urls.map(u => cache.add(u).catch(() => null)));
      document.body.dataset.offlineReady = "1";
      document.body.dataset.tilesCached = String(await geoapiCacheTiles(cache));
    })
    .catch(() => null);
}
