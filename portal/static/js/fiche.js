// The fiche (record page) of a contact, prospect or client, and the creation forms.

import { API, ApiError, get, patch, post, request } from "./api.js";
import { clear, h, toast } from "./dom.js";
import { actionsMenu } from "./fiche_actions.js";
import { fieldForm, fieldLibrary } from "./form.js";
import { fieldMessage } from "./messages.js";
import { sireneButton } from "./sirene.js";
import { recordTabs } from "./tabs.js";

export function recordUrl(kind, id) {
  return `${API}/${kind}s/${id}`;
}

export function displayName(kind, record) {
  if (kind !== "contact") return record.name || "(sans nom)";
  return [record.civility, record.first_name, record.last_name].filter(Boolean).join(" ");
}

export function stateLabel(kind, record) {
  if (kind === "prospect") return record.status === "validated" ? "Prospect validé" : "Prospect brouillon";
  if (kind === "client") return record.closed ? "Client fermé" : "Client";
  return "Contact";
}

function header(kind, record) {
  const title = h("h1", { class: "record-name" }, displayName(kind, record));
  const state = h("span", { class: `state state-${kind} ${record.status || ""} ${record.closed ? "closed" : ""}` }, stateLabel(kind, record));
  const parts = [title, state];
  if (kind === "contact") {
    const account = record.account;
    if (record.job_title) parts.push(h("span", { class: "job" }, record.job_title));
    if (account) parts.push(h("a", { class: "account-link", href: `#/${account.kind}s/${account.id}` }, account.name));
    const quick = h("span", { class: "quick-actions" });
    if (record.links?.tel) quick.append(h("a", { class: "button call", href: record.links.tel, title: `Appeler ${record.direct_line}` }, "Appeler"));
    if (record.links?.mailto) quick.append(h("a", { class: "button mail", href: record.links.mailto, title: `Écrire à ${record.email}` }, "Écrire un e-mail"));
    if (quick.childElementCount) parts.push(quick);
  } else if (record.address?.city) {
    parts.push(h("span", { class: "city" }, record.address.city));
  }
  return h("header", { class: "record-header", tabindex: "0" }, parts);
}

function saveBar(label, onSave, onCancel) {
  const message = h("span", { class: "save-message", role: "status" });
  const save = h("button", { type: "submit", class: "primary" }, label);
  const bar = h(
    "div",
    { class: "save-bar", hidden: true },
    message,
    onCancel ? h("button", { type: "button", class: "secondary", onclick: onCancel }, "Annuler les modifications") : null,
    save,
  );
  return { bar, message, save, onSave };
}

/** The editable part shared by the fiche and the creation pages. */
function recordForm(tabs, record, { kind, submitLabel, alwaysShowBar, features, onSubmit, onCancel }) {
  const extras = {};
  let form = null;
  const alert = h("div", { class: "fiche-alert", role: "alert", hidden: true });
  if (kind === "prospect" && features?.sirene) {
    extras.siret = sireneButton(() => form, alert);
  }
  const bar = saveBar(submitLabel, onSubmit, onCancel);
  form = fieldForm(tabs, record, {
    extras,
    onChange: () => {
      bar.bar.hidden = !(alwaysShowBar || form?.isDirty());
    },
  });
  const element = h("form", { class: "record-form-wrap", novalidate: true }, alert, form.element, bar.bar);
  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    bar.save.disabled = true;
    bar.message.textContent = "Enregistrement…";
    try {
      await onSubmit(form);
      bar.message.textContent = "";
    } catch (exc) {
      bar.message.textContent = exc instanceof ApiError ? exc.message : String(exc);
      if (exc instanceof ApiError && exc.status === 422) form.showErrors(exc.errors, fieldMessage);
    } finally {
      bar.save.disabled = false;
    }
  });
  bar.bar.hidden = !alwaysShowBar;
  return { element, form, alert, bar };
}

function conflictNotice(alert, reload) {
  clear(alert);
  alert.append(
    h("p", {}, "Cette fiche a été modifiée entre-temps (par un collègue ou dans un autre onglet) : vos modifications n'ont pas été enregistrées."),
    h("button", { type: "button", class: "primary reload", onclick: reload }, "Recharger la fiche"),
  );
  alert.hidden = false;
}

export function fichePage(kind, id, features) {
  const page = h("article", { class: `fiche fiche-${kind}`, "aria-busy": "true" }, h("p", {}, "Chargement…"));
  load();
  return page;

  async function load() {
    let record;
    let etag;
    let tabs;
    try {
      [{ data: record, etag }, tabs] = await Promise.all([get(recordUrl(kind, id)), fieldLibrary(kind)]);
    } catch (exc) {
      page.replaceChildren(h("p", { class: "error", role: "alert" }, exc.message), h("a", { href: "#/" }, "Retour à la recherche"));
      return;
    }
    const state = { record, etag };
    const headerSlot = h("div", { class: "header-slot" }, header(kind, record));
    const reload = async () => {
      const { data, etag: fresh } = await get(recordUrl(kind, id));
      state.record = data;
      state.etag = fresh;
      editor.form.reset(data);
      editor.alert.hidden = true;
      headerSlot.replaceChildren(header(kind, data));
      menu.refresh(state.record);
      toast("Fiche rechargée.");
    };
    const editor = recordForm(tabs, record, {
      kind,
      submitLabel: "Sauvegarder",
      features,
      onCancel: () => editor.form.reset(state.record),
      onSubmit: async (form) => {
        try {
          const { data, etag: fresh } = await patch(recordUrl(kind, id), form.changes(), {
            headers: { "If-Match": state.etag },
            labels: form.labels(),
          });
          state.record = data;
          state.etag = fresh;
          form.reset(data);
          headerSlot.replaceChildren(header(kind, data));
          menu.refresh(data);
          toast("Fiche enregistrée.");
        } catch (exc) {
          if (exc instanceof ApiError && exc.status === 412) conflictNotice(editor.alert, reload);
          throw exc;
        }
      },
    });
    const side = recordTabs(kind, id, () => state.record);
    const menu = actionsMenu(kind, id, state, {
      onChanged: (data) => {
        headerSlot.replaceChildren(header(kind, data));
        editor.form.reset(data);
      },
      onConflict: () => conflictNotice(editor.alert, reload),
      refreshDocuments: () => side.refresh("documents"),
    });
    page.replaceChildren(
      h("div", { class: "fiche-top" }, headerSlot, menu.element),
      h("div", { class: "fiche-body" }, h("section", { class: "fiche-fields", "aria-label": "Champs" }, editor.element), side.element),
    );
    page.removeAttribute("aria-busy");
  }
}

async function creationPage(page, { entity, title, submitLabel, features, create }) {
  try {
    const tabs = await fieldLibrary(entity);
    const editor = recordForm(tabs, {}, {
      kind: entity,
      submitLabel,
      alwaysShowBar: true,
      features,
      onSubmit: async (form) => create(form.changes(), form.labels()),
    });
    page.replaceChildren(h("h1", {}, title), editor.element);
    editor.form.input(tabs[0].fields[0].key)?.focus();
  } catch (exc) {
    page.replaceChildren(h("p", { class: "error", role: "alert" }, exc.message));
  }
}

export function prospectCreatePage(features) {
  const page = h("article", { class: "fiche fiche-new" }, h("p", {}, "Chargement…"));
  creationPage(page, {
    entity: "prospect",
    title: "Nouveau prospect",
    submitLabel: "Créer le prospect",
    features,
    create: async (values, labels) => {
      const { data } = await post(`${API}/prospects`, values, { labels });
      toast("Prospect créé (brouillon).");
      window.location.hash = `#/prospects/${data.id}`;
    },
  });
  return page;
}

export function contactCreatePage(accountId) {
  const page = h("article", { class: "fiche fiche-new" }, h("p", {}, "Chargement…"));
  request("GET", `${API}/accounts/${accountId}`)
    .then(({ data: account }) =>
      creationPage(page, {
        entity: "contact",
        title: `Nouveau contact — ${account.name}`,
        submitLabel: "Créer le contact",
        create: async (values, labels) => {
          const { data } = await post(`${API}/accounts/${accountId}/contacts`, values, { labels });
          toast("Contact créé.");
          window.location.hash = `#/contacts/${data.id}`;
        },
      }),
    )
    .catch((exc) => page.replaceChildren(h("p", { class: "error", role: "alert" }, exc.message)));
  return page;
}
