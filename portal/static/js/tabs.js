// The fiche's tabs: Contacts, Activités (the timeline), Documents, Opportunités, Historique.

import { actionForm, ACTION_TYPES } from "./action_form.js";
import { API, ApiError, del, features, get, request } from "./api.js";
import { clear, confirmDialog, frAmount, frDate, frDateTime, frSize, h, newId, toast } from "./dom.js";
import { historyTab } from "./history.js";

export { ACTION_TYPES };
export const STAGES = { qualification: "Qualification", proposal: "Proposition", negotiation: "Négociation", won: "Gagnée", lost: "Perdue" };

/** Arrow keys, Home and End move between the tabs of a tablist (ARIA tabs pattern). */
export function tabKeys(buttons, index, show) {
  return (event) => {
    const count = buttons.length;
    const next = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: count - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    const to = (next + count) % count;
    show(to);
    buttons[to].focus();
  };
}

/** The "+" button on the right of a tab's panel (add an action, add a document). */
function addButton(label, onclick) {
  return h("div", { class: "panel-bar" }, h("button", { type: "button", class: "primary add", onclick }, h("span", { "aria-hidden": "true" }, "+"), label));
}

function failure(panel, exc) {
  clear(panel).append(h("p", { class: "error", role: "alert" }, exc instanceof ApiError ? exc.message : String(exc)));
}

async function contactsTab(panel, kind, id) {
  const { data } = await get(`${API}/accounts/${id}/contacts?limit=200`);
  clear(panel).append(
    h("a", { class: "button primary", href: `#/comptes/${id}/contacts/nouveau` }, "Nouveau contact"),
    data.items.length
      ? h(
          "ul",
          { class: "rows contacts" },
          data.items.map((c) =>
            h(
              "li",
              {},
              h("a", { href: `#/contacts/${c.id}` }, [c.civility, c.first_name, c.last_name].filter(Boolean).join(" ")),
              c.job_title ? h("span", { class: "muted" }, ` — ${c.job_title}`) : null,
            ),
          ),
        )
      : h("p", { class: "muted" }, "Aucun contact."),
  );
}

/** When an action happens: its due date, else when it was done or written. */
function actionDate(action) {
  return action.due_at || action.done_at || action.created_at || "";
}

export function timeline(items) {
  if (!items.length) return h("p", { class: "muted" }, "Aucune activité.");
  // The newest date first, whatever the order the actions were written in.
  const sorted = [...items].sort((a, b) => Date.parse(actionDate(b) || 0) - Date.parse(actionDate(a) || 0) || b.id - a.id);
  return h(
    "ol",
    { class: "timeline" },
    sorted.map((a) =>
      h(
        "li",
        { class: `action action-${a.type} ${a.done ? "done" : ""}` },
        h("span", { class: "action-type" }, ACTION_TYPES[a.type] || a.type),
        h("strong", {}, a.subject),
        h("span", { class: "muted" }, ` ${frDateTime(a.due_at)}${a.done ? " · fait" : ""}`),
        a.notes ? h("p", { class: "notes" }, a.notes) : null,
      ),
    ),
  );
}

async function activitiesTab(panel, kind, id) {
  const url = `${API}/${kind}s/${id}/actions`;
  const list = h("div", { class: "timeline-slot" });
  const formSlot = h("div", { class: "form-slot" });
  const refresh = async () => {
    const { data } = await get(`${url}?limit=100`);
    clear(list).append(timeline(data.items));
  };
  const open = () => {
    // Each form removes itself: a late answer never takes away a newer form.
    const form = actionForm({ url, onAdded: () => { form.remove(); refresh(); }, onCancel: () => form.remove() });
    formSlot.replaceChildren(form);
    form.querySelector("select, input")?.focus();
  };
  await refresh();
  clear(panel).append(addButton("Ajouter une action", open), formSlot, list);
}

/** The upload limit, in French ("25 Mo"). */
function uploadLimit() {
  return frSize(features.max_upload_bytes).replace(",0 ", " ");
}

async function documentsTab(panel, kind, id) {
  const base = `${API}/${kind}s/${id}/documents`;
  const pickerId = newId("file");
  const picker = h("input", { type: "file", id: pickerId, multiple: true, class: "visually-hidden" });
  const zone = h(
    "div",
    { class: "dropzone", tabindex: "-1" },
    h("p", {}, "Déposer un document"),
    h("p", { class: "muted" }, `Glissez-déposez des fichiers ici (${uploadLimit()} au plus chacun), ou `),
    h("label", { for: pickerId, class: "button secondary" }, "choisir un fichier"),
    picker,
  );
  const list = h("ul", { class: "rows documents" });
  const status = h("p", { class: "muted", role: "status" });

  async function refresh() {
    const { data } = await get(base);
    clear(list);
    if (!data.items.length) list.append(h("li", { class: "muted" }, "Aucun document."));
    for (const doc of data.items) {
      const remove = h("button", { type: "button", class: "link danger", "aria-label": `Supprimer ${doc.name}` }, "Supprimer");
      remove.addEventListener("click", async () => {
        const ok = await confirmDialog({ title: "Supprimer le document", message: `Supprimer définitivement « ${doc.name} » ?`, confirmLabel: "Supprimer définitivement", danger: true });
        if (!ok) return;
        try {
          await del(`${API}/documents/${doc.id}`);
          toast("Document supprimé.");
          status.textContent = ""; // an upload's message no longer describes the list
          await refresh();
        } catch (exc) {
          toast(exc.message, "error");
        }
      });
      list.append(
        h(
          "li",
          { class: "document" },
          h("a", { href: doc.links.content, download: doc.name }, doc.name),
          h("span", { class: "muted" }, ` ${frSize(doc.size)} · ${frDateTime(doc.created_at)}`),
          remove,
        ),
      );
    }
  }

  async function upload(files) {
    if (!files.length) return;
    const tooBig = files.filter((file) => file.size > features.max_upload_bytes);
    if (tooBig.length) {
      status.textContent = `${tooBig.map((f) => `« ${f.name} »`).join(", ")} : trop volumineux, ${uploadLimit()} au plus par fichier. Rien n'a été envoyé.`;
      return;
    }
    const body = new FormData();
    for (const file of files) body.append("file", file, file.name);
    status.textContent = "Envoi…";
    try {
      await request("POST", base, { body });
      status.textContent = files.length > 1 ? `${files.length} documents déposés.` : "Document déposé.";
      await refresh();
    } catch (exc) {
      status.textContent = exc instanceof ApiError && exc.status === 413 ? `Fichier trop volumineux : ${uploadLimit()} au plus par fichier.` : exc.message;
    }
  }

  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    upload([...event.dataTransfer.files]);
  });
  picker.addEventListener("change", () => {
    upload([...picker.files]);
    picker.value = "";
  });
  await refresh();
  clear(panel).append(addButton("Ajouter un document", () => picker.click()), zone, status, list);
}

async function opportunitiesTab(panel, kind, id) {
  const { data } = await get(`${API}/opportunities?account_id=${id}&owner=all&limit=100`);
  clear(panel).append(
    data.items.length
      ? h(
          "ul",
          { class: "rows opportunities" },
          data.items.map((o) =>
            h(
              "li",
              {},
              h("a", { href: `#/opportunites/${o.id}` }, o.title),
              h("span", { class: "muted" }, ` ${frAmount(o.amount, o.currency)} · ${STAGES[o.stage] || o.stage} · signature ${frDate(o.expected_signing_date)}`),
            ),
          ),
        )
      : h("p", { class: "muted" }, "Aucune opportunité."),
  );
}

const TABS = {
  contacts: ["Contacts", contactsTab],
  activites: ["Activités", activitiesTab],
  documents: ["Documents", documentsTab],
  opportunites: ["Opportunités", opportunitiesTab],
  historique: ["Historique", historyTab],
};

export function recordTabs(kind, id) {
  const names = kind === "contact" ? ["activites", "documents", "historique"] : ["contacts", "activites", "documents", "opportunites", "historique"];
  const tablist = h("div", { role: "tablist", class: "record-tabs", "aria-label": "Onglets de la fiche" });
  const panels = new Map();
  const buttons = new Map();
  let current = null;

  async function show(name, reload = false) {
    current = name;
    for (const [key, button] of buttons) {
      button.setAttribute("aria-selected", String(key === name));
      button.tabIndex = key === name ? 0 : -1;
    }
    for (const [key, panel] of panels) panel.hidden = key !== name;
    const panel = panels.get(name);
    if (panel.dataset.loaded && !reload) return;
    panel.dataset.loaded = "true";
    if (!panel.firstChild) panel.append(h("p", { class: "muted" }, "Chargement…"));
    try {
      await TABS[name][1](panel, kind, id);
    } catch (exc) {
      failure(panel, exc);
    }
  }

  names.forEach((name, index) => {
    const tabId = newId("tab");
    const panelId = newId("panel");
    const button = h("button", { type: "button", role: "tab", id: tabId, "aria-controls": panelId, dataset: { tab: name } }, TABS[name][0]);
    button.addEventListener("click", () => show(name));
    button.addEventListener("keydown", (event) => tabKeys([...buttons.values()], index, (i) => show(names[i]))(event));
    buttons.set(name, button);
    panels.set(name, h("div", { role: "tabpanel", id: panelId, "aria-labelledby": tabId, class: "record-panel", hidden: true }));
    tablist.append(button);
  });
  show(names[0]);
  return {
    element: h("section", { class: "fiche-tabs", "aria-label": "Onglets" }, tablist, [...panels.values()]),
    refresh: (name) => {
      if (!panels.has(name)) return;
      panels.get(name).dataset.loaded = "";
      if (current === name) show(name, true);
    },
  };
}
