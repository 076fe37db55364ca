// Doublons possibles: while a prospect's form is filled (a name and a postal code or a
// city, a SIREN/SIRET, a phone, an e-mail, a website — after *détecter* too), the
// accounts that look like the same company are listed, with a link to each.

import { API, post } from "./api.js";
import { clear, h } from "./dom.js";

/** The reasons the API gives, in French. */
export const ACCOUNT_REASONS = {
  siret: "même SIRET",
  siren: "même SIREN (même entreprise)",
  name_city: "nom proche dans la même commune",
  phone: "même téléphone",
  email_domain: "même domaine d'e-mail",
  website: "même site web",
};

/** The reasons the API gives for contacts, in French. */
export const CONTACT_REASONS = {
  email: "même e-mail",
  mobile: "même mobile",
  direct_line: "même ligne directe",
  name_account: "même nom dans le même compte",
};

const PROBED = ["name", "address.postal_code", "address.city", "siren", "siret", "phone", "email", "website"];
const WAIT_MS = 350;

function probeOf(form) {
  const value = (key) => {
    const found = form.valueOf(key);
    return found === undefined || found === "" ? null : found;
  };
  const probe = {
    name: value("name"),
    siren: value("siren"),
    siret: value("siret"),
    phone: value("phone"),
    email: value("email"),
    website: value("website"),
    address: { postal_code: value("address.postal_code"), city: value("address.city") },
  };
  const place = probe.address.postal_code || probe.address.city;
  const enough = (probe.name && place) || probe.siren || probe.siret || probe.phone || probe.email || probe.website;
  return enough ? probe : null;
}

function candidateItem(item) {
  const account = item.account;
  const kind = account.kind === "client" ? "Client" : "Prospect";
  const city = account.address?.city ? ` — ${account.address.city}` : "";
  const reasons = item.reasons.map((r) => ACCOUNT_REASONS[r] || r).join(", ");
  return h(
    "li",
    {},
    h("a", { href: `#/${account.kind}s/${account.id}` }, `${account.name}${city}`),
    h("span", { class: "duplicate-reasons" }, ` (${kind} : ${reasons})`),
  );
}

/** The warning box listing ``items`` (as /accounts/duplicates gives them); empty: hidden. */
export function showCandidates(box, items, heading = "Doublon possible : ces fiches ressemblent à celle que vous saisissez.") {
  clear(box);
  box.hidden = !items.length;
  if (!items.length) return;
  box.append(h("p", { class: "duplicate-title" }, heading), h("ul", { class: "duplicate-list" }, items.map(candidateItem)));
}

/**
 * Watch a prospect's form: ``changed()`` is called on every change of it; after a pause
 * the likely duplicates of what is typed are asked and shown in ``box``. Each answer
 * older than the last question is dropped (typing goes faster than the network).
 */
export function duplicateWatcher(getForm, box, { excludeId = null } = {}) {
  let timer = null;
  let asked = 0;
  let last = "";
  async function ask() {
    const form = getForm();
    if (!form) return;
    const probe = probeOf(form);
    const key = JSON.stringify(probe);
    if (key === last) return;
    last = key;
    const mine = ++asked;
    if (!probe) {
      showCandidates(box, []);
      return;
    }
    try {
      const body = excludeId ? { ...probe, exclude_id: excludeId } : probe;
      const { data } = await post(`${API}/accounts/duplicates`, body);
      if (mine === asked) showCandidates(box, data.items);
    } catch {
      // A warning, not a gate: a failed look-up leaves the form as it is.
      if (mine === asked) last = "";
    }
  }
  return {
    changed() {
      clearTimeout(timer);
      timer = setTimeout(ask, WAIT_MS);
    },
    fields: PROBED,
  };
}
