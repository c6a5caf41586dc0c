// The query workbench: YASGUI served from our own host, talking to our /sparql by GET.
// The query and the result view live in the page's URL (?query=…&view=…), so a result can be
// shared as a link. No request leaves this host: the LOV-backed class and property
// completers are switched off and prefix completion reads /prefixes.json.
(function () {
  "use strict";
  var root = document.getElementById("workbench");
  if (!root || !window.Yasgui) { return; }
  var prefixes = JSON.parse(root.getAttribute("data-prefixes") || "{}");
  var params = new URLSearchParams(window.location.search);
  var Yasqe = window.Yasgui.Yasqe;
  Yasqe.defaults.autocompleters = Yasqe.defaults.autocompleters.filter(function (name) {
    return name !== "class" && name !== "property";
  });
  Yasqe.defaults.prefixCcApi = "/prefixes.json";
  var yasgui = new window.Yasgui(root, {
    requestConfig: { endpoint: root.getAttribute("data-endpoint"), method: "GET" },
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: { getData: function () { return []; } },
    populateFromUrl: false,
    persistenceId: null,
    yasr: { prefixes: prefixes, persistenceId: null }
  });
  var tab = yasgui.getTab();
  var yasqe = tab.getYasqe();
  var yasr = tab.getYasr();

  function remember() {
    var next = new URLSearchParams(window.location.search);
    next.set("query", yasqe.getValue());
    if (yasr && yasr.selectedPlugin) { next.set("view", yasr.selectedPlugin); }
    window.history.replaceState(null, "", window.location.pathname + "?" + next.toString());
  }
  yasqe.on("query", remember);
  if (yasr) {
    yasr.on("change", remember);
    if (params.get("view") && yasr.plugins[params.get("view")]) {
      yasr.selectPlugin(params.get("view"));
    }
  }
  if (params.get("query")) {
    yasqe.setValue(params.get("query"));
    yasqe.query();
  }

  var picker = document.getElementById("example-picker");
  fetch(root.getAttribute("data-examples")).then(function (r) { return r.json(); }).then(function (list) {
    picker.addEventListener("change", function () {
      var chosen = list.filter(function (e) { return e.slug === picker.value; })[0];
      if (chosen) { yasqe.setValue(chosen.query); yasqe.query(); }
    });
  });
})();
