// Live totals of the monthly entry form, recomputed as the editor types (the server computes them again
// on save). Exact decimal arithmetic with BigInt, so 0.1 + 0.2 shows 0.3. No inline script: CSP holds.
(function () {
  "use strict";

  var form = document.getElementById("month-form");
  if (!form) { return; }
  var DIGITS = 12;
  var SCALE = 10n ** BigInt(DIGITS);
  var NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
  // Thousands separators as the server reads them (app/domain/numbers.py): one kind per number, groups of three.
  var GROUPED = /^[+-]?\d{1,3}([,\u0020\u00a0\u202f])\d{3}(\1\d{3})*(\.\d*)?$/;

  function parse(text) {
    text = (text || "").trim().replace(/\u2212/g, "-");
    // A leading $ (USD figures) and a trailing % (percentages) decorate the number.
    text = text.replace(/^([+-]?)\s*\$\s*/, "$1").replace(/\s*%$/, "");
    if (GROUPED.test(text)) { text = text.replace(/[,\u0020\u00a0\u202f]/g, ""); }
    if (!NUMBER.test(text)) { return null; }
    var negative = text.charAt(0) === "-";
    text = text.replace(/^[+-]/, "");
    var parts = text.split(".");
    var frac = (parts[1] || "").slice(0, DIGITS);
    if ((parts[1] || "").length > DIGITS) { return null; }
    while (frac.length < DIGITS) { frac += "0"; }
    var value = BigInt(parts[0] || "0") * SCALE + BigInt(frac || "0");
    return negative ? -value : value;
  }

  function format(value) {
    if (value === null) { return "—"; }
    var negative = value < 0n;
    var abs = negative ? -value : value;
    var whole = (abs / SCALE).toString();
    var frac = (abs % SCALE).toString().padStart(DIGITS, "0").replace(/0+$/, "");
    return (negative ? "−" : "") + whole + (frac ? "." + frac : "");
  }

  function toNumber(value) { return value === null ? null : Number(value) / Number(SCALE); }

  function inputs(rowPrefix, metric) {
    return Array.prototype.slice.call(
      form.querySelectorAll('input[data-metric="' + metric + '"][data-row^="' + rowPrefix + '"]')
    );
  }

  function sum(metric) {
    var total = null;
    inputs("site-", metric).forEach(function (input) {
      var v = parse(input.value);
      if (v !== null) { total = (total === null ? 0n : total) + v; }
    });
    return total;
  }

  function company(metric) {
    var input = form.querySelector('input[data-row="company"][data-metric="' + metric + '"]');
    return input ? parse(input.value) : null;
  }

  function unitFactor() {
    var select = document.getElementById("hashrate_unit");
    return select && select.value === "PH/s" ? 1000n : 1n;
  }

  function show(id, value, digits) {
    var out = document.getElementById(id);
    if (!out) { return; }
    if (digits !== undefined) {
      out.textContent = value === null || !isFinite(value) ? "—" : value.toFixed(digits);
    } else {
      out.textContent = format(value);
      out.classList.toggle("negative", value !== null && value < 0n);
    }
  }

  function recompute() {
    Array.prototype.forEach.call(form.querySelectorAll("output[data-sum]"), function (out) {
      var total = sum(out.getAttribute("data-sum"));
      out.textContent = total === null ? "" : format(total);
    });
    var sitesBtc = sum("btc_mined");
    var total = company("btc_mined_total");
    show("total-sites-btc", sitesBtc);
    show("total-unallocated", total !== null && sitesBtc !== null ? total - sitesBtc : null);

    var btc = total !== null ? total : sitesBtc;
    var hashrate = company("hashrate_avg_ehs");
    if (hashrate === null || hashrate === 0n) { hashrate = sum("hashrate_avg_ehs"); }
    var days = Number(form.getAttribute("data-days"));
    var yieldValue = null;
    if (btc !== null && hashrate !== null && hashrate > 0n && days > 0) {
      // hashrate is in the typed unit; the yield is per EH/s.
      yieldValue = toNumber(btc) / (toNumber(hashrate) / Number(unitFactor())) / days;
    }
    show("total-yield", yieldValue, 4);

    var previous = parse(form.getAttribute("data-previous-held"));
    var sold = company("btc_sold");
    var expected = previous !== null && total !== null && sold !== null ? previous + total - sold : null;
    show("total-expected-held", expected);
    var held = company("btc_held_end");
    show("total-treasury-diff", expected !== null && held !== null ? held - expected : null);
  }

  function convertHashrates(fromFactor, toFactor) {
    // Keep the quantity when the unit changes: 5 EH/s becomes 5000 PH/s, not 5 PH/s.
    Array.prototype.forEach.call(form.querySelectorAll("input[data-metric^='hashrate_']"), function (input) {
      var v = parse(input.value);
      if (v === null) { return; }
      input.value = format((v * toFactor) / fromFactor).replace("−", "-");
    });
    var label = toFactor === 1000n ? "PH/s" : "EH/s";
    Array.prototype.forEach.call(form.querySelectorAll("input[data-metric^='hashrate_']"), function (input) {
      // Screen readers (and the labels people read) say the unit now typed.
      var name = input.getAttribute("aria-label") || "";
      input.setAttribute("aria-label", name.replace(/\((EH|PH)\/s\)$/, "(" + label + ")"));
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-hashrate-unit]"), function (el) {
      el.textContent = el.tagName === "SPAN" && el.classList.contains("unit") ? "(" + label + ")" : label;
    });
  }

  var select = document.getElementById("hashrate_unit");
  var currentFactor = unitFactor();
  if (select) {
    select.addEventListener("change", function () {
      var next = unitFactor();
      convertHashrates(currentFactor, next);
      currentFactor = next;
      recompute();
    });
  }
  form.addEventListener("input", recompute);
  recompute();
})();
