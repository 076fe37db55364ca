// *Fusionner* on a fiche (a prospect or a contact): choose the record to keep (its likely
// duplicates first, or a search box), choose field by field which value it keeps (side by
// side), confirm. The record shown then disappears: what hangs on it goes to the one kept.
// One dialog for both: an entity (ACCOUNT, CONTACT) says what differs between them.

import { API, ApiError, get, post } from "./api.js";
import { ACCOUNT_REASONS, CONTACT_REASONS } from "./duplicates.js";
import { clear, h, newId, toast } from "./dom.js";
import { hasRight } from "./session.js";

export const MERGE_ACCOUNTS = "merge_accounts";
const ERP_SYNC = "erp_sync";
const WAIT_MS = 250;
const SUGGESTED = 5;

const fullName = (c) => [c.first_name, c.last_name].filter(Boolean).join(" ") || "(sans nom)";
const blankless = (value) => (value === undefined || value === "" ? null : value);

/** Prospects and clients (POST /accounts/{id}/merge; a prospect's fiche offers it). */
export const ACCOUNT = {
  path: "accounts",
  reasons: ACCOUNT_REASONS,
  label: (r) => r.name,
  place: (r) => [r.address?.city, r.kind === "client" ? "client" : "prospect"].filter(Boolean).join(", "),
  href: (r) => `#/${r.kind}s/${r.id}`,
  words: {
    pick: "Fiche à garder",
    found: "Fiches trouvées",
    placeholder: "Nom, ville, SIREN…",
    none: "Aucune fiche ne correspond.",
    kept: "Fiche gardée",
    mine: "Cette fiche",
    intro: (s) => ["Choisissez la fiche à garder : « ", s, " » y sera fusionnée puis supprimée."],
    same: "Les deux fiches ont les mêmes valeurs.",
    other: "Choisir une autre fiche",
    moves: (s, t) => `Les contacts, documents, actions, opportunités et éditions de « ${s} » passeront sur « ${t} », puis « ${s} » sera supprimée. Cette fusion est définitive.`,
    done: (s, t) => `Fiches fusionnées : « ${s} » a rejoint « ${t} ».`,
    stale: "L'une des deux fiches a été modifiée entre-temps : rechargez-les, puis fusionnez de nouveau.",
    reloaded: "Les deux fiches ont été rechargées.",
  },
  /** The fields offered side by side: label, how a value reads, the API fields it sets. */
  fields: [
    { key: "name", label: "Nom d'appel", read: (r) => r.name },
    { key: "legal_name", label: "Raison sociale", read: (r) => r.legal_name },
    { key: "siret", label: "SIREN/SIRET", read: (r) => r.siret || r.siren, sends: ["siren", "siret"] },
    { key: "ape_code", label: "Code APE", read: (r) => r.ape_code },
    {
      key: "address",
      label: "Adresse",
      read: (r) => [r.address?.line1, r.address?.line2, [r.address?.postal_code, r.address?.city].filter(Boolean).join(" "), r.address?.country].filter(Boolean).join(", "),
    },
    { key: "phone", label: "Téléphone", read: (r) => r.phone },
    { key: "email", label: "E-mail", read: (r) => r.email },
    { key: "website", label: "Site web", read: (r) => r.website },
  ],
  probe: (r) => ({
    name: r.name,
    siren: blankless(r.siren),
    siret: blankless(r.siret),
    phone: blankless(r.phone),
    email: blankless(r.email),
    website: blankless(r.website),
    address: { postal_code: blankless(r.address?.postal_code), city: blankless(r.address?.city) },
    exclude_id: r.id,
  }),
  candidate: (item) => item.account,
  // A client belongs to the ERP: merging into one needs its right too.
  searchUrl: (text) => `${API}/accounts?q=${encodeURIComponent(text)}&limit=10${hasRight(ERP_SYNC) ? "" : "&kind=prospect"}`,
  mergeable: (r) => r.kind !== "client" || hasRight(ERP_SYNC),
};

/** People (POST /contacts/{id}/merge; a contact's fiche offers it). */
export const CONTACT = {
  path: "contacts",
  reasons: CONTACT_REASONS,
  label: fullName,
  place: (r) => [r.job_title, r.account?.name].filter(Boolean).join(", "),
  href: (r) => `#/contacts/${r.id}`,
  words: {
    pick: "Contact à garder",
    found: "Contacts trouvés",
    placeholder: "Nom, e-mail…",
    none: "Aucun contact ne correspond.",
    kept: "Contact gardé",
    mine: "Ce contact",
    intro: (s) => ["Choisissez le contact à garder : « ", s, " » y sera fusionné puis supprimé."],
    same: "Les deux contacts ont les mêmes valeurs.",
    other: "Choisir un autre contact",
    moves: (s, t) => `Les actions, documents, éditions et opportunités de « ${s} » passeront sur « ${t} », puis « ${s} » sera supprimé. Cette fusion est définitive.`,
    done: (s, t) => `Contacts fusionnés : « ${s} » a rejoint « ${t} ».`,
    stale: "L'un des deux contacts a été modifié entre-temps : rechargez-les, puis fusionnez de nouveau.",
    reloaded: "Les deux contacts ont été rechargés.",
  },
  fields: [
    { key: "civility", label: "Civilité", read: (r) => r.civility },
    { key: "first_name", label: "Prénom", read: (r) => r.first_name },
    { key: "last_name", label: "Nom", read: (r) => r.last_name },
    { key: "job_title", label: "Fonction", read: (r) => r.job_title },
    { key: "direct_line", label: "Ligne directe", read: (r) => r.direct_line },
    { key: "mobile", label: "Mobile", read: (r) => r.mobile },
    { key: "email", label: "E-mail", read: (r) => r.email },
  ],
  probe: (r) => ({
    first_name: blankless(r.first_name),
    last_name: blankless(r.last_name),
    direct_line: blankless(r.direct_line),
    mobile: blankless(r.mobile),
    email: blankless(r.email),
    account_id: r.account_id,
    exclude_id: r.id,
  }),
  candidate: (item) => item.contact,
  searchUrl: (text) => `${API}/contacts?q=${encodeURIComponent(text)}&limit=10`,
  mergeable: () => true,
};

/**
 * One field, the two values side by side (stacked on a phone), the kept one checked:
 * ``side`` if the user chose one already (before a reload), else the kept record's value
 * unless it has none and this one has one.
 */
function fieldChoice(entity, field, source, target, side) {
  const mine = field.read(source) || "";
  const theirs = field.read(target) || "";
  const name = newId(`merge-${field.key}`);
  const option = (side, value, label, checked) =>
    h(
      "label",
      { class: "merge-option" },
      h("input", { type: "radio", name, value: side, checked }),
      h("span", {}, h("strong", {}, `${label} : `), value || "(vide)"),
    );
  const fromSource = side ? side === "source" : !theirs && Boolean(mine);
  return h(
    "fieldset",
    { class: "merge-field", dataset: { field: field.key } },
    h("legend", {}, field.label),
    option("target", theirs, entity.words.kept, !fromSource),
    option("source", mine, entity.words.mine, fromSource),
  );
}

function chosenFields(entity, box) {
  const out = {};
  for (const set of box.querySelectorAll("fieldset.merge-field")) {
    const field = entity.fields.find((f) => f.key === set.dataset.field);
    const side = set.querySelector("input:checked")?.value || "target";
    for (const key of field.sends || [field.key]) out[key] = side;
  }
  return out;
}

/**
 * The merge dialog of the record ``state.record`` (the one that goes) of ``entity``.
 * The dialog reads both records itself: a reload after a conflict leaves the fiche's own
 * state (and its ETag, which guards its saves) as it was.
 */
export function mergeDialog(entity, state, { beforeLeave = () => {} } = {}) {
  const words = entity.words;
  let source = state.record;
  const titleId = newId("merge-title");
  const searchId = newId("merge-search");
  const dialog = h("dialog", { class: "dialog merge-dialog", "aria-labelledby": titleId });
  const status = h("p", { class: "merge-status", role: "status" });
  const body = h("div", { class: "merge-body" });
  const buttons = h("div", { class: "dialog-buttons" });
  const close = h("button", { type: "button", class: "secondary", onclick: () => dialog.close() }, "Annuler");
  dialog.append(h("h2", { id: titleId }, `Fusionner « ${entity.label(source)} »`), body, status, buttons);
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  chooseTarget();
  dialog.showModal();
  return dialog;

  function choiceList(records, reasonsOf = () => []) {
    return records.map((record) => {
      const reasons = reasonsOf(record).map((r) => entity.reasons[r] || r);
      const place = entity.place(record);
      return h(
        "li",
        {},
        h(
          "button",
          { type: "button", class: "merge-choice", onclick: () => compare(record.id) },
          entity.label(record),
          place ? h("span", { class: "muted" }, ` — ${place}`) : null,
          reasons.length ? h("span", { class: "merge-reasons" }, ` (${reasons.join(", ")})`) : null,
        ),
      );
    });
  }

  function chooseTarget() {
    clear(status);
    const input = h("input", { type: "search", id: searchId, autocomplete: "off", placeholder: words.placeholder });
    const results = h("ul", { class: "merge-results", "aria-label": words.found });
    body.replaceChildren(h("p", {}, ...words.intro(entity.label(source))), h("label", { for: searchId }, words.pick), input, results);
    buttons.replaceChildren(close);
    let timer = null;
    let asked = 0;
    suggest(results, ++asked, () => asked);
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => search(input.value.trim(), results, ++asked, () => asked), WAIT_MS);
    });
    input.focus();
  }

  /** The likely duplicates of the record, offered before anything is typed. */
  async function suggest(results, mine, latest) {
    try {
      const { data } = await post(`${API}/${entity.path}/duplicates`, { ...entity.probe(source), limit: SUGGESTED });
      if (mine !== latest()) return;
      const items = data.items.filter((item) => entity.mergeable(entity.candidate(item)));
      if (!items.length) return;
      const reasons = new Map(items.map((item) => [entity.candidate(item).id, item.reasons]));
      results.replaceChildren(...choiceList(items.map(entity.candidate), (r) => reasons.get(r.id)));
      status.textContent = `Doublons probables : ${items.length}. Vous pouvez aussi chercher.`;
    } catch {
      // Suggestions only: the search box still works.
    }
  }

  async function search(text, results, mine, latest) {
    if (!text) {
      clear(results);
      clear(status);
      return;
    }
    try {
      const { data } = await get(entity.searchUrl(text));
      if (mine !== latest()) return;
      const items = data.items.filter((r) => r.id !== source.id);
      results.replaceChildren(...choiceList(items));
      status.textContent = items.length ? "" : words.none;
    } catch (exc) {
      status.textContent = exc.message;
    }
  }

  async function compare(targetId, chosen = {}) {
    let target;
    let etag;
    try {
      ({ data: target, etag } = await get(`${API}/${entity.path}/${targetId}`));
    } catch (exc) {
      status.textContent = exc.message;
      return;
    }
    const differing = entity.fields.filter((f) => (f.read(source) || "") !== (f.read(target) || ""));
    const choices = h(
      "div",
      { class: "merge-fields" },
      differing.map((f) => fieldChoice(entity, f, source, target, chosen[f.key])),
    );
    const place = entity.place(target);
    body.replaceChildren(
      h("p", {}, `${words.kept} : `, h("a", { href: entity.href(target) }, entity.label(target)), place ? ` (${place}).` : "."),
      differing.length ? h("p", {}, "Pour chaque champ qui diffère, choisissez la valeur gardée :") : h("p", {}, words.same),
      choices,
      h("p", { class: "notice" }, words.moves(entity.label(source), entity.label(target))),
    );
    const back = h("button", { type: "button", class: "secondary", onclick: chooseTarget }, words.other);
    const confirm = h("button", { type: "button", class: "danger", onclick: () => run(target, etag, choices, confirm) }, "Fusionner définitivement");
    buttons.replaceChildren(close, back, confirm);
    clear(status);
    body.querySelector("p a")?.focus();
  }

  /** Both records read again (after a conflict), then compared again, the choices kept. */
  async function reload(targetId, chosen) {
    try {
      ({ data: source } = await get(`${API}/${entity.path}/${source.id}`));
    } catch (exc) {
      status.textContent = exc.message;
      return;
    }
    await compare(targetId, chosen);
    toast(words.reloaded);
  }

  async function run(target, etag, choices, confirm) {
    confirm.disabled = true;
    status.textContent = "Fusion en cours…";
    try {
      const request = { source_id: source.id, source_version: source.version, fields: chosenFields(entity, choices) };
      const { data } = await post(`${API}/${entity.path}/${target.id}/merge`, request, { headers: { "If-Match": etag } });
      toast(words.done(entity.label(source), entity.label(data)));
      dialog.close();
      beforeLeave(); // this fiche is gone: nothing left to save on it
      window.location.hash = entity.href(data);
    } catch (exc) {
      if (exc instanceof ApiError && exc.status === 409 && exc.errors.some((e) => e.code === "stale")) {
        status.textContent = words.stale;
        buttons.replaceChildren(close, h("button", { type: "button", class: "primary", onclick: () => reload(target.id, chosenFields(entity, choices)) }, "Recharger"));
        buttons.lastChild.focus();
      } else {
        status.textContent = exc.message;
        confirm.disabled = false;
      }
    }
  }
}
