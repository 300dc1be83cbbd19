/** What text may hold (src/common/text.ts): the visible-character rule of titles and names. */
import { hasVisibleCharacter } from "../../src/common/text";

describe("hasVisibleCharacter", () => {
  it.each([
    ["a Latin letter", "a"],
    ["a digit", "7"],
    ["punctuation", "%"],
    ["Cyrillic", "Перезвонить"],
    ["CJK", "回电"],
    ["Hangul", "한"],
    ["Devanagari with a vowel sign", "कि"],
    ["Arabic", "اتصال"],
    ["an emoji", "😀"],
    ["a flag (regional indicators)", "🇬🇧"],
    ["an emoji with a variation selector", "☎️"],
    ["a letter with a combining mark", "e\u0301"],
    ["a private-use character (icon fonts)", "\uE000"],
    ["a visible character among invisible ones", "\u200B\u2060x\uFEFF"],
    ["a visible character after white space", "   a"],
  ])("finds one in %s", (_what, text) => {
    expect(hasVisibleCharacter(text)).toBe(true);
  });

  it.each([
    ["empty text", ""],
    ["spaces", "   "],
    ["tabs and line breaks", "\t\n\r"],
    ["no-break and ideographic spaces", "\u00A0\u3000\u202F"],
    ["the line and paragraph separators", "\u2028\u2029"],
    ["255 zero-width spaces", "\u200B".repeat(255)],
    ["a word joiner", "\u2060"],
    ["a byte-order mark (zero-width no-break space)", "\uFEFF"],
    ["zero-width joiner and non-joiner", "\u200D\u200C"],
    ["left-to-right and right-to-left marks", "\u200E\u200F"],
    ["an Arabic letter mark", "\u061C"],
    ["a soft hyphen", "\u00AD"],
    ["a Mongolian vowel separator", "\u180E"],
    ["invisible operators", "\u2061\u2062\u2063\u2064"],
    ["the Hangul filler", "\u3164"],
    ["the Hangul choseong and jungseong fillers", "\u115F\u1160"],
    ["the halfwidth Hangul filler", "\uFFA0"],
    ["the Braille blank", "\u2800"],
    ["only combining marks", "\u0301\u0301\u0308"],
    ["a combining grapheme joiner", "\u034F"],
    ["variation selectors", "\uFE0F\u{E0100}"],
    ["tag characters", "\u{E0041}\u{E007F}"],
    ["Khmer inherent vowels", "\u17B4\u17B5"],
    ["control characters", "\u0000\u0007\u009F"],
    ["a lone surrogate", "\uD800"],
    ["a mix of all of these", " \u200B\u3164\u0301\u2800\uFEFF\u00AD "],
  ])("finds none in %s", (_what, text) => {
    expect(hasVisibleCharacter(text)).toBe(false);
  });
});
