// The portal: a hash router over the screens (CRM, fiche, opportunités), with the
// unsaved-changes guard, the tab's title and the focus of each screen.

import { features, get } from "./api.js";
import { confirmDialog, h, notFoundPage, setTitle } from "./dom.js";
import { contactCreatePage, fichePage, prospectCreatePage } from "./fiche.js";
import { discardChanges, hasUnsavedChanges, recent, releaseGuard, saveScroll } from "./memory.js";
import { importPage } from "./imports.js";
import { listPage } from "./lists.js";
import { calendarSection, opportunityPage, portfolioPage } from "./opportunities.js";
import { recordHash, resultsPage, searchBox } from "./search.js";
import { onSignedIn, start } from "./session.js";


function recentList() {
  const items = recent.list();
  if (!items.length) return null;
  return h(
    "section",
    { class: "recent", "aria-labelledby": "recent-title" },
    h("h2", { id: "recent-title" }, "Fiches récentes"),
    h(
      "ul",
      { class: "rows" },
      items.map((item) =>
        h(
          "li",
          {},
          h("a", { href: recordHash(item.kind, item.id) }, item.label),
          item.sublabel ? h("span", { class: "muted" }, item.sublabel) : null,
        ),
      ),
    ),
  );
}

function crmPage() {
  setTitle("Comptes & contacts");
  const recentSlot = h("div", { class: "recent-slot" }, recentList());
  // The recent fiches show while the box is empty, the results while something is typed.
  const box = searchBox({ onQuery: (text) => (recentSlot.hidden = Boolean(text.trim())) });
  return h(
    "section",
    { class: "crm" },
    h("h1", {}, "Comptes & contacts"),
    h("div", { class: "crm-bar" }, box, h("a", { class: "button primary", href: "#/prospects/nouveau" }, "Nouveau prospect")),
    h("p", { class: "hint" }, "Tapez les premières lettres d'un nom, d'une ville ou d'un numéro SIREN/SIRET ; flèches et Entrée pour ouvrir."),
    recentSlot,
  );
}

function opportunitiesPage() {
  setTitle("Opportunités");
  return h("div", {}, portfolioPage(), calendarSection());
}

const routes = [
  [/^#?\/?$/, () => crmPage(), "crm"],
  [/^#\/recherche\?(.*)$/, (m) => resultsPage(new URLSearchParams(m[1]).get("q") || ""), "crm"],
  [/^#\/prospects\/nouveau$/, () => prospectCreatePage(features), "crm"],
  [/^#\/(prospects|clients|contacts)\/(\d+)$/, (m) => fichePage(m[1].slice(0, -1), Number(m[2]), features), "crm"],
  [/^#\/comptes\/(\d+)\/contacts\/nouveau$/, (m) => contactCreatePage(Number(m[1])), "crm"],
  [/^#\/opportunites$/, () => opportunitiesPage(), "opportunites"],
  [/^#\/opportunites\/(\d+)$/, (m) => opportunityPage(Number(m[1])), "opportunites"],
  [/^#\/mes\/(comptes|contacts|opportunites|actions)$/, (m) => listPage(m[1]), "mes"],
  [/^#\/importer$/, () => importPage(), "importer"],
];

let shownHash = null;

function render() {
  const view = document.getElementById("view");
  const hash = window.location.hash || "#/";
  if (shownHash !== null) saveScroll(shownHash);
  releaseGuard();
  shownHash = hash;
  closeMenu();
  for (const [pattern, page, nav] of routes) {
    const match = hash.match(pattern);
    if (match) {
      view.replaceChildren(page(match));
      for (const link of document.querySelectorAll("[data-nav]")) {
        if (link.dataset.nav === nav) link.setAttribute("aria-current", "page");
        else link.removeAttribute("aria-current");
      }
      focusScreen(view);
      return;
    }
  }
  view.replaceChildren(notFoundPage());
  focusScreen(view);
}

/** The search box on the CRM screen, else the screen's heading (a fiche focuses its own). */
function focusScreen(view) {
  const search = view.querySelector("#search");
  if (search) return search.focus();
  const heading = view.querySelector("h1");
  if (heading) {
    if (!heading.hasAttribute("tabindex")) heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  } else {
    view.focus({ preventScroll: true });
  }
  window.scrollTo(0, 0);
}

async function confirmLeave() {
  return confirmDialog({
    title: "Modifications non enregistrées",
    message: "Vous avez modifié cette fiche sans l'enregistrer. Quitter la page et perdre ces modifications ?",
    confirmLabel: "Quitter sans enregistrer",
    danger: true,
  });
}

/** In-app navigation with unsaved changes asks first (links, Back and Forward). */
function guardNavigation() {
  let allowed = null; // the hash the user agreed to go to
  document.addEventListener(
    "click",
    async (event) => {
      const link = event.target.closest?.("a[href^='#']");
      if (!link || event.defaultPrevented || !hasUnsavedChanges()) return;
      const target = link.getAttribute("href");
      if (target === window.location.hash) return;
      event.preventDefault();
      if (await confirmLeave()) {
        discardChanges();
        allowed = target;
        window.location.hash = target;
      }
    },
    true,
  );
  window.addEventListener("hashchange", async (event) => {
    const target = window.location.hash || "#/";
    if (allowed === target || !hasUnsavedChanges()) {
      allowed = null;
      render();
      return;
    }
    // Back or Forward: put the form's address back while the user decides.
    const from = new URL(event.oldURL).hash || "#/";
    history.replaceState(history.state, "", from);
    if (await confirmLeave()) {
      discardChanges();
      allowed = target;
      window.location.hash = target;
    }
  });
  document.addEventListener(
    "click",
    async (event) => {
      if (event.target.id !== "sign-out" || !hasUnsavedChanges()) return;
      event.stopPropagation(); // signing out waits for the user's answer
      if (await confirmLeave()) {
        discardChanges();
        event.target.click();
      }
    },
    true,
  );
  window.addEventListener("beforeunload", (event) => {
    if (hasUnsavedChanges()) {
      event.preventDefault();
      event.returnValue = ""; // the browser asks "Quitter le site ?"
    }
  });
}

function closeMenu() {
  const button = document.getElementById("menu-button");
  document.getElementById("menu-panel").classList.remove("open");
  button.setAttribute("aria-expanded", "false");
}

function setUpMenu() {
  const button = document.getElementById("menu-button");
  const panel = document.getElementById("menu-panel");
  button.addEventListener("click", () => {
    const open = !panel.classList.contains("open");
    panel.classList.toggle("open", open);
    button.setAttribute("aria-expanded", String(open));
    if (open) panel.querySelector("a")?.focus();
  });
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && panel.classList.contains("open")) {
      closeMenu();
      button.focus();
    }
  });
}

async function boot() {
  try {
    const { data } = await get("/portal/config.json");
    Object.assign(features, data);
  } catch {
    // the portal works without its optional features
  }
  setUpMenu();
  await start();
  guardNavigation();
  onSignedIn(render);
  render();
  document.body.dataset.ready = "true";
}

boot();
