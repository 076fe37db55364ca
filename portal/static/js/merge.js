// *Fusionner* on a prospect's fiche: choose the fiche to keep (a search box), choose field
// by field which value it keeps (side by side), confirm. This prospect then disappears:
// its contacts, documents, actions, opportunities and editions go to the fiche kept.

import { API, ApiError, get, post } from "./api.js";
import { clear, h, newId, toast } from "./dom.js";
import { hasRight } from "./session.js";

export const MERGE_ACCOUNTS = "merge_accounts";
const ERP_SYNC = "erp_sync";
const WAIT_MS = 250;

/** The fields offered side by side: label, how a value reads, the API fields it sets. */
const FIELDS = [
  { key: "name", label: "Nom d'appel", read: (r) => r.name },
  { key: "legal_name", label: "Raison sociale", read: (r) => r.legal_name },
  { key: "siret", label: "SIREN/SIRET", read: (r) => r.siret || r.siren, sends: ["siren", "siret"] },
  { key: "ape_code", label: "Code APE", read: (r) => r.ape_code },
  {
    key: "address",
    label: "Adresse",
    read: (r) => [r.address?.line1, r.address?.line2, [r.address?.postal_code, r.address?.city].filter(Boolean).join(" "), r.address?.country].filter(Boolean).join(", "),
  },
  { key: "phone", label: "Téléphone", read: (r) => r.phone },
  { key: "email", label: "E-mail", read: (r) => r.email },
  { key: "website", label: "Site web", read: (r) => r.website },
];

function place(account) {
  const kind = account.kind === "client" ? "client" : "prospect";
  return [account.address?.city, kind].filter(Boolean).join(", ");
}

/** One field, the two values side by side (stacked on a phone), the kept one checked. */
function fieldChoice(field, source, target) {
  const mine = field.read(source) || "";
  const theirs = field.read(target) || "";
  const name = newId(`merge-${field.key}`);
  const option = (side, value, label, checked) =>
    h(
      "label",
      { class: "merge-option" },
      h("input", { type: "radio", name, value: side, checked }),
      h("span", {}, h("strong", {}, `${label} : `), value || "(vide)"),
    );
  // The kept fiche's value unless it has none and this one has one.
  const fromSource = !theirs && Boolean(mine);
  return h(
    "fieldset",
    { class: "merge-field", dataset: { field: field.key } },
    h("legend", {}, field.label),
    option("target", theirs, "Fiche gardée", !fromSource),
    option("source", mine, "Cette fiche", fromSource),
  );
}

function chosenFields(box) {
  const out = {};
  for (const set of box.querySelectorAll("fieldset.merge-field")) {
    const field = FIELDS.find((f) => f.key === set.dataset.field);
    const side = set.querySelector("input:checked")?.value || "target";
    for (const key of field.sends || [field.key]) out[key] = side;
  }
  return out;
}

export function mergeDialog(state, { beforeLeave = () => {} } = {}) {
  const source = state.record;
  const titleId = newId("merge-title");
  const searchId = newId("merge-search");
  const dialog = h("dialog", { class: "dialog merge-dialog", "aria-labelledby": titleId });
  const status = h("p", { class: "merge-status", role: "status" });
  const body = h("div", { class: "merge-body" });
  const buttons = h("div", { class: "dialog-buttons" });
  const close = h("button", { type: "button", class: "secondary", onclick: () => dialog.close() }, "Annuler");
  dialog.append(
    h("h2", { id: titleId }, `Fusionner « ${source.name} »`),
    body,
    status,
    buttons,
  );
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  chooseTarget();
  dialog.showModal();
  return dialog;

  function chooseTarget() {
    clear(status);
    const input = h("input", { type: "search", id: searchId, autocomplete: "off", placeholder: "Nom, ville, SIREN…" });
    const results = h("ul", { class: "merge-results", "aria-label": "Fiches trouvées" });
    body.replaceChildren(
      h("p", {}, "Choisissez la fiche à garder : « ", source.name, " » y sera fusionnée puis supprimée."),
      h("label", { for: searchId }, "Fiche à garder"),
      input,
      results,
    );
    buttons.replaceChildren(close);
    let timer = null;
    let asked = 0;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => search(input.value.trim(), results, ++asked, () => asked), WAIT_MS);
    });
    input.focus();
  }

  async function search(text, results, mine, latest) {
    if (!text) {
      clear(results);
      return;
    }
    // A client belongs to the ERP: merging into one needs its right too.
    const kind = hasRight(ERP_SYNC) ? "" : "&kind=prospect";
    try {
      const { data } = await get(`${API}/accounts?q=${encodeURIComponent(text)}&limit=10${kind}`);
      if (mine !== latest()) return;
      const items = data.items.filter((a) => a.id !== source.id);
      results.replaceChildren(
        ...items.map((account) =>
          h(
            "li",
            {},
            h("button", { type: "button", class: "merge-choice", onclick: () => compare(account.id) }, account.name, h("span", { class: "muted" }, ` — ${place(account)}`)),
          ),
        ),
      );
      status.textContent = items.length ? "" : "Aucune fiche ne correspond.";
    } catch (exc) {
      status.textContent = exc.message;
    }
  }

  async function compare(targetId) {
    let target;
    let etag;
    try {
      ({ data: target, etag } = await get(`${API}/accounts/${targetId}`));
    } catch (exc) {
      status.textContent = exc.message;
      return;
    }
    const differing = FIELDS.filter((f) => (f.read(source) || "") !== (f.read(target) || ""));
    const choices = h("div", { class: "merge-fields" }, differing.map((f) => fieldChoice(f, source, target)));
    body.replaceChildren(
      h("p", {}, "Fiche gardée : ", h("a", { href: `#/${target.kind}s/${target.id}` }, target.name), ` (${place(target)}).`),
      differing.length ? h("p", {}, "Pour chaque champ qui diffère, choisissez la valeur gardée :") : h("p", {}, "Les deux fiches ont les mêmes valeurs."),
      choices,
      h(
        "p",
        { class: "notice" },
        `Les contacts, documents, actions, opportunités et éditions de « ${source.name} » passeront sur « ${target.name} », puis « ${source.name} » sera supprimée. Cette fusion est définitive.`,
      ),
    );
    const back = h("button", { type: "button", class: "secondary", onclick: chooseTarget }, "Choisir une autre fiche");
    const confirm = h("button", { type: "button", class: "danger", onclick: () => run(target, etag, choices, confirm) }, "Fusionner définitivement");
    buttons.replaceChildren(close, back, confirm);
    clear(status);
    body.querySelector("p a")?.focus();
  }

  async function run(target, etag, choices, confirm) {
    confirm.disabled = true;
    status.textContent = "Fusion en cours…";
    try {
      const body = { source_id: source.id, source_version: source.version, fields: chosenFields(choices) };
      const { data } = await post(`${API}/accounts/${target.id}/merge`, body, { headers: { "If-Match": etag } });
      toast(`Fiches fusionnées : « ${source.name} » a rejoint « ${data.name} ».`);
      dialog.close();
      beforeLeave(); // this fiche is gone: nothing left to save on it
      window.location.hash = `#/${data.kind}s/${data.id}`;
    } catch (exc) {
      if (exc instanceof ApiError && exc.status === 409 && !exc.errors.some((e) => e.code === "duplicate")) {
        status.textContent = "L'une des deux fiches a été modifiée entre-temps : rechargez-les, puis fusionnez de nouveau.";
      } else {
        status.textContent = exc.message;
      }
      confirm.disabled = false;
    }
  }
}
