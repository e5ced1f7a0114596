// Keeps an open poll's results current: while the tab is visible, asks the results API every few
// seconds with the ETag it last saw (an unchanged ranking answers 304 and costs nothing), and when
// the ranking moved, takes the named parts from a fresh copy of this page. Only a new leader is
// announced, politely; everything else changes quietly.
(function () {
  "use strict";
  var script = document.currentScript;
  var source = script.getAttribute("data-live-source");
  var every = Math.max(2000, Number(script.getAttribute("data-live-every")) || 5000);
  var parts = (script.getAttribute("data-live-parts") || "").split(",").map(function (s) { return s.trim(); }).filter(Boolean);
  var leadPart = script.getAttribute("data-live-lead") || "";
  var etag = null;
  var timer = null;
  var busy = false;

  var status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  status.setAttribute("data-live-status", "");
  document.body.appendChild(status);

  function text(node) { return node ? node.textContent.replace(/\s+/g, " ").trim() : ""; }

  function swap(fresh) {
    var before = text(leadPart && document.querySelector(leadPart));
    parts.forEach(function (selector) {
      var old = document.querySelector(selector);
      var replacement = fresh.querySelector(selector);
      // Never pull the ground from under the keyboard: a part holding the focus waits for the next change.
      if (!old || !replacement || old.contains(document.activeElement)) { return; }
      old.replaceWith(document.importNode(replacement, true));
    });
    var after = text(leadPart && document.querySelector(leadPart));
    if (after && after !== before) { status.textContent = after; }
    document.documentElement.setAttribute("data-live-updated", String(Date.now()));
  }

  function check() {
    if (busy || document.visibilityState !== "visible") { return; }
    busy = true;
    var headers = { Accept: "application/json" };
    if (etag) { headers["If-None-Match"] = etag; }
    fetch(source, { headers: headers, cache: "no-store", credentials: "same-origin" })
      .then(function (answer) {
        if (answer.status !== 200) { return null; }  // 304: nothing moved
        var seen = etag;
        etag = answer.headers.get("ETag");
        // The first answer only learns the tag: the page was drawn from the same figures.
        if (seen === null) { return null; }
        return fetch(window.location.href, { headers: { Accept: "text/html" }, credentials: "same-origin" })
          .then(function (page) { return page.ok ? page.text() : null; })
          .then(function (html) { if (html) { swap(new DOMParser().parseFromString(html, "text/html")); } });
      })
      .catch(function () { /* a missed refresh is tried again at the next tick */ })
      .then(function () { busy = false; });
  }

  function start() { if (timer === null) { timer = window.setInterval(check, every); check(); } }
  function stop() { if (timer !== null) { window.clearInterval(timer); timer = null; } }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { start(); } else { stop(); }
  });
  if (document.visibilityState === "visible") { start(); }
})();
