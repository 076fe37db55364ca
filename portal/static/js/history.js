// The Historique tab: who changed what on the record, newest first, in French.

import { API, get } from "./api.js";
import { clear, frDateTime, h } from "./dom.js";

/** The field, with its article, as a sentence names it ("le téléphone"). */
const FIELDS = {
  name: "le nom d'appel", legal_name: "la raison sociale", siren: "le SIREN", siret: "le SIRET",
  ape_code: "le code APE", phone: "le téléphone", email: "l'e-mail", website: "le site web",
  "address.line1": "l'adresse", "address.line2": "le complément d'adresse",
  "address.postal_code": "le code postal", "address.city": "la ville", "address.country": "le pays",
  owner_id: "le responsable", status: "le statut", closed: "la fermeture", kind: "le type",
  external_ref: "la référence ERP", civility: "la civilité", first_name: "le prénom",
  last_name: "le nom", job_title: "la fonction", direct_line: "la ligne directe", mobile: "le mobile",
  "consent.status": "le consentement", "consent.at": "la date du consentement",
  "consent.source": "l'origine du consentement", do_not_contact: "l'opposition au démarchage",
  account_id: "le compte (n°)",
};
const VALUES = {
  unknown: "inconnu", granted: "donné", refused: "refusé", draft: "brouillon", validated: "validé",
  prospect: "prospect", client: "client",
};
const ACTIONS = {
  created: "a créé la fiche",
  validated: "a validé le prospect",
  converted: "a converti le prospect en client",
  closed: "a fermé le client",
  reopened: "a rouvert le client",
  sirene_filled: "a complété la fiche depuis SIRENE",
  document_added: "a ajouté le document",
  document_removed: "a supprimé le document",
  edition_attached: "a joint l'édition",
  merged: "a fusionné dans cette fiche",
  imported: "a importé la fiche",
};

function fieldLabel(field) {
  if (field.startsWith("custom.")) return `le champ « ${field.slice(7)} »`;
  return FIELDS[field] || `le champ « ${field} »`;
}

/** A value as the fiche shows it: "+33140000001" as "01 40 00 00 01", true as "oui". */
export function frValue(value) {
  if (value === null || value === undefined || value === "") return "(vide)";
  if (value === true) return "oui";
  if (value === false) return "non";
  const text = String(value);
  const phone = /^\+33(\d)(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text);
  if (phone) return `0${phone[1]} ${phone.slice(2).join(" ")}`;
  if (/^\d{4}-\d{2}-\d{2}T/.test(text)) return frDateTime(text);
  return VALUES[text] || text;
}

/** "il y a 3 min", "il y a 2 h", else the date and time. */
export function frAgo(at, now = Date.now()) {
  const seconds = Math.max(0, (now - Date.parse(at)) / 1000);
  if (seconds < 60) return "à l'instant";
  if (seconds < 3600) return `il y a ${Math.floor(seconds / 60)} min`;
  if (seconds < 86400) return `il y a ${Math.floor(seconds / 3600)} h`;
  return `le ${frDateTime(at)}`;
}

/** The sentences of one entry: "Bruno a changé le téléphone : 01 … → 01 …, il y a 3 min". */
export function sentences(entry, now = Date.now()) {
  const who = entry.user?.username || "Carnet";
  const when = frAgo(entry.at, now);
  const changes = (entry.changes || []).map((c) => `${fieldLabel(c.field)} : ${frValue(c.old)} → ${frValue(c.new)}`);
  if (entry.action === "changed") return changes.map((text) => `${who} a changé ${text}, ${when}`);
  const what = ACTIONS[entry.action] || entry.action;
  const named = entry.detail?.name || entry.detail?.source_name;
  const name = named ? ` « ${named} »` : "";
  const head = `${who} ${what}${name}, ${when}`;
  // The conversion, the SIRENE fill… say which fields they changed, one line each.
  return [head, ...(entry.action === "created" ? [] : changes.map((text) => `${text[0].toUpperCase()}${text.slice(1)}`))];
}

function entryItem(entry) {
  const [head, ...rest] = sentences(entry);
  return h(
    "li",
    { class: `history-entry history-${entry.action}` },
    h("time", { datetime: entry.at, class: "visually-hidden" }, frDateTime(entry.at)),
    h("p", {}, head),
    rest.length ? h("ul", { class: "history-changes" }, rest.map((text) => h("li", {}, text))) : null,
  );
}

export async function historyTab(panel, kind, id) {
  const list = h("ol", { class: "history" });
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Voir les modifications plus anciennes");
  let cursor = null;
  async function load() {
    const query = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
    const { data } = await get(`${API}/${kind}s/${id}/history?limit=50${query}`);
    list.append(...data.items.map(entryItem));
    cursor = data.next_cursor;
    more.hidden = !cursor;
  }
  more.addEventListener("click", () => load());
  await load();
  clear(panel).append(list.childElementCount ? list : h("p", { class: "muted" }, "Aucune modification."), more);
}
