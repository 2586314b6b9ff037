{% load static %}// The kiosk's service worker: a kiosk that restarts without network still shows the
// survey (with its queue, which lives in localStorage), and picks up a new version when
// it is back online. Only GETs of the kiosk page and its two assets are handled; the
// rating and heartbeat POSTs always go to the network.
"use strict";

var CACHE = "kiosk-v1";
var PAGE = "{% url 'surveys:kiosk' %}";
var ASSETS = ["{% static 'surveys/kiosk.css' %}", "{% static 'surveys/kiosk.js' %}"];
var PAGE_TIMEOUT_MS = 8000;

// The assets were just loaded by the page: "only-if-cached" takes them from the HTTP
// cache and never from the network, so installing costs no request (an asset not in the
// HTTP cache is cached by the fetch handler on the next load instead).
self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      return Promise.all(
        ASSETS.map(function (url) {
          var request = new Request(url, { cache: "only-if-cached", mode: "same-origin" });
          return fetch(request).then(
            function (response) {
              if (response.ok) return cache.put(url, response);
            },
            function () {}
          );
        })
      );
    })
  );
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches
      .open(CACHE)
      .then(function (cache) {
        return cache.keys().then(function (requests) {
          return Promise.all(
            requests.map(function (request) {
              var path = new URL(request.url).pathname;
              if (path !== PAGE && ASSETS.indexOf(path) < 0) return cache.delete(request);
            })
          );
        });
      })
      .then(function () {
        return self.clients.claim();
      })
  );
});

// The first page load happened before this worker existed: the page hands over its own
// HTML (as served), so the very first reboot without network already has it.
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "page" || typeof data.html !== "string") return;
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      return cache.match(PAGE).then(function (cached) {
        if (cached) return;
        var headers = { "Content-Type": "text/html; charset=utf-8" };
        return cache.put(PAGE, new Response(data.html, { headers: headers }));
      });
    })
  );
});

function pageFromNetwork(request) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(reject, PAGE_TIMEOUT_MS);
    fetch(request).then(
      function (response) {
        clearTimeout(timer);
        resolve(response);
      },
      function (error) {
        clearTimeout(timer);
        reject(error);
      }
    );
  });
}

// The page: network first (a new survey version shows as soon as the kiosk is online),
// the last good copy when the network fails or hangs. A refusal (not enrolled, 403) is
// shown as it is and never cached.
function page(request) {
  return pageFromNetwork(request).then(
    function (response) {
      if (response.status === 200 && !response.redirected) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) {
          return cache.put(PAGE, copy);
        });
      }
      return response;
    },
    function () {
      return caches.match(PAGE).then(function (cached) {
        return cached || Response.error();
      });
    }
  );
}

// Assets: the cached copy at once, refreshed from the network behind it.
function asset(request, path) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(path).then(function (cached) {
      var fresh = fetch(request).then(function (response) {
        if (response.ok) cache.put(path, response.clone());
        return response;
      });
      if (cached) {
        fresh.catch(function () {});
        return cached;
      }
      return fresh;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname === PAGE && request.mode === "navigate") event.respondWith(page(request));
  else if (ASSETS.indexOf(url.pathname) >= 0) event.respondWith(asset(request, url.pathname));
});
