/* Small maps (a trip's itinerary, an incident's area): numbered stops joined in order, an
   incident's circle or places, over the outlines the portal serves. They feel static: no
   scroll-wheel zoom or keyboard panning, the words beside them carry the content. */
(function () {
  "use strict";

  document.querySelectorAll("[data-small-map]").forEach(function (element) {
    var data = PortalMaps.readJson(element.getAttribute("data-small-map"));
    if (!data) return;
    var map = PortalMaps.create(element, data, {
      center: [30, 40],
      zoom: 2,
      scrollWheelZoom: false,
      keyboard: false,
      zoomSnap: 0.5,
    });
    var bounds = L.latLngBounds([]);

    (data.areas || []).forEach(function (area) {
      var feature = { type: "Feature", properties: area, geometry: { type: "Point", coordinates: [area.lon, area.lat] } };
      var layer = PortalMaps.incidentLayer(feature, L.latLng(area.lat, area.lon)).bindTooltip(area.label).addTo(map);
      if (layer.getBounds) bounds.extend(layer.getBounds()); else bounds.extend(layer.getLatLng());
    });

    var route = [];
    (data.points || []).forEach(function (point) {
      var latlng = L.latLng(point.lat, point.lon);
      route.push(latlng);
      bounds.extend(latlng);
      L.marker(latlng, {
        keyboard: false,
        title: point.label + (point.approximate ? " (approximately)" : ""),
        icon: L.divIcon({
          className: "stop-marker" + (point.approximate ? " stop-approximate" : ""),
          html: point.number ? String(point.number) : "",
          iconSize: L.point(24, 24),
        }),
      }).addTo(map);
    });
    if (data.route && route.length > 1) {
      L.polyline(route, { color: "#12416e", weight: 2, dashArray: "6 4", interactive: false }).addTo(map);
    }

    PortalMaps.drawCountries(map, data, {}).finally(function () {
      if (bounds.isValid()) map.fitBounds(bounds.pad(0.4), { maxZoom: 7, animate: false });
      element.setAttribute("data-ready", "true");
    });
  });
})();
