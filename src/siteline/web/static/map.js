// The workbench's map: the places listed in #map-places, drawn with Leaflet (served from
// /static/vendor/). Tiles come only from the server's --tile-url; without one the map is
// a plain background with a graticule, so it works with no network at all.
(function () {
  "use strict";
  var element = document.getElementById("map");
  if (!element || typeof window.L === "undefined") { return; }
  var L = window.L;
  var places = Array.prototype.slice.call(document.querySelectorAll("#map-places li"))
    .map(function (li) {
      return {
        lat: parseFloat(li.dataset.lat), lon: parseFloat(li.dataset.lon),
        label: li.dataset.label || "", href: li.dataset.href || "", kind: li.dataset.kind || ""
      };
    })
    .filter(function (p) { return isFinite(p.lat) && isFinite(p.lon); });

  var map = L.map(element, { worldCopyJump: true, attributionControl: !!element.dataset.tileUrl });
  element.classList.add("map-ready");
  if (element.dataset.tileUrl) {
    L.tileLayer(element.dataset.tileUrl, { maxZoom: 19 }).addTo(map);
  } else {
    element.classList.add("map-plain");
  }

  var markers = places.map(function (p) {
    var marker = L.circleMarker([p.lat, p.lon], {
      radius: 7, weight: 2, color: p.kind === "incident" ? "#a4161a" : "#0b5cad", fillOpacity: 0.6
    });
    var link = document.createElement("a");  // text, never markup: labels come from the case
    link.href = p.href;
    link.textContent = p.label;
    marker.bindPopup(link);
    return marker.addTo(map);
  });
  if (markers.length) {
    map.fitBounds(L.featureGroup(markers).getBounds().pad(0.3), { maxZoom: 14 });
  } else {
    map.setView([20, 0], 2);
  }

  var graticule = L.layerGroup().addTo(map);
  function step(span) {
    var steps = [30, 10, 5, 2, 1, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001];
    for (var i = 0; i < steps.length; i++) { if (span / steps[i] >= 4) { return steps[i]; } }
    return steps[steps.length - 1];
  }
  function drawGraticule() {
    graticule.clearLayers();
    var b = map.getBounds();
    var south = Math.max(b.getSouth(), -85), north = Math.min(b.getNorth(), 85);
    var d = step(Math.min(north - south, b.getEast() - b.getWest()));
    var style = { color: "#8a96a3", weight: 1, opacity: 0.6, interactive: false };
    for (var lat = Math.ceil(south / d) * d; lat <= north; lat += d) {
      L.polyline([[lat, b.getWest()], [lat, b.getEast()]], style).addTo(graticule);
    }
    for (var lon = Math.ceil(b.getWest() / d) * d; lon <= b.getEast(); lon += d) {
      L.polyline([[south, lon], [north, lon]], style).addTo(graticule);
    }
  }
  map.on("moveend", drawGraticule);
  drawGraticule();
})();
