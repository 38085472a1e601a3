/* The Place admin's map picker: click the map (or drag the pin) to set the latitude and
   longitude; the fields stay typeable and the pin follows what is typed. */
(function () {
  "use strict";

  function init() {
    var latitude = document.querySelector('[data-map-picker="latitude"]');
    var longitude = document.querySelector('[data-map-picker="longitude"]');
    if (!latitude || !longitude || !window.L) return;

    var holder = document.createElement("div");
    holder.className = "map map-picker";
    holder.setAttribute("role", "region");
    holder.setAttribute("aria-label", "Map: click to set the latitude and longitude");
    var help = document.createElement("p");
    help.className = "help";
    help.textContent = "Click the map or drag the pin to set the latitude and longitude; you can also type them.";
    var row = longitude.closest(".form-row") || longitude.parentNode;
    row.parentNode.insertBefore(help, row.nextSibling);
    row.parentNode.insertBefore(holder, help);

    var config = { outlines: latitude.getAttribute("data-outlines"), tiles: latitude.getAttribute("data-tiles") || "" };
    var map = PortalMaps.create(holder, config, { center: [30, 40], zoom: 2, scrollWheelZoom: "center" });
    PortalMaps.drawCountries(map, config, {});
    var pin = null;

    function current() {
      var lat = parseFloat(latitude.value);
      var lon = parseFloat(longitude.value);
      return isFinite(lat) && isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180 ? L.latLng(lat, lon) : null;
    }

    function place(latlng, pan) {
      if (!pin) {
        pin = L.marker(latlng, {
          draggable: true,
          title: "The place",
          icon: L.divIcon({ className: "traveller-marker", html: "<span></span>", iconSize: L.point(18, 18) }),
        }).addTo(map);
        pin.on("dragend", function () { write(pin.getLatLng()); });
      } else {
        pin.setLatLng(latlng);
      }
      if (pan) map.setView(latlng, Math.max(map.getZoom(), 5));
    }

    function write(latlng) {
      var wrapped = latlng.wrap();
      latitude.value = wrapped.lat.toFixed(4);
      longitude.value = wrapped.lng.toFixed(4);
      latitude.dispatchEvent(new Event("change", { bubbles: true }));
      longitude.dispatchEvent(new Event("change", { bubbles: true }));
    }

    map.on("click", function (event) {
      place(event.latlng, false);
      write(event.latlng);
    });
    [latitude, longitude].forEach(function (input) {
      input.addEventListener("input", function () {
        var latlng = current();
        if (latlng) place(latlng, true);
      });
    });
    var start = current();
    if (start) place(start, true);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
