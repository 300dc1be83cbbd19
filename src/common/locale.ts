/**
 * Locales as the API takes them: BCP 47 language tags (`en`, `ru`, `ru-RU`, `zh-Hant-TW`),
 * normalised to their canonical form, read from an `Accept-Language` header with its q-values,
 * and matched against the locales a text exists in — a tag, then its shorter forms (`ru-RU`,
 * then `ru`), as RFC 4647's lookup does.
 */

/** The longest tag taken (RFC 5646 advises at least 35 characters of storage). */
export const LOCALE_MAX_LENGTH = 35;
/** How many entries of an `Accept-Language` header are read. */
const MAX_ACCEPTED = 20;

/** `tag` in canonical form (`EN-us` → `en-US`), or null when it is not a well-formed tag. */
export function normalizeLocale(tag: string): string | null {
  const text = tag.trim();
  if (text === "" || text.length > LOCALE_MAX_LENGTH || !/^[A-Za-z0-9-]+$/.test(text)) return null;
  try {
    const [canonical] = Intl.getCanonicalLocales(text);
    return canonical && canonical.length <= LOCALE_MAX_LENGTH ? canonical : null;
  } catch {
    return null;
  }
}

/**
 * The locales of an `Accept-Language` header, most wanted first: by q-value (1 when absent),
 * then in the header's order; those with q=0, `*`, and malformed entries are left out.
 */
export function acceptedLocales(header: string | undefined): string[] {
  if (!header) return [];
  const entries = header
    .split(",")
    .slice(0, MAX_ACCEPTED)
    .flatMap((part, index) => {
      const [range, ...params] = part.trim().split(";");
      const locale = normalizeLocale(range ?? "");
      if (!locale) return [];
      let q = 1;
      for (const param of params) {
        const match = /^\s*q\s*=\s*([01](?:\.[0-9]{0,3})?)\s*$/i.exec(param);
        if (match) q = Number(match[1]);
        else if (/^\s*q\s*=/i.test(param)) q = NaN;
      }
      return Number.isNaN(q) || q <= 0 || q > 1 ? [] : [{ locale, q, index }];
    });
  entries.sort((a, b) => b.q - a.q || a.index - b.index);
  return [...new Set(entries.map((entry) => entry.locale))];
}

/** `locale` and its shorter forms, longest first: `zh-Hant-TW`, `zh-Hant`, `zh`. */
export function fallbacksOf(locale: string): string[] {
  const parts = locale.split("-");
  return parts.map((_, index) => parts.slice(0, parts.length - index).join("-"));
}

/**
 * The first locale of `wanted` (most wanted first) that `available` holds, each tried with its
 * shorter forms before the next (`ru-RU` finds `ru`); null when none is held.
 */
export function pickLocale(
  wanted: readonly string[],
  available: ReadonlySet<string> | readonly string[],
): string | null {
  const held = available instanceof Set ? available : new Set(available);
  for (const locale of wanted) {
    for (const candidate of fallbacksOf(locale)) if (held.has(candidate)) return candidate;
  }
  return null;
}
