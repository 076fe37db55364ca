// Every API error as a readable French message (the API speaks English problem+json).

const BY_STATUS = {
  400: "La demande est mal formée.",
  401: "Votre session a expiré : reconnectez-vous.",
  403: "Vous n'avez pas le droit de faire cela.",
  404: "Cet élément n'existe pas (ou plus).",
  409: "Cette opération entre en conflit avec une donnée existante.",
  412: "Cette fiche a été modifiée entre-temps par quelqu'un d'autre.",
  413: "Le fichier est trop volumineux.",
  415: "Ce type de fichier n'est pas accepté.",
  422: "Certains champs sont invalides.",
  428: "La version de la fiche manque à la demande.",
  429: "Trop de demandes : réessayez dans un instant.",
  500: "Le serveur a rencontré une erreur inattendue.",
  502: "Un service externe n'a pas répondu correctement.",
  503: "Ce service n'est pas disponible pour le moment.",
  504: "Un service externe a mis trop de temps à répondre.",
};

const GENERIC_MESSAGES = [
  [/^is required$|^Missing data for required field\.?$/i, "obligatoire"],
  [/^unknown (custom )?field$|^Unknown field\.?$/i, "champ inconnu"],
  [/Longer than maximum length (\d+)/i, "trop long (au plus $1 caractères)"],
  [/does not belong to the SIREN/i, "le SIRET ne correspond pas au SIREN"],
];

// What a refused value of these fields means, whatever the English wording.
const BY_FIELD = {
  siren: "SIREN invalide (9 chiffres, clé de Luhn)",
  siret: "SIRET invalide (14 chiffres, clé de Luhn)",
  ape_code: "code APE invalide (par exemple 62.01Z)",
  email: "adresse e-mail invalide",
  phone: "numéro de téléphone invalide",
  direct_line: "numéro de téléphone invalide",
  mobile: "numéro de téléphone invalide",
  website: "adresse web invalide",
};

const FIELD_MESSAGES = [
  [/not a valid e-?mail|e-?mail/i, "adresse e-mail invalide"],
  [/phone/i, "numéro de téléphone invalide"],
  [/does not belong to the SIREN/i, "le SIRET ne correspond pas au SIREN"],
  [/SIRET/i, "SIRET invalide (14 chiffres, clé de Luhn)"],
  [/SIREN/i, "SIREN invalide (9 chiffres, clé de Luhn)"],
  [/APE/i, "code APE invalide (par exemple 62.01Z)"],
  [/URL|web ?site/i, "adresse web invalide"],
  [/Longer than maximum length (\d+)/i, "trop long (au plus $1 caractères)"],
  [/Length must be between (\d+) and (\d+)/i, "entre $1 et $2 caractères"],
  [/Not a valid (integer|number)/i, "nombre invalide"],
  [/Not a valid date/i, "date invalide"],
  [/Not a valid boolean/i, "valeur oui/non invalide"],
  [/Must be one of|must be one of/i, "valeur non proposée"],
  [/at least (\d+) characters/i, "au moins $1 caractères"],
  [/no such user/i, "utilisateur inconnu"],
];

const FIELD_NAMES = {
  name: "Nom d'appel",
  legal_name: "Raison sociale",
  siren: "SIREN",
  siret: "SIRET",
  ape_code: "Code APE",
  phone: "Téléphone",
  email: "E-mail",
  website: "Site web",
  "address.line1": "Adresse",
  "address.line2": "Complément d'adresse",
  "address.postal_code": "Code postal",
  "address.city": "Ville",
  "address.country": "Pays",
  civility: "Civilité",
  first_name: "Prénom",
  last_name: "Nom",
  job_title: "Fonction",
  direct_line: "Ligne directe",
  mobile: "Mobile",
  username: "Identifiant",
  password: "Mot de passe",
  file: "Fichier",
  template_id: "Modèle",
  subject: "Objet",
  type: "Type",
  due_at: "Échéance",
  number: "Numéro",
};

// What an error's ``code`` means: a code wins over the English wording.
const BY_CODE = {
  read_only: "non modifiable ici : ce champ vient de l'ERP",
  required: "obligatoire",
  missing: "obligatoire",
  unknown_field: "champ inconnu",
  unknown: "champ inconnu",
  too_long: "trop long",
  invalid_number: "numéro invalide (SIREN : 9 chiffres, SIRET : 14 chiffres)",
  invalid_email: "adresse e-mail invalide",
  invalid_phone: "numéro de téléphone invalide",
  invalid_url: "adresse web invalide",
  invalid_choice: "valeur non proposée",
  siret_siren_mismatch: "le SIRET ne correspond pas au SIREN",
  duplicate: "déjà celui d'une autre fiche",
  same_record: "c'est la fiche elle-même",
  stale: "modifiée entre-temps",
};

/** Seconds to wait, from a Retry-After value (seconds or an HTTP date); null if unknown. */
export function retryAfterSeconds(value) {
  if (value === undefined || value === null || value === "") return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** "dans 40 secondes" / "dans 3 minutes (vers 14:05)". */
export function frDelay(seconds) {
  if (seconds < 60) return `dans ${seconds} seconde${seconds > 1 ? "s" : ""}`;
  const minutes = Math.ceil(seconds / 60);
  const at = new Date(Date.now() + seconds * 1000);
  const hhmm = at.toLocaleTimeString("fr-FR", { hour: "2-digit", minute: "2-digit" });
  return `dans ${minutes} minute${minutes > 1 ? "s" : ""} (vers ${hhmm})`;
}

/** One error entry ({field, message, code}) or its message, in French. */
export function fieldMessage(error, field = "") {
  const message = typeof error === "object" && error !== null ? error.message : error;
  const code = typeof error === "object" && error !== null ? error.code : undefined;
  if (code && BY_CODE[code]) return BY_CODE[code];
  for (const [pattern, french] of GENERIC_MESSAGES) {
    const match = String(message).match(pattern);
    if (match) return french.replace(/\$(\d)/g, (_, i) => match[Number(i)] ?? "");
  }
  if (BY_FIELD[field]) return BY_FIELD[field];
  for (const [pattern, french] of FIELD_MESSAGES) {
    const match = String(message).match(pattern);
    if (match) return french.replace(/\$(\d)/g, (_, i) => match[Number(i)] ?? "");
  }
  return "valeur refusée";
}

export function fieldName(field, labels = {}) {
  const key = String(field || "").replace(/^custom\./, "");
  return labels[field] || labels[key] || FIELD_NAMES[field] || key;
}

/** One French sentence for a problem (status, title, detail, errors). */
export function problemMessage(status, problem = {}, labels = {}) {
  if (status === 0) return "Le serveur est injoignable : vérifiez votre connexion.";
  if (status === 401 && problem.detail && /wrong password|Unknown user/i.test(problem.detail)) {
    return "Identifiant ou mot de passe incorrect (ou compte désactivé).";
  }
  if (status === 403 && problem.missing_right) {
    return `Vous n'avez pas le droit de faire cela (droit « ${problem.missing_right} » requis).`;
  }
  if (status === 403 && /CSRF/i.test(problem.title || "")) {
    return "La demande n'a pas pu être authentifiée : rechargez la page.";
  }
  if (status === 503 && /SIRENE/i.test(problem.detail || "")) {
    return "La recherche SIRENE n'est pas disponible pour le moment.";
  }
  if (status === 404 && /requested URL was not found/i.test(problem.detail || "")) {
    return "Cette fonction n'est pas disponible sur ce serveur.";
  }
  if (status === 429) {
    const seconds = retryAfterSeconds(problem.retry_after);
    const when = seconds === null ? "dans un instant" : frDelay(seconds);
    return `Trop de tentatives : réessayez ${when}.`;
  }
  let message = BY_STATUS[status] || `Erreur inattendue (${status}).`;
  const errors = Array.isArray(problem.errors) ? problem.errors : [];
  if (errors.length && status !== 412) {
    const parts = errors.map((e) => `${fieldName(e.field, labels)} : ${fieldMessage(e, e.field)}`);
    message += ` ${parts.join(" ; ")}.`;
  }
  return message;
}
