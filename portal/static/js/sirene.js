// *détecter*: look a SIRET (or SIREN) up in SIRENE and fill the prospect's form.

import { API, ApiError, post, waitForJob } from "./api.js";
import { clear, h } from "./dom.js";

export function sireneButton(getForm, alert) {
  const button = h("button", { type: "button", class: "secondary detect" }, "détecter");
  button.addEventListener("click", async () => {
    const form = getForm();
    const number = (form.input("siret")?.value || form.input("siren")?.value || "").trim();
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
      form.fill(lookup.fields);
      const kind = lookup.number_kind === "siret" ? "SIRET" : "SIREN";
      const box = h("div", { class: "sirene-result" }, h("p", {}, `${kind} trouvé dans SIRENE : la fiche est remplie, vérifiez puis sauvegardez.`));
      if (lookup.warnings?.length) {
        box.append(h("ul", { class: "warnings" }, lookup.warnings.map((w) => h("li", {}, w.message))));
      }
      alert.append(box);
      alert.hidden = false;
    } catch (exc) {
      let message = exc instanceof ApiError ? exc.message : String(exc);
      if (exc instanceof ApiError && exc.status === 404) {
        message = "Aucune entreprise ni aucun établissement ne porte ce numéro dans SIRENE.";
      } else if (exc instanceof ApiError && exc.status === 422) {
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
