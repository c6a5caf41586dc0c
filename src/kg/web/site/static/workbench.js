// The query workbench: YASGUI served from our own host, talking to our /sparql by GET.
// workbench-shell.js loads YASGUI and then this file when the reader first uses the editor.
// The query and the result view live in the page's URL (?query=…&view=…), so a result can be
// shared as a link. No request leaves this host: YASQE's LOV-backed class and property
// completers are replaced by ones that read this graph's own terms (/completions/*.json, with
// their labels), and prefix completion reads /prefixes.json.
//
// The editor knows the server's predefined prefixes (its syntax check starts with them, so
// "dk:" is never marked undefined), does not take the focus when the page loads, and shows
// the endpoint's syntax errors (kg.web.endpoint.query_errors: words, line, column) under the line
// they are about; its own gutter marker says what is wrong in the same words (never YASQE's
// "This line is invalid. Expected: …" grammar list). Result cells show each of our IRIs' name beside it (looked up by one
// query to the endpoint, as the Wikidata Query Service does), and our IRIs link to this
// server's pages while w3id.org does not redirect here (data-iri-links, KG_IRI_LINKS).
(function () {
  "use strict";
  var root = document.getElementById("workbench");
  if (!root || !window.Yasgui) { return; }
  // The page's first screen (workbench-shell.js) held the query in a textarea: the editor
  // takes its text, its caret when the reader was in it, and its place.
  var shell = document.getElementById("query-shell");
  var shellText = document.getElementById("query-text");
  var start = shellText ? shellText.value : "";
  var hadFocus = !!shellText && document.activeElement === shellText;
  var caret = hadFocus ? shellText.selectionStart : 0;
  if (shell) { shell.remove(); }
  var prefixes = JSON.parse(root.getAttribute("data-prefixes") || "{}");
  var params = new URLSearchParams(window.location.search);
  var Yasqe = window.Yasgui.Yasqe;
  var lang = document.documentElement.lang === "en" ? "en" : "sv";
  var base = root.getAttribute("data-base") || "https://w3id.org/digikommun/";
  var linkLocally = root.getAttribute("data-iri-links") !== "w3id";

  // YASQE's syntax check knows only the prefixes a query declares; start every check with
  // the server's own, which the endpoint adds to every query.
  var sparqlMode = Yasqe.modes && Yasqe.modes.sparql11;
  if (sparqlMode && !sparqlMode.withServerPrefixes) {
    Yasqe.defineMode("sparql11", function (config, options) {
      var mode = sparqlMode(config, options);
      var start = mode.startState;
      mode.startState = function () {
        var state = start.apply(this, arguments);
        Object.keys(prefixes).forEach(function (p) { state.prefixes[p] = prefixes[p]; });
        return state;
      };
      return mode;
    });
    Yasqe.modes.sparql11.withServerPrefixes = true;
  }
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
      method: "GET",
      // The endpoint explains syntax errors in the language asked for: the page's.
      headers: { "Accept-Language": lang }
    },
    autofocus: false,
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: { getData: function () { return []; } },
    populateFromUrl: false,
    persistenceId: null,
    yasr: { prefixes: prefixes, persistenceId: null }
  });
  var tab = yasgui.getTab();
  var yasqe = tab.getYasqe();
  var yasr = tab.getYasr();

  // -- the editor's own marker in words ----------------------------------------------------
  // YASQE's check puts a warning in the gutter of the first wrong line, with a tooltip that
  // dumps its grammar ("This line is invalid. Expected: …"). After each check, the marker's
  // tooltip is replaced by a sentence in the page's language, made from the same sentences
  // the endpoint uses (kg.web.endpoint.query_errors.WORDS, handed over in data-error-words).
  var words = JSON.parse(root.getAttribute("data-error-words") || "{}");
  function say(key, values) {
    return (words[key] || "").replace(/\{\{|\}\}|\{(\w+)\}/g, function (all, name) {
      if (all === "{{") { return "{"; }
      if (all === "}}") { return "}"; }
      return name in values ? String(values[name]) : all;
    });
  }
  function wrongLine() {
    for (var l = 0; l < yasqe.lineCount(); l++) {
      var info = yasqe.lineInfo(l);
      if (info && info.gutterMarkers && info.gutterMarkers.gutterErrorBar) { return l; }
    }
    return -1;
  }
  function previousTerm(line, ch) {  // where the last token before (line, ch) is
    for (var l = line; l >= 0; l--) {
      var tokens = yasqe.getLineTokens(l, true).filter(function (t) {
        return t.string.trim() && t.type !== "comment" && (l < line || t.start < ch);
      });
      if (tokens.length) { return { line: l, token: tokens[tokens.length - 1] }; }
    }
    return null;
  }
  function explainLine(line) {
    var tokens = yasqe.getLineTokens(line, true);
    var bad = tokens.filter(function (t) { return /error/.test(t.type || ""); })[0] ||
      tokens.filter(function (t) { return t.string.trim(); })[0] || { start: 0, string: "" };
    var state = yasqe.getTokenAt({ line: line, ch: yasqe.getLine(line).length }, true).state;
    var expected = (state.possibleCurrent || []).filter(function (t) { return t !== "$"; });
    var sentence;
    var prefix = /'([^']*)'/.exec(state.errorMsg || "");
    var column = bad.start + 1;
    if (state.errorMsg && prefix) {
      var known = Object.keys(prefixes).sort().slice(0, 12).map(function (p) { return p + ":"; });
      sentence = say("prefix", { p: prefix[1], known: known.join(", ") });
      var at = yasqe.getLine(line).indexOf(prefix[1] + ":");
      if (at >= 0) { column = at + 1; }
    } else if (expected.indexOf(".") >= 0 && /^(\?|\$|<|_:|\[|[A-Za-z][\w.-]*:|:)/.test(bad.string)) {
      var before = previousTerm(line, bad.start);
      sentence = say("dot", { line: (before ? before.line : line) + 1 });
    } else if (expected.length && expected.length <= 3) {
      var or = " " + (words.or || "or") + " ";
      sentence = say("expected", { tokens: expected.map(function (t) { return "`" + t + "`"; }).join(or) });
    } else {
      sentence = say("unreadable", { near: bad.string.trim() || "\u2026" });
    }
    var where = say("where", { line: line + 1, column: column });
    return (words.title || "") + " (" + where + "): " + sentence;
  }
  function reword() {
    var line = wrongLine();
    if (line < 0) { return; }
    var icon = yasqe.lineInfo(line).gutterMarkers.gutterErrorBar;
    var text = explainLine(line);
    var tip = null;
    icon.setAttribute("role", "img");
    icon.setAttribute("aria-label", text);
    icon.setAttribute("data-message", text);
    icon.onmouseover = function () {
      if (!tip) { tip = document.createElement("div"); tip.className = "yasqe_tooltip"; }
      tip.textContent = text;  // text, never the grammar's HTML
      tip.style.display = "block";
      icon.appendChild(tip);
    };
    icon.onmouseout = function () { if (tip) { tip.style.display = "none"; } };
  }
  var checkSyntax = yasqe.checkSyntax;
  yasqe.checkSyntax = function () {
    var result = checkSyntax.apply(yasqe, arguments);
    reword();
    return result;
  };

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
  // A shared link's query (still as the link gave it) gets the prefixes it uses and runs.
  var linked = params.get("query");
  var fromLink = linked !== null && start === linked.replace(/\r\n?/g, "\n");
  if (fromLink) {
    var declared = withPrefixes(start);
    caret += declared.length - start.length;
    start = declared;
  }
  yasqe.setValue(start || root.getAttribute("data-default-query") || "");
  if (hadFocus) {  // the reader was typing in the textarea: go on in the editor
    yasqe.focus();
    yasqe.setCursor(yasqe.posFromIndex(caret));
  } else if (yasqe.hasFocus && yasqe.hasFocus()) {
    // The page keeps the focus where the reader is, not in the editor.
    yasqe.getInputField().blur();
  }
  if (fromLink || root.getAttribute("data-run") === "true") { yasqe.query(); }
  root.removeAttribute("aria-busy");

  // -- the endpoint's syntax errors under the line they are about --------------------------
  var errorWidget = null;
  var errorMark = null;
  function clearError() {
    if (errorWidget) { errorWidget.clear(); errorWidget = null; }
    if (errorMark) { errorMark.clear(); errorMark = null; }
  }
  function showError(text) {
    clearError();
    var place = /\((?:line|rad) (\d+), (?:column|kolumn) (\d+)\): ([^\n]*)/.exec(text || "");
    if (!place) { return; }
    var line = Number(place[1]) - 1;
    var column = Number(place[2]) - 1;
    if (line < 0 || line >= yasqe.lineCount()) { return; }
    var box = document.createElement("div");
    box.className = "query-error";
    box.setAttribute("role", "alert");
    var caret = document.createElement("pre");
    caret.className = "query-error-caret";
    caret.setAttribute("aria-hidden", "true");
    caret.textContent = " ".repeat(column) + "^";
    var words = document.createElement("p");
    words.textContent = place[3];
    box.appendChild(caret);
    box.appendChild(words);
    errorWidget = yasqe.addLineWidget(line, box, { coverGutter: false, noHScroll: true });
    var end = { line: line, ch: Math.min(column + 1, yasqe.getLine(line).length) };
    errorMark = yasqe.markText({ line: line, ch: Math.max(0, end.ch - 1) }, end,
      { className: "query-error-spot" });
  }
  yasqe.on("queryBefore", clearError);
  yasqe.on("change", clearError);
  // YASQE hands a failed request's Error (its message is the endpoint's body) to
  // queryResponse listeners as (yasqe, response, duration).
  yasqe.on("queryResponse", function (_yasqe, response) {
    if (response instanceof Error) { showError(response.message); }
  });

  // -- names beside our IRIs in the results, and links to this server ----------------------
  var names = {};
  var asked = {};
  function local(iri) { return "/" + iri.slice(base.length) + (iri.indexOf("#") < 0 ? ".html?lang=" + lang : ""); }
  function annotate() {
    var links = root.querySelectorAll(".yasr a[href^='" + base + "'], .yasr a[data-iri]");
    var missing = [];
    links.forEach(function (link) {
      var iri = link.getAttribute("data-iri") || link.getAttribute("href");
      if (!link.getAttribute("data-iri")) {
        link.setAttribute("data-iri", iri);
        if (linkLocally) {  // this server's page, in this tab
          link.setAttribute("href", local(iri));
          link.removeAttribute("target");
        }
      }
      if (names[iri] && !link.nextElementSibling?.classList?.contains("iri-name")) {
        var name = document.createElement("span");
        name.className = "iri-name";
        name.textContent = names[iri];
        link.after(name);
      } else if (!(iri in names) && !asked[iri] && /^[^\s<>"{}|^`\\]+$/.test(iri)) {
        missing.push(iri);
      }
    });
    if (!missing.length) { return; }
    missing = missing.slice(0, 200);
    missing.forEach(function (iri) { asked[iri] = true; });
    var query = "SELECT ?s (SAMPLE(?n) AS ?name) WHERE { VALUES ?s { " +
      missing.map(function (iri) { return "<" + iri + ">"; }).join(" ") +
      " } ?s skos:prefLabel|rdfs:label ?n FILTER (LANG(?n) = \"" + lang + "\" || LANG(?n) = \"\") } GROUP BY ?s";
    var url = root.getAttribute("data-endpoint") + "?" + new URLSearchParams({ query: query });
    fetch(url, { headers: { Accept: "application/sparql-results+json" } })
      .then(function (r) { return r.ok ? r.json() : { results: { bindings: [] } }; })
      .then(function (body) {
        missing.forEach(function (iri) { names[iri] = names[iri] || ""; });
        body.results.bindings.forEach(function (row) { names[row.s.value] = row.name.value; });
        annotate();
      })
      .catch(function () { /* names are a help; the IRIs are still there */ });
  }
  new MutationObserver(function () { window.requestAnimationFrame(annotate); })
    .observe(root, { childList: true, subtree: true });

  var picker = document.getElementById("example-picker");
  fetch(root.getAttribute("data-examples")).then(function (r) { return r.json(); }).then(function (list) {
    function choose() {
      var chosen = list.filter(function (e) { return e.slug === picker.value; })[0];
      if (chosen) { yasqe.setValue(withPrefixes(chosen.query)); yasqe.query(); }
    }
    picker.addEventListener("change", choose);
    // an example picked while the editor was loading (workbench-shell.js)
    if (root.getAttribute("data-picked") === "true") { choose(); }
  });
})();
