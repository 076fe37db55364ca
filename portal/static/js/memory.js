// What the page remembers for the user: form drafts, the state of a list (search text,
// filters, scroll) and the recently opened fiches. Drafts and list states live in
// sessionStorage (they survive a reload, not the tab); recent fiches in localStorage.
// Every key names the signed-in user, so that two people on one browser never meet.

import { session } from "./session.js";

const PREFIX = "carnet";
const RECENT_MAX = 8;

function key(kind, name) {
  return `${PREFIX}:${session.user?.user_id ?? "anonyme"}:${kind}:${name}`;
}

function read(store, k) {
  try {
    const text = store.getItem(k);
    return text ? JSON.parse(text) : null;
  } catch {
    return null; // storage refused (private mode, quota) or garbage: nothing remembered
  }
}

function write(store, k, value) {
  try {
    if (value === null || value === undefined) store.removeItem(k);
    else store.setItem(k, JSON.stringify(value));
  } catch {
    // storage refused: the page works without it
  }
}

export const drafts = {
  get: (name) => read(window.sessionStorage, key("draft", name)),
  set: (name, value) => write(window.sessionStorage, key("draft", name), value),
  drop: (name) => write(window.sessionStorage, key("draft", name), null),
};

export const views = {
  get: (name) => read(window.sessionStorage, key("view", name)) || {},
  update: (name, patch) => {
    const next = { ...views.get(name), ...patch };
    write(window.sessionStorage, key("view", name), next);
    return next;
  },
};

/** The last fiches the user opened, newest first: [{kind, id, label, sublabel}]. */
export const recent = {
  list: () => read(window.localStorage, key("recent", "fiches")) || [],
  add: (entry) => {
    const others = recent.list().filter((e) => !(e.kind === entry.kind && e.id === entry.id));
    write(window.localStorage, key("recent", "fiches"), [entry, ...others].slice(0, RECENT_MAX));
  },
  remove: (kind, id) => {
    const rest = recent.list().filter((e) => !(e.kind === kind && e.id === id));
    write(window.localStorage, key("recent", "fiches"), rest);
  },
};

/** Leaving a screen: remember where it was scrolled. */
export function saveScroll(hash) {
  views.update(`scroll:${hash}`, { y: window.scrollY });
}

/** Back to a list: where the user had scrolled, once the list has its content. */
export function restoreScroll() {
  const { y } = views.get(`scroll:${window.location.hash || "#/"}`);
  if (y) window.scrollTo(0, y);
}

// The unsaved-changes guard: the open form says whether it holds changes not saved.
let guard = null;

/** The open page's form registers how to tell it is dirty and how to forget its draft. */
export function guardChanges(isDirty, discard = () => {}) {
  guard = { isDirty, discard };
}

export function releaseGuard() {
  guard = null;
}

export function hasUnsavedChanges() {
  return Boolean(guard && guard.isDirty());
}

export function discardChanges() {
  guard?.discard();
  guard = null;
}
