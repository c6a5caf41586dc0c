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
    // YASGUI builds the request with new URL(endpoint), which needs an absolute URL.
    requestConfig: {
      endpoint: new URL(root.getAttribute("data-endpoint"), window.location.href).href,
      method: "GET"
    },
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: { getData: function () { return []; } },
    populateFromUrl: false,
    persistenceId: null,
    yasr: { prefixes: prefixes, persistenceId: null }
  });
  var tab = yasgui.getTab();
  var yasqe = tab.getYasqe();
  var yasr = tab.getYasr();

  // YASQE flags prefixes that a query uses but does not declare; the server predefines ours,
  // so declare the ones a query uses before it reaches the editor.
  function withPrefixes(query) {
    var missing = Object.keys(prefixes).filter(function (p) {
      var uses = new RegExp("(^|[\\s(/^|,;{}])" + p + ":").test(query.replace(/<[^>]*>/g, " "));
      var declared = new RegExp("PREFIX\\s+" + p + ":", "i").test(query);
      return uses && !declared;
    });
    return missing.map(function (p) {
      return "PREFIX " + p + ": <" + prefixes[p] + ">\n";
    }).join("") + query;
  }

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
    yasqe.setValue(withPrefixes(params.get("query")));
    yasqe.query();
  }

  // Result tables link our IRIs to w3id.org; this server answers for them itself, so a click
  // stays here (and works offline). Other IRIs are left alone.
  var base = "https://w3id.org/digikommun/";
  root.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[href]") : null;
    if (!link || link.href.indexOf(base) !== 0) { return; }
    event.preventDefault();
    window.location.href = "/" + link.href.slice(base.length);
  });

  var picker = document.getElementById("example-picker");
  fetch(root.getAttribute("data-examples")).then(function (r) { return r.json(); }).then(function (list) {
    picker.addEventListener("change", function () {
      var chosen = list.filter(function (e) { return e.slug === picker.value; })[0];
      if (chosen) { yasqe.setValue(withPrefixes(chosen.query)); yasqe.query(); }
    });
  });
})();
