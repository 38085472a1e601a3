/* The trip form's live preview: as stops are filled in, ask the portal what the trip would
   need (POST /api/trips/preview/, the body of a new trip; nothing is stored) and show the
   level, the open incidents where it goes, the reasons and the requirements with their due
   dates. Progressive enhancement:
   without this script the form works as before and the draft page shows the preview. */
(function () {
  "use strict";

  var DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  // The level words of portal.lib.vocabulary.RiskLevel, given by the page.
  var wordsElement = document.getElementById("risk-level-words");
  var LEVELS = wordsElement ? JSON.parse(wordsElement.textContent) : {};

  function readableDate(iso) {
    var parts = iso.split("-").map(Number);
    var date = new Date(Date.UTC(parts[0], parts[1] - 1, parts[2]));
    return DAYS[date.getUTCDay()] + " " + parts[2] + " " + MONTHS[parts[1] - 1] + " " + parts[0];
  }

  function element(tag, text, className) {
    var el = document.createElement(tag);
    if (text) { el.textContent = text; }
    if (className) { el.className = className; }
    return el;
  }

  function field(scope, suffix) {
    return scope.querySelector("[name$='-" + suffix + "']");
  }

  function body(form, panel) {
    var value = function (name) {
      var input = form.querySelector("[name='" + name + "']");
      return input ? input.value : "";
    };
    var stops = [];
    form.querySelectorAll("[data-stops] [data-stop]").forEach(function (row) {
      var country = field(row, "country");
      var arrival = field(row, "arrival");
      var departure = field(row, "departure");
      if (!country || !country.value || !arrival || !arrival.value || !departure || !departure.value) {
        return;
      }
      var activities = [];
      row.querySelectorAll("[name$='-activities']:checked").forEach(function (box) {
        activities.push(box.value);
      });
      var transit = field(row, "transit");
      stops.push({
        country: country.value,
        place: (field(row, "place") || {value: ""}).value,
        arrival: arrival.value,
        departure: departure.value,
        activities: activities,
        transit: Boolean(transit && transit.checked)
      });
    });
    var data = {
      // The purpose does not change what a trip needs; a placeholder lets the preview run
      // before it is typed.
      purpose: value("purpose").trim() || "Trip being planned",
      stops: stops,
      passport_nationality: value("passport_nationality"),
      passport_type: value("passport_type"),
      visa_category: value("visa_category")
    };
    var traveller = value("traveller") || panel.getAttribute("data-traveller");
    if (traveller) { data.traveller = traveller; }
    return data;
  }

  var MATCHES = {
    place: "in a place it names",
    country: "in its country",
    possibly: "possibly: we could not tell whether the place is in its area"
  };

  // The open incidents where the trip goes, as templates/trips/_incidents.html shows them.
  function renderIncidents(out, incidents) {
    if (!incidents.length) { return; }
    var box = element("div", "", "assessment-incidents");
    box.setAttribute("data-assessment-incidents", "");
    box.appendChild(element("h3", "Open incidents where this trip goes"));
    var list = element("ul", "", "incidents");
    incidents.forEach(function (incident) {
      var item = element("li", "", "incident incident-" + incident.severity);
      item.appendChild(element("span", incident.severity_label, "badge severity-" + incident.severity));
      item.appendChild(document.createTextNode(" "));
      item.appendChild(element("strong", incident.title));
      var when = "since " + readableDate(incident.starts_on) +
        (incident.ends_on ? ", until " + readableDate(incident.ends_on) : "");
      var where = incident.where.length ? " · " + incident.where.join(", ") : "";
      item.appendChild(document.createTextNode(" "));
      item.appendChild(element("span", when + where + " · " + (MATCHES[incident.match] || incident.match), "small"));
      item.appendChild(element("br"));
      item.appendChild(element("span", incident.severity === "critical"
        ? "Critical: the trip is at least level 4 and needs a security manager's approval."
        : "A warning: it does not change the level; follow the advice of local authorities.", "small muted"));
      list.appendChild(item);
    });
    box.appendChild(list);
    out.appendChild(box);
  }

  function render(panel, result) {
    var out = panel.querySelector("[data-preview-body]");
    out.textContent = "";
    var level = result.risk_level
      ? "Level " + result.risk_level + " · " + LEVELS[result.risk_level]
      : "Risk unknown" + (result.known_level ? " · at least " + result.known_level : "");
    var head = element("p");
    head.appendChild(element("span", level, "badge risk risk-" + (result.risk_level || "unknown")));
    head.appendChild(document.createTextNode(" "));
    head.appendChild(element("span", result.requires_approval
      ? "needs a security manager's approval" : "approved automatically on submit", "badge subtle"));
    out.appendChild(head);
    renderIncidents(out, result.incidents || []);
    if (result.approval_reasons.length) {
      out.appendChild(element("p", "Needs approval because:"));
      var reasons = element("ul");
      result.approval_reasons.forEach(function (line) { reasons.appendChild(element("li", line)); });
      out.appendChild(reasons);
    }
    if (result.explanation.length) {
      var why = element("ul", "", "explanation");
      result.explanation.forEach(function (line) { why.appendChild(element("li", line)); });
      out.appendChild(why);
    }
    if (!result.requirements.length) {
      out.appendChild(element("p", "No entry or registration requirements for this itinerary."));
      return;
    }
    out.appendChild(element("h3", "Requirements"));
    var list = element("ul", "", "checklist");
    result.requirements.forEach(function (requirement) {
      var item = element("li", "", "requirement");
      var line = element("div", "", "req-head");
      line.appendChild(element("strong", requirement.title));
      line.appendChild(element("span", requirement.due_date
        ? "Due " + readableDate(requirement.due_date) : "No deadline", "due"));
      item.appendChild(line);
      if (requirement.detail) { item.appendChild(element("p", requirement.detail)); }
      list.appendChild(item);
    });
    out.appendChild(list);
  }

  function start() {
    var panel = document.querySelector("[data-trip-preview]");
    var form = panel && panel.closest("form") || document.querySelector("form.trip-form");
    if (!panel || !form) { return; }
    var token = form.querySelector("[name='csrfmiddlewaretoken']");
    var status = panel.querySelector("[data-preview-status]");
    var timer = null;
    var sent = 0;

    function refresh() {
      var data = body(form, panel);
      var chooser = form.querySelector("select[name='traveller']");
      if (chooser && !chooser.value && data.stops.length) {
        // What a trip needs depends on whose passport it is.
        panel.hidden = false;
        status.textContent = "Choose the traveller to see what this trip would need.";
        panel.querySelector("[data-preview-body]").textContent = "";
        return;
      }
      if (!data.stops.length) {
        panel.hidden = true;
        return;
      }
      var mine = ++sent;
      panel.hidden = false;
      status.textContent = "Working out what this trip needs…";
      fetch(panel.getAttribute("data-preview-url"), {
        method: "POST",
        credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": token ? token.value : ""},
        body: JSON.stringify(data)
      }).then(function (response) {
        return response.json().then(function (json) { return {ok: response.ok, json: json}; });
      }).then(function (answer) {
        if (mine !== sent) { return; }  // a newer request is on its way
        if (answer.ok) {
          status.textContent = "Preview of the assessment, not stored: submitting the trip assesses it for real.";
          render(panel, answer.json);
        } else {
          status.textContent = "The preview appears once the stops are complete and valid.";
          panel.querySelector("[data-preview-body]").textContent = "";
        }
      }).catch(function () {
        if (mine === sent) { status.textContent = "The preview is not available right now."; }
      });
    }

    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 500);
    }
    form.addEventListener("input", later);
    form.addEventListener("change", later);
    form.addEventListener("click", function (event) {
      if (event.target.closest("[data-add-stop], [data-remove-stop]")) { later(); }
    });
    refresh();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
