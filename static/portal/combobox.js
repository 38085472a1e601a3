/* Pickers: a <select data-combobox> becomes a text box that filters its options by name or
   code as you type (the ARIA 1.2 combobox with a listbox popup). The select stays in the form,
   hidden, and carries the value: without this script it is the plain picker. Stops added to
   the trip form later are enhanced as they appear. No inline style (CSP).
   A <select multiple data-combobox> picks several (an incident's places): each choice shows
   as a chip with a remove button. With data-combobox-scope="<id of a country select>" it
   offers only the options whose data-country is that country's code, and drops the others'
   choices when the country changes. data-combobox-noun="place|places" names what is listed. */
(function () {
  "use strict";
  var count = 0;

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().trim();
  }

  // Best first: the code typed exactly ("gb"), then names that start with the words typed,
  // then names or codes that contain them all.
  function rank(option, query, words) {
    if (!query) return 1;
    if (option.code === query) return 0;
    for (var i = 0; i < words.length; i++) {
      if (option.key.indexOf(words[i]) === -1) return -1;
    }
    return option.name.indexOf(query) === 0 ? 1 : 2;
  }

  function enhance(select) {
    if (select.hasAttribute("data-combobox-ready")) return;
    select.setAttribute("data-combobox-ready", "");
    count += 1;
    var base = "combobox-" + count;
    var multiple = select.multiple;
    var nouns = (select.getAttribute("data-combobox-noun") || "country|countries").split("|");
    var scopeId = select.getAttribute("data-combobox-scope");
    var scope = scopeId ? document.getElementById(scopeId) : null;
    var options = Array.prototype.map.call(select.options, function (option) {
      return {
        element: option,
        value: option.value,
        label: option.textContent,
        name: fold(option.textContent),
        code: fold(option.value),
        key: fold(option.textContent + " " + option.value),
        country: option.getAttribute("data-country") || "",
      };
    });
    function inScope(o) {
      return !scope || !o.country || o.country === scope.value;
    }
    var blank = multiple ? null : options.filter(function (o) { return !o.value; })[0];
    var label = select.id ? document.querySelector('label[for="' + select.id + '"]') : null;

    var box = document.createElement("div");
    box.className = "combobox";
    var input = document.createElement("input");
    input.type = "text";
    input.id = base + "-input";
    input.className = "combobox-input";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", base + "-list");
    input.setAttribute("autocomplete", "off");
    input.setAttribute("spellcheck", "false");
    input.placeholder = select.getAttribute("data-placeholder") || (blank ? blank.label : "Type a country or its code");
    ["aria-describedby", "aria-invalid"].forEach(function (name) {
      if (select.hasAttribute(name)) input.setAttribute(name, select.getAttribute(name));
    });
    if (select.required) {
      // A hidden control cannot show the browser's "required" bubble; the server says it.
      input.setAttribute("aria-required", "true");
      select.required = false;
    }
    var list = document.createElement("ul");
    list.id = base + "-list";
    list.className = "combobox-list";
    list.setAttribute("role", "listbox");
    if (multiple) list.setAttribute("aria-multiselectable", "true");
    list.hidden = true;
    var chips = null;
    if (multiple) {
      chips = document.createElement("ul");
      chips.className = "combobox-chips";
      chips.setAttribute("aria-label", "Chosen " + nouns[1]);
    }
    var status = document.createElement("span");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    if (label) {
      if (!label.id) label.id = base + "-label";
      label.setAttribute("for", input.id);
      list.setAttribute("aria-labelledby", label.id);
    }
    if (chips) box.appendChild(chips);
    box.appendChild(input);
    box.appendChild(list);
    box.appendChild(status);
    select.parentNode.insertBefore(box, select);
    select.hidden = true;
    select.setAttribute("tabindex", "-1");

    var shown = [];
    var active = -1;

    function labelOf(value) {
      if (multiple) return "";
      var match = options.filter(function (o) { return o.value === value; })[0];
      return match && match.value ? match.label : "";
    }

    function isChosen(o) {
      return multiple ? o.element.selected : o.value === select.value;
    }

    // The chips: one per chosen option, each with a button that takes it out again.
    function renderChips() {
      if (!chips) return;
      chips.textContent = "";
      options.filter(function (o) { return o.element.selected; }).forEach(function (o) {
        var chip = document.createElement("li");
        chip.className = "combobox-chip";
        chip.appendChild(document.createTextNode(o.label + " "));
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "combobox-remove";
        remove.setAttribute("aria-label", "Remove " + o.label);
        remove.textContent = "×";
        remove.addEventListener("click", function () {
          o.element.selected = false;
          renderChips();
          status.textContent = o.label + " removed";
          select.dispatchEvent(new Event("change", { bubbles: true }));
          input.focus();
        });
        chip.appendChild(remove);
        chips.appendChild(chip);
      });
      chips.hidden = !chips.childNodes.length;
    }

    function show(query) {
      var folded = fold(query);
      var words = folded.split(/\s+/).filter(Boolean);
      shown = options
        .filter(function (o) { return o.value && inScope(o); })
        .map(function (o) { return { option: o, rank: rank(o, folded, words) }; })
        .filter(function (r) { return r.rank >= 0; })
        .sort(function (a, b) { return a.rank - b.rank; })
        .map(function (r) { return r.option; });
      list.textContent = "";
      shown.forEach(function (option, index) {
        var item = document.createElement("li");
        item.id = base + "-option-" + index;
        item.setAttribute("role", "option");
        item.setAttribute("data-value", option.value);
        item.setAttribute("aria-selected", isChosen(option) ? "true" : "false");
        item.appendChild(document.createTextNode(option.label + " "));
        if (option.label.indexOf(option.value) === -1) {  // "Kazakhstan (KZ)" says it already
          var code = document.createElement("span");
          code.className = "combobox-code";
          code.textContent = option.value;
          item.appendChild(code);
        }
        list.appendChild(item);
      });
      if (!shown.length) {
        var none = document.createElement("li");
        none.className = "combobox-none";
        none.textContent = scope && !scope.value ? "Choose the country first" : "No " + nouns[0] + " matches";
        list.appendChild(none);
      }
      status.textContent = shown.length + " " + (shown.length === 1 ? nouns[0] : nouns[1]);
      active = -1;
      input.removeAttribute("aria-activedescendant");
      open();
    }

    function open() {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var items = list.querySelectorAll("[role=option]");
      if (!items.length) return;
      active = (index + items.length) % items.length;
      items.forEach(function (item, i) { item.classList.toggle("is-active", i === active); });
      input.setAttribute("aria-activedescendant", items[active].id);
      items[active].scrollIntoView({ block: "nearest" });
    }

    function choose(value) {
      if (multiple) {
        var picked = options.filter(function (o) { return o.value === value && inScope(o); })[0];
        if (!picked) return;
        picked.element.selected = !picked.element.selected;
        status.textContent = picked.label + (picked.element.selected ? " added" : " removed");
        input.value = "";
        close();
        renderChips();
        select.dispatchEvent(new Event("change", { bubbles: true }));
        return;
      }
      var changed = select.value !== value;
      select.value = value;
      input.value = labelOf(value);
      close();
      if (changed) select.dispatchEvent(new Event("change", { bubbles: true }));
    }

    // Leaving the box settles it: an exact name or code is taken, an emptied box means "any"
    // (where the picker has such a choice), anything else goes back to the current choice.
    function settle() {
      var typed = fold(input.value);
      if (multiple) {
        var named = options.filter(function (o) { return inScope(o) && o.name === typed; })[0];
        if (named && !named.element.selected) return choose(named.value);
        input.value = "";
        return close();
      }
      if (!typed && blank) return choose(blank.value);
      var exact = options.filter(function (o) { return o.value && (o.name === typed || o.code === typed); })[0];
      if (exact) return choose(exact.value);
      input.value = labelOf(select.value);
      close();
    }

    input.value = labelOf(select.value);
    renderChips();
    if (scope) {
      // Another country: its places, and none of the previous country's stay chosen.
      scope.addEventListener("change", function () {
        options.forEach(function (o) { if (!inScope(o)) o.element.selected = false; });
        renderChips();
      });
    }
    input.addEventListener("input", function () { show(input.value); });
    input.addEventListener("focus", function () { input.select(); });
    input.addEventListener("click", function () { if (list.hidden) show(""); });
    input.addEventListener("blur", settle);
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (list.hidden) show(event.altKey ? "" : input.value === labelOf(select.value) ? "" : input.value);
        if (!event.altKey) highlight(active + (event.key === "ArrowDown" ? 1 : -1));
      } else if (event.key === "Enter") {
        if (!list.hidden && active >= 0) {
          event.preventDefault(); // choosing a country does not submit the form
          choose(shown[active].value);
        } else if (!list.hidden && shown.length === 1) {
          event.preventDefault();
          choose(shown[0].value);
        }
      } else if (event.key === "Escape") {
        if (!list.hidden) {
          event.preventDefault();
          input.value = labelOf(select.value);
          close();
        }
      }
    });
    // mousedown, not click: the input must keep focus or its blur would settle first.
    list.addEventListener("mousedown", function (event) {
      var item = event.target.closest("[role=option]");
      event.preventDefault();
      if (item) choose(item.getAttribute("data-value"));
    });
  }

  function enhanceAll(root) {
    if (root.matches && root.matches("select[data-combobox]")) enhance(root);
    if (root.querySelectorAll) root.querySelectorAll("select[data-combobox]").forEach(enhance);
  }

  function start() {
    enhanceAll(document);
    if (!window.MutationObserver) return;
    new MutationObserver(function (records) {
      records.forEach(function (record) { record.addedNodes.forEach(enhanceAll); });
    }).observe(document.body, { childList: true, subtree: true });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
