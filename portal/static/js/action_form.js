// The form that adds an action (call, meeting, e-mail, task): on an opportunity, where
// it may be on the account or one of its contacts, or on a fiche's Activités tab.

import { post } from "./api.js";
import { h, newId, select, toast } from "./dom.js";

export const ACTION_TYPES = { call: "Appel", meeting: "Rendez-vous", email: "E-mail", task: "Tâche" };

function required() {
  return h("span", { class: "required", title: "obligatoire", "aria-hidden": "true" }, " *");
}

/** ``targets`` ({"kind:id": label}, the first is the default) or null: the URL's record. */
export function actionForm({ url, targets = null, onAdded, onCancel = null }) {
  const ids = { type: newId("type"), subject: newId("subject"), due: newId("due"), target: newId("target"), notes: newId("notes") };
  const type = select(ids.type, ACTION_TYPES, "call");
  const subject = h("input", { id: ids.subject, required: true, "aria-required": "true", maxlength: 200 });
  const due = h("input", { id: ids.due, type: "datetime-local", required: true, "aria-required": "true" });
  const target = targets ? select(ids.target, targets, Object.keys(targets)[0]) : null;
  const notes = h("textarea", { id: ids.notes, rows: 2 });
  const status = h("p", { class: "muted", role: "status" });
  const form = h(
    "form",
    { class: "action-form" },
    h("h2", { class: "form-title" }, "Ajouter une action"),
    h("p", { class: "hint" }, "Les champs marqués * sont obligatoires."),
    h("label", { for: ids.type }, "Type"), type,
    target ? [h("label", { for: ids.target }, "Sur"), target] : null,
    h("label", { for: ids.subject }, "Objet", required()), subject,
    h("label", { for: ids.due }, "Échéance", required()), due,
    h("label", { for: ids.notes }, "Notes"), notes,
    status,
    h(
      "div",
      { class: "form-buttons" },
      onCancel ? h("button", { type: "button", class: "secondary", onclick: onCancel }, "Annuler") : null,
      h("button", { type: "submit", class: "primary" }, "Ajouter l'action"),
    ),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { type: type.value, subject: subject.value.trim() };
    if (target) {
      const [kind, id] = target.value.split(":");
      body.target = { kind, id: Number(id) };
    }
    if (due.value) body.due_at = new Date(due.value).toISOString();
    if (notes.value.trim()) body.notes = notes.value.trim();
    try {
      await post(url, body);
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
