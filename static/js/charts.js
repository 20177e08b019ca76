// Draws every element with a data-figure attribute using plotly.js (loaded before this file).
// No inline scripts: figures travel as JSON in the page, so a strict CSP holds.
(function () {
  "use strict";

  var dark = window.matchMedia("(prefers-color-scheme: dark)");
  var phone = window.matchMedia("(max-width: 640px)");

  function themed(layout) {
    var isDark = dark.matches;
    var fg = isDark ? "#e5e7eb" : "#1f2937";
    var grid = isDark ? "#374151" : "#e5e7eb";
    layout.paper_bgcolor = "rgba(0,0,0,0)";
    layout.plot_bgcolor = "rgba(0,0,0,0)";
    layout.font = Object.assign({}, layout.font, { color: fg, family: "system-ui, sans-serif" });
    // Every axis, including a chart's second axis or panel (yaxis3, yaxis4).
    Object.keys(layout).forEach(function (axis) {
      if (/^[xy]axis\d*$/.test(axis)) {
        layout[axis] = Object.assign({}, layout[axis], { gridcolor: grid, zerolinecolor: grid });
      }
    });
    (layout.shapes || []).forEach(function (shape) {
      if (shape.line) { shape.line.color = isDark ? "#9ca3af" : "#6b7280"; }
    });
    return layout;
  }

  function recolourTotals(data) {
    // The company total is drawn in the text colour so it stays visible in dark mode.
    var isDark = dark.matches;
    data.forEach(function (trace) {
      if (trace.line && trace.line.color === "#111827") { trace.line.color = isDark ? "#f9fafb" : "#111827"; }
      if (trace.marker && trace.marker.color === "#111827") { trace.marker.color = isDark ? "#f9fafb" : "#111827"; }
    });
    return data;
  }

  // The server sends each distinct provenance note once (figure.notes) and, per point, its index in
  // customdata (or [value, index] for series drawn below the axis); hovertemplate shows the text.
  function expandNotes(figure) {
    var notes = figure.notes;
    if (!notes) { return; }
    figure.data.forEach(function (trace) {
      if (!trace.customdata) { return; }
      trace.customdata = trace.customdata.map(function (ref) {
        return Array.isArray(ref) ? [ref[0], notes[ref[1]]] : notes[ref];
      });
    });
  }

  // On a phone the mode bar would sit on the plot itself: none there (the CSV and table links under each
  // chart remain); elsewhere only the PNG download. Built once: every chart gets the same object.
  var CONFIG_PHONE = { responsive: true, displayModeBar: false };
  var CONFIG_WIDE = { responsive: true, displaylogo: false, modeBarButtons: [["toImage"]] };

  function draw(el) {
    var figure;
    try {
      figure = JSON.parse(el.getAttribute("data-figure"));
    } catch (err) {
      el.textContent = "This chart could not be read.";
      return;
    }
    expandNotes(figure);
    var config = phone.matches ? CONFIG_PHONE : CONFIG_WIDE;
    el.setAttribute("data-drawing", "true");
    // User Timing marks: each chart's draw shows in the browser's performance panel (and in bench.browser).
    performance.mark("chart-draw", { detail: el.id });
    window.Plotly.react(el, recolourTotals(figure.data), themed(figure.layout), config).then(function () {
      el.setAttribute("data-drawn", "true");
      performance.mark("chart-drawn", { detail: el.id });
    });
  }

  // Draw what is seen: a chart is drawn when it comes within 200 px of the viewport, so a ten-chart page
  // costs the browser one or two charts before it is usable, and the rest as the reader scrolls. Each
  // chart's box has its final height before it is drawn (app.css), so nothing moves when one appears.
  // A chart in the viewport is drawn before any other: one only near it waits until the browser has painted
  // (a chart costs a few hundred milliseconds on a slow phone; the reader should not wait for one unseen).
  var observer = null;

  function inView(box) {
    return box.top < window.innerHeight && box.bottom > 0;
  }

  function afterPaint(callback) {
    requestAnimationFrame(function () { setTimeout(callback, 0); });
  }

  function drawSoon(charts) {
    if (charts.length) { afterPaint(function () { charts.forEach(draw); }); }
  }

  function intersecting(entries) {
    var near = [];
    entries.forEach(function (entry) {
      if (!entry.isIntersecting) { return; }
      observer.unobserve(entry.target);
      if (inView(entry.boundingClientRect)) { draw(entry.target); } else { near.push(entry.target); }
    });
    drawSoon(near);
  }

  function start() {
    if (!window.Plotly) { return; }
    var charts = Array.prototype.slice.call(document.querySelectorAll("[data-figure]"));
    if (!("IntersectionObserver" in window)) {
      charts.forEach(draw);
      return;
    }
    // The charts of the first screen are drawn now rather than at the observer's first report, which
    // comes only after the browser has laid out and painted the page once more. Every box is measured
    // before the first draw: measuring after one would lay the page out again.
    var boxes = charts.map(function (el) { return el.getBoundingClientRect(); });
    observer = new IntersectionObserver(intersecting, { rootMargin: "200px 0px" });
    charts.forEach(function (el, i) {
      if (inView(boxes[i])) { draw(el); } else { observer.observe(el); }
    });
  }

  function redrawDrawn() {
    // A theme change repaints the charts already drawn; the others pick the theme up when they are drawn.
    if (!window.Plotly) { return; }
    document.querySelectorAll("[data-figure][data-drawing]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", start);
  dark.addEventListener("change", redrawDrawn);
})();
