// The phone page's service worker (scope /routes/), built on Workbox (served from npm, like the
// map's scripts): every GET the page makes goes to the network first and falls back to the
// cache "geoapi-phone", which the page fills when it opens (itself, its scripts and photos, the
// basemap's tiles over the route), so the route opens again with no signal. Tiles from a server
// that sends no CORS headers come as opaque answers (status 0) and are kept too. Writes are not
// touched: the page queues them itself (IndexedDB) and sends them when the connection returns.
importScripts("/static/npm/workbox-sw/build/workbox-sw.js");
workbox.setConfig({
  debug: false,
  modulePathCb: (name, debug) => `/static/npm/${name}/build/${name}.${debug ? "dev" : "prod"}.js`,
});
self.addEventListener("install", () => self.skipWaiting());
workbox.core.clientsClaim();
workbox.routing.registerRoute(
  ({request}) => request.method === "GET",
  new workbox.strategies.NetworkFirst({
    cacheName: "geoapi-phone",
    matchOptions: {ignoreVary: true},
    plugins: [new workbox.cacheableResponse.CacheableResponsePlugin({statuses: [0, 200]})],
  })
);
