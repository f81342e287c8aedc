/* Prediction pages' map: forecast hotspot cells or a patrol plan, drawn with Leaflet.
 * Reads its settings from data-* attributes on #predict-map; fetches one GeoJSON URL. */
(function () {
  "use strict";
  var mapElement = document.getElementById("predict-map");
  if (!mapElement || typeof L === "undefined") { return; }
  var settings = mapElement.dataset;
  var status = document.getElementById("predict-map-status");
  var map = L.map(mapElement, { zoomSnap: 1, minZoom: 8, maxZoom: 18 });
  if (settings.tileUrl) {
    L.tileLayer(settings.tileUrl, { maxZoom: 19 }).addTo(map);
  } else {
    mapElement.classList.add("predict-map--no-tiles");
  }

  function say(text) { if (status) { status.textContent = text; } }

  function shade(value, peak) {
    // 0..1 share of the peak -> opacity from faint to strong, so the riskiest cells stand out.
    var share = peak > 0 ? Math.sqrt(value / peak) : 0;
    return 0.25 + 0.7 * share;
  }

  function escapeText(text) {
    var span = document.createElement("span");
    span.textContent = String(text);
    return span.innerHTML;
  }

  function forecastLayer(data) {
    var peak = 0;
    data.features.forEach(function (f) { peak = Math.max(peak, f.properties.expected); });
    return L.geoJSON(data, {
      style: function (f) {
        var p = f.properties;
        return { color: p.flagged ? "#7a1710" : "#14325c", weight: 1,
                 fillColor: p.flagged ? "#b42318" : "#0b5cad", fillOpacity: shade(p.expected, peak) };
      },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        layer.bindTooltip("Cell " + p.cell_id + " · " + escapeText(p.neighbourhood || "outside") +
          "<br>" + p.expected.toFixed(2) + " " + (settings.unit === "harm" ? "harm" : "crimes") + " expected · rank " + p.rank);
        layer.on("add", function () {
          var path = layer.getElement();
          if (path) { path.setAttribute("data-cell", p.cell_id); path.classList.add("predict-cell"); }
        });
      }
    });
  }

  function patrolLayer(data) {
    var peak = 1;
    data.features.forEach(function (f) { peak = Math.max(peak, f.properties.visits); });
    return L.geoJSON(data, {
      style: function (f) {
        var p = f.properties;
        if (p.visits > 0) {
          return { color: "#1e6b34", weight: 1, fillColor: "#1e6b34", fillOpacity: shade(p.visits, peak) };
        }
        return { color: "#7a1710", weight: 1, dashArray: "3 3", fillColor: "#ffffff", fillOpacity: 0.2 };
      },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        layer.bindTooltip("Hotspot " + escapeText(p.hotspot) + " · " + escapeText(p.neighbourhood) +
          "<br>" + p.visits + " visit(s) in this plan, " + p.naive_visits + " in the naive plan" +
          "<br>harm " + p.harm.toFixed(1) + ", prevented " + p.expected_harm_prevented.toFixed(1));
        layer.on("add", function () {
          var path = layer.getElement();
          if (path) { path.setAttribute("data-hotspot", p.hotspot); path.classList.add(p.visits > 0 ? "predict-visit" : "predict-naive"); }
        });
      }
    });
  }

  function drawAreas() {
    // Neighbourhood outlines with their names: the only context when there are no map tiles.
    if (!settings.areasUrl) { return; }
    fetch(settings.areasUrl, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (areas) {
        if (!areas) { return; }
        var outlines = L.geoJSON(areas, {
          interactive: false,
          style: function () { return { color: "#4a535e", weight: 1, fill: false, dashArray: "4 4" }; },
          onEachFeature: function (f, layer) {
            var name = (f.properties && f.properties.name) || "";
            L.tooltip({ permanent: true, direction: "center", className: "predict-area-label", interactive: false })
              .setLatLng(layer.getBounds().getCenter()).setContent(escapeText(name)).addTo(map);
          }
        });
        outlines.addTo(map);
        outlines.bringToBack();
      })
      .catch(function () { /* outlines are context only; the cells still show */ });
  }

  say("Loading the map…");
  drawAreas();
  fetch(settings.geojsonUrl, { credentials: "same-origin", headers: { Accept: "application/geo+json, application/json" } })
    .then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) { throw new Error(body.detail || ("HTTP " + response.status)); }
        return body;
      });
    })
    .then(function (data) {
      var layer = settings.kind === "patrols" ? patrolLayer(data) : forecastLayer(data);
      layer.addTo(map);
      if (data.features.length) {
        map.fitBounds(layer.getBounds(), { padding: [16, 16] });
      } else {
        map.setView([53.8, -1.55], 11);
      }
      mapElement.dataset.shown = String(data.features.length);
      mapElement.dataset.ready = "true";
      say(settings.kind === "patrols" ? data.features.length + " hotspots on the map" :
          data.features.length + " cells on the map");
    })
    .catch(function (error) {
      map.setView([53.8, -1.55], 11);
      mapElement.dataset.ready = "error";
      say("The map could not load: " + error.message);
    });
}());
