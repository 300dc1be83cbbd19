import { acceptedLocales, fallbacksOf, normalizeLocale, pickLocale } from "../../src/common/locale";

describe("locales", () => {
  it("normalises BCP 47 tags, and refuses what is not one", () => {
    expect(normalizeLocale("ru")).toBe("ru");
    expect(normalizeLocale("EN-us")).toBe("en-US");
    expect(normalizeLocale(" zh-hant-tw ")).toBe("zh-Hant-TW");
    expect(normalizeLocale("sr-latn")).toBe("sr-Latn");
    for (const bad of ["", "  ", "ru_RU", "english!", "a", "x".repeat(40), "en-", "*"]) {
      expect(normalizeLocale(bad)).toBeNull();
    }
  });

  it("reads Accept-Language by q-value, then order, leaving out q=0, * and malformed entries", () => {
    expect(acceptedLocales("ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7")).toEqual([
      "ru-RU",
      "ru",
      "en-US",
      "en",
    ]);
    expect(acceptedLocales("en;q=0.5, de, fr;q=0.9")).toEqual(["de", "fr", "en"]);
    expect(acceptedLocales("de;q=0, *;q=0.1, en_GB, es;q=2, it;q=abc, ru")).toEqual(["ru"]);
    expect(acceptedLocales("RU-ru, ru-RU")).toEqual(["ru-RU"]);
    expect(acceptedLocales(undefined)).toEqual([]);
    expect(acceptedLocales("")).toEqual([]);
  });

  it("falls back from a tag to its shorter forms", () => {
    expect(fallbacksOf("zh-Hant-TW")).toEqual(["zh-Hant-TW", "zh-Hant", "zh"]);
    expect(fallbacksOf("ru")).toEqual(["ru"]);
    expect(pickLocale(["ru-RU"], ["en", "ru"])).toBe("ru");
    expect(pickLocale(["de", "ru-RU", "en"], new Set(["en", "ru"]))).toBe("ru");
    expect(pickLocale(["de"], ["en", "ru"])).toBeNull();
    // The exact tag before its language.
    expect(pickLocale(["pt-BR"], ["pt", "pt-BR"])).toBe("pt-BR");
  });
});
