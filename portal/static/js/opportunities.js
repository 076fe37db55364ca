// Opportunités: the portfolio (filters, sort), the signature calendar (a month) and an
// opportunity's page (its Contacts and Activités tabs, with a form to add an action).

import { API, ApiError, get, newestOnly } from "./api.js";
import { clear, frAmount, frDate, h, newId, select, setTitle, toast } from "./dom.js";
import { restoreScroll, views } from "./memory.js";
import { actionForm } from "./action_form.js";
import { ownerPicker } from "./owner.js";
import { STAGES, tabKeys, timeline } from "./tabs.js";

const COLUMNS = ["Compte", "Opportunité", "Montant", "Étape", "Probabilité", "Signature prévue"];

const SORTS = {
  expected_signing_date: "Signature la plus proche",
  "-expected_signing_date": "Signature la plus lointaine",
  "-amount": "Montant décroissant",
  amount: "Montant croissant",
};

function accountLink(account) {
  return h("a", { href: `#/${account.kind}s/${account.id}`, class: "account-link" }, account.name);
}


export function portfolioPage() {
  const ids = { stage: newId("stage"), sort: newId("sort"), owner: newId("owner"), open: newId("open") };
  // Back to the portfolio: the filters as the user left them.
  const saved = { stage: "", sort: "expected_signing_date", owner: "all", open: true, ...views.get("portfolio") };
  const stage = select(ids.stage, { "": "Toutes les étapes", ...STAGES }, saved.stage);
  const sort = select(ids.sort, SORTS, saved.sort);
  const owner = select(ids.owner, { me: "Les miennes", all: "Toutes" }, saved.owner);
  const open = h("input", { type: "checkbox", id: ids.open, checked: saved.open });
  let first = true;
  const body = h("tbody");
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Afficher plus");
  const status = h("p", { class: "muted", role: "status" });
  let cursor = null;
  // The first page, slower than the filtered one chosen meanwhile, is dropped, never shown.
  const loads = newestOnly();

  async function load(append = false) {
    const params = new URLSearchParams({ sort: sort.value, owner: owner.value, limit: "50" });
    if (stage.value) params.append("stage", stage.value);
    if (open.checked) params.set("open", "true");
    if (append && cursor) params.set("cursor", cursor);
    const asked = loads.ask();
    try {
      const { data } = await get(`${API}/opportunities?${params}`);
      if (!loads.isNewest(asked)) return;
      if (!append) clear(body);
      for (const o of data.items) {
        body.append(
          h(
            "tr",
            {},
            // data-label: on a phone each row is a card that names its values
            h("td", { "data-label": COLUMNS[0] }, accountLink(o.account)),
            h("td", { "data-label": COLUMNS[1] }, h("a", { href: `#/opportunites/${o.id}` }, o.title)),
            h("td", { class: "number", "data-label": COLUMNS[2] }, frAmount(o.amount, o.currency)),
            h("td", { "data-label": COLUMNS[3] }, STAGES[o.stage] || o.stage),
            h("td", { class: "number", "data-label": COLUMNS[4] }, `${o.probability} %`),
            h("td", { "data-label": COLUMNS[5] }, frDate(o.expected_signing_date)),
          ),
        );
      }
      cursor = data.next_cursor;
      more.hidden = !cursor;
      status.textContent = body.childElementCount ? "" : "Aucune opportunité.";
      if (first) restoreScroll();
      first = false;
    } catch (exc) {
      if (!loads.isNewest(asked)) return;
      status.textContent = exc instanceof ApiError ? exc.message : String(exc);
    }
  }

  for (const control of [stage, sort, owner, open]) {
    control.addEventListener("change", () => {
      views.update("portfolio", { stage: stage.value, sort: sort.value, owner: owner.value, open: open.checked });
      load();
    });
  }
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
      h("thead", {}, h("tr", {}, COLUMNS.map((t) => h("th", { scope: "col" }, t)))),
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

const dayFmt = new Intl.DateTimeFormat("fr-FR", { weekday: "long", day: "numeric", month: "long" });

/** The month's signatures as a list of days (the calendar on a phone). */
function agenda(first, last, byDay) {
  const days = [];
  for (let day = 1; day <= last.getDate(); day += 1) {
    const date = new Date(first.getFullYear(), first.getMonth(), day);
    const entry = byDay.get(iso(date));
    if (!entry) continue;
    days.push(
      h(
        "li",
        { class: "agenda-day", dataset: { date: iso(date) } },
        h("h3", {}, dayFmt.format(date)),
        h("ul", {}, entry.items.map((o) => h("li", {}, accountLink(o.account), h("span", { class: "muted" }, ` ${frAmount(o.amount, o.currency)}`)))),
      ),
    );
  }
  return days.length ? days : [h("li", { class: "muted" }, "Aucune signature prévue ce mois-ci.")];
}

export function calendarSection() {
  const today = new Date();
  const savedMonth = views.get("calendar").month;
  let month = savedMonth ? new Date(`${savedMonth}-01T00:00:00`) : new Date(today.getFullYear(), today.getMonth(), 1);
  const title = h("h2", { id: "calendar-title", "aria-live": "polite" });
  const grid = h("div", { class: "calendar", role: "grid", "aria-labelledby": "calendar-title" });
  const list = h("ol", { class: "agenda", "aria-labelledby": "calendar-title" });
  const status = h("p", { class: "muted", role: "status" });
  // Months clicked through quickly: a month's answer coming after the next month was
  // asked for is dropped, never drawn under the newer month's title.
  const loads = newestOnly();

  async function load() {
    const first = new Date(month);
    const last = new Date(month.getFullYear(), month.getMonth() + 1, 0);
    title.textContent = `Calendrier des signatures — ${monthFmt.format(first)}`;
    let byDay = new Map();
    const asked = loads.ask();
    try {
      const { data } = await get(`${API}/opportunities/signature-calendar?from=${iso(first)}&to=${iso(last)}&owner=all`);
      if (!loads.isNewest(asked)) return;
      byDay = new Map(data.days.map((d) => [d.date, d]));
      status.textContent = "";
    } catch (exc) {
      if (!loads.isNewest(asked)) return;
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
    list.replaceChildren(...agenda(first, last, byDay));
  }

  const move = (step) => {
    month = new Date(month.getFullYear(), month.getMonth() + step, 1);
    views.update("calendar", { month: iso(month).slice(0, 7) });
    load();
  };
  load();
  return h(
    "section",
    { class: "signature-calendar" },
    h("div", { class: "calendar-bar" }, title, h("button", { type: "button", class: "secondary", onclick: () => move(-1) }, "‹ Mois précédent"), h("button", { type: "button", class: "secondary", onclick: () => move(1) }, "Mois suivant ›")),
    grid,
    list,
    status,
  );
}

/** Whom an action of the opportunity may be on: its account (first) or one of its contacts. */
function opportunityTargets(opportunity, contacts) {
  const account = opportunity.account;
  const targets = { [`${account.kind}:${account.id}`]: `${account.name} (compte)` };
  for (const c of contacts) targets[`contact:${c.id}`] = [c.first_name, c.last_name].filter(Boolean).join(" ");
  return targets;
}

export function opportunityPage(id) {
  const page = h("article", { class: "opportunity" }, h("p", {}, "Chargement…"));
  (async () => {
    try {
      const { data: o, etag } = await get(`${API}/opportunities/${id}`);
      const state = { record: o, etag };
      const owner = ownerPicker(`${API}/opportunities/${id}`, state, {
        onConflict: () => toast("Cette opportunité a été modifiée entre-temps : rechargez la page.", "error"),
      });
      setTitle(o.title, "Opportunité");
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
        actionForm({
          url: `${API}/opportunities/${o.id}/actions`,
          targets: opportunityTargets(o, contacts.items),
          onAdded: refresh,
        }),
        activities,
      );
      const tabs = [
        h("button", { type: "button", role: "tab", id: "opp-tab-contacts", "aria-controls": "opp-contacts", "aria-selected": "true" }, "Contacts"),
        h("button", { type: "button", role: "tab", id: "opp-tab-activities", "aria-controls": "opp-activities", "aria-selected": "false" }, "Activités"),
      ];
      const panels = [contactsPanel, activitiesPanel];
      const show = (i) => {
        tabs.forEach((t, j) => {
          t.setAttribute("aria-selected", String(i === j));
          t.tabIndex = i === j ? 0 : -1;
        });
        panels.forEach((p, j) => (p.hidden = i !== j));
      };
      tabs.forEach((tab, i) => {
        tab.addEventListener("click", () => show(i));
        tab.addEventListener("keydown", tabKeys(tabs, i, show));
      });
      show(0);
      page.replaceChildren(
        h(
          "header",
          { class: "record-header" },
          h("h1", { class: "record-name", tabindex: "-1" }, o.title),
          h("span", { class: "state" }, STAGES[o.stage] || o.stage),
          accountLink(o.account),
        ),
        h("p", {}, `${frAmount(o.amount, o.currency)} · probabilité ${o.probability} % · signature prévue le ${frDate(o.expected_signing_date)}`),
        owner.element,
        h("section", { class: "fiche-tabs" }, h("div", { role: "tablist", class: "record-tabs", "aria-label": "Onglets de l'opportunité" }, tabs), contactsPanel, activitiesPanel),
      );
      page.querySelector(".record-name").focus();
      await refresh();
    } catch (exc) {
      page.replaceChildren(h("p", { class: "error", role: "alert" }, exc instanceof ApiError ? exc.message : String(exc)));
      toast(exc.message, "error");
    }
  })();
  return page;
}
