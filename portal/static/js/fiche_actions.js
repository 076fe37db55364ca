// The Actions menu of a fiche: Valider le prospect, Éditer, Fusionner, Supprimer.

import { API, ApiError, del, download, get, post, waitForJob } from "./api.js";
import { append, confirmDialog, h, newId, toast } from "./dom.js";
import { ACCOUNT, CONTACT, MERGE_ACCOUNTS, mergeDialog } from "./merge.js";
import { hasRight } from "./session.js";

const VALIDATE_PROSPECT = "validate_prospect";
const ERP_SYNC = "erp_sync";

function url(kind, id) {
  return `${API}/${kind}s/${id}`;
}

function name(kind, record) {
  return kind === "contact" ? [record.first_name, record.last_name].filter(Boolean).join(" ") : record.name;
}

/** The Éditer dialog: choose a template, maybe attach the document; the file downloads. */
async function printDialog(kind, id, { refreshDocuments }) {
  let templates;
  try {
    ({ data: { items: templates } } = await get(`${API}/edition-templates?entity=${kind}`));
  } catch (exc) {
    toast(exc.message, "error");
    return;
  }
  if (!templates.length) {
    toast("Aucun modèle d'édition n'est configuré pour ce type de fiche.", "error");
    return;
  }
  const selectId = newId("template");
  const attachId = newId("attach");
  const dialog = h("dialog", { class: "dialog", "aria-labelledby": "print-title" });
  const status = h("p", { class: "print-status", role: "status" });
  const select = h("select", { id: selectId, name: "template" }, templates.map((t) => h("option", { value: String(t.id) }, `${t.name} (${t.format === "docx" ? "DOCX" : "PDF"})`)));
  const attach = h("input", { type: "checkbox", id: attachId, name: "attach" });
  const submit = h("button", { type: "submit", class: "primary" }, "Imprimer");
  const form = h(
    "form",
    { method: "dialog" },
    h("h2", { id: "print-title" }, "Éditer la fiche"),
    h("label", { for: selectId }, "Modèle"),
    select,
    h("div", { class: "checkbox" }, attach, h("label", { for: attachId }, "Associer le document")),
    status,
    h("div", { class: "dialog-buttons" }, h("button", { type: "button", class: "secondary", onclick: () => dialog.close() }, "Fermer"), submit),
  );
  dialog.append(form);
  dialog.addEventListener("close", () => dialog.remove());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    status.textContent = "Édition en cours…";
    try {
      const reply = await post(`${url(kind, id)}/editions`, { template_id: Number(select.value), attach: attach.checked });
      const job = await waitForJob(reply.headers.get("Location") || reply.data.links.self);
      if (job.links?.download) download(job.links.download);
      status.textContent = attach.checked ? "Document édité et associé à la fiche." : "Document édité.";
      if (attach.checked) refreshDocuments();
      toast(status.textContent);
      dialog.close();
    } catch (exc) {
      status.textContent = exc instanceof ApiError ? exc.message : String(exc);
    } finally {
      submit.disabled = false;
    }
  });
  document.body.append(dialog);
  dialog.showModal();
}

export function actionsMenu(kind, id, state, { onChanged, onConflict, refreshDocuments, beforeLeave = () => {} }) {
  const menuId = newId("actions-menu");
  const button = h("button", { type: "button", class: "secondary actions-button", "aria-haspopup": "menu", "aria-expanded": "false", "aria-controls": menuId }, "Actions ▾");
  const menu = h("div", { role: "menu", id: menuId, class: "menu", hidden: true, "aria-label": "Actions" });
  const element = h("div", { class: "actions" }, button, menu);

  const close = () => {
    menu.hidden = true;
    button.setAttribute("aria-expanded", "false");
  };
  const items = () => [...menu.querySelectorAll("[role=menuitem]")];
  button.addEventListener("click", () => {
    const open = menu.hidden;
    menu.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    if (open) items()[0]?.focus();
  });
  menu.addEventListener("keydown", (event) => {
    const list = items();
    const at = list.indexOf(document.activeElement);
    if (event.key === "Escape") {
      close();
      button.focus();
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      list[(at + step + list.length) % list.length]?.focus();
    }
  });
  element.addEventListener("focusout", (event) => {
    if (!element.contains(event.relatedTarget)) close();
  });

  const item = (label, action, extra = "") =>
    h("button", { type: "button", role: "menuitem", class: `menuitem ${extra}`, tabindex: "-1", onclick: () => { close(); action(); } }, label);

  async function validate() {
    try {
      const { data, etag } = await post(`${API}/prospects/${id}/validate`, undefined, { headers: { "If-Match": state.etag } });
      state.record = data;
      state.etag = etag;
      onChanged(data);
      refresh(data);
      toast("Prospect validé.");
    } catch (exc) {
      if (exc instanceof ApiError && exc.status === 412) onConflict();
      toast(exc.message, "error");
    }
  }

  async function remove() {
    const what = { contact: "le contact", prospect: "le prospect", client: "le client" }[kind];
    const ok = await confirmDialog({
      title: `Supprimer ${what}`,
      message: `Supprimer définitivement ${what} « ${name(kind, state.record)} » ? ${kind === "contact" ? "Ses documents et ses actions" : "Ses contacts, ses documents, ses actions et ses opportunités"} seront supprimés aussi. Cette suppression est définitive : elle ne peut pas être annulée.`,
      confirmLabel: "Supprimer définitivement",
      danger: true,
    });
    if (!ok) return;
    try {
      await del(url(kind, id), { headers: { "If-Match": state.etag } });
      toast(`${what[0].toUpperCase()}${what.slice(1)} a été supprimé.`);
      beforeLeave(); // the record is gone: nothing left to save
      window.location.hash = "#/";
    } catch (exc) {
      if (exc instanceof ApiError && exc.status === 412) onConflict();
      toast(exc.message, "error");
    }
  }

  function refresh(record) {
    menu.replaceChildren();
    if (kind === "prospect" && record.status === "draft") {
      if (hasRight(VALIDATE_PROSPECT)) append(menu, [item("Valider le prospect", validate)]);
      else {
        // Shown, disabled, saying why: the user knows whom to ask.
        const denied = item("Valider le prospect — droit « valider un prospect » requis", () => {}, "denied");
        denied.setAttribute("aria-disabled", "true");
        append(menu, [denied]);
      }
    }
    append(menu, [item("Éditer…", () => printDialog(kind, id, { refreshDocuments }))]);
    // A prospect merges into another account (the API asks merge_accounts), a contact
    // into another contact (no right, as deleting one); a client belongs to the ERP.
    const entity = { prospect: ACCOUNT, contact: CONTACT }[kind];
    if (entity === CONTACT || (entity && hasRight(MERGE_ACCOUNTS))) {
      append(menu, [item("Fusionner…", () => mergeDialog(entity, state, { beforeLeave }))]);
    }
    // A client belongs to the ERP: only the ERP deletes it.
    if (kind !== "client" || hasRight(ERP_SYNC)) append(menu, [item("Supprimer…", remove, "danger")]);
  }

  refresh(state.record);
  return { element, refresh };
}
