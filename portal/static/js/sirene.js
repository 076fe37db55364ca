// *détecter*: look the SIREN/SIRET up in SIRENE and fill the prospect's form. A look-up
// replaces every field it owns: a field the register does not give for this company is
// emptied when the form held another company's, so two companies are never mixed.

import { API, ApiError, post, waitForJob } from "./api.js";
import { clear, h } from "./dom.js";
import { COMPANY_NUMBER, digits } from "./form.js";

const ADDRESS = ["address.line1", "address.line2", "address.postal_code", "address.city", "address.country"];
/** The fields a look-up writes, by the kind of number (docs/sirene.md, "What is filled"). */
const OWNED = {
  siret: ["name", "ape_code", ...ADDRESS, "siren", "siret"],
  siren: ["name", "ape_code", "siren"],
};

function given(fields, key) {
  let value = fields;
  for (const part of key.split(".")) {
    if (value == null || !(part in value)) return false;
    value = value[part];
  }
  return true;
}

function nested(key, value) {
  const parts = key.split(".");
  return parts.length === 1 ? { [key]: value } : { [parts[0]]: { [parts[1]]: value } };
}

function merge(target, extra) {
  for (const [key, value] of Object.entries(extra)) {
    if (value && typeof value === "object" && target[key] && typeof target[key] === "object") Object.assign(target[key], value);
    else target[key] = value;
  }
  return target;
}

/**
 * What the form receives from a look-up, and the French notes on what was emptied or kept.
 * ``previousSiren`` is the company the form's other fields came from (null: none yet).
 */
export function lookupToForm(lookup, previousSiren, form) {
  const fields = lookup.fields || {};
  const siren = fields.siren || lookup.company?.siren || null;
  const otherCompany = Boolean(previousSiren && siren && previousSiren !== siren);
  const labels = form.labels();
  const values = structuredClone(fields);
  const notes = [];
  for (const key of OWNED[lookup.number_kind] || []) {
    if (given(fields, key)) continue;
    const current = form.valueOf(key);
    if (current === null || current === undefined || current === "") continue;
    const label = labels[key] || key;
    if (otherCompany) {
      merge(values, nested(key, null));
      notes.push(`${label} vidé : SIRENE ne le diffuse pas pour cette entreprise, saisissez-le vous-même.`);
    } else {
      notes.push(`${label} conservé (« ${current} ») : SIRENE ne le diffuse pas.`);
    }
  }
  // The register's own warnings, except "masked" ones that the notes above already explain.
  const explained = (w) => w.code === "masked" && OWNED[lookup.number_kind]?.some((k) => k === w.field || k.startsWith(`${w.field}.`));
  const warnings = (lookup.warnings || []).filter((w) => !explained(w)).map((w) => w.message);
  return { values, notes: [...notes, ...warnings], siren };
}

export function sireneButton(getForm, alert, getRecord = () => ({})) {
  const button = h("button", { type: "button", class: "secondary detect" }, "détecter");
  let companySiren = null; // the company the form's SIRENE fields came from
  let started = false;
  button.addEventListener("click", async () => {
    const form = getForm();
    if (!started) {
      companySiren = getRecord()?.siren || null;
      started = true;
    }
    const number = digits(form.input(COMPANY_NUMBER)?.value || form.input("siret")?.value || form.input("siren")?.value || "");
    clear(alert);
    if (!number) {
      alert.append(h("p", {}, "Saisissez un SIRET (14 chiffres) ou un SIREN (9 chiffres)."));
      alert.hidden = false;
      return;
    }
    button.disabled = true;
    button.textContent = "recherche…";
    try {
      const reply = await post(`${API}/sirene/lookup`, { number });
      let lookup = reply.data;
      if (reply.status === 202) {
        const job = await waitForJob(reply.headers.get("Location") || reply.data.links.self);
        lookup = job.result.lookup;
      }
      const { values, notes, siren } = lookupToForm(lookup, companySiren, form);
      form.fill(values);
      companySiren = siren || companySiren;
      const kind = lookup.number_kind === "siret" ? "SIRET" : "SIREN";
      const box = h("div", { class: "sirene-result" }, h("p", {}, `${kind} trouvé dans SIRENE : la fiche est remplie, vérifiez puis sauvegardez.`));
      if (notes.length) box.append(h("ul", { class: "warnings" }, notes.map((text) => h("li", {}, text))));
      alert.append(box);
      alert.hidden = false;
    } catch (exc) {
      let message = exc instanceof ApiError ? exc.message : String(exc);
      if (exc instanceof ApiError && exc.problem.code === "invalid_number") {
        message = "Ce numéro n'est ni un SIRET (14 chiffres) ni un SIREN (9 chiffres) valide.";
      }
      alert.append(h("p", { class: "error" }, message));
      alert.hidden = false;
    } finally {
      button.disabled = false;
      button.textContent = "détecter";
    }
  });
  return button;
}
