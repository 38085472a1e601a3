/* The portal's only script: progressive enhancement, every page works without it (adding
   and removing stops then goes through the server). No dependencies, no network access but
   our own pages. */
(function () {
  "use strict";

  // --- the trip form: stops added and removed in place --------------------------------
  function renumber(container, prefix) {
    var rows = container.querySelectorAll("[data-stop]");
    rows.forEach(function (row, index) {
      row.querySelectorAll("[name], [id], [for], [list], [aria-describedby]").forEach(function (el) {
        ["name", "id", "for", "aria-describedby"].forEach(function (attr) {
          var value = el.getAttribute(attr);
          if (value) {
            el.setAttribute(attr, value.replace(new RegExp(prefix + "-(\\d+|__prefix__)-", "g"), prefix + "-" + index + "-"));
          }
        });
      });
      var number = row.querySelector("[data-stop-number]");
      if (number) number.textContent = String(index + 1);
      var remove = row.querySelector("[data-remove-stop]");
      if (remove) remove.hidden = rows.length <= 1;
    });
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    if (total) total.value = String(rows.length);
  }

  function linkPlaces(row) {
    var country = row.querySelector("[data-country]");
    var place = row.querySelector("[data-place]");
    if (!country || !place) return;
    var update = function () {
      if (country.value && document.getElementById("places-" + country.value)) {
        place.setAttribute("list", "places-" + country.value);
      } else {
        place.removeAttribute("list");
      }
    };
    country.addEventListener("change", update);
    update();
  }

  function setUpStops() {
    var container = document.querySelector("[data-stops]");
    var template = document.querySelector("[data-stop-template]");
    var add = document.querySelector("[data-add-stop]");
    if (!container || !template || !add) return;
    var prefix = "stops";
    container.querySelectorAll("[data-stop]").forEach(linkPlaces);
    renumber(container, prefix);

    add.addEventListener("click", function (event) {
      event.preventDefault(); // without the script, the server adds the stop instead
      var rows = container.querySelectorAll("[data-stop]");
      var fragment = template.content.cloneNode(true);
      var row = fragment.querySelector("[data-stop]");
      // A new stop starts where the previous one ends.
      var last = rows[rows.length - 1];
      container.appendChild(fragment);
      renumber(container, prefix);
      if (last) {
        var departure = last.querySelector("input[name$='-departure']");
        var arrival = row.querySelector("input[name$='-arrival']");
        if (departure && arrival && departure.value) arrival.value = departure.value;
      }
      linkPlaces(row);
      var first = row.querySelector("select, input");
      if (first) first.focus();
    });

    container.addEventListener("click", function (event) {
      var button = event.target.closest("[data-remove-stop]");
      if (!button) return;
      event.preventDefault(); // without the script, the server removes the stop instead
      var rows = container.querySelectorAll("[data-stop]");
      if (rows.length <= 1) return;
      var row = button.closest("[data-stop]");
      row.parentNode.removeChild(row);
      renumber(container, prefix);
      add.focus();
    });
  }

  // --- the trip page: the briefing status refreshes itself while it renders -----------
  function setUpBriefingPoll() {
    var box = document.querySelector("[data-briefing-status-url]");
    if (!box || !window.fetch) return;
    var url = box.getAttribute("data-briefing-status-url");
    var label = box.querySelector("[data-briefing-status]");
    var delay = 1500;
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) {
          if (!body) return;
          if (label) label.textContent = body.status.charAt(0).toUpperCase() + body.status.slice(1);
          if (body.status === "ready" || body.status === "failed" || body.superseded) {
            window.location.reload();
            return;
          }
          delay = Math.min(delay * 1.5, 15000);
          window.setTimeout(poll, delay);
        })
        .catch(function () { window.setTimeout(poll, 15000); });
    }
    window.setTimeout(poll, delay);
  }

  // --- confirm buttons (cancel a trip) -------------------------------------------------
  function setUpConfirm() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
      });
    });
  }

  // --- the trip form's own key, kept with its place in the history ---------------------
  // A new trip's form carries a key (trips.services.trip_create): sent twice, it files one
  // trip. Browsers restore what a person typed when they come back to a page, but not a value
  // they never touched, so the page the back button brings would carry a fresh key and file a
  // second draft. The key is kept in this history entry's state and put back from there.
  function setUpSubmissionKey() {
    var key = document.querySelector("input[name=submission_key]");
    if (!key || !window.history || !window.history.replaceState) return;
    var state = window.history.state || {};
    if (state.tripFormKey) {
      key.value = state.tripFormKey;
    } else {
      window.history.replaceState(Object.assign({}, state, {tripFormKey: key.value}), "");
    }
  }

  // --- phones: the menu behind a button, the filters folded ------------------------------
  var PHONE = "(max-width: 759px)";

  function setUpMenu() {
    var button = document.querySelector("[data-menu-button]");
    var menu = document.querySelector("[data-menu]");
    if (!button || !menu) return;
    function show(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      menu.classList.toggle("is-open", open);
    }
    button.hidden = false;
    document.documentElement.setAttribute("data-menu-ready", "");
    button.addEventListener("click", function () {
      show(button.getAttribute("aria-expanded") !== "true");
    });
    // Escape closes an open menu and gives the focus back to its button.
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        show(false);
        button.focus();
      }
    });
  }

  function setUpFilterFolds() {
    var folds = document.querySelectorAll("details[data-fold-on-phone]");
    if (!folds.length || !window.matchMedia) return;
    var phone = window.matchMedia(PHONE);
    function fit() {
      // Folded on a phone, so the list comes first (the summary says when a search is
      // applied); always open on a wide screen, where the summary is hidden.
      folds.forEach(function (fold) { fold.open = !phone.matches; });
    }
    fit();
    if (phone.addEventListener) phone.addEventListener("change", fit);
  }

  function start() {
    // What only the script makes true is said only when the script runs.
    document.querySelectorAll("[data-js-only]").forEach(function (el) { el.hidden = false; });
    setUpStops();
    setUpSubmissionKey();
    setUpBriefingPoll();
    setUpConfirm();
    setUpMenu();
    setUpFilterFolds();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
