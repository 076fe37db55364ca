// The portal: a hash router over the screens (CRM, fiche, opportunités).

import { get } from "./api.js";
import { h } from "./dom.js";
import { contactCreatePage, fichePage, prospectCreatePage } from "./fiche.js";
import { listPage } from "./lists.js";
import { calendarSection, opportunityPage, portfolioPage } from "./opportunities.js";
import { searchBox } from "./search.js";
import { onSignedIn, start } from "./session.js";

export const features = { sirene: false };

function crmPage() {
  return h(
    "section",
    { class: "crm" },
    h("h1", {}, "Comptes & contacts"),
    h("div", { class: "crm-bar" }, searchBox(), h("a", { class: "button primary", href: "#/prospects/nouveau" }, "Nouveau prospect")),
    h("p", { class: "hint" }, "Tapez les premières lettres d'un nom, d'une ville ou d'un numéro SIREN/SIRET ; flèches et Entrée pour ouvrir."),
  );
}

const routes = [
  [/^#?\/?$/, () => crmPage(), "crm"],
  [/^#\/prospects\/nouveau$/, () => prospectCreatePage(features), "crm"],
  [/^#\/(prospects|clients|contacts)\/(\d+)$/, (m) => fichePage(m[1].slice(0, -1), Number(m[2]), features), "crm"],
  [/^#\/comptes\/(\d+)\/contacts\/nouveau$/, (m) => contactCreatePage(Number(m[1])), "crm"],
  [/^#\/opportunites$/, () => h("div", {}, portfolioPage(), calendarSection()), "opportunites"],
  [/^#\/opportunites\/(\d+)$/, (m) => opportunityPage(Number(m[1])), "opportunites"],
  [/^#\/mes\/(comptes|contacts|opportunites|actions)$/, (m) => listPage(m[1]), "mes"],
];

function render() {
  const view = document.getElementById("view");
  const hash = window.location.hash || "#/";
  for (const [pattern, page, nav] of routes) {
    const match = hash.match(pattern);
    if (match) {
      view.replaceChildren(page(match));
      for (const link of document.querySelectorAll("[data-nav]")) {
        if (link.dataset.nav === nav) link.setAttribute("aria-current", "page");
        else link.removeAttribute("aria-current");
      }
      return;
    }
  }
  view.replaceChildren(h("p", { class: "error" }, "Cette page n'existe pas."), h("a", { href: "#/" }, "Retour à l'accueil"));
}

async function boot() {
  try {
    const { data } = await get("/portal/config.json");
    Object.assign(features, data);
  } catch {
    // the portal works without its optional features
  }
  await start();
  window.addEventListener("hashchange", render);
  onSignedIn(render);
  render();
  document.body.dataset.ready = "true";
}

boot();
