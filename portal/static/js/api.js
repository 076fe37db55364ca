// The API client: same-origin fetch with the session cookie, CSRF header, French errors.
// A 401 (expired session) opens the sign-in dialog over the page and retries the call,
// so nothing typed in an open form is lost.

import { problemMessage } from "./messages.js";

export const API = "/api/v1";
/** What the server offers (/portal/config.json), read once at start. */
export const features = { sirene: false, max_upload_bytes: 25 * 1024 * 1024 };
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export class ApiError extends Error {
  constructor(status, problem, labels) {
    super(problemMessage(status, problem, labels));
    this.status = status;
    this.problem = problem || {};
  }

  get errors() {
    return Array.isArray(this.problem.errors) ? this.problem.errors : [];
  }
}

/** A random UUID, also where crypto.randomUUID is missing (plain HTTP on an intranet). */
export function newUuid() {
  if (window.crypto?.randomUUID) return window.crypto.randomUUID();
  const bytes = window.crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)carnet_csrf=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

let reauthenticate = null;
/** Keys of POSTs left without an answer, by action (path and body). */
const unanswered = new Map();

/** Set the function that signs the user in again (returns a promise). */
export function onSessionExpired(handler) {
  reauthenticate = handler;
}

async function send(method, path, { json, body, headers = {} }) {
  const init = { method, headers: { Accept: "application/json", ...headers }, credentials: "same-origin" };
  if (json !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  } else if (body !== undefined) {
    init.body = body;
  }
  if (UNSAFE.has(method)) init.headers["X-CSRF-Token"] = csrfToken();
  try {
    return await fetch(path.startsWith("/") ? path : `${API}/${path}`, init);
  } catch {
    return null;
  }
}

/**
 * Call the API. Resolves to {status, data, etag, headers}; rejects with an ApiError.
 * Options: json, body (FormData), headers, labels (field labels for messages), retry401,
 * idempotencyKey (a POST sends one; the same key on every attempt of one user action).
 */
export async function request(method, path, options = {}) {
  // The same JSON posted to the same path after it got no answer is the same action.
  const action = method === "POST" && options.json !== undefined ? `${path}\n${JSON.stringify(options.json)}` : null;
  if (method === "POST") {
    const key = options.idempotencyKey || unanswered.get(action) || newUuid();
    options = { ...options, headers: { ...options.headers, "Idempotency-Key": key } };
  } else {
    options = { ...options, headers: { ...options.headers } };
  }
  let response = await send(method, path, options);
  if (!response && method === "POST") {
    // The network dropped the answer: the same action again, under the same key, is
    // done at most once by the server.
    response = await send(method, path, options);
  }
  if (response && response.status === 401 && options.retry401 !== false && reauthenticate) {
    await reauthenticate();
    // Refused before anything was done: a new key, so that no stored 401 is replayed.
    if (method === "POST") options.headers["Idempotency-Key"] = newUuid();
    response = await send(method, path, options);
  }
  if (action) {
    // No answer or a server error: the action may have been done; the user's retry
    // (the same click again) keeps the key. Any other answer ends the action.
    if (!response || response.status >= 500) unanswered.set(action, options.headers["Idempotency-Key"]);
    else unanswered.delete(action);
  }
  if (!response) throw new ApiError(0, {}, options.labels);
  const type = response.headers.get("Content-Type") || "";
  const data = type.includes("json") ? await response.json().catch(() => ({})) : null;
  if (!response.ok) {
    const problem = data || {};
    const retryAfter = response.headers.get("Retry-After");
    if (retryAfter && problem.retry_after === undefined) problem.retry_after = retryAfter;
    throw new ApiError(response.status, problem, options.labels);
  }
  const etag = response.headers.get("ETag");
  return { status: response.status, data, etag, headers: response.headers };
}

export const get = (path, options) => request("GET", path, options);

/**
 * Loads numbered in the order they are asked: `ask()` numbers one, `isNewest(n)` tells
 * whether no other was asked since. A list drops an answer that comes back after a newer
 * load was asked for (the first page, slower than the filtered one chosen meanwhile).
 */
export function newestOnly() {
  let latest = 0;
  return { ask: () => ++latest, isNewest: (asked) => asked === latest };
}
export const post = (path, json, options = {}) => request("POST", path, { ...options, json });
export const patch = (path, json, options = {}) => request("PATCH", path, { ...options, json });
export const del = (path, options) => request("DELETE", path, options);

/** Follow a job (/jobs/{id}) until it is done or failed. */
export async function waitForJob(location, { intervalMs = 300, timeoutMs = 120000 } = {}) {
  const started = Date.now();
  for (;;) {
    const { data } = await get(location);
    if (data.state === "done") return data;
    if (data.state === "failed") {
      const problem = (data.result && data.result.problem) || {};
      const error = new ApiError(problem.status || 500, problem);
      if (!problem.status) error.message = "La tâche a échoué sur le serveur.";
      throw error;
    }
    if (Date.now() - started > timeoutMs) {
      throw new ApiError(504, {});
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** The browser downloads a file the API serves as an attachment. */
export function download(href) {
  const link = document.createElement("a");
  link.href = href;
  link.download = "";
  document.body.append(link);
  link.click();
  link.remove();
}

export function recordPath(kind, id) {
  return `${API}/${kind}s/${id}`;
}
