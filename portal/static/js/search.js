// The type-ahead search: the ARIA combobox pattern (list autocomplete), one request per
// key stroke, and an answer older than the one shown never replaces it.

import { API, ApiError, get } from "./api.js";
import { clear, h, newId, setTitle } from "./dom.js";
import { restoreScroll, views } from "./memory.js";

const KIND_LABELS = { contact: "Contact", prospect: "Prospect", client: "Client" };
const BADGE_LABELS = { draft: "brouillon", validated: "validé", closed: "fermé" };

export function recordHash(kind, id) {
  return `#/${kind}s/${id}`;
}

/** The label with the matched [start, end) ranges in <mark>. */
export function highlighted(label, ranges = []) {
  const parts = [];
  let at = 0;
  for (const [start, end] of [...ranges].sort((a, b) => a[0] - b[0])) {
    if (start < at || end <= start) continue;
    if (start > at) parts.push(label.slice(at, start));
    parts.push(h("mark", {}, label.slice(start, end)));
    at = end;
  }
  if (at < label.length) parts.push(label.slice(at));
  return parts;
}

export function resultsHash(text) {
  return `#/recherche?${new URLSearchParams({ q: text })}`;
}

/** "43 résultats", "plus de 1 000 résultats"; null when the API does not count (older servers). */
export function totalText(data) {
  if (typeof data.total !== "number") return null;
  const number = new Intl.NumberFormat("fr-FR").format(data.total);
  if (data.total_is_lower_bound) return `plus de ${number} résultats`;
  return `${number} résultat${data.total > 1 ? "s" : ""}`;
}

function kindBadges(hit) {
  return [
    h("span", { class: `kind kind-${hit.kind}` }, KIND_LABELS[hit.kind] || hit.kind),
    h("span", { class: "label" }, highlighted(hit.label, hit.highlight)),
    hit.sublabel ? h("span", { class: "sublabel" }, hit.sublabel) : null,
    (hit.badges || []).map((b) => h("span", { class: `badge badge-${b}` }, BADGE_LABELS[b] || b)),
  ];
}

export function searchBox({ onOpen = (hit) => (window.location.hash = recordHash(hit.kind, hit.id)), onQuery = () => {} } = {}) {
  const listId = newId("search-list");
  const input = h("input", {
    type: "search",
    id: "search",
    class: "search-input",
    role: "combobox",
    "aria-label": "Rechercher un contact, un prospect ou un client",
    "aria-autocomplete": "list",
    "aria-expanded": "false",
    "aria-controls": listId,
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "Rechercher un contact, un prospect, un client…",
  });
  const list = h("ul", { id: listId, role: "listbox", class: "search-list", "aria-label": "Résultats", hidden: true });
  const status = h("p", { class: "search-status", role: "status", "aria-live": "polite" });
  let hits = [];
  let more = null; // "Voir tous les résultats (N)": the list's last option, when there are more
  let active = -1;
  let sent = 0; // sequence number of the latest key stroke's request
  let shown = 0; // sequence number of the answer on screen

  function setExpanded(open) {
    list.hidden = !open;
    input.setAttribute("aria-expanded", String(open));
    if (!open) {
      active = -1;
      input.removeAttribute("aria-activedescendant");
    }
  }

  function setActive(index) {
    const options = list.querySelectorAll("[role=option]");
    options.forEach((option, i) => option.setAttribute("aria-selected", String(i === index)));
    active = index;
    if (index >= 0 && options[index]) {
      input.setAttribute("aria-activedescendant", options[index].id);
      options[index].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function open(hit) {
    setExpanded(false);
    if (hit.all) window.location.hash = resultsHash(input.value);
    else onOpen(hit);
  }

  function render(items, data = {}) {
    hits = items;
    clear(list);
    const hasMore = Boolean(data.next_cursor) || (typeof data.total === "number" && data.total > items.length);
    more = hasMore ? { all: true } : null;
    if (more) hits = [...items, more];
    items.forEach((hit, i) => {
      const option = h(
        "li",
        {
          id: `${listId}-${i}`,
          role: "option",
          "aria-selected": "false",
          class: `search-option option-${hit.kind}`,
          dataset: { kind: hit.kind, id: String(hit.id) },
        },
        kindBadges(hit),
      );
      // mousedown, not click: the input keeps its focus
      option.addEventListener("mousedown", (event) => {
        event.preventDefault();
        open(hit);
      });
      list.append(option);
    });
    if (more) {
      const total = typeof data.total === "number" ? ` (${data.total_is_lower_bound ? "plus de " : ""}${new Intl.NumberFormat("fr-FR").format(data.total)})` : "";
      const option = h("li", { id: `${listId}-all`, role: "option", "aria-selected": "false", class: "search-more" }, `Voir tous les résultats${total}`);
      option.addEventListener("mousedown", (event) => {
        event.preventDefault();
        open(more);
      });
      list.append(option);
    }
    setExpanded(items.length > 0);
    const counted = totalText(data);
    status.textContent = items.length
      ? counted && more ? `${items.length} premiers résultats sur ${counted.replace(/ résultats?$/, "")}` : `${items.length} résultat${items.length > 1 ? "s" : ""}`
      : "Aucun résultat.";
  }

  async function query() {
    const text = input.value;
    views.update("search", { q: text });
    onQuery(text);
    sent += 1;
    const seq = sent;
    const started = performance.now();
    if (!text.trim()) {
      shown = seq;
      hits = [];
      clear(list);
      setExpanded(false);
      status.textContent = "";
      return;
    }
    try {
      const { data } = await get(`${API}/search?q=${encodeURIComponent(text.slice(0, 100))}&limit=10`);
      if (seq <= shown) return; // a newer answer is already on screen
      shown = seq;
      render(data.items, data);
      // The time from the key stroke to the drop-down on screen, for the browser test
      // and anyone profiling the page.
      performance.measure("carnet:search", { start: started, end: performance.now() });
    } catch (exc) {
      if (seq <= shown) return;
      shown = seq;
      render([]);
      status.textContent = exc instanceof ApiError ? exc.message : String(exc);
    }
  }

  input.addEventListener("input", query);
  input.addEventListener("keydown", (event) => {
    const count = hits.length;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (list.hidden && count) setExpanded(true);
      if (count) setActive((active + 1) % count);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      if (count) setActive(active <= 0 ? count - 1 : active - 1);
    } else if (event.key === "Enter") {
      if (!list.hidden && active >= 0 && hits[active]) {
        event.preventDefault();
        open(hits[active]);
      }
    } else if (event.key === "Escape") {
      if (!list.hidden) {
        event.preventDefault();
        setExpanded(false);
      } else if (input.value) {
        input.value = "";
        query(); // the count and the old list go with the text
      }
    }
  });
  input.addEventListener("blur", () => setExpanded(false));
  input.addEventListener("focus", () => {
    if (hits.length) setExpanded(true);
  });

  // Back to this screen: the text typed before, and its results.
  const saved = views.get("search").q;
  if (saved) {
    input.value = saved;
    queueMicrotask(query);
  }
  return h("div", { class: "search" }, input, list, status);
}

/** *Voir tous les résultats*: the whole list, 50 at a time, more on demand. */
export function resultsPage(text) {
  setTitle(`Résultats pour « ${text} »`);
  const list = h("ol", { class: "rows results-list" });
  const status = h("p", { class: "muted", role: "status" });
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Afficher plus de résultats");
  let cursor = null;
  let first = true;

  async function load() {
    const params = new URLSearchParams({ q: text.slice(0, 100), limit: "50" });
    if (cursor) params.set("cursor", cursor);
    more.disabled = true;
    try {
      const { data } = await get(`${API}/search?${params}`);
      for (const hit of data.items) {
        list.append(h("li", { dataset: { kind: hit.kind, id: String(hit.id) } }, h("a", { href: recordHash(hit.kind, hit.id) }, kindBadges(hit))));
      }
      cursor = data.next_cursor || null;
      more.hidden = !cursor;
      const shown = list.childElementCount;
      status.textContent = shown ? `${totalText(data) || `${shown} résultats`} — ${shown} affiché${shown > 1 ? "s" : ""}` : "Aucun résultat.";
      if (first) restoreScroll();
      first = false;
    } catch (exc) {
      status.textContent = exc instanceof ApiError ? exc.message : String(exc);
    } finally {
      more.disabled = false;
    }
  }

  more.addEventListener("click", load);
  if (text.trim()) load();
  return h(
    "section",
    { class: "results" },
    h("h1", {}, `Résultats pour « ${text} »`),
    h("p", {}, h("a", { href: "#/" }, "‹ Retour à la recherche")),
    status,
    list,
    more,
  );
}
