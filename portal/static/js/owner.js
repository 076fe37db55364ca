// The owner (« Responsable ») of an account or an opportunity: shown on its page and
// changed with a picker of the active users (GET /users), saved at once with the
// record's ETag.

import { API, ApiError, get, patch } from "./api.js";
import { h, newId, toast } from "./dom.js";

let users = null;

/** The active users, asked once per page load (the picker of every page shares them). */
async function activeUsers() {
  if (!users) {
    users = get(`${API}/users`)
      .then(({ data }) => data.items)
      .catch((exc) => {
        users = null;
        throw exc;
      });
  }
  return users;
}

/**
 * ``state`` holds {record, etag}; ``url`` is the record's API path. ``onSaved(data, etag)``
 * gets the record as saved; ``onConflict()`` runs on a 412 (someone changed it meanwhile).
 */
export function ownerPicker(url, state, { onSaved, onConflict } = {}) {
  const id = newId("owner");
  const picker = h("select", { id, name: "owner_id" }, h("option", { value: "" }, "Aucun"));
  const message = h("span", { class: "owner-message", role: "status" });
  const box = h("div", { class: "owner-picker" }, h("label", { for: id }, "Responsable"), picker, message);
  const show = (ownerId) => {
    const value = ownerId == null ? "" : String(ownerId);
    if (value && !picker.querySelector(`option[value="${value}"]`)) {
      // a disabled user still owns it: named by number until reassigned
      picker.append(h("option", { value }, `Utilisateur n° ${value}`));
    }
    picker.value = value;
  };
  show(state.record.owner_id);
  activeUsers()
    .then((items) => {
      const current = picker.value;
      picker.replaceChildren(
        h("option", { value: "" }, "Aucun"),
        ...items.map((user) => h("option", { value: String(user.id) }, user.display_name || user.username)),
      );
      show(current || null);
    })
    .catch(() => {
      message.textContent = "La liste des utilisateurs n'a pas pu être chargée.";
    });
  picker.addEventListener("change", async () => {
    const chosen = picker.value ? Number(picker.value) : null;
    picker.disabled = true;
    message.textContent = "Enregistrement…";
    try {
      const { data, etag } = await patch(url, { owner_id: chosen }, {
        headers: { "If-Match": state.etag },
        labels: { owner_id: "Responsable" },
      });
      state.record = data;
      state.etag = etag;
      message.textContent = "";
      toast(`Responsable : ${picker.selectedOptions[0]?.textContent || "aucun"}.`);
      onSaved?.(data, etag);
    } catch (exc) {
      show(state.record.owner_id);
      message.textContent = exc instanceof ApiError ? exc.message : String(exc);
      if (exc instanceof ApiError && exc.status === 412) onConflict?.();
    } finally {
      picker.disabled = false;
    }
  });
  return { element: box, refresh: (record) => show(record.owner_id) };
}
