// The fiche (record page) of a contact, prospect or client, and the creation forms.

import { API, ApiError, get, patch, post, request } from "./api.js";
import { clear, h, notFoundPage, setTitle, toast } from "./dom.js";
import { actionsMenu } from "./fiche_actions.js";
import { COMPANY_NUMBER, fieldForm, fieldLibrary } from "./form.js";
import { discardChanges, drafts, guardChanges, recent, releaseGuard } from "./memory.js";
import { duplicateWatcher, showCandidates } from "./duplicates.js";
import { fieldMessage } from "./messages.js";
import { ownerPicker } from "./owner.js";
import { hasRight } from "./session.js";
import { sireneButton } from "./sirene.js";
import { recordTabs } from "./tabs.js";

/** A client's master data comes from the ERP: read-only without the right ``erp_sync``. */
export const ERP_FIELDS = new Set([
  "name", "legal_name", "siren", "siret", "ape_code", "phone", "email", "website",
  "address.line1", "address.line2", "address.postal_code", "address.city", "address.country",
]);
export const ERP_SYNC = "erp_sync";

function erpOwned(kind) {
  return kind === "client" && !hasRight(ERP_SYNC) ? (key) => ERP_FIELDS.has(key) : () => false;
}

/** "+33142685300" as "+33 1 42 68 53 00"; other numbers as stored. */
export function frPhone(number) {
  const match = /^\+33(\d)(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(number || "");
  return match ? `+33 ${match.slice(1).join(" ")}` : number;
}

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

/** "Ajouter au téléphone": the contact's vCard, which a phone opens in its address book. */
function vcardLink(record) {
  return h("a", { class: "button vcard", href: `${API}/contacts/${record.id}/vcard`, download: "" }, "Ajouter au téléphone");
}

/** A person who objected: their numbers and e-mail shown, not as links, with the reason. */
function blockedActions(record) {
  const reasonId = `no-contact-${record.id}`;
  const off = (label) => h("span", { class: "button disabled", "aria-describedby": reasonId }, label);
  const quick = h(
    "div",
    { class: "quick-actions blocked" },
    h("p", { class: "notice do-not-contact", id: reasonId }, "Ne pas contacter : cette personne s'est opposée à être démarchée (RGPD)."),
  );
  if (record.direct_line) quick.append(off(`Appeler la ligne directe ${frPhone(record.direct_line)}`));
  if (record.mobile) quick.append(off(`Appeler le mobile ${frPhone(record.mobile)}`));
  if (record.email) quick.append(off(`Écrire un e-mail à ${record.email}`));
  return quick; // nor offered to a phone's address book
}

/** Every phone number and e-mail of the record, as links one tap away. */
function quickActions(kind, record) {
  if (kind === "contact" && record.do_not_contact) return blockedActions(record);
  const quick = h("div", { class: "quick-actions" });
  const call = (number, what, href = `tel:${number}`) =>
    number ? quick.append(h("a", { class: "button call", href }, `Appeler ${what} `, h("span", { class: "nowrap" }, frPhone(number)))) : null;
  if (kind === "contact") {
    call(record.direct_line, "la ligne directe", record.links?.tel || undefined);
    call(record.mobile, "le mobile");
  } else {
    call(record.phone, "le standard");
  }
  if (record.email) {
    quick.append(h("a", { class: "button mail", href: record.links?.mailto || `mailto:${record.email}` }, `Écrire un e-mail à ${record.email}`));
  }
  if (kind === "contact") quick.append(vcardLink(record));
  return quick.childElementCount ? quick : null;
}

function header(kind, record) {
  const title = h("h1", { class: "record-name", tabindex: "-1" }, displayName(kind, record));
  const state = h("span", { class: `state state-${kind} ${record.status || ""} ${record.closed ? "closed" : ""}` }, stateLabel(kind, record));
  const parts = [title, state];
  if (kind === "contact") {
    const account = record.account;
    if (record.job_title) parts.push(h("span", { class: "job" }, record.job_title));
    if (account) parts.push(h("a", { class: "account-link", href: `#/${account.kind}s/${account.id}` }, account.name));
  } else if (record.address?.city) {
    parts.push(h("span", { class: "city" }, record.address.city));
  }
  return h("header", { class: "record-header" }, parts);
}

function titleOf(kind, record) {
  setTitle(displayName(kind, record), stateLabel(kind, record));
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

/**
 * The editable part shared by the fiche and the creation pages. ``draftName`` names the
 * draft kept while the form holds unsaved changes (restored after a reload).
 */
function recordForm(tabs, record, { kind, submitLabel, alwaysShowBar, features, onSubmit, onCancel, draftName, getRecord = () => record, watchDuplicates = false }) {
  const extras = {};
  let form = null;
  const alert = h("div", { class: "fiche-alert", role: "alert", hidden: true });
  // Likely duplicates of what is typed (a new prospect): a warning with links, not a gate.
  const duplicates = h("div", { class: "duplicate-warning", role: "status", hidden: true });
  const watcher = watchDuplicates ? duplicateWatcher(() => form, duplicates) : null;
  if (kind === "prospect" && features?.sirene) {
    extras[COMPANY_NUMBER] = sireneButton(() => form, alert, getRecord);
  }
  const bar = saveBar(submitLabel, onSubmit, onCancel);
  let ready = false;
  form = fieldForm(tabs, record, {
    extras,
    readOnly: erpOwned(kind),
    onChange: () => {
      const dirty = Boolean(form?.isDirty());
      bar.bar.hidden = !(alwaysShowBar || dirty);
      if (ready) drafts.set(draftName, dirty ? form.snapshot() : null);
      watcher?.changed();
    },
  });
  // Only while this form is on screen: a fiche left before it loaded guards nothing.
  guardChanges(() => element.isConnected && form.isDirty(), () => drafts.drop(draftName));
  const saved = drafts.get(draftName);
  let draftNotice = null;
  if (saved && Object.keys(saved).length) {
    form.restore(saved);
    draftNotice = h(
      "div",
      { class: "notice draft-notice", role: "status" },
      h("span", {}, "Brouillon restauré : vos modifications non enregistrées ont été reprises."),
      h("button", { type: "button", class: "secondary", onclick: () => { drafts.drop(draftName); form.reset(getRecord()); draftNotice.remove(); } }, "Abandonner le brouillon"),
    );
  }
  ready = true;
  const element = h("form", { class: "record-form-wrap", novalidate: true }, draftNotice, alert, duplicates, form.element, bar.bar);
  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!alwaysShowBar && !form.isDirty()) {
      toast("Rien à enregistrer : aucune modification.");
      return;
    }
    bar.save.disabled = true;
    bar.message.textContent = "Enregistrement…";
    try {
      await onSubmit(form);
      bar.message.textContent = "";
      drafts.drop(draftName);
      draftNotice?.remove();
    } catch (exc) {
      bar.message.textContent = exc instanceof ApiError ? exc.message : String(exc);
      if (exc instanceof ApiError && exc.status === 422) form.showErrors(exc.errors, fieldMessage);
    } finally {
      bar.save.disabled = false;
    }
  });
  bar.bar.hidden = !(alwaysShowBar || form.isDirty());
  return { element, form, alert, bar, duplicates };
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
      if (exc instanceof ApiError && exc.status === 404) {
        // Deleted, or a closed client out of the user's sight: it does not exist for them.
        recent.remove(kind, id);
        page.replaceChildren(notFoundPage("Cette fiche n'existe pas (ou plus)."));
      } else {
        setTitle("Erreur");
        page.replaceChildren(h("p", { class: "error", role: "alert" }, exc.message), h("a", { href: "#/" }, "Retour à la recherche"));
      }
      page.removeAttribute("aria-busy");
      return;
    }
    const state = { record, etag };
    recent.add({ kind, id, label: displayName(kind, record), sublabel: kind === "contact" ? record.account?.name || "" : record.address?.city || "" });
    titleOf(kind, record);
    const headerSlot = h("div", { class: "header-slot" }, header(kind, record));
    // Below the header, the whole width: big enough for a thumb on a phone.
    const quickSlot = h("div", { class: "quick-slot" }, quickActions(kind, record));
    const showRecord = (data) => {
      headerSlot.replaceChildren(header(kind, data));
      quickSlot.replaceChildren(quickActions(kind, data) || "");
      titleOf(kind, data);
    };
    const reload = async () => {
      const { data, etag: fresh } = await get(recordUrl(kind, id));
      state.record = data;
      state.etag = fresh;
      editor.form.reset(data);
      editor.alert.hidden = true;
      showRecord(data);
      owner?.refresh(data);
      menu.refresh(state.record);
      toast("Fiche rechargée.");
    };
    const editor = recordForm(tabs, record, {
      kind,
      submitLabel: "Sauvegarder",
      features,
      draftName: `${kind}:${id}`,
      getRecord: () => state.record,
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
          showRecord(data);
          menu.refresh(data);
          toast("Fiche enregistrée.");
        } catch (exc) {
          if (exc instanceof ApiError && exc.status === 412) conflictNotice(editor.alert, reload);
          throw exc;
        }
      },
    });
    // an account's owner (a contact's is its account's): shown and changed at once
    const owner = kind === "contact" ? null : ownerPicker(recordUrl(kind, id), state, {
      onSaved: (data) => {
        showRecord(data);
        menu.refresh(data);
      },
      onConflict: () => conflictNotice(editor.alert, reload),
    });
    const side = recordTabs(kind, id, () => state.record);
    const menu = actionsMenu(kind, id, state, {
      onChanged: (data) => {
        showRecord(data);
        editor.form.reset(data);
      },
      beforeLeave: discardChanges,
      onConflict: () => conflictNotice(editor.alert, reload),
      refreshDocuments: () => side.refresh("documents"),
    });
    page.replaceChildren(
      h("div", { class: "fiche-top" }, headerSlot, menu.element),
      quickSlot,
      owner ? owner.element : "",
      h("div", { class: "fiche-body" }, h("section", { class: "fiche-fields", "aria-label": "Champs" }, editor.element), side.element),
    );
    page.removeAttribute("aria-busy");
    headerSlot.querySelector(".record-name").focus();
  }
}

async function creationPage(page, { entity, title, submitLabel, features, draftName, create }) {
  try {
    setTitle(title);
    const tabs = await fieldLibrary(entity);
    const editor = recordForm(tabs, {}, {
      kind: entity,
      submitLabel,
      alwaysShowBar: true,
      features,
      draftName,
      watchDuplicates: entity === "prospect",
      onSubmit: async (form) => {
        const values = form.changes();
        await create(values, form.labels(), () => {
          drafts.drop(draftName);
          releaseGuard(); // created: leaving the form loses nothing
        }, editor);
      },
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
    draftName: "new:prospect",
    create: async (values, labels, created, editor) => {
      let data;
      try {
        ({ data } = await post(`${API}/prospects`, values, { labels }));
      } catch (exc) {
        // One establishment, one fiche: the SIRET's fiche is shown, with its link.
        if (exc instanceof ApiError && exc.status === 409 && exc.problem.duplicates?.length) {
          showCandidates(editor.duplicates, exc.problem.duplicates, "Ce SIRET est déjà celui d'une fiche : ouvrez-la plutôt que d'en créer une autre.");
        }
        throw exc;
      }
      created();
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
        draftName: `new:contact:${accountId}`,
        create: async (values, labels, created) => {
          const { data } = await post(`${API}/accounts/${accountId}/contacts`, values, { labels });
          created();
          toast("Contact créé.");
          window.location.hash = `#/contacts/${data.id}`;
        },
      }),
    )
    .catch((exc) =>
      page.replaceChildren(
        exc instanceof ApiError && exc.status === 404
          ? notFoundPage("Ce compte n'existe pas (ou plus).")
          : h("p", { class: "error", role: "alert" }, exc.message),
      ),
    );
  return page;
}
