/**
 * GraphQL ids (src/common/ids.ts): positive whole numbers a JavaScript number holds exactly, in
 * their one canonical spelling.
 */
import { AppError } from "../../src/common/errors";
import { parseId } from "../../src/common/ids";

function refusal(raw: string | number, field?: string): AppError {
  try {
    parseId(raw, field);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error(`parseId accepted ${JSON.stringify(raw)}`);
}

describe("parseId", () => {
  it.each([
    ["1", 1],
    ["42", 42],
    ["1000", 1000],
    [17, 17],
    [String(Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER],
  ])("reads %p as %p", (raw, id) => {
    expect(parseId(raw)).toBe(id);
  });

  it.each([
    ["zero", "0"],
    ["a negative number", "-1"],
    ["a fraction", "1.5"],
    ["a fractional number value", 1.5],
    ["an exponent", "1e3"],
    ["hex", "0x10"],
    ["a plus sign", "+1"],
    ["an empty text", ""],
    ["white space", "  "],
    ["letters", "abc"],
    ["digits and letters", "12abc"],
    ["2^53 (not exact)", "9007199254740992"],
    ["17 digits", "12345678901234567"],
    ["Infinity", Infinity],
    ["NaN", NaN],
    ["Arabic-Indic digits", "١٢"],
    ["a digit with a combining mark", "1\u0301"],
    ["a leading zero", "01"],
    ["leading zeros", "007"],
    ["only zeros", "00"],
    ["a space before it", " 1"],
    ["spaces around it", " 42 "],
    ["a line break after it", "1\n"],
    ["a tab before it", "\t1"],
    ["a no-break space before it", "\u00A01"],
    ["a negative number value", -1],
    ["zero as a number value", 0],
    ["a number value beyond 2^53", 2 ** 53],
  ])("refuses %s as BAD_USER_INPUT naming the field", (_what, raw) => {
    const error = refusal(raw);
    expect(error.code).toBe("BAD_USER_INPUT");
    expect(error.fields).toEqual([{ field: "id", message: error.message }]);
  });

  it("names the given field in the error", () => {
    const error = refusal("x", "leadId");
    expect(error.fields.map((f) => f.field)).toEqual(["leadId"]);
    expect(error.message).toMatch(/^leadId must be an id/);
  });
});
