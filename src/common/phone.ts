import {
  isSupportedCountry,
  parsePhoneNumberFromString,
  type CountryCode,
} from "libphonenumber-js";

/**
 * Phone numbers in one form, E.164 (`+` and up to 15 digits, e.g. `+442071838750`), so that a
 * number typed as `+44 20 7183 8750`, `0044 20 7183 8750` or — with the default region GB —
 * `020 7183 8750` is one and the same lead. Parsing and the numbering plans are libphonenumber-js
 * (Google's libphonenumber metadata): hand-written rules would miss trunk prefixes and the
 * lengths of each country's numbers.
 *
 * `region` (ISO 3166 alpha-2, e.g. `GB`) is where a number without a country code is assumed to
 * be; without it such a number has no E.164 form. A number that cannot be a phone number of its
 * country (too short, too long, unknown country code) has none either.
 */
export function toE164(phone: string | null | undefined, region?: string): string | null {
  const text = phone?.trim();
  if (!text) return null;
  // "00" is the international prefix almost everywhere (ITU E.164 recommends it).
  const international = text.replace(/^00(?=[1-9])/, "+");
  const parsed = parsePhoneNumberFromString(international, phoneRegion(region));
  return parsed?.isPossible() ? parsed.number : null;
}

/** `region` when libphonenumber-js knows it (upper-cased), else undefined. */
export function phoneRegion(region: string | null | undefined): CountryCode | undefined {
  const code = region?.trim().toUpperCase();
  return code && isSupportedCountry(code) ? code : undefined;
}
