// The workbench's first screen, and what loads YASGUI. The page arrives with the query in a
// plain, labelled textarea and a Run button (a form that works without any script), but
// without YASGUI: its script and styles are about 1 MB, and a phone that only reads the page
// should not pay for them. They load the first time the reader reaches for the editor: focuses
// or touches the query, presses Run (or Ctrl+Enter), or picks an example; and at once when the
// address carries a query (?query=…, a shared link), which then runs as it always did.
// workbench.js (loaded after YASGUI, in order) puts the editor where the textarea was, with
// the same text and caret, and does what was asked meanwhile: data-run, data-picked.
(function () {
  "use strict";
  var root = document.getElementById("workbench");
  var shell = document.getElementById("query-shell");
  var text = document.getElementById("query-text");
  if (!root || !shell || !text) { return; }
  var picker = document.getElementById("example-picker");
  var loading = null;

  function words(name) { return (root.getAttribute(name) || "").split(/\s+/).filter(Boolean); }
  function stylesheet(href) {
    return new Promise(function (done) {
      var link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = href;
      link.onload = link.onerror = done;  // a missing stylesheet must not stop the editor
      document.head.appendChild(link);
    });
  }
  function scripts(srcs) {
    srcs.forEach(function (src) {
      var script = document.createElement("script");
      script.src = src;
      script.async = false;  // run in the order given: YASGUI, then what sets it up
      document.head.appendChild(script);
    });
  }
  function load() {
    if (!loading) {
      root.setAttribute("aria-busy", "true");
      shell.classList.add("is-loading");
      loading = Promise.all(words("data-styles").map(stylesheet)).then(function () {
        scripts(words("data-scripts"));
      });
    }
    return loading;
  }
  function run() {
    root.setAttribute("data-run", "true");
    load();
  }

  shell.addEventListener("submit", function (event) {
    event.preventDefault();  // the editor runs it and shows the answer in the page
    run();
  });
  text.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      run();
    }
  });
  text.addEventListener("focus", load);
  text.addEventListener("pointerdown", load);
  if (picker) {
    picker.addEventListener("change", function () {
      if (picker.value) {
        root.setAttribute("data-picked", "true");
        load();
      }
    });
  }
  if (new URLSearchParams(window.location.search).has("query")) { load(); }
})();
