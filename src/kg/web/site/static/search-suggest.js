/* Type-ahead for every search box marked data-suggest: the WAI-ARIA 1.2 combobox pattern
   (an input with role=combobox that controls a listbox; the active option is named by
   aria-activedescendant, so focus stays in the input). Suggestions come from
   /search/suggest?q=…, the same index and ranking as /search.

   Keys: Down/Up move through the suggestions (and open the list), Enter opens the active
   suggestion (or searches for the text when none is active), Escape closes the list (a second
   Escape clears the text), Tab leaves the box as usual. Without JavaScript the form is a plain
   search form. */
(function () {
  "use strict";

  var DELAY = 120; // ms after the last keystroke: one request per pause, not per key

  function setUp(input) {
    var form = input.form;
    var lang = input.getAttribute("data-lang") || document.documentElement.lang || "sv";
    var list = document.getElementById(input.getAttribute("aria-controls"));
    var status = document.getElementById(input.getAttribute("data-status"));
    if (!list) return;
    var options = [];
    var active = -1;
    var timer = null;
    var asked = 0; // the number of the newest request; older answers are dropped

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function activate(index) {
      options.forEach(function (option, i) {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function show(suggestions) {
      list.textContent = "";
      options = suggestions.map(function (s, i) {
        var li = document.createElement("li");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.setAttribute("data-url", s.url || "");
        var name = document.createElement("span");
        name.className = "suggest-name";
        name.textContent = s.name;
        var kind = document.createElement("span");
        kind.className = "suggest-kind";
        kind.textContent = s.kind_label;
        li.appendChild(name);
        li.appendChild(document.createTextNode(" "));
        li.appendChild(kind);
        li.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keep focus in the input
        });
        li.addEventListener("click", function () {
          go(i);
        });
        list.appendChild(li);
        return li;
      });
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (options.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      } else {
        close();
      }
      if (status) {
        status.textContent = options.length
          ? options.length + (lang === "sv" ? " förslag" : " suggestions")
          : "";
      }
    }

    function go(index) {
      var url = options[index] && options[index].getAttribute("data-url");
      close();
      if (url) window.location.assign(url);
    }

    function fetchSuggestions() {
      var q = input.value.trim();
      var mine = ++asked;
      if (q.length < 2) {
        show([]);
        return;
      }
      var url = "/search/suggest?" + new URLSearchParams({ q: q, lang: lang }).toString();
      fetch(url, { headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.ok ? response.json() : { suggestions: [] };
        })
        .then(function (body) {
          if (mine === asked) show(body.suggestions || []);
        })
        .catch(function () {
          if (mine === asked) show([]);
        });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(fetchSuggestions, DELAY);
    });

    input.addEventListener("keydown", function (event) {
      var open = !list.hidden && options.length > 0;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open && options.length) {
          list.hidden = false;
          input.setAttribute("aria-expanded", "true");
        }
        if (options.length) activate(active + 1 < options.length ? active + 1 : 0);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (options.length) {
          list.hidden = false;
          input.setAttribute("aria-expanded", "true");
          activate(active > 0 ? active - 1 : options.length - 1);
        }
      } else if (event.key === "Enter") {
        if (open && active >= 0) {
          event.preventDefault();
          go(active);
        }
      } else if (event.key === "Escape") {
        if (open) {
          event.preventDefault();
          close();
        } else if (input.value) {
          event.preventDefault();
          input.value = "";
        }
      }
    });

    input.addEventListener("blur", function () {
      close();
    });
    if (form) form.addEventListener("submit", close);
  }

  document.querySelectorAll("input[data-suggest]").forEach(setUp);
})();
