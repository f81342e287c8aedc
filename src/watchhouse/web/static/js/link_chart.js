// Link chart: people, events, cases, objects and addresses as an SVG network.
// A small force layout (no library); selecting a linked person fetches their chart and merges it.
(function () {
  "use strict";
  var container = document.getElementById("link-chart");
  if (!container) return;
  var SVG = "http://www.w3.org/2000/svg";
  var COLOURS = { person: "#14325c", event: "#b42318", case: "#1e6b34", object: "#6b4e16", location: "#4a535e" };
  var width = container.clientWidth || 640, height = 420;
  var nodes = [], edges = [], byId = {}, expanded = {};
  var purpose = container.getAttribute("data-purpose") || "";

  function merge(graph) {
    graph.nodes.forEach(function (n) {
      if (byId[n.id]) return;
      var anchor = nodes.length ? nodes[0] : null;
      n.x = (anchor ? anchor.x : width / 2) + (Math.random() - 0.5) * 120;
      n.y = (anchor ? anchor.y : height / 2) + (Math.random() - 0.5) * 120;
      n.vx = 0; n.vy = 0;
      byId[n.id] = n; nodes.push(n);
    });
    graph.edges.forEach(function (e) {
      if (byId[e.source] && byId[e.target]) edges.push({ source: byId[e.source], target: byId[e.target], role: e.role });
    });
  }

  function layout(steps) {
    for (var s = 0; s < steps; s++) {
      var cool = 1 - s / steps;
      for (var i = 0; i < nodes.length; i++) {
        for (var j = i + 1; j < nodes.length; j++) {
          var a = nodes[i], b = nodes[j], dx = a.x - b.x, dy = a.y - b.y;
          var d2 = dx * dx + dy * dy + 0.01, f = 1800 / d2;
          a.vx += dx * f; a.vy += dy * f; b.vx -= dx * f; b.vy -= dy * f;
        }
      }
      edges.forEach(function (e) {
        var dx = e.target.x - e.source.x, dy = e.target.y - e.source.y;
        var d = Math.sqrt(dx * dx + dy * dy) || 1, f = (d - 90) * 0.02;
        e.source.vx += dx / d * f * d * 0.05; e.source.vy += dy / d * f * d * 0.05;
        e.target.vx -= dx / d * f * d * 0.05; e.target.vy -= dy / d * f * d * 0.05;
      });
      nodes.forEach(function (n) {
        n.vx += (width / 2 - n.x) * 0.002; n.vy += (height / 2 - n.y) * 0.002;
        if (n.centre) { n.vx = 0; n.vy = 0; n.x = width / 2; n.y = height / 2; }
        n.x += Math.max(-20, Math.min(20, n.vx)) * cool; n.y += Math.max(-20, Math.min(20, n.vy)) * cool;
        n.vx *= 0.5; n.vy *= 0.5;
        // Keep room on the right for labels.
        n.x = Math.max(30, Math.min(width - 120, n.x));
        n.y = Math.max(20, Math.min(height - 20, n.y));
      });
    }
  }

  function el(name, attrs, text) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }

  function draw() {
    container.textContent = "";
    var svg = el("svg", { viewBox: "0 0 " + width + " " + height, width: "100%", height: height, "class": "link-chart__svg" });
    edges.forEach(function (e) {
      svg.appendChild(el("line", { x1: e.source.x, y1: e.source.y, x2: e.target.x, y2: e.target.y, "class": "link-chart__edge" }));
      svg.appendChild(el("text", { x: (e.source.x + e.target.x) / 2, y: (e.source.y + e.target.y) / 2 - 3, "class": "link-chart__role" }, e.role));
    });
    nodes.forEach(function (n) {
      var expandable = n.kind === "person" && n.master_id && !n.centre && !expanded[n.id];
      var g = el("g", { "class": "link-chart__node link-chart__node--" + n.kind + (expandable ? " link-chart__node--expandable" : ""),
                        transform: "translate(" + n.x + "," + n.y + ")" });
      g.appendChild(el("circle", { r: n.centre ? 14 : 9, fill: COLOURS[n.kind] || "#333" }));
      g.appendChild(el("text", { x: 13, y: 4 }, n.label));
      g.appendChild(el("title", {}, n.kind + ": " + n.label + (expandable ? " (select to expand)" : "")));
      if (expandable) {
        g.setAttribute("tabindex", "0");
        g.setAttribute("role", "button");
        g.setAttribute("aria-label", "Expand " + n.label);
        g.addEventListener("click", function () { expand(n); });
        g.addEventListener("keydown", function (ev) { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); expand(n); } });
      }
      svg.appendChild(g);
    });
    container.appendChild(svg);
  }

  function expand(node) {
    expanded[node.id] = true;
    fetch("/people/" + node.master_id + "/graph.json?purpose=" + encodeURIComponent(purpose), { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (graph) {
        graph.nodes.forEach(function (n) { n.centre = false; });
        merge(graph); layout(150); draw();
      })
      .catch(function () { node.label += " (not available)"; draw(); });
  }

  var graph = JSON.parse(container.getAttribute("data-graph"));
  merge(graph);
  layout(300);
  draw();
  container.setAttribute("data-ready", "true");
})();
