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

// The names of what is not a record field. A record field's label comes from the API's
// field library (learnFieldNames, when the portal loads it): declared once, server side.
const FIELD_NAMES = {
  username: "Identifiant",
  password: "Mot de passe",
  file: "Fichier",
  template_id: "Modèle",
  subject: "Objet",
  type: "Type",
  due_at: "Échéance",
  number: "Numéro",
};

// What each ``code`` means (httpkit/error_codes.py lists every code the API emits; a test
// fails when one has no French text here). The English ``message``, ``detail`` and
// ``title`` are never read: the code alone says what went wrong, the field's label where.
// An error entry's code reads after its field's label; a problem's own (top-level) code
// reads alone, as a whole sentence.
export const BY_CODE = {
  required: "obligatoire",
  not_null: "obligatoire",
  unknown_field: "champ inconnu",
  read_only: "non modifiable ici : ce champ vient de l'ERP",
  not_applicable: "ne s'applique pas ici",
  always_required: "ce champ reste toujours obligatoire",
  empty: "vide",
  invalid: "valeur refusée",
  not_a_string: "un texte est attendu",
  not_a_number: "nombre invalide",
  not_a_boolean: "valeur oui/non invalide",
  not_a_date: "date invalide",
  not_a_list: "une liste est attendue",
  not_an_object: "la demande est mal formée",
  too_long: "trop long",
  too_short: "trop court",
  invalid_length: "longueur invalide",
  out_of_range: "hors des limites permises",
  too_large: "trop volumineux",
  not_one_of: "valeur non proposée",
  invalid_format: "format invalide",
  control_characters: "contient des caractères de contrôle",
  unstorable_text: "contient des caractères non enregistrables",
  invalid_email: "adresse e-mail invalide",
  invalid_phone: "numéro de téléphone invalide",
  invalid_url: "adresse web invalide",
  invalid_siren: "SIREN invalide (9 chiffres, clé de Luhn)",
  invalid_siret: "SIRET invalide (14 chiffres, clé de Luhn)",
  invalid_number: "numéro invalide (SIREN : 9 chiffres, SIRET : 14 chiffres)",
  invalid_ape: "code APE invalide (par exemple 62.01Z)",
  siret_siren_mismatch: "le SIRET ne correspond pas au SIREN",
  refused_by_register: "refusé par le répertoire SIRENE",
  not_found: "introuvable (supprimé ou inaccessible)",
  not_related: "ne correspond pas à la fiche concernée",
  unknown_filter: "filtre inconnu pour cette liste",
  unknown_sort: "tri impossible sur ce champ",
  invalid_cursor: "page invalide : recommencez depuis le début de la liste",
  template_syntax: "le modèle contient une erreur de syntaxe",
  invalid_header: "en-tête de la demande invalide",
  key_reused: "demande déjà envoyée avec un autre contenu",
  in_flight: "la même demande est encore en cours",
  duplicate: "déjà celui d'une autre fiche",
  same_record: "c'est la fiche elle-même",
  stale: "modifiée entre-temps",
  ambiguous: "correspond à plusieurs fiches : précisez",
  invalid_file: "fichier illisible (CSV ou Excel .xlsx attendu)",
  // a problem's own code (error_codes.PROBLEM_CODES): a whole sentence
  bad_credentials: "Identifiant ou mot de passe incorrect (ou compte désactivé).",
  csrf_failed: "La demande n'a pas pu être authentifiée : rechargez la page.",
  unknown_url: "Cette fonction n'est pas disponible sur ce serveur.",
  sirene_error: "La recherche SIRENE a échoué.",
  sirene_not_configured: "La recherche SIRENE n'est pas configurée sur ce serveur : un administrateur peut la mettre en place.",
  provider_key_rejected: "La recherche SIRENE n'est pas disponible pour le moment : la clé du serveur a été refusée.",
  provider_unavailable: "La recherche SIRENE n'est pas disponible pour le moment.",
  provider_timeout: "La recherche SIRENE a mis trop de temps à répondre : réessayez dans un instant.",
  quota_exhausted: "Le quota de recherches SIRENE est épuisé pour le moment : réessayez plus tard.",
  unknown_number: "Aucune entreprise ni aucun établissement ne porte ce numéro dans SIRENE.",
  failed: "Le résultat de la recherche SIRENE n'a pas pu être appliqué à la fiche : rechargez-la, puis réessayez.",
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

/** One error entry ({field, code, message}) in French, by its code. */
export function fieldMessage(error) {
  const code = typeof error === "object" && error !== null ? error.code : undefined;
  return BY_CODE[code] || BY_CODE.invalid;
}

// Labels of the field library's fields, learned as the portal loads the library.
const LEARNED_NAMES = {};

/** Remember the labels of field library entries ({key, label}) for the error messages. */
export function learnFieldNames(fields) {
  for (const { key, label } of fields) if (key && label) LEARNED_NAMES[key] ??= label;
}

export function fieldName(field, labels = {}) {
  const key = String(field || "").replace(/^custom\./, "");
  const learned = LEARNED_NAMES[field] || LEARNED_NAMES[key];
  return labels[field] || labels[key] || learned || FIELD_NAMES[field] || key;
}

/** One French sentence for a problem (its status, its own code, its errors), by code. */
export function problemMessage(status, problem = {}, labels = {}) {
  if (status === 0) return "Le serveur est injoignable : vérifiez votre connexion.";
  if (status === 403 && problem.missing_right) {
    return `Vous n'avez pas le droit de faire cela (droit « ${problem.missing_right} » requis).`;
  }
  if (status === 429) {
    const seconds = retryAfterSeconds(problem.retry_after);
    const when = seconds === null ? "dans un instant" : frDelay(seconds);
    return `Trop de tentatives : réessayez ${when}.`;
  }
  const errors = Array.isArray(problem.errors) ? problem.errors : [];
  // A problem's own code says what happened; its errors[], when it has some, say it
  // field by field.
  const own = typeof problem.code === "string" && !errors.length ? BY_CODE[problem.code] : undefined;
  if (own) return own;
  let message = BY_STATUS[status] || `Erreur inattendue (${status}).`;
  if (errors.length && status !== 412) {
    const parts = errors.map((e) => `${fieldName(e.field, labels)} : ${fieldMessage(e)}`);
    message += ` ${parts.join(" ; ")}.`;
  }
  return message;
}
