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

  // The horizontal legend under a chart. Plotly lays it out only once it has drawn it; when it does not fit
  // the bottom margin it was given, Plotly grows the margin and draws the legend again at the new size
  // (with the ten sites of a large company, 40 px grew to 187). So the margin it needs is worked out here
  // first, with Plotly's own rules for a legend under the plot (plotly.js 4, src/components/legend/draw.js):
  // each entry is the symbol (40 px) and its text, 5 px apart; when all do not fit on one row every entry
  // takes the widest one's width, so they line up in columns; a row is max(1.3 x font size, 16) + 3 px tall;
  // the legend has 5 px of padding above and below, is cut at half the chart's height (it scrolls beyond)
  // and asks for 12 px more margin below itself. The texts are measured on a canvas, which lays nothing out.
  // If the estimate ever falls short, Plotly still grows the margin: the chart is right, only drawn slower.
  var LEGEND_GAP = 30;  // from the x-axis line to the legend's top: the date labels (16 px) and some air
  var LEGEND_ENTRY = 40;
  var LEGEND_ITEM_GAP = 5;
  var LEGEND_PAD = 2 * LEGEND_ITEM_GAP;
  var LEGEND_MARGIN_PAD = 12;
  var canvas = null;

  function textWidth(text, font) {
    canvas = canvas || document.createElement("canvas");
    var context = canvas.getContext("2d");
    context.font = font;
    // One pixel of slack per entry: the canvas and the SVG text can round a fraction apart, and an entry
    // that Plotly finds a pixel wider could start a row the estimate did not count.
    return Math.ceil(context.measureText(text).width) + 1;
  }

  function legendHeight(names, layout, plotWidth) {
    var font = Object.assign({}, layout.font, layout.legend.font);
    var size = font.size || 12;
    var css = size + "px " + (font.family || "sans-serif");
    var entries = names.map(function (name) {
      var lines = String(name).split(/<br\s*\/?>/i);
      var widest = Math.max.apply(null, lines.map(function (line) { return textWidth(line, css); }));
      return { width: LEGEND_ENTRY + widest, height: Math.max(size * 1.3 * lines.length, 16) + 3 };
    });
    var total = entries.reduce(function (sum, e) { return sum + e.width; }, 0);
    var widest = Math.max.apply(null, entries.map(function (e) { return e.width; }));
    var oneRow = total + (entries.length - 1) * LEGEND_ITEM_GAP < plotWidth;
    var height = 0;
    var row = 0;
    var x = 0;
    entries.forEach(function (e) {
      var width = (oneRow ? e.width : widest) + LEGEND_ITEM_GAP;
      if (width + x - LEGEND_ITEM_GAP >= plotWidth) {
        height += row;
        row = 0;
        x = 0;
      }
      x += width;
      row = Math.max(row, e.height);
    });
    return Math.ceil(height + row + LEGEND_PAD);
  }

  // Gives a horizontal legend under the plot the bottom margin it will take, and puts it LEGEND_GAP px under
  // the x axis (the server's position is a fraction of the plot's height: right for no height in particular).
  // Each chart's bottom margin as the server laid it out: the least it gets (el.layout, which refit works on,
  // holds the reservation made for an earlier width).
  var serverBottom = new WeakMap();

  function reserveLegend(el, layout, data, box) {
    var legend = layout.legend;
    var margin = layout.margin;
    if (!legend || legend.orientation !== "h" || !(legend.y < 0) || !margin || !box.width || !box.height) {
      return;
    }
    if (!serverBottom.has(el)) { serverBottom.set(el, margin.b); }
    var names = data
      .filter(function (t) { return t.showlegend !== false && t.visible !== false; })
      .map(function (t) { return t.name; });
    // Plotly shows no legend for a single entry unless told to.
    if (layout.showlegend === false || (layout.showlegend !== true && names.length < 2)) { return; }
    var plotWidth = Math.max(box.width - margin.l - margin.r, 2 * LEGEND_ENTRY);
    var height = Math.min(legendHeight(names, layout, plotWidth), Math.max(box.height / 2, 30));
    var bottom = Math.max(serverBottom.get(el), LEGEND_GAP + height + LEGEND_MARGIN_PAD);
    layout.margin = Object.assign({}, margin, { b: bottom });
    layout.legend = Object.assign({}, legend, { y: -LEGEND_GAP / (box.height - margin.t - bottom) });
  }

  // `box`: the chart's size, measured with the others before any is drawn (measuring it here, after another
  // chart's draw, would lay the page out again).
  function draw(el, box) {
    var figure;
    try {
      figure = JSON.parse(el.getAttribute("data-figure"));
    } catch (err) {
      el.textContent = "This chart could not be read.";
      return;
    }
    expandNotes(figure);
    // Themed first: the legend is measured in the font the chart is drawn in.
    var layout = themed(figure.layout);
    reserveLegend(el, layout, figure.data, box || el.getBoundingClientRect());
    var config = phone.matches ? CONFIG_PHONE : CONFIG_WIDE;
    el.setAttribute("data-drawing", "true");
    // User Timing marks: each chart's draw shows in the browser's performance panel (and in bench.browser).
    performance.mark("chart-draw", { detail: el.id });
    window.Plotly.react(el, recolourTotals(figure.data), layout, config).then(function () {
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
    if (charts.length) {
      afterPaint(function () { charts.forEach(function (entry) { draw(entry.target, entry.boundingClientRect); }); });
    }
  }

  function intersecting(entries) {
    var near = [];
    entries.forEach(function (entry) {
      if (!entry.isIntersecting) { return; }
      observer.unobserve(entry.target);
      if (inView(entry.boundingClientRect)) { draw(entry.target, entry.boundingClientRect); } else { near.push(entry); }
    });
    drawSoon(near);
  }

  function start() {
    if (!window.Plotly) { return; }
    var charts = Array.prototype.slice.call(document.querySelectorAll("[data-figure]"));
    if (!("IntersectionObserver" in window)) {
      charts.forEach(function (el) { draw(el); });
      return;
    }
    // The charts of the first screen are drawn now rather than at the observer's first report, which
    // comes only after the browser has laid out and painted the page once more. Every box is measured
    // before the first draw: measuring after one would lay the page out again.
    var boxes = charts.map(function (el) { return el.getBoundingClientRect(); });
    observer = new IntersectionObserver(intersecting, { rootMargin: "200px 0px" });
    charts.forEach(function (el, i) {
      if (inView(boxes[i])) { draw(el, boxes[i]); } else { observer.observe(el); }
    });
  }

  function redrawDrawn() {
    // A theme change repaints the charts already drawn; the others pick the theme up when they are drawn.
    if (!window.Plotly) { return; }
    document.querySelectorAll("[data-figure][data-drawing]").forEach(function (el) { draw(el); });
  }

  // A drawn chart follows the window's size (config.responsive: Plotly redraws it 100 ms after the last
  // resize, from el.layout). Its legend may now take more or fewer rows: the reservation is redone in
  // el.layout before that redraw, or a wider chart would keep the taller margin as an empty band.
  // When the chart's height changes too (app.css: 320 px on a phone, 380 px wider), Plotly's redraw places
  // the legend for the old height (up to 60 px too high, over the date labels, with or without the
  // reservation): the legend alone is placed again once that redraw is done.
  var replacing = new WeakSet();

  function refit() {
    document.querySelectorAll("[data-figure][data-drawn]").forEach(function (el) {
      if (!el.layout || !el.data || !el._fullLayout) { return; }
      var box = el.getBoundingClientRect();
      reserveLegend(el, el.layout, el.data, box);
      if (el.layout.legend && box.height !== el._fullLayout.height && !replacing.has(el)) {
        replacing.add(el);
        el.once("plotly_relayout", function () {
          replacing.delete(el);
          window.Plotly.relayout(el, { "legend.y": el.layout.legend.y });
        });
      }
    });
  }

  document.addEventListener("DOMContentLoaded", start);
  window.addEventListener("resize", refit);
  dark.addEventListener("change", redrawDrawn);
})();
