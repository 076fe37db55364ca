// Connexion: the session lives in an HttpOnly cookie; the page only knows who is signed in.

import { API, ApiError, onSessionExpired, request } from "./api.js";

export const session = { user: null };
const listeners = [];

export function onSignedIn(listener) {
  listeners.push(listener);
}

export function hasRight(right) {
  return Boolean(session.user && session.user.rights.includes(right));
}

function showUser() {
  const box = document.getElementById("user");
  document.getElementById("user-name").textContent = session.user ? session.user.username : "";
  box.hidden = !session.user;
}

let pending = null;

/** Open the sign-in dialog over the page; resolves once signed in. */
export function signIn(reason = "") {
  if (pending) return pending;
  const dialog = document.getElementById("login");
  const form = document.getElementById("login-form");
  const error = document.getElementById("login-error");
  const notice = document.getElementById("login-reason");
  notice.textContent = reason;
  notice.hidden = !reason;
  error.hidden = true;
  pending = new Promise((resolve) => {
    const submit = async (event) => {
      event.preventDefault();
      const data = Object.fromEntries(new FormData(form));
      try {
        const { data: who } = await request("POST", `${API}/auth/session`, {
          json: { username: data.username, password: data.password },
          retry401: false,
        });
        const previous = session.user;
        session.user = who;
        showUser();
        form.removeEventListener("submit", submit);
        dialog.removeEventListener("cancel", keepOpen);
        form.reset();
        dialog.close();
        pending = null;
        resolve(who);
        if (!previous || previous.user_id !== who.user_id) listeners.forEach((fn) => fn(who));
      } catch (exc) {
        error.textContent = exc instanceof ApiError ? exc.message : String(exc);
        error.hidden = false;
      }
    };
    const keepOpen = (event) => event.preventDefault();
    form.addEventListener("submit", submit);
    dialog.addEventListener("cancel", keepOpen);
  });
  if (!dialog.open) dialog.showModal();
  document.getElementById("login-username").focus();
  return pending;
}

export async function signOut() {
  await request("DELETE", `${API}/auth/session`, { retry401: false }).catch(() => null);
  session.user = null;
  showUser();
  document.getElementById("view").replaceChildren();
  window.location.hash = "#/";
  await signIn();
}

/** Who is signed in (asks to sign in when no session is open). */
export async function start() {
  onSessionExpired(() =>
    signIn("Votre session a expiré : reconnectez-vous, ce que vous avez saisi est conservé."),
  );
  try {
    const { data } = await request("GET", `${API}/auth/session`, { retry401: false });
    session.user = data;
  } catch {
    await signIn();
  }
  showUser();
  document.getElementById("sign-out").addEventListener("click", signOut);
  return session.user;
}
