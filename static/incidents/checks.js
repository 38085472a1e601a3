/* The safety-check panel on the incident page: its counts refresh themselves while the
   check is open (GET /api/checks/{id}/?recipients=0). Without JavaScript a reload shows the
   same. When the counts change, the list below is out of date: a link offers the reload. */
(function () {
  "use strict";

  function start() {
    var panel = document.querySelector("[data-check-url]");
    if (!panel || !window.fetch) return;
    var url = panel.getAttribute("data-check-url");
    var changed = panel.querySelector("[data-check-changed]");
    var reload = panel.querySelector("[data-check-reload]");
    var delay = 5000;
    if (reload) {
      reload.addEventListener("click", function (event) {
        event.preventDefault();
        window.location.reload();
      });
    }
    function show(counts) {
      var moved = false;
      Object.keys(counts).forEach(function (name) {
        var cell = panel.querySelector('[data-check-count="' + name + '"]');
        if (!cell) return;
        var text = String(counts[name]);
        if (cell.textContent !== text) {
          cell.textContent = text;
          moved = true;
        }
      });
      if (moved && changed) changed.hidden = false;
    }
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) {
          if (!body) { window.setTimeout(poll, 30000); return; }
          show(body.counts || {});
          if (body.status !== "open") { window.location.reload(); return; }
          window.setTimeout(poll, delay);
        })
        .catch(function () { window.setTimeout(poll, 30000); });
    }
    window.setTimeout(poll, delay);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
