/* The crime map: enhances the server-rendered page (which works without this script).
 * Reads its settings from data-* attributes on #crime-map; talks only to /map/... endpoints.
 * No inline scripts and no eval, so it runs under a strict Content-Security-Policy. */
(function () {
  "use strict";

  var mapElement = document.getElementById("crime-map");
  if (!mapElement || typeof L === "undefined") {
    return;
  }

  var settings = mapElement.dataset;
  var state = {
    force: settings.force,
    month: settings.month,
    category: settings.category,
    area: settings.area || ""
  };
  var filtersForm = document.getElementById("filters");
  var monthSelect = document.getElementById("month");
  var categorySelect = document.getElementById("category");
  var figuresPanel = document.getElementById("figures-panel");
  var mapStatus = document.getElementById("map-status");
  var categoryNames = {};
  Array.prototype.forEach.call(categorySelect.options, function (option) {
    categoryNames[option.value] = option.textContent;
  });

  // ------------------------------------------------------------------ map

  var map = L.map(mapElement, { zoomSnap: 1, minZoom: 7, maxZoom: 18 });
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  map.attributionControl.addAttribution(
    'Crimes: <a href="https://data.police.uk/">data.police.uk</a>, ' +
    '<a href="https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/">OGL v3.0</a>'
  );
  if (settings.tileUrl) {
    L.tileLayer(settings.tileUrl, { attribution: settings.tileAttribution, maxZoom: 19 }).addTo(map);
  } else {
    mapElement.classList.add("crime-map--no-tiles");
  }
  // Boundaries under the crime markers, markers under popups.
  map.createPane("boundaries").style.zIndex = 350;

  var districtLayer = L.layerGroup().addTo(map);
  var neighbourhoodLayer = L.layerGroup().addTo(map);
  var pointLayer = L.layerGroup().addTo(map);
  var layersByCode = {};
  var places = []; // {code, name, level, parentName}

  var neighbourhoodStyle = {
    pane: "boundaries", color: "#14325c", weight: 1.2, opacity: 0.75,
    fillColor: "#14325c", fillOpacity: 0.04
  };
  var selectedStyle = { color: "#b42318", weight: 3.5, opacity: 1, fillColor: "#ffd028", fillOpacity: 0.18 };

  function styleFor(feature) {
    var style = L.extend({}, neighbourhoodStyle);
    if (feature.properties.approximate) {
      style.dashArray = "4 4";
    }
    return style;
  }

  function loadBoundaries() {
    return fetch(settings.boundariesUrl, { headers: { Accept: "application/geo+json" } })
      .then(checkResponse)
      .then(function (response) { return response.json(); })
      .then(function (collection) {
        var names = {};
        collection.features.forEach(function (feature) { names[feature.properties.code] = feature.properties.name; });
        collection.features.forEach(function (feature) {
          var p = feature.properties;
          places.push({ code: p.code, name: p.name, level: p.level, parentName: names[p.parent_code] || "" });
          if (!feature.geometry) {
            return;
          }
          if (p.level === "district") {
            var outline = L.geoJSON(feature, {
              pane: "boundaries", interactive: false,
              style: { color: "#14325c", weight: 2.5, opacity: 0.9, fill: false }
            });
            outline.addTo(districtLayer);
            layersByCode[p.code] = outline;
            var centre = outline.getBounds().getCenter();
            L.tooltip({ permanent: true, direction: "center", className: "area-label", interactive: false })
              .setLatLng(centre).setContent(escapeText(p.name)).addTo(districtLayer);
            return;
          }
          var shape = L.geoJSON(feature, { style: styleFor });
          shape.bindTooltip(escapeText(p.name) + (p.approximate ? " (approximate boundary)" : ""), { sticky: true });
          shape.on("click", function (event) {
            L.DomEvent.stopPropagation(event);
            selectArea(p.code, { fit: false, focus: false });
          });
          shape.addTo(neighbourhoodLayer);
          shape.eachLayer(function (polygon) {
            var path = polygon.getElement();
            if (path) {
              path.setAttribute("data-area-code", p.code);
            }
          });
          layersByCode[p.code] = shape;
        });
        var bounds = L.latLngBounds([]);
        neighbourhoodLayer.eachLayer(function (layer) { bounds.extend(layer.getBounds()); });
        return bounds;
      });
  }

  // ------------------------------------------------------------------ crime markers

  var pointsRequest = null;

  function markerSize(count) {
    return Math.round(24 + Math.min(16, Math.sqrt(count) * 0.9));
  }

  function shortCount(count) {
    return count >= 10000 ? Math.round(count / 1000) + "k" : count >= 1000 ? (count / 1000).toFixed(1) + "k" : String(count);
  }

  function loadPoints() {
    if (pointsRequest) {
      pointsRequest.abort();
    }
    pointsRequest = new AbortController();
    var zoom = map.getZoom();
    var query = new URLSearchParams({
      month: state.month,
      category: state.category,
      zoom: String(zoom),
      bbox: map.getBounds().pad(0.25).toBBoxString()
    });
    setStatus("Loading crimes…");
    mapElement.dataset.pointsLoading = "true";
    return fetch(settings.pointsUrl + "?" + query.toString(), { signal: pointsRequest.signal })
      .then(checkResponse)
      .then(function (response) { return response.json(); })
      .then(function (data) {
        pointLayer.clearLayers();
        var byPoint = data.grouping === "map-point";
        data.points.forEach(function (point) { pointLayer.addLayer(pointMarker(point, byPoint)); });
        mapElement.dataset.pointsShown = String(data.points.length);
        mapElement.dataset.pointsBbox = query.get("bbox");
        var what = state.category === "all-crime" ? "crimes" : categoryNames[state.category].toLowerCase() + " crimes";
        var message = data.total.toLocaleString("en-GB") + " " + what + " in " + monthName(state.month) + " in this view";
        if (data.unlocated) {
          message += "; " + data.unlocated.toLocaleString("en-GB") + " more were published without a location";
        }
        setStatus(message + ".");
        mapElement.dataset.pointsLoading = "false";
      })
      .catch(function (error) {
        if (error.name !== "AbortError") {
          setStatus("Could not load crimes: " + error.message);
          mapElement.dataset.pointsLoading = "false";
        }
      });
  }

  function pointMarker(point, byPoint) {
    var count = point[2];
    var size = markerSize(count);
    var marker = L.marker([point[0], point[1]], {
      keyboard: false, // hundreds of tab stops help nobody; the figures panel carries the same counts
      title: count + (count === 1 ? " crime" : " crimes"),
      icon: L.divIcon({
        className: "crime-cluster" + (byPoint ? " crime-cluster--point" : ""),
        html: shortCount(count),
        iconSize: [size, size]
      })
    });
    if (byPoint) {
      marker.bindPopup(function () { return pointPopup(point); });
    } else {
      marker.on("click", function () { map.setView(marker.getLatLng(), Math.min(map.getZoom() + 2, 18)); });
    }
    return marker;
  }

  function pointPopup(point) {
    var box = document.createElement("div");
    var heading = document.createElement("h3");
    heading.textContent = point[3] || "Map point";
    box.appendChild(heading);
    var list = document.createElement("ul");
    Object.keys(point[4]).sort().forEach(function (slug) {
      var item = document.createElement("li");
      item.textContent = (categoryNames[slug] || slug) + ": " + point[4][slug];
      list.appendChild(item);
    });
    box.appendChild(list);
    return box;
  }

  // ------------------------------------------------------------------ figures panel

  var figuresRequest = null;

  function selectArea(code, options) {
    options = options || {};
    if (figuresRequest) {
      figuresRequest.abort();
    }
    figuresRequest = new AbortController();
    highlight(code);
    state.area = code;
    updateAddress();
    var query = new URLSearchParams({ month: state.month, category: state.category });
    return fetch(settings.figuresUrl + encodeURIComponent(code) + "?" + query.toString(), { signal: figuresRequest.signal })
      .then(function (response) {
        return response.text().then(function (text) {
          if (!response.ok) {
            var detail = response.statusText;
            try { detail = JSON.parse(text).detail; } catch (ignored) { /* not JSON */ }
            throw new Error(detail);
          }
          return text;
        });
      })
      .then(function (html) {
        figuresPanel.innerHTML = html; // server-rendered template output, autoescaped
        if (options.fit && layersByCode[code]) {
          map.fitBounds(layersByCode[code].getBounds(), { maxZoom: 15, padding: [16, 16] });
        }
        var title = document.getElementById("figures-title");
        if (title) {
          announce("Figures for " + title.textContent + " are shown.");
          if (options.focus) {
            title.setAttribute("tabindex", "-1");
            title.focus();
          }
        }
        if (window.matchMedia("(max-width: 52rem)").matches) {
          figuresPanel.scrollIntoView({ block: "start" });
        }
      })
      .catch(function (error) {
        if (error.name !== "AbortError") {
          figuresPanel.textContent = "Could not load the figures: " + error.message;
        }
      });
  }

  var highlighted = null;

  function highlight(code) {
    if (highlighted && layersByCode[highlighted] && neighbourhoodLayer.hasLayer(layersByCode[highlighted])) {
      layersByCode[highlighted].resetStyle();
    }
    highlighted = null;
    var layer = layersByCode[code];
    if (layer && neighbourhoodLayer.hasLayer(layer)) {
      layer.setStyle(selectedStyle);
      layer.bringToFront();
      highlighted = code;
    }
  }

  figuresPanel.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-area-link]");
    if (link && !event.ctrlKey && !event.metaKey && !event.shiftKey) {
      event.preventDefault();
      selectArea(link.dataset.areaLink, { fit: true, focus: true });
    }
  });

  // ------------------------------------------------------------------ month and category

  function updateAddress() {
    var query = new URLSearchParams({ force: state.force, month: state.month, category: state.category });
    if (state.area) {
      query.set("area", state.area);
    }
    history.replaceState(null, "", "/?" + query.toString());
  }

  function applyFilters() {
    var monthChanged = monthSelect.value !== state.month;
    state.month = monthSelect.value;
    state.category = categorySelect.value;
    updateAddress();
    loadPoints();
    if (monthChanged && state.area) {
      selectArea(state.area, { fit: false, focus: false });
    } else {
      markChosenCategory();
    }
    var areaSearchMonth = document.querySelector("#area-search input[name=month]");
    if (areaSearchMonth) {
      areaSearchMonth.value = state.month;
    }
  }

  function markChosenCategory() {
    Array.prototype.forEach.call(figuresPanel.querySelectorAll(".figures-table tbody tr"), function (row) {
      row.classList.toggle("is-chosen", row.dataset.category === state.category);
    });
  }

  filtersForm.addEventListener("submit", function (event) {
    event.preventDefault();
    applyFilters();
  });
  monthSelect.addEventListener("change", applyFilters);
  categorySelect.addEventListener("change", applyFilters);
  var forceSelect = document.getElementById("force");
  if (forceSelect) {
    // Another force means other boundaries and months: let the server draw the page again.
    forceSelect.addEventListener("change", function () { filtersForm.submit(); });
  }

  // ------------------------------------------------------------------ neighbourhood search

  var searchForm = document.getElementById("area-search");
  var searchInput = document.getElementById("area-search-input");
  var optionsList = document.getElementById("area-search-options");
  var searchStatus = document.getElementById("area-search-status");
  var matches = [];
  var active = -1;
  var levelNames = { district: "District", neighbourhood: "Neighbourhood" };

  searchInput.setAttribute("role", "combobox");

  function findPlaces(text) {
    var words = text.toLowerCase().split(/\s+/).filter(Boolean);
    if (!words.length) {
      return [];
    }
    var wanted = text.trim().toLowerCase();
    return places
      .filter(function (place) {
        var haystack = (place.name + " " + place.code).toLowerCase();
        return words.every(function (word) { return haystack.indexOf(word) !== -1; });
      })
      .sort(function (a, b) {
        var aStarts = a.name.toLowerCase().indexOf(wanted) === 0 ? 0 : 1;
        var bStarts = b.name.toLowerCase().indexOf(wanted) === 0 ? 0 : 1;
        if (aStarts !== bStarts) { return aStarts - bStarts; }
        var aDistrict = a.level === "district" ? 0 : 1;
        var bDistrict = b.level === "district" ? 0 : 1;
        if (aDistrict !== bDistrict) { return aDistrict - bDistrict; }
        return a.name.localeCompare(b.name, "en-GB", { numeric: true });
      })
      .slice(0, 12);
  }

  function renderOptions() {
    optionsList.textContent = "";
    matches.forEach(function (place, index) {
      var option = document.createElement("li");
      option.id = "area-option-" + index;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", index === active ? "true" : "false");
      option.dataset.code = place.code;
      option.textContent = place.name;
      var level = document.createElement("span");
      level.className = "option-level";
      level.textContent = (levelNames[place.level] || place.level) + (place.parentName ? ", " + place.parentName : "");
      option.appendChild(level);
      option.addEventListener("mousedown", function (event) { event.preventDefault(); });
      option.addEventListener("click", function () { choose(index); });
      optionsList.appendChild(option);
    });
    var open = matches.length > 0;
    optionsList.hidden = !open;
    searchInput.setAttribute("aria-expanded", open ? "true" : "false");
    if (active >= 0) {
      searchInput.setAttribute("aria-activedescendant", "area-option-" + active);
      var current = document.getElementById("area-option-" + active);
      if (current) { current.scrollIntoView({ block: "nearest" }); }
    } else {
      searchInput.removeAttribute("aria-activedescendant");
    }
  }

  function closeOptions() {
    matches = [];
    active = -1;
    renderOptions();
  }

  function choose(index) {
    var place = matches[index];
    if (!place) { return; }
    searchInput.value = place.name;
    closeOptions();
    selectArea(place.code, { fit: true, focus: true });
  }

  searchInput.addEventListener("input", function () {
    matches = findPlaces(searchInput.value);
    active = -1;
    renderOptions();
    searchStatus.textContent = searchInput.value.trim()
      ? (matches.length ? matches.length + (matches.length === 1 ? " match" : " matches") + ", use the up and down arrows to choose" : "No matching neighbourhood")
      : "";
  });

  searchInput.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!matches.length) {
        matches = findPlaces(searchInput.value);
      }
      if (!matches.length) { return; }
      event.preventDefault();
      var step = event.key === "ArrowDown" ? 1 : -1;
      active = (active + step + matches.length) % matches.length;
      renderOptions();
    } else if (event.key === "Enter") {
      if (active >= 0 || matches.length === 1) {
        event.preventDefault();
        choose(active >= 0 ? active : 0);
      }
      // Otherwise the form submits to the server's search page.
    } else if (event.key === "Escape") {
      if (matches.length) {
        event.preventDefault();
        closeOptions();
      } else {
        searchInput.value = "";
      }
    }
  });

  searchInput.addEventListener("blur", function () { window.setTimeout(closeOptions, 150); });

  searchForm.addEventListener("submit", function (event) {
    var found = findPlaces(searchInput.value);
    if (found.length === 1) {
      event.preventDefault();
      matches = found;
      choose(0);
    }
  });

  // ------------------------------------------------------------------ helpers

  function checkResponse(response) {
    if (response.ok) {
      return response;
    }
    return response.json().then(
      function (body) { throw new Error(body.detail || response.statusText); },
      function () { throw new Error(response.statusText); }
    );
  }

  function announce(text) {
    searchStatus.textContent = text;
  }

  function setStatus(text) {
    mapStatus.textContent = text;
  }

  function escapeText(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span.innerHTML;
  }

  function monthName(month) {
    var parts = month.split("-");
    return new Date(Date.UTC(+parts[0], +parts[1] - 1, 1)).toLocaleDateString("en-GB", { month: "long", year: "numeric", timeZone: "UTC" });
  }

  // ------------------------------------------------------------------ start

  // The server sends the force's extent, so markers and boundaries load side by side.
  var forceBounds = (settings.bounds || "").split(",").map(Number);
  if (forceBounds.length === 4 && forceBounds.every(isFinite)) {
    map.fitBounds([[forceBounds[0], forceBounds[1]], [forceBounds[2], forceBounds[3]]], { padding: [8, 8], animate: false });
  } else {
    map.setView([54.0, -2.0], 7); // Great Britain, until the boundaries say where the force is
  }
  var firstPoints = loadPoints();
  map.on("moveend", loadPoints);
  var boundariesDrawn = loadBoundaries()
    .then(function (bounds) {
      // Without animation the view settles now, so the markers requested next are the final ones.
      if (state.area && layersByCode[state.area]) {
        highlight(state.area);
        map.fitBounds(layersByCode[state.area].getBounds(), { maxZoom: 15, padding: [16, 16], animate: false });
      } else if (!settings.bounds && bounds.isValid()) {
        map.fitBounds(bounds, { padding: [8, 8], animate: false });
      }
    })
    .catch(function (error) {
      setStatus("Could not load neighbourhood boundaries: " + error.message);
    });
  Promise.all([firstPoints, boundariesDrawn]).then(function () {
    mapElement.dataset.ready = "true";
  });
})();
