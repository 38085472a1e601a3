/* The portal's maps: Leaflet over the Natural Earth outlines the portal serves itself
   (static/vendor/world-atlas), with a company's tile server only when MAP_TILE_URL is set. */
(function () {
  "use strict";

  var LEVEL_COLOURS = { 1: "#6fbf73", 2: "#c5d86d", 3: "#f2b84b", 4: "#e8743b", 5: "#b3261e" };
  var SEVERITY_COLOURS = { info: "#1f6fd1", warning: "#c77700", critical: "#b3261e" };
  var outlines = {};

  function readJson(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  function loadOutlines(url) {
    // One request per page for all its maps; the browser caches the file across pages.
    if (!outlines[url]) {
      outlines[url] = fetch(url, { credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error("outlines: " + response.status);
          return response.json();
        })
        .then(function (topology) {
          return topojson.feature(topology, topology.objects.countries);
        });
    }
    return outlines[url];
  }

  function create(element, config, options) {
    var map = L.map(element, Object.assign({
      worldCopyJump: true,
      minZoom: 1,
      maxZoom: config.tiles ? 18 : 10,
      attributionControl: true,
    }, options || {}));
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution("Outlines: Natural Earth");
    if (config.tiles) {
      L.tileLayer(config.tiles, { attribution: "Street detail: your company's tile server" }).addTo(map);
    }
    return map;
  }

  function drawCountries(map, config, levels) {
    levels = levels || {};
    return loadOutlines(config.outlines).then(function (countries) {
      var layer = L.geoJSON(countries, {
        interactive: Boolean(levels && Object.keys(levels).length),
        style: function (feature) {
          var known = levels[feature.id];
          return {
            className: "country" + (known ? " country-level-" + known.level : ""),
            color: "#7d8896",
            weight: 0.6,
            fillColor: known ? LEVEL_COLOURS[known.level] : "#e9ecef",
            fillOpacity: config.tiles ? 0.35 : (known ? 0.75 : 1),
          };
        },
        onEachFeature: function (feature, countryLayer) {
          var known = levels[feature.id];
          if (known) countryLayer.bindTooltip(known.name + ": " + known.label, { sticky: true });
        },
      });
      layer.addTo(map);
      layer.bringToBack();
      return layer;
    });
  }

  function incidentLayer(feature, latlng) {
    var props = feature.properties || {};
    var colour = SEVERITY_COLOURS[props.severity] || SEVERITY_COLOURS.warning;
    var style = { color: colour, fillColor: colour, fillOpacity: 0.18, weight: 2 };
    if (props.radius_km) {
      return L.circle(latlng, Object.assign({ radius: props.radius_km * 1000, className: "incident-area incident-" + props.severity }, style));
    }
    return L.circleMarker(latlng, Object.assign({ radius: 16, className: "incident-place incident-" + props.severity }, style));
  }

  window.PortalMaps = {
    LEVEL_COLOURS: LEVEL_COLOURS,
    SEVERITY_COLOURS: SEVERITY_COLOURS,
    readJson: readJson,
    create: create,
    drawCountries: drawCountries,
    incidentLayer: incidentLayer,
  };
})();
