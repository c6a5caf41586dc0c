// Accessibility for the workbench (WCAG 2.1 AA): YASGUI draws form fields without labels, so
// each gets one as it appears, in the page's language. Kept apart from workbench.js, which sets
// YASGUI up; this file only names what YASGUI draws.
(function () {
  "use strict";
  var root = document.getElementById("workbench");
  if (!root || !window.MutationObserver) { return; }
  var sv = document.documentElement.lang === "sv";
  var names = [
    [".CodeMirror textarea", sv ? "SPARQL-fråga" : "SPARQL query"],
    ["input.autocomplete", sv ? "SPARQL-ändpunkt" : "SPARQL endpoint"],
    ["input:not([type=checkbox]):not([aria-label])", sv ? "Sök i resultatet" : "Search the results"],
    ["select:not([aria-label])", sv ? "Val för resultatvisningen" : "Result view option"]
  ];
  function label() {
    names.forEach(function (pair) {
      root.querySelectorAll(pair[0]).forEach(function (field) {
        if (!field.getAttribute("aria-label") && !field.labels?.length) {
          field.setAttribute("aria-label", pair[1]);
        }
      });
    });
  }
  label();
  // The editor's field points at the page's note on how to leave it by keyboard.
  function describe() {
    var field = root.querySelector(".CodeMirror textarea");
    if (field && document.getElementById("editor-keys") && !field.getAttribute("aria-describedby")) {
      field.setAttribute("aria-describedby", "editor-keys");
    }
  }
  describe();
  new MutationObserver(describe).observe(root, { childList: true, subtree: true });
  new MutationObserver(label).observe(root, { childList: true, subtree: true });
})();
