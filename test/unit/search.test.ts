/** Status search and lead name words (src/common/search.ts): the same folding on every database. */
import {
  FULL_TEXT_DOCUMENT_LENGTH,
  documentWords,
  fullTextDocument,
  fullTextWords,
  prefixRange,
  matchesSearch,
  normalizeSearchTerm,
} from "../../src/common/search";

const row = (title: string, code: string) => ({ title, code });

describe("normalizeSearchTerm", () => {
  it.each([null, undefined, "", "   ", "\t\n"])("gives null (no filter) for %p", (term) => {
    expect(normalizeSearchTerm(term)).toBeNull();
  });

  it("lowercases and trims, Cyrillic included", () => {
    expect(normalizeSearchTerm("  ПЕРЕЗВОН ")).toBe("перезвон");
    expect(normalizeSearchTerm("Call Back")).toBe("call back");
  });

  it("composes combining marks (NFC), so that both spellings of é are one term", () => {
    expect(normalizeSearchTerm("e\u0301")).toBe("\u00e9");
    expect(normalizeSearchTerm("E\u0301")).toBe("\u00e9");
  });

  it("keeps SQL wildcards as they are", () => {
    expect(normalizeSearchTerm("100%_done")).toBe("100%_done");
  });
});

describe("matchesSearch", () => {
  const callBack = row("Перезвонить позже", "call_back");

  it("matches everything without a term", () => {
    expect(matchesSearch(callBack, null)).toBe(true);
  });

  it("finds a case-insensitive substring of the title, Cyrillic included", () => {
    expect(matchesSearch(callBack, normalizeSearchTerm("ПОЗЖЕ"))).toBe(true);
    expect(matchesSearch(callBack, normalizeSearchTerm("звонить"))).toBe(true);
    expect(matchesSearch(row("Qualified", "qualified"), normalizeSearchTerm("QUALI"))).toBe(true);
  });

  it("finds a substring of the code", () => {
    expect(matchesSearch(callBack, normalizeSearchTerm("ll_ba"))).toBe(true);
    expect(matchesSearch(callBack, normalizeSearchTerm("CALL_BACK"))).toBe(true);
  });

  it("misses what neither holds", () => {
    expect(matchesSearch(callBack, normalizeSearchTerm("voicemail"))).toBe(false);
    // Not a word match across title and code together.
    expect(matchesSearch(callBack, normalizeSearchTerm("позже call"))).toBe(false);
  });

  it("treats % and _ literally, not as SQL wildcards", () => {
    const status = row("Done 100%", "done_100");
    expect(matchesSearch(status, normalizeSearchTerm("100%"))).toBe(true);
    expect(matchesSearch(status, normalizeSearchTerm("%"))).toBe(true);
    expect(matchesSearch(row("Done", "done"), normalizeSearchTerm("%"))).toBe(false);
    expect(matchesSearch(row("Done", "done"), normalizeSearchTerm("d_ne"))).toBe(false);
    expect(matchesSearch(row("Done", "done"), normalizeSearchTerm("_"))).toBe(false);
  });

  it("matches a title written with combining marks by the composed term, and back", () => {
    expect(matchesSearch(row("Cafe\u0301", "cafe"), normalizeSearchTerm("café"))).toBe(true);
    expect(matchesSearch(row("Café", "cafe"), normalizeSearchTerm("cafe\u0301"))).toBe(true);
  });

  it("does not fold accents away (search is a substring, not full-text)", () => {
    expect(matchesSearch(row("Café", "x_1"), normalizeSearchTerm("cafe"))).toBe(false);
  });
});

describe("fullTextWords", () => {
  it("folds accents and case and splits on anything but letters and digits", () => {
    expect(fullTextWords("Zoë O’Brien-Smith, Ёлкин!")).toBe("zoe o brien smith елкин");
  });

  it("joins words with one space and trims", () => {
    expect(fullTextWords("  Anna   --  Maria\t\n42 ")).toBe("anna maria 42");
  });

  it("folds compatibility characters (ligatures, fullwidth)", () => {
    expect(fullTextWords("ﬁnal ＡＢＣ")).toBe("final abc");
  });

  it("keeps letters of other scripts", () => {
    expect(fullTextWords("Иван Петров 李雷")).toBe("иван петров 李雷");
  });

  it.each([null, undefined, "", "  ", "!!! ---"])("gives an empty text for %p", (text) => {
    expect(fullTextWords(text)).toBe("");
  });
});

describe("fullTextDocument", () => {
  it("is the words of the name", () => {
    expect(fullTextDocument("Zoë  O’Brien")).toBe("zoe o brien");
  });

  it.each([null, undefined, "", "!!!"])("is null without words (%p)", (text) => {
    expect(fullTextDocument(text)).toBeNull();
  });

  it("holds at most FULL_TEXT_DOCUMENT_LENGTH characters, even when folding lengthens the text", () => {
    // 200 ligatures fold into 400 letters.
    const document = fullTextDocument("ﬁ".repeat(200))!;
    expect(document).toHaveLength(FULL_TEXT_DOCUMENT_LENGTH);
    expect(document).toBe("fi".repeat(200).slice(0, FULL_TEXT_DOCUMENT_LENGTH));
  });

  it("counts characters, not UTF-16 units, and ends without a space", () => {
    // The cut falls on the space before the last word.
    expect(fullTextDocument(`${"я".repeat(254)} b`)).toBe("я".repeat(254));
    // A letter outside the BMP is one character (two UTF-16 units).
    const document = fullTextDocument("\u{20000}".repeat(300))!;
    expect(Array.from(document)).toHaveLength(FULL_TEXT_DOCUMENT_LENGTH);
    expect(document).toHaveLength(2 * FULL_TEXT_DOCUMENT_LENGTH);
  });
});

describe("documentWords", () => {
  it("is each word of the document once, in order", () => {
    expect(documentWords("anna maria anna 42")).toEqual(["anna", "maria", "42"]);
  });

  it("is empty without a document", () => {
    expect(documentWords(null)).toEqual([]);
  });
});

describe("prefixRange", () => {
  /** Compares as both databases compare the indexed words: by code point. */
  function byCodePoint(a: string, b: string): number {
    const x = Array.from(a, (c) => c.codePointAt(0)!);
    const y = Array.from(b, (c) => c.codePointAt(0)!);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
    return x.length - y.length;
  }

  function inRange(word: string, prefix: string): boolean {
    const { from, to } = prefixRange(prefix);
    return byCodePoint(word, from) >= 0 && byCodePoint(word, to) < 0;
  }

  it("raises the last character by one", () => {
    expect(prefixRange("car")).toEqual({ from: "car", to: "cas" });
    expect(prefixRange("ива")).toEqual({ from: "ива", to: "ивб" });
  });

  it.each([
    ["car", "car", true],
    ["carol", "car", true],
    ["car9", "car", true],
    ["carя", "car", true],
    ["cas", "car", false],
    ["ca", "car", false],
    ["cbr", "car", false],
    ["bzz", "car", false],
  ])("holds %p for the prefix %p: %p", (word, prefix, expected) => {
    expect(inRange(word, prefix)).toBe(expected);
  });

  it("holds words with letters outside the BMP, and skips the surrogate code points", () => {
    expect(inRange("a\u{20000}b", "a\u{20000}")).toBe(true);
    expect(inRange("a\u{20001}", "a\u{20000}")).toBe(false);
    expect(prefixRange("a\u{d7ff}").to).toBe("a\u{e000}");
    expect(prefixRange("a\u{10ffff}")).toEqual({ from: "a\u{10ffff}", to: "b" });
  });
});
