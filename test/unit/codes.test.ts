/** Symbolic codes (src/common/codes.ts): the code rule, codes derived from titles, unique suffixes. */
import {
  CODE_MAX_LENGTH,
  CODE_PATTERN,
  codeBaseFromTitle,
  isCode,
  uniqueCode,
} from "../../src/common/codes";

describe("isCode", () => {
  it.each(["ab", "qualified", "call_back_2", "a1", "x".repeat(CODE_MAX_LENGTH)])(
    "accepts %p",
    (code) => {
      expect(isCode(code)).toBe(true);
    },
  );

  it.each([
    ["a single character", "a"],
    ["an empty string", ""],
    ["65 characters", "x".repeat(CODE_MAX_LENGTH + 1)],
    ["upper case", "QUALIFIED"],
    ["mixed case", "Qualified"],
    ["a leading digit", "2nd_try"],
    ["a leading underscore", "_hidden"],
    ["a hyphen", "call-back"],
    ["a space", "call back"],
    ["a trailing space (MariaDB's binary collation pads it)", "qualified "],
    ["a leading space", " qualified"],
    ["a line break after it", "qualified\n"],
    ["a Cyrillic letter", "квалифицирован"],
    ["an accented letter", "café"],
    ["a fullwidth letter", "ｑualified"],
  ])("refuses %s", (_what, code) => {
    expect(isCode(code)).toBe(false);
  });
});

describe("codeBaseFromTitle", () => {
  it.each([
    ["Call back", "call_back"],
    ["  Call   back  later ", "call_back_later"],
    ["A-B  C", "a_b_c"],
    ["Перезвонить позже", "perezvonit_pozzhe"],
    ["Ёлка", "yolka"],
    ["Zoë’s café", "zoe_s_cafe"],
    ["Straße", "strasse"],
    ["ﬁnal", "final"],
    ["日本語", "ri_ben_yu"],
    ["100% done!", "status_100_done"],
  ])("derives %p → %p", (title, code) => {
    expect(codeBaseFromTitle(title)).toBe(code);
  });

  it.each([
    ["only punctuation", "!!!", "status"],
    ["only white space", "   ", "status"],
    ["an empty title", "", "status"],
    ["only digits", "123", "status_123"],
    ["a leading digit", "9 lives", "status_9_lives"],
    ["one letter", "a", "status_a"],
  ])("prefixes or replaces a title giving no valid code (%s)", (_what, title, code) => {
    expect(codeBaseFromTitle(title)).toBe(code);
  });

  it("cuts a long title to 64 characters without a trailing underscore", () => {
    expect(codeBaseFromTitle("x".repeat(100))).toBe("x".repeat(CODE_MAX_LENGTH));
    // The cut lands inside a run of separators: the underscore left at the end goes too.
    const title = `${"a".repeat(63)} tail`;
    expect(codeBaseFromTitle(title)).toBe("a".repeat(63));
  });

  it("always gives a code matching the code rule", () => {
    const titles = [
      "Перезвонить через 2 часа",
      "Не дозвонился",
      "☎️ Voicemail",
      "\u0000\u001f control",
      "ابحث",
      "   _leading and trailing_   ",
      "x".repeat(500),
      "😀".repeat(40),
      "9",
      "Ünïcödé  ünd   Spaß",
      "a\u0301b\u0301",
    ];
    for (const title of titles) {
      const code = codeBaseFromTitle(title);
      expect({ title, valid: CODE_PATTERN.test(code) }).toEqual({ title, valid: true });
    }
  });
});

describe("uniqueCode", () => {
  it("keeps the base when it is free", () => {
    expect(uniqueCode("call_back", new Set())).toBe("call_back");
    expect(uniqueCode("call_back", new Set(["call_back_2", "other"]))).toBe("call_back");
  });

  it("adds _2 when the base is taken, and the first free number after that", () => {
    expect(uniqueCode("call_back", new Set(["call_back"]))).toBe("call_back_2");
    const taken = new Set(["call_back", "call_back_2", "call_back_3"]);
    expect(uniqueCode("call_back", taken)).toBe("call_back_4");
  });

  it("fills a gap in the numbers", () => {
    expect(uniqueCode("x_y", new Set(["x_y", "x_y_3"]))).toBe("x_y_2");
  });

  it("counts past 9 and keeps the code within 64 characters", () => {
    const base = "a".repeat(CODE_MAX_LENGTH);
    const taken = new Set([base]);
    for (let n = 2; n <= 10; n += 1) taken.add(`${"a".repeat(CODE_MAX_LENGTH - 2)}_${n}`);
    // _10 needs three characters: the base is cut once more.
    taken.delete(`${"a".repeat(CODE_MAX_LENGTH - 2)}_10`);
    const code = uniqueCode(base, taken);
    expect(code).toBe(`${"a".repeat(CODE_MAX_LENGTH - 3)}_10`);
    expect(code).toHaveLength(CODE_MAX_LENGTH);
    expect(isCode(code)).toBe(true);
  });

  it("cuts the base for the suffix without leaving a double underscore", () => {
    // 61 letters, "_", then more: cut to 62 characters the base would end in "_".
    const base = `${"a".repeat(61)}_bcd`;
    const code = uniqueCode(base, new Set([base]));
    expect(code).toBe(`${"a".repeat(61)}_2`);
    expect(code).not.toContain("__");
    expect(isCode(code)).toBe(true);
  });

  it("gives a valid, free code for every base codeBaseFromTitle can give", () => {
    for (const title of ["Call back", "x".repeat(100), "!!!", "Перезвонить позже"]) {
      const base = codeBaseFromTitle(title);
      const taken = new Set([base, `${base}_2`]);
      const code = uniqueCode(base, taken);
      expect(taken.has(code)).toBe(false);
      expect(isCode(code)).toBe(true);
    }
  });
});
