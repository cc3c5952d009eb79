/**
 * ISO 3166-1 alpha-2 codes for `ip.geoip.country` access rules.
 *
 * Only the 249 officially assigned codes are accepted. User-assigned codes (XK for Kosovo, XX,
 * T1) and exceptionally reserved ones (UK, EU, …) are not ISO countries, so a rule naming them
 * would most likely never match what the caller meant; rejecting them with a hint is kinder.
 */

// Cross-checked against the ISO 3166 Maintenance Agency list and tzdata's iso3166.tab (249 rows).
const ASSIGNED =
  "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ " +
  "BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
  "CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ " +
  "DE DJ DK DM DO DZ " +
  "EC EE EG EH ER ES ET " +
  "FI FJ FK FM FO FR " +
  "GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY " +
  "HK HM HN HR HT HU " +
  "ID IE IL IM IN IO IQ IR IS IT " +
  "JE JM JO JP " +
  "KE KG KH KI KM KN KP KR KW KY KZ " +
  "LA LB LC LI LK LR LS LT LU LV LY " +
  "MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ " +
  "NA NC NE NF NG NI NL NO NP NR NU NZ " +
  "OM " +
  "PA PE PF PG PH PK PL PM PN PR PS PT PW PY " +
  "QA " +
  "RE RO RS RU RW " +
  "SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ " +
  "TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ " +
  "UA UG UM US UY UZ " +
  "VA VC VE VG VI VN VU " +
  "WF WS " +
  "YE YT " +
  "ZA ZM ZW";

/** All 249 officially assigned ISO 3166-1 alpha-2 codes, upper case. */
export const ISO_3166_ALPHA2: ReadonlySet<string> = new Set(ASSIGNED.split(" "));

/** True when `code` is an officially assigned ISO 3166-1 alpha-2 code, exactly as written. */
export function isAssignedCountry(code: string): boolean {
  return ISO_3166_ALPHA2.has(code);
}

// Codes people reach for that ISO reserves or has withdrawn, with what to write instead.
const LOOKALIKES: Readonly<Record<string, string>> = {
  UK: 'did you mean "GB"?',
  EL: "did you mean \"GR\"? (EL is the EU's code for Greece, not ISO's)",
  EU: "EU is not a country; list the member states' codes",
  XK: "XK (Kosovo) is user-assigned, not an ISO 3166-1 code",
  FX: 'did you mean "FR"?',
  IC: 'did you mean "ES"? (the Canary Islands are part of ES in ISO 3166-1)',
  EA: 'did you mean "ES"?',
  AC: 'did you mean "SH"?',
  TA: 'did you mean "SH"?',
  DG: 'did you mean "IO"?',
  YU: 'did you mean "RS"? (YU was withdrawn)',
  CS: 'did you mean "RS" or "ME"? (CS was withdrawn)',
  AN: 'did you mean "BQ", "CW" or "SX"? (AN was withdrawn)',
  TP: 'did you mean "TL"? (TP was withdrawn)',
  ZR: 'did you mean "CD"? (ZR was withdrawn)',
  BU: 'did you mean "MM"? (BU was withdrawn)',
};

/**
 * A short hint for a rejected country code, or undefined when there is nothing useful to say.
 *
 * @example
 * ```ts
 * countryHint("gb"); // 'use upper case: "GB"'
 * countryHint("UK"); // 'did you mean "GB"?'
 * ```
 */
export function countryHint(code: string): string | undefined {
  if (typeof code !== "string") return undefined;
  const upper = code.toUpperCase();
  if (upper !== code && ISO_3166_ALPHA2.has(upper)) return `use upper case: "${upper}"`;
  if (Object.hasOwn(LOOKALIKES, upper)) return LOOKALIKES[upper];
  if (code.length !== 2) return 'use a two-letter ISO 3166-1 alpha-2 code such as "US"';
  return undefined;
}
