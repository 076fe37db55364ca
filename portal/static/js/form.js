// A record's form, built from the field library: one tab per library tab, required fields
// marked, and the changes since the record was read (what a PATCH sends).

import { API, get } from "./api.js";
import { clear, h, newId } from "./dom.js";
import { learnFieldNames } from "./messages.js";
import { tabKeys } from "./tabs.js";

const libraries = new Map();

export async function fieldLibrary(entity) {
  if (!libraries.has(entity)) {
    libraries.set(
      entity,
      get(`${API}/field-definitions?entity=${entity}`).then(({ data }) => {
        learnFieldNames(data.items || data.tabs.flatMap((tab) => tab.fields));
        return data.tabs;
      }),
    );
  }
  try {
    return await libraries.get(entity);
  } catch (exc) {
    libraries.delete(entity);
    throw exc;
  }
}

// The manual has one *SIREN/SIRET* input: 9 digits are a SIREN, 14 a SIRET (whose first
// 9 digits are its SIREN). It stands where the library puts the SIRET.
export const COMPANY_NUMBER = "siren_siret";

function companyNumberField(siren, siret) {
  return {
    key: COMPANY_NUMBER,
    label: "SIREN/SIRET",
    type: "company_number",
    standard: true,
    required: siren.required || siret.required,
    max_length: 20,
    tab: siret.tab,
  };
}

/** The library's tabs, with the SIREN and SIRET fields shown as one input. */
function withCompanyNumber(tabs) {
  const all = tabs.flatMap((tab) => tab.fields);
  const siren = all.find((f) => f.standard && f.key === "siren");
  const siret = all.find((f) => f.standard && f.key === "siret");
  if (!siren || !siret) return tabs;
  return tabs.map((tab) => ({
    ...tab,
    fields: tab.fields
      .filter((f) => f !== siren)
      .map((f) => (f === siret ? companyNumberField(siren, siret) : f)),
  }));
}

export function digits(value) {
  return String(value ?? "").replace(/[\s.\-]/g, "");
}

function path(field) {
  return field.standard ? field.key.split(".") : ["custom", field.key];
}

function read(record, field) {
  if (field.type === "company_number") return record?.siret || record?.siren || "";
  let value = record;
  for (const part of path(field)) value = value == null ? undefined : value[part];
  return value ?? (field.type === "boolean" ? false : "");
}

function inputFor(field, id) {
  const common = { id, name: field.key, "aria-required": field.required ? "true" : null };
  if (field.type === "choice") {
    return h(
      "select",
      common,
      h("option", { value: "" }, "—"),
      (field.choices || []).map((choice) => h("option", { value: choice }, choice)),
    );
  }
  if (field.type === "boolean") return h("input", { ...common, type: "checkbox" });
  const types = { phone: "tel", email: "email", url: "url", number: "number", date: "date" };
  const numeric = ["siren", "siret", "company_number"].includes(field.type);
  return h("input", {
    ...common,
    type: types[field.type] || "text",
    inputmode: numeric ? "numeric" : null,
    maxlength: field.max_length || null,
    autocomplete: "off",
  });
}

function getValue(input, field) {
  if (field.type === "boolean") return input.checked;
  const value = input.value.trim();
  if (value === "") return null;
  return field.type === "number" ? Number(value) : value;
}

function setValue(input, field, value) {
  if (field.type === "boolean") input.checked = Boolean(value);
  else input.value = value ?? "";
}

/** The SIREN/SIRET input's value as the API's siren and siret. */
function companyNumberChanges(value, base) {
  const number = digits(value);
  const out = {};
  const set = (key, next) => {
    if ((base?.[key] ?? null) !== next) out[key] = next;
  };
  if (!number) {
    set("siren", null);
    set("siret", null);
  } else if (number.length === 14 && /^\d+$/.test(number)) {
    set("siret", number);
    set("siren", number.slice(0, 9));
  } else if (number.length === 9 && /^\d+$/.test(number)) {
    set("siren", number);
    if (base?.siret && base.siret.slice(0, 9) !== number) set("siret", null);
  } else {
    out[number.length > 9 ? "siret" : "siren"] = number; // the server says why it is wrong
  }
  return out;
}

/**
 * The form. ``extras`` maps a field key to an element shown beside its input (the
 * *détecter* button). ``onChange`` is called whenever the dirty state may have changed.
 * ``readOnly(key)`` says which fields the user may not change (shown, not editable).
 */
export function fieldForm(tabs, record, { onChange = () => {}, extras = {}, readOnly = () => false } = {}) {
  tabs = withCompanyNumber(tabs);
  const inputs = new Map(); // key -> {field, input, error}
  const aliases = new Map([["siren", COMPANY_NUMBER], ["siret", COMPANY_NUMBER]]);
  const entry = (key) => inputs.get(key) || inputs.get(aliases.get(key));
  const tablist = h("div", { role: "tablist", class: "field-tabs", "aria-label": "Groupes de champs" });
  const panels = h("div", { class: "field-panels" });
  let base = record;

  tabs.forEach((tab, index) => {
    const tabId = newId("field-tab");
    const panelId = newId("field-panel");
    const button = h(
      "button",
      { type: "button", role: "tab", id: tabId, "aria-controls": panelId, "aria-selected": String(index === 0), tabindex: index === 0 ? "0" : "-1" },
      tab.name,
    );
    const panel = h("div", { role: "tabpanel", id: panelId, "aria-labelledby": tabId, class: "field-panel", hidden: index !== 0 });
    for (const field of tab.fields) {
      const id = newId("field");
      const input = inputFor(field, id);
      const error = h("p", { class: "field-error", id: `${id}-error`, hidden: true });
      const locked =
        field.type === "company_number" ? readOnly("siren") || readOnly("siret") : readOnly(field.key);
      const note = locked ? h("p", { class: "hint", id: `${id}-note` }, "Géré par l'ERP : non modifiable ici.") : null;
      if (locked) {
        if (input.tagName === "SELECT" || input.type === "checkbox") input.disabled = true;
        else input.readOnly = true;
      }
      input.setAttribute("aria-describedby", note ? `${note.id} ${error.id}` : error.id);
      input.addEventListener("input", () => onChange());
      input.addEventListener("change", () => onChange());
      inputs.set(field.key, { field, input, error });
      panel.append(
        h(
          "div",
          { class: `field field-${field.type}`, dataset: { key: field.key } },
          h("label", { for: id }, field.label, field.required ? h("span", { class: "required", title: "obligatoire", "aria-hidden": "true" }, " *") : null),
          h("div", { class: "field-input" }, input, locked ? null : extras[field.key] || null),
          note,
          error,
        ),
      );
    }
    button.addEventListener("click", () => select(index));
    button.addEventListener("keydown", (event) => tabKeys([...tablist.children], index, select)(event));
    panel.tabIndex = -1;
    tablist.append(button);
    panels.append(panel);
  });

  function select(index, focus = false) {
    tablist.querySelectorAll("[role=tab]").forEach((tab, i) => {
      tab.setAttribute("aria-selected", String(i === index));
      tab.tabIndex = i === index ? 0 : -1;
      if (i === index && focus) tab.focus();
    });
    panels.querySelectorAll("[role=tabpanel]").forEach((panel, i) => (panel.hidden = i !== index));
  }

  function showTabOf(key) {
    const found = entry(key);
    if (!found) return;
    const panel = found.input.closest("[role=tabpanel]");
    const index = [...panels.children].indexOf(panel);
    if (index >= 0) select(index);
  }

  function reset(next) {
    base = next;
    for (const { field, input, error } of inputs.values()) {
      setValue(input, field, read(next, field));
      error.hidden = true;
      input.removeAttribute("aria-invalid");
    }
    onChange();
  }

  /**
   * What changed, shaped as the API takes it ({address: {...}, custom: {...}}): only the
   * fields the user changed, custom ones included (the others may no longer exist).
   */
  function changes() {
    const out = {};
    for (const { field, input } of inputs.values()) {
      if (input.readOnly || input.disabled) continue;
      const value = getValue(input, field);
      const before = read(base, field);
      if ((value ?? "") === (before ?? "")) continue;
      if (field.type === "company_number") {
        Object.assign(out, companyNumberChanges(value, base));
      } else if (field.standard) {
        const parts = field.key.split(".");
        let target = out;
        for (const part of parts.slice(0, -1)) target = target[part] ??= {};
        target[parts.at(-1)] = value;
      } else {
        out.custom ??= {};
        out.custom[field.key] = value;
      }
    }
    return out;
  }

  /**
   * Fill from values shaped like the API's (a SIRENE look-up's ``fields``): a value given
   * replaces the field's, a null empties it; a field absent is left alone.
   */
  function fill(values) {
    for (const { field, input } of inputs.values()) {
      if (input.readOnly || input.disabled) continue;
      let value = values;
      if (field.type === "company_number") value = "siret" in values || "siren" in values ? values.siret || values.siren || null : undefined;
      else for (const part of path(field)) value = value == null ? undefined : value[part];
      if (value !== undefined) setValue(input, field, value);
    }
    onChange();
  }

  /** The form's current value of a field, in the API's shape (``address.city``, ``siren``). */
  function valueOf(key) {
    const found = entry(key);
    if (!found) return undefined;
    const value = getValue(found.input, found.field);
    if (found.field.type !== "company_number") return value;
    const number = digits(value);
    if (key === "siren") return number.length >= 9 ? number.slice(0, 9) : number || null;
    if (key === "siret") return number.length === 14 ? number : null;
    return number || null;
  }

  /** The inputs' text where it differs from the record: a draft to keep. */
  function snapshot() {
    const out = {};
    for (const [key, { field, input }] of inputs) {
      const value = field.type === "boolean" ? input.checked : input.value;
      const before = read(base, field);
      if (field.type === "boolean" ? value !== Boolean(before) : value.trim() !== String(before ?? "")) out[key] = value;
    }
    return out;
  }

  function restore(saved) {
    for (const [key, value] of Object.entries(saved || {})) {
      const found = inputs.get(key);
      if (!found || found.input.readOnly || found.input.disabled) continue;
      if (found.field.type === "boolean") found.input.checked = Boolean(value);
      else found.input.value = String(value);
    }
    onChange();
  }

  function showErrors(errors, messageOf) {
    for (const { input, error } of inputs.values()) {
      error.hidden = true;
      input.removeAttribute("aria-invalid");
    }
    let first = null;
    for (const item of errors) {
      const key = String(item.field || "").replace(/^custom\./, "");
      const found = entry(key);
      if (!found) continue;
      found.error.textContent = messageOf(item, key);
      found.error.hidden = false;
      found.input.setAttribute("aria-invalid", "true");
      first ??= key;
    }
    if (first) {
      showTabOf(first);
      entry(first).input.focus();
    }
  }

  function labels() {
    const out = Object.fromEntries([...inputs.values()].map(({ field }) => [field.key, field.label]));
    if (inputs.has(COMPANY_NUMBER)) Object.assign(out, { siren: "SIREN/SIRET", siret: "SIREN/SIRET" });
    return out;
  }

  const element = h("div", { class: "record-form" }, tablist, panels);
  reset(record);
  return {
    element,
    changes,
    isDirty: () => Object.keys(changes()).length > 0,
    reset,
    fill,
    valueOf,
    snapshot,
    restore,
    showErrors,
    showTabOf,
    labels,
    input: (key) => entry(key)?.input,
    clear: () => clear(element),
  };
}
