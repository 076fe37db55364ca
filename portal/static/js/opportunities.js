// Opportunités: the portfolio (filters, sort), the signature calendar (a month) and an
// opportunity's page (its Contacts and Activités tabs, with a form to add an action).

import { API, ApiError, get, post } from "./api.js";
import { clear, frAmount, frDate, h, newId, toast } from "./dom.js";
import { ACTION_TYPES, STAGES, timeline } from "./tabs.js";

const SORTS = {
  expected_signing_date: "Signature la plus proche",
  "-expected_signing_date": "Signature la plus lointaine",
  "-amount": "Montant décroissant",
  amount: "Montant croissant",
};

function accountLink(account) {
  return h("a", { href: `#/${account.kind}s/${account.id}`, class: "account-link" }, account.name);
}

function select(id, options, value) {
  return h("select", { id }, Object.entries(options).map(([key, label]) => h("option", { value: key, selected: key === value }, label)));
}

export function portfolioPage() {
  const ids = { stage: newId("stage"), sort: newId("sort"), owner: newId("owner"), open: newId("open") };
  const stage = select(ids.stage, { "": "Toutes les étapes", ...STAGES }, "");
  const sort = select(ids.sort, SORTS, "expected_signing_date");
  const owner = select(ids.owner, { me: "Les miennes", all: "Toutes" }, "all");
  const open = h("input", { type: "checkbox", id: ids.open, checked: true });
  const body = h("tbody");
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Afficher plus");
  const status = h("p", { class: "muted", role: "status" });
  let cursor = null;

  async function load(append = false) {
    const params = new URLSearchParams({ sort: sort.value, owner: owner.value, limit: "50" });
    if (stage.value) params.append("stage", stage.value);
    if (open.checked) params.set("open", "true");
    if (append && cursor) params.set("cursor", cursor);
    try {
      const { data } = await get(`${API}/opportunities?${params}`);
      if (!append) clear(body);
      for (const o of data.items) {
        body.append(
          h(
            "tr",
            {},
            h("td", {}, accountLink(o.account)),
            h("td", {}, h("a", { href: `#/opportunites/${o.id}` }, o.title)),
            h("td", { class: "number" }, frAmount(o.amount, o.currency)),
            h("td", {}, STAGES[o.stage] || o.stage),
            h("td", { class: "number" }, `${o.probability} %`),
            h("td", {}, frDate(o.expected_signing_date)),
          ),
        );
      }
      cursor = data.next_cursor;
      more.hidden = !cursor;
      status.textContent = body.childElementCount ? "" : "Aucune opportunité.";
    } catch (exc) {
      status.textContent = exc instanceof ApiError ? exc.message : String(exc);
    }
  }

  for (const control of [stage, sort, owner, open]) control.addEventListener("change", () => load());
  more.addEventListener("click", () => load(true));
  load();
  return h(
    "section",
    { class: "portfolio" },
    h("h1", {}, "Opportunités"),
    h(
      "div",
      { class: "filters" },
      h("label", { for: ids.stage }, "Étape"), stage,
      h("label", { for: ids.owner }, "Propriétaire"), owner,
      h("span", { class: "checkbox" }, open, h("label", { for: ids.open }, "En cours seulement")),
      h("label", { for: ids.sort }, "Tri"), sort,
    ),
    h(
      "table",
      { class: "table" },
      h("thead", {}, h("tr", {}, ["Compte", "Opportunité", "Montant", "Étape", "Probabilité", "Signature prévue"].map((t) => h("th", { scope: "col" }, t)))),
      body,
    ),
    status,
    more,
  );
}

function iso(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

const monthFmt = new Intl.DateTimeFormat("fr-FR", { month: "long", year: "numeric" });
const WEEKDAYS = ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."];

export function calendarSection() {
  const today = new Date();
  let month = new Date(today.getFullYear(), today.getMonth(), 1);
  const title = h("h2", { id: "calendar-title", "aria-live": "polite" });
  const grid = h("div", { class: "calendar", role: "grid", "aria-labelledby": "calendar-title" });
  const status = h("p", { class: "muted", role: "status" });

  async function load() {
    const first = new Date(month);
    const last = new Date(month.getFullYear(), month.getMonth() + 1, 0);
    title.textContent = `Calendrier des signatures — ${monthFmt.format(first)}`;
    let byDay = new Map();
    try {
      const { data } = await get(`${API}/opportunities/signature-calendar?from=${iso(first)}&to=${iso(last)}&owner=all`);
      byDay = new Map(data.days.map((d) => [d.date, d]));
      status.textContent = "";
    } catch (exc) {
      status.textContent = exc instanceof ApiError ? exc.message : String(exc);
    }
    clear(grid);
    grid.append(h("div", { role: "row", class: "calendar-head" }, WEEKDAYS.map((d) => h("div", { role: "columnheader" }, d))));
    let row = h("div", { role: "row", class: "calendar-week" });
    const offset = (first.getDay() + 6) % 7; // Monday first
    for (let i = 0; i < offset; i += 1) row.append(h("div", { role: "gridcell", class: "calendar-day empty" }));
    for (let day = 1; day <= last.getDate(); day += 1) {
      const date = new Date(month.getFullYear(), month.getMonth(), day);
      const entry = byDay.get(iso(date));
      row.append(
        h(
          "div",
          { role: "gridcell", class: `calendar-day ${entry ? "busy" : ""} ${iso(date) === iso(today) ? "today" : ""}`, dataset: { date: iso(date) } },
          h("span", { class: "day-number" }, String(day)),
          entry
            ? h("ul", {}, entry.items.map((o) => h("li", {}, accountLink(o.account), h("span", { class: "muted" }, ` ${frAmount(o.amount, o.currency)}`))))
            : null,
        ),
      );
      if ((offset + day) % 7 === 0) {
        grid.append(row);
        row = h("div", { role: "row", class: "calendar-week" });
      }
    }
    if (row.childElementCount) grid.append(row);
  }

  const move = (step) => {
    month = new Date(month.getFullYear(), month.getMonth() + step, 1);
    load();
  };
  load();
  return h(
    "section",
    { class: "signature-calendar" },
    h("div", { class: "calendar-bar" }, title, h("button", { type: "button", class: "secondary", onclick: () => move(-1) }, "‹ Mois précédent"), h("button", { type: "button", class: "secondary", onclick: () => move(1) }, "Mois suivant ›")),
    grid,
    status,
  );
}

function actionForm(opportunity, contacts, onAdded) {
  const ids = { type: newId("type"), subject: newId("subject"), due: newId("due"), target: newId("target"), notes: newId("notes") };
  const type = select(ids.type, ACTION_TYPES, "call");
  const subject = h("input", { id: ids.subject, required: true, maxlength: 200 });
  const due = h("input", { id: ids.due, type: "datetime-local", required: true });
  const account = opportunity.account;
  const targets = { [`${account.kind}:${account.id}`]: `${account.name} (compte)` };
  for (const c of contacts) targets[`contact:${c.id}`] = [c.first_name, c.last_name].filter(Boolean).join(" ");
  const target = select(ids.target, targets, `${account.kind}:${account.id}`);
  const notes = h("textarea", { id: ids.notes, rows: 2 });
  const status = h("p", { class: "muted", role: "status" });
  const form = h(
    "form",
    { class: "action-form" },
    h("h3", {}, "Ajouter une action"),
    h("label", { for: ids.type }, "Type"), type,
    h("label", { for: ids.target }, "Sur"), target,
    h("label", { for: ids.subject }, "Objet"), subject,
    h("label", { for: ids.due }, "Échéance"), due,
    h("label", { for: ids.notes }, "Notes"), notes,
    status,
    h("button", { type: "submit", class: "primary" }, "Ajouter l'action"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const [kind, id] = target.value.split(":");
    const body = { type: type.value, subject: subject.value.trim(), target: { kind, id: Number(id) } };
    if (due.value) body.due_at = new Date(due.value).toISOString();
    if (notes.value.trim()) body.notes = notes.value.trim();
    try {
      await post(`${API}/opportunities/${opportunity.id}/actions`, body);
      form.reset();
      status.textContent = "";
      toast("Action ajoutée.");
      onAdded();
    } catch (exc) {
      status.textContent = exc.message;
    }
  });
  return form;
}

export function opportunityPage(id) {
  const page = h("article", { class: "opportunity" }, h("p", {}, "Chargement…"));
  (async () => {
    try {
      const { data: o } = await get(`${API}/opportunities/${id}`);
      const { data: contacts } = await get(`${API}/accounts/${o.account.id}/contacts?limit=200`);
      const activities = h("div", { class: "record-panel" });
      const refresh = async () => {
        const { data } = await get(`${API}/opportunities/${id}/actions?limit=100`);
        clear(activities).append(timeline(data.items));
      };
      const contactsPanel = h(
        "div",
        { role: "tabpanel", id: "opp-contacts", "aria-labelledby": "opp-tab-contacts", class: "record-panel" },
        (o.contacts || []).length
          ? h("ul", { class: "rows" }, o.contacts.map((c) => h("li", {}, h("a", { href: `#/contacts/${c.id}` }, [c.first_name, c.last_name].filter(Boolean).join(" ")))))
          : h("p", { class: "muted" }, "Aucun contact associé."),
      );
      const activitiesPanel = h(
        "div",
        { role: "tabpanel", id: "opp-activities", "aria-labelledby": "opp-tab-activities", class: "record-panel", hidden: true },
        actionForm(o, contacts.items, refresh),
        activities,
      );
      const tabs = [
        h("button", { type: "button", role: "tab", id: "opp-tab-contacts", "aria-controls": "opp-contacts", "aria-selected": "true" }, "Contacts"),
        h("button", { type: "button", role: "tab", id: "opp-tab-activities", "aria-controls": "opp-activities", "aria-selected": "false" }, "Activités"),
      ];
      tabs.forEach((tab, i) =>
        tab.addEventListener("click", () => {
          tabs.forEach((t, j) => t.setAttribute("aria-selected", String(i === j)));
          contactsPanel.hidden = i !== 0;
          activitiesPanel.hidden = i !== 1;
        }),
      );
      page.replaceChildren(
        h(
          "header",
          { class: "record-header" },
          h("h1", { class: "record-name" }, o.title),
          h("span", { class: "state" }, STAGES[o.stage] || o.stage),
          accountLink(o.account),
        ),
        h("p", {}, `${frAmount(o.amount, o.currency)} · probabilité ${o.probability} % · signature prévue le ${frDate(o.expected_signing_date)}`),
        h("section", { class: "fiche-tabs" }, h("div", { role: "tablist", class: "record-tabs" }, tabs), contactsPanel, activitiesPanel),
      );
      await refresh();
    } catch (exc) {
      page.replaceChildren(h("p", { class: "error", role: "alert" }, exc instanceof ApiError ? exc.message : String(exc)));
      toast(exc.message, "error");
    }
  })();
  return page;
}
