/**
 * What text a person will read may contain. Titles, names and codes are single lines; comments
 * and descriptions may also hold line breaks and tabs. Neither may hold other control characters
 * (NUL, escape sequences that drive a terminal, C1 controls) or the bidirectional embedding,
 * override and isolate characters that make text display in another order than it is stored
 * (U+202A–U+202E, U+2066–U+2069). Refused, never stripped: what is stored is what was sent.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/;
// eslint-disable-next-line no-control-regex -- as above
const CONTROL_BUT_LINE_BREAKS_AND_TABS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/;

/** Why `text` may not be stored as a readable text, or undefined when it may. */
export function unreadableTextProblem(text: string, multiline: boolean): string | undefined {
  if ((multiline ? CONTROL_BUT_LINE_BREAKS_AND_TABS : CONTROL).test(text)) {
    return multiline
      ? "must not contain control characters other than line breaks and tabs"
      : "must be one line without control characters (no line breaks, tabs or escape sequences)";
  }
  if (BIDI_CONTROL.test(text)) {
    return "must not contain bidirectional embedding, override or isolate characters (U+202A–U+202E, U+2066–U+2069)";
  }
  return undefined;
}

/** A lone surrogate: half of a UTF-16 pair, which no Unicode text contains. */
const LONE_SURROGATE = /\p{Cs}/u;

/** What is wrong with text that holds a lone surrogate, as every check words it. */
export const NOT_WELL_FORMED = "is not well-formed Unicode (it contains a lone surrogate)";

/** True unless `text` holds a lone surrogate (ill-formed UTF-16, which no database stores as sent). */
export function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/**
 * Matches a code point that shows something: any but those that show nothing by themselves —
 * white space, control and format characters (U+200B zero-width space, U+2060 word joiner,
 * U+FEFF, U+00AD soft hyphen, the bidirectional marks), every default-ignorable code point
 * (U+3164 and the other Hangul fillers, variation selectors, tags), combining marks (they show
 * only on a base character), lone surrogates, and U+2800 Braille blank (a character of its own
 * that shows as a blank). Private-use characters (icon fonts) count as visible.
 */
const VISIBLE = /[^\p{White_Space}\p{Cc}\p{Cf}\p{Cs}\p{M}\p{Default_Ignorable_Code_Point}\u2800]/u;

/** What is wrong with a title or a name that shows nothing, as every check words it. */
export const NOTHING_VISIBLE =
  "must contain a visible character (not only spaces, invisible characters or combining marks)";

/**
 * True when `text` has at least one character that shows (see `VISIBLE`): a title or a name made
 * only of blanks, zero-width characters or fillers would look empty, and two of them could not be
 * told apart.
 */
export function hasVisibleCharacter(text: string): boolean {
  return VISIBLE.test(text);
}
