// The error summary of a form that failed: focus it when the page loads (a screen reader announces it, the
// keyboard starts there), and make each of its links move the focus to the field it names, scrolled so
// the field's label shows too. Without this script the summary is still the first thing in the page and
// its links still jump to the fields. No inline script: CSP holds.
(function () {
  "use strict";

  var summary = document.querySelector("[data-error-summary]");
  if (!summary) { return; }

  function labelFor(field) {
    if (field.id) {
      var label = document.querySelector('label[for="' + field.id + '"]');
      if (label) { return label; }
    }
    return field.closest("td, .field, fieldset") || field;
  }

  summary.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[href^='#']") : null;
    if (!link) { return; }
    var target = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
    if (!target) { return; }
    event.preventDefault();
    var details = target.closest("details");
    if (details) { details.open = true; }
    labelFor(target).scrollIntoView({ block: "start" });
    target.focus({ preventScroll: true });
  });

  summary.focus();
})();
