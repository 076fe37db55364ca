// A record's form, built from the field library: one tab per library tab, required fields
// marked, and the changes since the record was read (what a PATCH sends).

import { API, get } from "./api.js";
import { clear, h, newId } from "./dom.js";

const libraries = new Map();

export async function fieldLibrary(entity) {
  if (!libraries.has(entity)) {
    libraries.set(
      entity,
      get(`${API}/field-definitions?entity=${entity}`).then(({ data }) => data.tabs),
    );
  }
  try {
    return await libraries.get(entity);
  } catch (exc) {
    libraries.delete(entity);
    throw exc;
  }
}

function path(field) {
  return field.standard ? field.key.split(".") : ["custom", field.key];
}

function read(record, field) {
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
  const numeric = ["siren", "siret"].includes(field.type);
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

/**
 * The form. ``extras`` maps a field key to an element shown beside its input (the
 * *détecter* button). ``onChange`` is called whenever the dirty state may have changed.
 */
export function fieldForm(tabs, record, { onChange = () => {}, extras = {} } = {}) {
  const inputs = new Map(); // key -> {field, input, error}
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
      input.setAttribute("aria-describedby", error.id);
      input.addEventListener("input", () => onChange());
      input.addEventListener("change", () => onChange());
      inputs.set(field.key, { field, input, error });
      panel.append(
        h(
          "div",
          { class: `field field-${field.type}`, dataset: { key: field.key } },
          h("label", { for: id }, field.label, field.required ? h("span", { class: "required", title: "obligatoire", "aria-hidden": "true" }, " *") : null),
          h("div", { class: "field-input" }, input, extras[field.key] || null),
          error,
        ),
      );
    }
    button.addEventListener("click", () => select(index));
    button.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (step) select((index + step + tabs.length) % tabs.length, true);
    });
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
    const entry = inputs.get(key);
    if (!entry) return;
    const panel = entry.input.closest("[role=tabpanel]");
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

  /** What changed, shaped as the API takes it ({address: {...}, custom: {...}}). */
  function changes() {
    const out = {};
    for (const { field, input } of inputs.values()) {
      const value = getValue(input, field);
      const before = read(base, field);
      if ((value ?? "") === (before ?? "")) continue;
      if (field.standard) {
        const parts = field.key.split(".");
        let target = out;
        for (const part of parts.slice(0, -1)) target = target[part] ??= {};
        target[parts.at(-1)] = value;
      } else {
        out.custom ??= { ...(base.custom || {}) };
        out.custom[field.key] = value;
      }
    }
    return out;
  }

  /** Fill from values shaped like the API's (a SIRENE look-up's ``fields``). */
  function fill(values) {
    for (const { field, input } of inputs.values()) {
      let value = values;
      for (const part of path(field)) value = value == null ? undefined : value[part];
      if (value !== undefined && value !== null) setValue(input, field, value);
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
      const entry = inputs.get(key);
      if (!entry) continue;
      entry.error.textContent = messageOf(item.message, key);
      entry.error.hidden = false;
      entry.input.setAttribute("aria-invalid", "true");
      first ??= key;
    }
    if (first) {
      showTabOf(first);
      inputs.get(first).input.focus();
    }
  }

  function labels() {
    return Object.fromEntries([...inputs.values()].map(({ field }) => [field.key, field.label]));
  }

  const element = h("div", { class: "record-form" }, tablist, panels);
  reset(record);
  return {
    element,
    changes,
    isDirty: () => Object.keys(changes()).length > 0,
    reset,
    fill,
    showErrors,
    showTabOf,
    labels,
    input: (key) => inputs.get(key)?.input,
    clear: () => clear(element),
  };
}
