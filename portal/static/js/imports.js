// Importer: a CSV or Excel file of prospects or contacts. The file is first read in a
// simulation (nothing written): the columns with the mapping the server guessed, editable,
// and what each row would become. Then the import itself, with a progress bar, a summary
// and the file of the rejected rows to fix and import again.

import { API, ApiError, get, newestOnly, request } from "./api.js";
import { clear, h, newId, setTitle } from "./dom.js";

const ENTITIES = { prospects: "Prospects", contacts: "Contacts" };
const OUTCOMES = {
  created: "à créer",
  updated: "à mettre à jour",
  duplicate: "doublons",
  error: "refusées",
};
const DONE_OUTCOMES = { created: "créées", updated: "mises à jour", duplicate: "doublons", error: "refusées" };
const SHOWN_ROWS = 50;

function field(label, control) {
  return h("div", { class: "list-field" }, h("label", { for: control.id }, label), control);
}

function summary(data, labels) {
  return h(
    "ul",
    { class: "import-counts", "aria-label": "Bilan" },
    Object.entries(labels).map(([key, label]) =>
      h("li", { class: `outcome-${key}` }, h("strong", {}, String(data.counts[key] || 0)), ` ${label}`),
    ),
  );
}

/** The rows worth reading: the refused ones, the duplicates, then the rows created that
 * look like a record already there (the first of each). */
async function attention(data) {
  const rows = [];
  const filters = [
    ["outcome=error", data.counts.error],
    ["outcome=duplicate", data.counts.duplicate],
    ["possible_duplicates=true", data.possible_duplicates],
  ];
  for (const [filter, count] of filters) {
    if (!count) continue;
    const { data: page } = await get(`${data.links.self}?${filter}&limit=${SHOWN_ROWS}`);
    rows.push(...page.report);
  }
  return rows;
}

/** "Créée quand même : doublon possible de …": a link to each record named. */
function possibleLinks(row) {
  const records = (row.possible_duplicates || []).filter((p) => p.id);
  if (!records.length) return null;
  return h(
    "span",
    { class: "possible-duplicates" },
    "Voir :",
    records.map((p) => h("a", { href: `#/${p.kind}s/${p.id}` }, `${p.name} (n° ${p.id})`)),
  );
}

function reportList(rows) {
  if (!rows.length) return null;
  return h(
    "ul",
    { class: "rows import-report", "aria-label": "Lignes à regarder" },
    rows.map((r) =>
      h(
        "li",
        { class: `outcome-${r.outcome}${r.possible_duplicates ? " possible-duplicate" : ""}` },
        h("strong", {}, `Ligne ${r.row} `),
        h("span", {}, r.message || ""),
        possibleLinks(r),
      ),
    ),
  );
}

/** How many rows created (or to create) name a likely duplicate. */
function possibleNote(data, dryRun) {
  const n = data.possible_duplicates || 0;
  if (!n) return null;
  const rows = n > 1 ? `${n} lignes` : "1 ligne";
  const verb = dryRun ? (n > 1 ? "seront créées" : "sera créée") : n > 1 ? "ont été créées" : "a été créée";
  return h("p", { class: "hint" }, `${rows} ressemble${n > 1 ? "nt" : ""} à une fiche existante ou à une ligne précédente et ${verb} quand même : vérifiez-les ci-dessous.`);
}

/** The fields each row takes from another, no column being mapped to them (name ← legal_name). */
function derivedNotes(data) {
  const label = (key) => data.targets.find((t) => t.key === key)?.label || key;
  return Object.entries(data.derived || {}).map(([key, source]) =>
    h("p", { class: "hint" }, `${label(key)} : aucune colonne, repris de « ${label(source)} » sur chaque ligne.`),
  );
}

/** Column → field selects; "" ignores the column. */
function mappingForm(data) {
  const selects = {};
  const items = data.columns.map((column) => {
    const control = h(
      "select",
      { id: newId("col") },
      h("option", { value: "" }, "— Ignorer cette colonne —"),
      data.targets.map((t) => h("option", { value: t.key, selected: data.mapping[column] === t.key }, t.label)),
    );
    selects[column] = control;
    return h("li", {}, field(`Colonne « ${column} »`, control));
  });
  return { list: h("ul", { class: "import-mapping" }, items), selects };
}

function chosenMapping(selects) {
  return Object.fromEntries(Object.entries(selects).map(([column, control]) => [column, control.value || null]));
}

async function follow(location, bar, status) {
  for (;;) {
    const { data } = await get(location);
    bar.max = Math.max(data.progress.total, 1);
    bar.value = data.progress.done;
    status.textContent = `${data.progress.done} lignes sur ${data.progress.total}`;
    if (data.state === "done" || data.state === "failed") return data;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

export function importPage() {
  setTitle("Importer");
  const entity = h(
    "select",
    { id: newId("f"), name: "entity" },
    Object.entries(ENTITIES).map(([key, label]) => h("option", { value: key }, label)),
  );
  const file = h("input", { id: newId("f"), type: "file", name: "file", accept: ".csv,.txt,.xlsx,text/csv", required: true });
  const update = h("input", { id: newId("f"), type: "checkbox", name: "update_existing" });
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const step = h("div", { class: "import-step" });
  const read = h("button", { type: "submit", class: "primary" }, "Lire le fichier");
  const form = h(
    "form",
    { class: "import-form" },
    field("Type de fiches", entity),
    field("Fichier CSV ou Excel (.xlsx)", file),
    h("div", { class: "checkbox" }, update, h("label", { for: update.id }, "Mettre à jour les fiches existantes")),
    h("p", { class: "hint" }, "Les fiches existantes (même SIRET, même référence ERP ou, pour un contact, même e-mail) sont signalées comme doublons et laissées telles quelles, sauf si vous demandez leur mise à jour."),
    read,
    error,
  );

  function fail(exc) {
    error.hidden = false;
    error.textContent = exc instanceof ApiError ? exc.message : String(exc);
  }

  async function send(mapping, dryRun) {
    const body = new FormData();
    body.append("file", file.files[0], file.files[0].name);
    body.append("entity", entity.value);
    body.append("dry_run", dryRun ? "true" : "false");
    body.append("update_existing", update.checked ? "true" : "false");
    if (mapping) body.append("mapping", JSON.stringify(mapping));
    const { data } = await request("POST", `${API}/imports`, { body });
    return data;
  }

  function showSimulation(data, rows) {
    const { list, selects } = mappingForm(data);
    const retest = h("button", { type: "button" }, "Relancer la simulation");
    const run = h("button", { type: "button", class: "primary" }, "Importer");
    retest.addEventListener("click", () => simulate(chosenMapping(selects)));
    run.addEventListener("click", () => runImport(chosenMapping(selects)));
    clear(step).append(
      h("h2", {}, "Correspondance des colonnes"),
      h("p", { class: "hint" }, "Choisissez le champ de chaque colonne ; les colonnes ignorées ne sont pas lues."),
      list,
      derivedNotes(data),
      h("h2", {}, "Simulation (rien n'a été écrit)"),
      h("p", {}, `${data.progress.total} lignes lues dans « ${data.file_name} ».`),
      summary(data, OUTCOMES),
      possibleNote(data, true),
      reportList(rows),
      h("div", { class: "import-buttons" }, retest, run),
    );
  }

  // A simulation asked again, then the import: only the newest step is drawn (a slow
  // simulation never replaces the import that followed it), and the step's buttons
  // wait while a simulation runs.
  const steps = newestOnly();
  const stepButtons = (disabled) => {
    for (const button of step.querySelectorAll("button")) button.disabled = disabled;
  };

  async function simulate(mapping) {
    const asked = steps.ask();
    error.hidden = true;
    read.disabled = true;
    stepButtons(true);
    try {
      const data = await send(mapping, true);
      const rows = await attention(data);
      if (!steps.isNewest(asked)) return;
      showSimulation(data, rows);
      step.querySelector("h2").focus?.();
    } catch (exc) {
      if (steps.isNewest(asked)) fail(exc);
    } finally {
      read.disabled = false;
      if (steps.isNewest(asked)) stepButtons(false);
    }
  }

  async function runImport(mapping) {
    const asked = steps.ask();
    error.hidden = true;
    const bar = h("progress", { id: newId("p"), max: "1", value: "0" });
    const status = h("p", { role: "status" }, "Import en cours…");
    clear(step).append(h("h2", {}, "Import en cours"), h("label", { for: bar.id }, "Avancement"), bar, status);
    try {
      const started = await send(mapping, false);
      const data = started.state === "done" || started.state === "failed" ? started : await follow(started.links.self, bar, status);
      bar.max = Math.max(data.progress.total, 1);
      bar.value = data.progress.done;
      status.textContent = `${data.progress.done} lignes sur ${data.progress.total}`;
      const rejected = data.counts.error > 0;
      const rows = await attention(data);
      if (!steps.isNewest(asked)) return; // another file was read meanwhile
      clear(step).append(
        h("h2", {}, data.state === "done" ? "Import terminé" : "Import interrompu"),
        data.error ? h("p", { class: "error" }, data.error) : null,
        bar,
        status,
        summary(data, DONE_OUTCOMES),
        rejected
          ? h("p", {}, h("a", { class: "button", href: data.links.errors, download: "" }, "Télécharger les lignes refusées"), " : corrigez-les puis importez ce fichier.")
          : null,
        possibleNote(data, false),
        reportList(rows),
      );
    } catch (exc) {
      if (steps.isNewest(asked)) fail(exc);
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!file.files.length) return;
    simulate(null);
  });
  return h(
    "section",
    { class: "import" },
    h("h1", {}, "Importer des prospects ou des contacts"),
    h("p", { class: "hint" }, "Un fichier CSV (séparé par des points-virgules, des virgules ou des tabulations, comme l'enregistre Excel) ou un classeur Excel ; la première ligne nomme les colonnes."),
    form,
    step,
  );
}
