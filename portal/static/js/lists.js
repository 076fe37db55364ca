// A salesperson's day: Mes comptes, Mes contacts, Mes opportunités, Mes actions.
// Filters and sort in the page, saved views (own and shared), a stack of cards on a phone;
// actions: overdue ones first and in red, today, this week, done in one tap.

import { API, ApiError, get, newestOnly, post } from "./api.js";
import { clear, frAmount, frDate, frDateTime, h, newId, toast } from "./dom.js";
import { ACTION_TYPES, STAGES } from "./tabs.js";

const NAME_SORTS = {
  name: "Nom (A → Z)",
  "-name": "Nom (Z → A)",
  city: "Ville (A → Z)",
  "-city": "Ville (Z → A)",
  "-updated_at": "Modifiés récemment",
  updated_at: "Modifiés il y a longtemps",
};

export const SCREENS = {
  comptes: { entity: "accounts", title: "Mes comptes", path: "accounts", sorts: NAME_SORTS, sort: "name" },
  contacts: { entity: "contacts", title: "Mes contacts", path: "contacts", sorts: NAME_SORTS, sort: "name" },
  opportunites: {
    entity: "opportunities",
    title: "Mes opportunités",
    path: "opportunities",
    sorts: { expected_signing_date: "Signature la plus proche", "-amount": "Montant décroissant", ...NAME_SORTS },
    sort: "expected_signing_date",
  },
  actions: {
    entity: "actions",
    title: "Mes actions",
    path: "actions",
    sorts: { due_at: "Échéance la plus proche", "-due_at": "Échéance la plus lointaine" },
    sort: "due_at",
  },
};

function field(label, control) {
  return h("div", { class: "list-field" }, h("label", { for: control.id }, label), control);
}

function choice(options, value) {
  return h(
    "select",
    { id: newId("f") },
    Object.entries(options).map(([key, label]) => h("option", { value: key, selected: key === value }, label)),
  );
}

/** The filter controls of a screen: {name: control}; each name is the API's argument. */
function controls(screen) {
  if (screen.entity === "actions") {
    return {
      done: choice({ false: "À faire", true: "Faites", "": "Toutes" }, "false"),
      overdue: choice({ "": "Toutes les échéances", true: "En retard seulement" }, ""),
    };
  }
  const found = {
    owner: choice({ me: "Les miens", all: "Tous" }, "me"),
    postal_code: h("input", { id: newId("f"), inputmode: "numeric", placeholder: "33", maxlength: "10" }),
    city: h("input", { id: newId("f"), placeholder: "Bordeaux" }),
    q: h("input", { id: newId("f"), type: "search", placeholder: "Nom, mot…" }),
  };
  if (screen.entity !== "contacts") found.kind = choice({ "": "Prospects et clients", prospect: "Prospects", client: "Clients" }, "");
  return found;
}

const LABELS = {
  owner: "Propriétaire",
  postal_code: "Département ou code postal",
  city: "Ville",
  q: "Recherche",
  kind: "Type",
  done: "Statut",
  overdue: "Échéance",
};

async function fillOwners(select) {
  try {
    const { data } = await get(`${API}/users`);
    for (const user of data.items) select.append(h("option", { value: String(user.id) }, user.display_name));
  } catch {
    // "Les miens" and "Tous" still work
  }
}

function startOfDay(date) {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate());
}

/** "En retard", "Aujourd'hui", "Cette semaine" or "Plus tard" for an open action. */
export function dueGroup(action, now = new Date()) {
  if (action.done) return "Faites";
  const due = new Date(action.due_at);
  if (due < now) return "En retard";
  const today = startOfDay(now);
  const days = (startOfDay(due) - today) / 86400000;
  if (days < 1) return "Aujourd'hui";
  if (days < 7) return "Cette semaine";
  return "Plus tard";
}

function accountCard(a) {
  const city = [a.address.postal_code, a.address.city].filter(Boolean).join(" ");
  return h(
    "li",
    { class: "card" },
    h("a", { class: "card-title", href: `#/${a.kind}s/${a.id}` }, a.name),
    h("span", { class: `kind kind-${a.kind}` }, a.kind === "client" ? "Client" : "Prospect"),
    h("span", { class: "muted" }, city),
  );
}

function contactCard(c) {
  const name = [c.first_name, c.last_name].filter(Boolean).join(" ");
  return h(
    "li",
    { class: "card" },
    h("a", { class: "card-title", href: `#/contacts/${c.id}` }, name),
    h("a", { href: `#/${c.account.kind}s/${c.account.id}` }, c.account.name),
    c.mobile || c.direct_line ? h("a", { href: `tel:${c.mobile || c.direct_line}` }, c.mobile || c.direct_line) : null,
  );
}

function opportunityCard(o) {
  return h(
    "li",
    { class: "card" },
    h("a", { class: "card-title", href: `#/opportunites/${o.id}` }, o.title),
    h("a", { href: `#/${o.account.kind}s/${o.account.id}` }, o.account.name),
    h("span", {}, `${frAmount(o.amount, o.currency)} · ${STAGES[o.stage] || o.stage}`),
    h("span", { class: "muted" }, `Signature ${frDate(o.expected_signing_date)}`),
  );
}

function actionCard(a, onDone) {
  const group = dueGroup(a);
  const done = h("button", { type: "button", class: "primary done-button", "aria-label": `Marquer « ${a.subject} » comme faite` }, "Fait");
  done.addEventListener("click", async () => {
    done.disabled = true;
    try {
      await post(`${API}/actions/${a.id}/done`);
      toast(`« ${a.subject} » est faite.`);
      onDone();
    } catch (exc) {
      done.disabled = false;
      toast(exc instanceof ApiError ? exc.message : String(exc), "error");
    }
  });
  return h(
    "li",
    { class: `card action-card${group === "En retard" ? " overdue" : ""}`, dataset: { group } },
    h("span", { class: "due-group" }, group),
    h("strong", { class: "card-title" }, `${ACTION_TYPES[a.type] || a.type} : ${a.subject}`),
    h("a", { href: a.target.link.replace(`${API}/`, "#/") }, a.account.name),
    h("span", { class: "muted" }, frDateTime(a.due_at)),
    a.done ? null : done,
  );
}

const CARDS = { accounts: accountCard, contacts: contactCard, opportunities: opportunityCard };

/** The files a list exports to (GET /{path}/export?format=…), with the list's filters and sort. */
const EXPORTS = {
  accounts: { csv: "Exporter en CSV", xlsx: "Exporter en Excel" },
  contacts: { csv: "Exporter en CSV", xlsx: "Exporter en Excel", vcard: "Ajouter au téléphone (vCard)" },
};

/** Links that download the list as it is filtered and sorted now; ``refresh`` follows the page. */
function exportLinks(screen, params) {
  const formats = EXPORTS[screen.entity];
  if (!formats) return null;
  const links = Object.entries(formats).map(([format, label]) =>
    h("a", { class: "button secondary", download: "", dataset: { format } }, label),
  );
  const refresh = () => {
    for (const link of links) {
      const query = new URLSearchParams({ ...params(), format: link.dataset.format });
      link.href = `${API}/${screen.path}/export?${query}`;
    }
  };
  refresh();
  return { element: h("div", { class: "export-bar", role: "group", "aria-label": "Exporter la liste" }, links), refresh };
}

/** The page of one list: #/mes/comptes, #/mes/contacts, #/mes/opportunites, #/mes/actions. */
export function listPage(key) {
  const screen = SCREENS[key];
  const filters = controls(screen);
  const sort = choice(screen.sorts, screen.sort);
  sort.id = newId("sort");
  if (filters.owner) fillOwners(filters.owner);
  const views = h("select", { id: newId("view") }, h("option", { value: "" }, "—"));
  const viewName = h("input", { id: newId("view-name"), placeholder: "Ex. : Gironde", maxlength: "120" });
  const shared = h("input", { type: "checkbox", id: newId("shared") });
  const cards = h("ul", { class: "cards", "aria-label": screen.title });
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Afficher plus");
  const status = h("p", { class: "muted", role: "status" });
  let cursor = null;
  let saved = [];

  function query() {
    const found = {};
    for (const [name, control] of Object.entries(filters)) {
      const value = control.value.trim();
      if (value && !(name === "owner" && value === "all" && screen.entity !== "opportunities")) found[name] = value;
    }
    if (screen.entity === "actions") found.assignee = "me";
    return found;
  }

  const exporter = exportLinks(screen, () => ({ ...query(), sort: sort.value }));

  // An answer that comes back after a newer load was asked for is dropped, never shown.
  const loads = newestOnly();

  async function load(append = false) {
    exporter?.refresh();
    const params = new URLSearchParams({ ...query(), sort: sort.value, limit: "50" });
    if (append && cursor) params.set("cursor", cursor);
    const asked = loads.ask();
    try {
      const { data } = await get(`${API}/${screen.path}?${params}`);
      if (!loads.isNewest(asked)) return;
      if (!append) clear(cards);
      for (const item of data.items) {
        cards.append(screen.entity === "actions" ? actionCard(item, () => load()) : CARDS[screen.entity](item));
      }
      cursor = data.next_cursor;
      more.hidden = !cursor;
      status.textContent = cards.childElementCount ? "" : "Aucun résultat.";
    } catch (exc) {
      if (!loads.isNewest(asked)) return;
      status.textContent = exc instanceof ApiError ? exc.message : String(exc);
    }
  }

  async function loadViews(selected = "") {
    try {
      const { data } = await get(`${API}/views?entity=${screen.entity}`);
      saved = data.items;
      views.replaceChildren(
        h("option", { value: "" }, "—"),
        ...saved.map((v) => h("option", { value: String(v.id), selected: String(v.id) === String(selected) }, v.shared && !v.mine ? `${v.name} (partagée)` : v.name)),
      );
    } catch {
      // the list works without its views
    }
  }

  function openView() {
    const view = saved.find((v) => String(v.id) === views.value);
    if (!view) return;
    for (const [name, control] of Object.entries(filters)) {
      const value = view.filters[name];
      control.value = value === undefined || value === null ? (name === "owner" ? "all" : "") : String(value);
    }
    if (view.sort) sort.value = view.sort;
    load();
  }

  async function saveView(event) {
    event.preventDefault();
    const name = viewName.value.trim();
    if (!name) {
      viewName.setAttribute("aria-invalid", "true");
      viewName.focus();
      return;
    }
    viewName.removeAttribute("aria-invalid");
    try {
      const { data } = await post(`${API}/views`, { name, entity: screen.entity, filters: query(), sort: sort.value, shared: shared.checked });
      toast(`Vue « ${data.name} » enregistrée.`);
      viewName.value = "";
      await loadViews(data.id);
    } catch (exc) {
      toast(exc instanceof ApiError ? exc.message : String(exc), "error");
    }
  }

  const form = h(
    "form",
    { class: "list-filters", role: "search", "aria-label": "Filtres" },
    Object.entries(filters).map(([name, control]) => field(LABELS[name], control)),
    field("Tri", sort),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  for (const control of [...Object.values(filters), sort]) {
    control.addEventListener(control.tagName === "SELECT" ? "change" : "input", () => load());
  }
  views.addEventListener("change", openView);
  more.addEventListener("click", () => load(true));
  const saveForm = h(
    "form",
    { class: "view-save" },
    field("Enregistrer sous", viewName),
    h("div", { class: "checkbox" }, shared, h("label", { for: shared.id }, "Partagée avec l'équipe")),
    h("button", { type: "submit", class: "secondary" }, "Enregistrer la vue"),
  );
  saveForm.addEventListener("submit", saveView);

  loadViews();
  load();
  return h(
    "section",
    { class: "my-list" },
    h(
      "nav",
      { class: "list-tabs", "aria-label": "Ma journée" },
      Object.entries(SCREENS).map(([k, s]) => h("a", { href: `#/mes/${k}`, "aria-current": k === key ? "page" : null }, s.title)),
    ),
    h("h1", {}, screen.title),
    h("div", { class: "views-bar" }, field("Vue", views), saveForm),
    form,
    exporter?.element || null,
    status,
    cards,
    more,
  );
}
