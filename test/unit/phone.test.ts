/** Phone numbers in E.164 (src/common/phone.ts). */
import { phoneRegion, toE164 } from "../../src/common/phone";

const LONDON = "+442071838750";

describe("toE164", () => {
  it.each([
    ["international with spaces", "+44 20 7183 8750"],
    ["international without spaces", "+442071838750"],
    ["with the 00 international prefix", "0044 20 7183 8750"],
    ["with punctuation", "+44 (20) 7183-8750"],
    ["with white space around it", "  +44 20 7183 8750\t"],
  ])("gives one form for a number written %s", (_how, phone) => {
    expect(toE164(phone)).toBe(LONDON);
  });

  it("reads a national number in the default region, trunk prefix included", () => {
    expect(toE164("020 7183 8750", "GB")).toBe(LONDON);
    expect(toE164("(202) 555-0100", "US")).toBe("+12025550100");
  });

  it("takes the region in any case and with white space", () => {
    expect(toE164("020 7183 8750", "gb")).toBe(LONDON);
    expect(toE164("020 7183 8750", " Gb ")).toBe(LONDON);
  });

  it("ignores the region for a number with a country code", () => {
    expect(toE164("+44 20 7183 8750", "US")).toBe(LONDON);
    expect(toE164("0044 20 7183 8750", "US")).toBe(LONDON);
  });

  it("gives a national number no form without a (known) region", () => {
    expect(toE164("020 7183 8750")).toBeNull();
    expect(toE164("020 7183 8750", "XX")).toBeNull();
    expect(toE164("020 7183 8750", "")).toBeNull();
  });

  it.each([
    ["nothing", null],
    ["undefined", undefined],
    ["an empty text", ""],
    ["white space", "   "],
    ["too few digits", "12"],
    ["too many digits", "+44 20 7183 8750 1234567"],
    ["an unknown country code", "+999 123456"],
    ["a US number too short for its plan", "+1 555 0100"],
    ["000 (not an international prefix)", "000 123"],
    ["letters", "call me"],
  ])("gives no form for %s", (_what, phone) => {
    expect(toE164(phone)).toBeNull();
  });

  it("always answers + and at most 15 digits", () => {
    for (const phone of [
      "+44 20 7183 8750",
      "0044 20 7183 8750",
      "+1 202 555 0100",
      "+7 495 123-45-67",
    ]) {
      expect(toE164(phone)).toMatch(/^\+[1-9][0-9]{1,14}$/);
    }
  });
});

describe("phoneRegion", () => {
  it("upper-cases a known country code", () => {
    expect(phoneRegion("gb")).toBe("GB");
    expect(phoneRegion(" us ")).toBe("US");
    expect(phoneRegion("RU")).toBe("RU");
  });

  it.each([null, undefined, "", "ZZ", "GBR", "g", "uk"])("is undefined for %p", (region) => {
    expect(phoneRegion(region)).toBeUndefined();
  });
});
