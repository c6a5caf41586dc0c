// The query workbench: YASGUI served from our own host, talking to our /sparql by GET.
// The query and the result view live in the page's URL (?query=…&view=…), so a result can be
// shared as a link. No request leaves this host: YASQE's LOV-backed class and property
// completers are replaced by ones that read this graph's own terms (/completions/*.json, with
// their labels), and prefix completion reads /prefixes.json.
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
  // Our completers: the same positions and IRI handling as YASQE's own (forked from them),
  // but the terms come from this host. The server predefines its prefixes, so "dk:" completes
  // even when the query does not declare it.
  var termLabels = {};
  function resolvePrefix(base) {
    return function (editor, token) {
      token = base.preProcessToken(editor, token);
      var prefix = token.tokenPrefix ? token.tokenPrefix.slice(0, -1) : null;
      if (prefix && !token.tokenPrefixUri && prefixes[prefix]) {
        token.tokenPrefixUri = prefixes[prefix];
        token.autocompletionString = prefixes[prefix] + token.string.trim().slice(prefix.length + 1);
      }
      return token;
    };
  }
  function withLabels(editor, hints) {
    var lang = document.documentElement.lang === "en" ? "en" : "sv";
    hints.forEach(function (hint) {
      var labels = termLabels[hint.text];
      var label = labels && (labels[lang] || labels.sv || labels.en);
      if (label) { hint.displayText = hint.text + " \u2014 " + label; }
    });
    return hints;
  }
  ["class", "property"].forEach(function (kind) {
    var base = Yasqe.Autocompleters[kind];
    if (!base) { return; }
    Yasqe.forkAutocompleter(kind, {
      name: "graph-" + kind,
      bulk: true,
      autoShow: true,
      persistenceId: null,
      preProcessToken: resolvePrefix(base),
      postprocessHints: withLabels,
      get: function () {
        return fetch("/completions/" + kind + ".json").then(function (r) { return r.json(); })
          .then(function (list) {
            list.forEach(function (term) {
              termLabels[term.curie] = term.label;
              termLabels["<" + term.iri + ">"] = term.label;
            });
            return list.map(function (term) { return term.iri; });
          });
      }
    }, true);
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
