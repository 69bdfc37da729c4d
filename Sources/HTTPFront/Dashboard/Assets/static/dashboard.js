// Switchboard dashboard: moves the overview's charts and counters with the server's
// Server-Sent Events (/dashboard/events, one point a second). No framework, no build step.
"use strict";
(function () {
  const charts = document.getElementById("charts");
  if (!charts || !window.EventSource) return;
  const WIDTH = 300, HEIGHT = 80, KEEP = 120;
  const history = {}; // chart key -> series name -> values

  function draw(figure, key) {
    const svg = figure.querySelector("svg");
    const legend = figure.querySelector(".legend");
    const series = history[key];
    let peak = 1e-9;
    for (const name in series) for (const v of series[name]) peak = Math.max(peak, v);
    let index = 0;
    for (const name of Object.keys(series).sort()) {
      let line = svg.querySelector('polyline[data-series="' + CSS.escape(name) + '"]');
      if (!line) {
        line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
        line.setAttribute("data-series", name);
        svg.appendChild(line);
        const item = document.createElement("li");
        item.setAttribute("data-legend", name);
        item.textContent = name + " ";
        item.appendChild(document.createElement("b")).setAttribute("data-current", "");
        legend.appendChild(item);
      }
      line.setAttribute("class", "series-" + (index % 6));
      const item = legend.querySelector('li[data-legend="' + CSS.escape(name) + '"]');
      item.setAttribute("class", "series-" + (index % 6));
      index += 1;
      const values = series[name];
      const step = values.length > 1 ? WIDTH / (values.length - 1) : 0;
      line.setAttribute("points", values.map((v, i) => (i * step).toFixed(1) + "," + (HEIGHT - 2 - (v / peak) * (HEIGHT - 4)).toFixed(1)).join(" "));
      item.querySelector("[data-current]").textContent = format(values[values.length - 1] || 0);
    }
    figure.querySelector("[data-peak]").textContent = format(peak < 1e-6 ? 0 : peak);
  }

  function format(v) { return v < 10 ? v.toFixed(2) : v.toFixed(0); }

  const source = new EventSource(charts.dataset.events);
  source.addEventListener("point", function (event) {
    const point = JSON.parse(event.data);
    for (const figure of charts.querySelectorAll("figure[data-chart]")) {
      const key = figure.dataset.chart;
      const values = point[key] || {};
      const series = history[key] || (history[key] = {});
      const length = Object.values(series).reduce((n, s) => Math.max(n, s.length), 0);
      for (const name in values) if (!series[name]) series[name] = new Array(length).fill(0);
      for (const name in series) {
        series[name].push(values[name] || 0);
        if (series[name].length > KEEP) series[name].shift();
      }
      draw(figure, key);
    }
    for (const state in point.depth) {
      const counter = document.querySelector('[data-counter="' + state + '"]');
      if (counter) counter.textContent = String(point.depth[state]);
    }
    const sampled = document.getElementById("sampled");
    if (sampled) sampled.textContent = new Date(point.at * 1000).toISOString().replace("T", " ").slice(0, 19) + " UTC";
  });
})();
