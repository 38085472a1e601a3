/* The managers' map (/map/): travellers on a date clustered with counts, open incidents as
   circles or their places, countries by risk level. Selecting a marker or a cluster lists its
   travellers beside the map with the "e-mail these travellers" action of Who is where. */
(function () {
  "use strict";

  var config = PortalMaps.readJson("map-config");
  var levels = PortalMaps.readJson("map-levels") || {};
  var element = document.getElementById("map");
  if (!config || !element) return;

  var map = PortalMaps.create(element, config, { center: [30, 40], zoom: 2 });
  var selection = document.getElementById("map-selection");
  var selectionList = document.getElementById("map-selection-list");
  var selectionActions = document.getElementById("map-selection-actions");
  var selectionTitle = document.getElementById("map-selection-title");
  var bounds = L.latLngBounds([]);

  function text(tag, content, className) {
    var node = document.createElement(tag);
    node.textContent = content;
    if (className) node.className = className;
    return node;
  }

  function travellerItem(props) {
    var item = document.createElement("li");
    var link = document.createElement("a");
    link.href = props.trip_url;
    link.textContent = props.name;
    item.appendChild(link);
    var where = props.place + (props.country_name ? ", " + props.country_name : "");
    item.appendChild(text("span", " · " + where + (props.approximate ? " (approximately)" : ""), "muted"));
    return item;
  }

  function messageLinks(features) {
    // Who is where's form e-mails everyone at one date, country and place: one link per place
    // of the selection, opening that list (the form shows who will receive it before sending).
    var groups = {};
    features.forEach(function (feature) {
      var p = feature.properties;
      var key = p.country + "|" + p.place;
      groups[key] = groups[key] || { country: p.country, place: p.place, count: 0 };
      groups[key].count += 1;
    });
    return Object.keys(groups).sort().map(function (key) {
      var group = groups[key];
      var query = new URLSearchParams({ date: config.date, country: group.country, place: group.place });
      var link = document.createElement("a");
      link.className = "button";
      link.href = config.locations + "?" + query.toString() + "#message-title";
      link.textContent = "E-mail the " + (group.count === 1 ? "traveller" : group.count + " travellers") + " at " + group.place;
      return link;
    });
  }

  function showSelection(features) {
    selectionList.replaceChildren.apply(selectionList, features
      .slice()
      .sort(function (a, b) { return a.properties.name.localeCompare(b.properties.name); })
      .map(function (feature) { return travellerItem(feature.properties); }));
    selectionActions.replaceChildren.apply(selectionActions, messageLinks(features));
    selectionTitle.textContent = features.length === 1 ? "1 traveller here" : features.length + " travellers here";
    selection.hidden = false;
    selection.focus();
  }

  document.getElementById("map-selection-close").addEventListener("click", function () {
    selection.hidden = true;
    element.focus();
  });

  var clusters = L.markerClusterGroup({
    zoomToBoundsOnClick: false,
    showCoverageOnHover: false,
    spiderfyOnMaxZoom: false,
    maxClusterRadius: 50,
    iconCreateFunction: function (cluster) {
      var count = cluster.getChildCount();
      var size = count < 10 ? "small" : count < 100 ? "medium" : "large";
      return L.divIcon({
        html: "<div><span>" + count + "</span></div>",
        className: "marker-cluster marker-cluster-" + size,
        iconSize: L.point(40, 40),
      });
    },
  });
  function activates(event) {
    // Leaflet passes key presses on a focused marker to it: Enter or Space selects, as a button.
    var key = event.originalEvent && event.originalEvent.key;
    return key === "Enter" || key === " ";
  }

  function listCluster(cluster) {
    showSelection(cluster.getAllChildMarkers().map(function (marker) { return marker.feature; }));
  }
  clusters.on("clusterclick", function (event) { listCluster(event.layer); });
  clusters.on("clusterkeypress", function (event) {
    if (activates(event)) { event.originalEvent.preventDefault(); listCluster(event.layer); }
  });
  clusters.on("animationend", labelClusters);
  map.on("zoomend", labelClusters);

  function labelClusters() {
    // Cluster icons are focusable (Leaflet markers); give them a name a screen reader says.
    element.querySelectorAll(".marker-cluster").forEach(function (icon) {
      var count = icon.textContent.trim();
      icon.setAttribute("role", "button");
      icon.setAttribute("aria-label", count + " travellers here: list them");
    });
  }

  function travellerMarker(feature, latlng) {
    var props = feature.properties;
    var label = props.name + ", " + props.place + (props.approximate ? " (approximately)" : "");
    var marker = L.marker(latlng, {
      title: label,
      alt: label,
      keyboard: true,
      icon: L.divIcon({
        className: "traveller-marker" + (props.approximate ? " traveller-approximate" : ""),
        html: "<span></span>",
        iconSize: L.point(18, 18),
      }),
    });
    marker.feature = feature;
    marker.on("click", function () { showSelection([feature]); });
    marker.on("keypress", function (event) {
      if (activates(event)) { event.originalEvent.preventDefault(); showSelection([feature]); }
    });
    marker.on("add", function () {
      var icon = marker.getElement();
      if (icon) { icon.setAttribute("role", "button"); icon.setAttribute("aria-label", label); }
    });
    return marker;
  }

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json, application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(url + ": " + response.status);
        return response.json();
      });
  }

  var countries = PortalMaps.drawCountries(map, config, levels);
  var travellers = getJson(config.travellers).then(function (collection) {
    collection.features.forEach(function (feature) {
      var c = feature.geometry.coordinates;
      var latlng = L.latLng(c[1], c[0]);
      clusters.addLayer(travellerMarker(feature, latlng));
      bounds.extend(latlng);
    });
  });
  var incidents = getJson(config.incidents).then(function (collection) {
    var layer = L.geoJSON(collection, {
      // An incident of a whole country (no point, no located place) is in the table only.
      filter: function (feature) { return Boolean(feature.geometry); },
      pointToLayer: PortalMaps.incidentLayer,
      onEachFeature: function (feature, incidentLayer) {
        var props = feature.properties;
        var popup = document.createElement("div");
        var link = document.createElement("a");
        link.href = props.url;
        link.textContent = props.title;
        popup.appendChild(link);
        popup.appendChild(text("div", props.severity + (props.radius_km ? " · within " + props.radius_km + " km" : ""), "small"));
        incidentLayer.bindPopup(popup);
        incidentLayer.bindTooltip(props.title);
      },
    }).addTo(map);
    if (collection.features.length) bounds.extend(layer.getBounds());
  });

  Promise.allSettled([countries, travellers, incidents]).then(function (results) {
    if (bounds.isValid()) map.fitBounds(bounds.pad(0.3), { maxZoom: 6, animate: false });
    // Clustered once the view is set: clustering at the world view first, then again at the
    // travellers' zoom, would animate groups apart while the page is being read.
    clusters.addTo(map);
    labelClusters();
    var failed = results.filter(function (result) { return result.status === "rejected"; });
    if (failed.length) {
      var notice = text("p", "Part of the map could not be loaded; the tables below are complete.", "message message-warning");
      notice.setAttribute("role", "alert");
      element.parentNode.insertBefore(notice, element);
    }
    element.setAttribute("data-ready", "true");
  });

  document.querySelectorAll("[data-map-focus]").forEach(function (button) {
    button.addEventListener("click", function () {
      var parts = button.getAttribute("data-map-focus").split(",").map(Number);
      map.setView(parts, 8);
      element.scrollIntoView({ block: "center" });
      element.focus();
    });
  });
})();
