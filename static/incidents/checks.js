/* The safety-check panel on the incident page: while the check is open, its counts and the
   rows the page shows refresh themselves (GET /checks/{id}/rows/?rows=id.version,...: the
   server renders only the rows whose version changed, as the panel renders them). A new
   answer appears in its row and is read out by screen readers (a polite live region).
   A row whose form a manager is filling in keeps the form: only its other cells change.
   Without JavaScript a reload shows the same. */
(function () {
  "use strict";

  var DELAY = 5000;
  var BACKOFF = 30000;

  function rowsOnPage(panel) {
    return Array.prototype.slice.call(panel.querySelectorAll("tr[data-recipient]"));
  }

  function known(panel) {
    return rowsOnPage(panel)
      .map(function (row) {
        return row.getAttribute("data-recipient") + "." + row.getAttribute("data-version");
      })
      .join(",");
  }

  function busy(row) {
    // The manager is typing or has chosen something in this row's form: keep it.
    var form = row.querySelector("form");
    if (!form) return false;
    if (form.contains(document.activeElement)) return true;
    return Array.prototype.some.call(form.elements, function (field) {
      if (field.type === "hidden" || field.type === "submit") return false;
      if (field.type === "checkbox") return field.checked !== field.defaultChecked;
      if (field.tagName === "SELECT") return field.selectedIndex > 0;
      return field.value !== field.defaultValue;
    });
  }

  function parseRow(html) {
    var holder = document.createElement("tbody");
    holder.innerHTML = html.trim();
    return holder.querySelector("tr");
  }

  function swap(row, fresh) {
    if (!busy(row)) {
      row.replaceWith(fresh);
      return fresh;
    }
    // Everything but the form's cell, and the row's own state, but for its version: the
    // row is asked for again until its form is left alone, then swapped whole (a form
    // that now needs its handling fields gets them).
    Array.prototype.forEach.call(fresh.children, function (cell, index) {
      var old = row.children[index];
      if (old && !old.classList.contains("check-record-cell")) old.replaceWith(cell.cloneNode(true));
    });
    ["class", "data-status", "data-answers"].forEach(function (name) {
      row.setAttribute(name, fresh.getAttribute(name));
    });
    return row;
  }

  function start() {
    var panel = document.querySelector("[data-check-url]");
    if (!panel || !window.fetch) return;
    var url = panel.getAttribute("data-check-url");
    var changed = panel.querySelector("[data-check-changed]");
    var announce = panel.querySelector("[data-check-announce]");
    var reload = panel.querySelector("[data-check-reload]");
    if (reload) {
      reload.addEventListener("click", function (event) {
        event.preventDefault();
        window.location.reload();
      });
    }

    function shownCounts() {
      var shown = {};
      Array.prototype.forEach.call(panel.querySelectorAll("[data-check-count]"), function (cell) {
        shown[cell.getAttribute("data-check-count")] = Number(cell.textContent);
      });
      return shown;
    }

    function showCounts(counts, expected) {
      var unexplained = false;
      Object.keys(counts).forEach(function (name) {
        var cell = panel.querySelector('[data-check-count="' + name + '"]');
        if (!cell) return;
        var text = String(counts[name]);
        if (cell.textContent !== text) cell.textContent = text;
        if (name in expected && expected[name] !== counts[name]) unexplained = true;
      });
      // Someone on another page (or not yet in this list's order) answered: offer the list
      // again, in order of need.
      if (unexplained && changed) changed.hidden = false;
    }

    function showRows(rows, expected) {
      var news = [];
      rows.forEach(function (data) {
        var row = panel.querySelector('tr[data-recipient="' + data.id + '"]');
        var fresh = data.html && parseRow(data.html);
        if (!row || !fresh) return;
        var before = Number(row.getAttribute("data-answers") || 0);
        var was = row.getAttribute("data-status");
        if (was !== data.status && was in expected && data.status in expected) {
          expected[was] -= 1;
          expected[data.status] += 1;
        }
        var shown = swap(row, fresh);
        if (data.answers > before && data.latest) {
          news.push(data.latest);
          shown.classList.add("check-row-new");
        }
      });
      if (news.length && announce) announce.textContent = "New answer. " + news.join(" ");
    }

    function poll() {
      var query = url + "?rows=" + encodeURIComponent(known(panel));
      fetch(query, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) {
          if (!body) { window.setTimeout(poll, BACKOFF); return; }
          if (body.status !== "open") { window.location.reload(); return; }
          // What the counts would be if only the rows shown here had moved.
          var expected = shownCounts();
          showRows(body.rows || [], expected);
          showCounts(body.counts || {}, expected);
          window.setTimeout(poll, DELAY);
        })
        .catch(function () { window.setTimeout(poll, BACKOFF); });
    }
    window.setTimeout(poll, DELAY);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
