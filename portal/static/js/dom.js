// Small DOM helpers: elements are built with text nodes, never from HTML strings.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === "class") {
      el.className = value;
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else if (value === true) {
      el.setAttribute(key, "");
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

let uid = 0;
export function newId(prefix) {
  uid += 1;
  return `${prefix}-${uid}`;
}

const dateFmt = new Intl.DateTimeFormat("fr-FR", { dateStyle: "medium" });
const dateTimeFmt = new Intl.DateTimeFormat("fr-FR", { dateStyle: "medium", timeStyle: "short" });

export function frDate(value) {
  if (!value) return "";
  // A calendar date (YYYY-MM-DD) is not an instant: read it in local time.
  const date = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00`) : new Date(value);
  return dateFmt.format(date);
}

export function frDateTime(value) {
  return value ? dateTimeFmt.format(new Date(value)) : "";
}

export function frAmount(amount, currency = "EUR") {
  const number = Number(amount);
  if (Number.isNaN(number)) return String(amount ?? "");
  try {
    return new Intl.NumberFormat("fr-FR", { style: "currency", currency }).format(number);
  } catch {
    return `${number.toFixed(2)} ${currency}`;
  }
}

export function frSize(bytes) {
  if (bytes < 1024) return `${bytes} o`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1).replace(".", ",")} Ko`;
  return `${(bytes / 1024 / 1024).toFixed(1).replace(".", ",")} Mo`;
}

/** A small status line for the user (role=status, read by screen readers). */
export function toast(message, kind = "info") {
  const box = document.getElementById("toast");
  const item = h("p", { class: `toast toast-${kind}` }, message);
  box.append(item);
  setTimeout(() => item.remove(), kind === "error" ? 8000 : 4000);
}

/** A modal confirmation; resolves true when the user confirms. */
export function confirmDialog({ title, message, confirmLabel, danger = false }) {
  return new Promise((resolve) => {
    const dialog = h("dialog", { class: "dialog", "aria-labelledby": "confirm-title" });
    const done = (value) => {
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    append(dialog, [
      h("h2", { id: "confirm-title" }, title),
      h("p", {}, message),
      h(
        "div",
        { class: "dialog-buttons" },
        h("button", { type: "button", class: "secondary", onclick: () => done(false) }, "Annuler"),
        h(
          "button",
          { type: "button", class: danger ? "danger" : "primary", onclick: () => done(true) },
          confirmLabel,
        ),
      ),
    ]);
    dialog.addEventListener("cancel", () => done(false));
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** The tab's title names the screen and the record: "Dupré — Contact — Carnet". */
export function setTitle(...parts) {
  document.title = [...parts.filter(Boolean), "Carnet"].join(" — ");
}

/** The page for a link to nothing: an unknown address, a deleted or hidden record. */
export function notFoundPage(message = "Cette page n'existe pas.") {
  setTitle("Page introuvable");
  return h(
    "section",
    { class: "not-found" },
    h("h1", { tabindex: "-1" }, "Introuvable"),
    h("p", { class: "error", role: "alert" }, message),
    h("a", { href: "#/" }, "Retour à la recherche"),
  );
}

/** A <select> of {value: label}, ``value`` chosen. */
export function select(id, options, value) {
  return h("select", { id }, Object.entries(options).map(([key, label]) => h("option", { value: key, selected: key === value }, label)));
}
