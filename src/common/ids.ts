import { badUserInput } from "./errors";

/**
 * An id's one spelling: decimal digits without a leading zero, sign, point or white space, and
 * at most 16 of them (the value is checked against 2^53 − 1 besides).
 */
const CANONICAL_ID = /^[1-9][0-9]{0,15}$/;

/**
 * The id `raw` spells, or undefined unless it is written canonically: a positive whole number of
 * at most 2^53 − 1 (the largest a JavaScript number holds exactly; ids are 64-bit in the
 * database) in decimal digits, nothing around them. One id has one spelling, so `01`, ` 1` and
 * `1\n` name no record rather than record 1.
 */
export function idValue(raw: string | number): number | undefined {
  const text = String(raw);
  const id = CANONICAL_ID.test(text) ? Number(text) : NaN;
  return Number.isSafeInteger(id) ? id : undefined;
}

/** Parses a GraphQL `ID` (see `idValue`); anything else is bad input naming `field`. */
export function parseId(raw: string | number, field = "id"): number {
  const id = idValue(raw);
  if (id === undefined) {
    throw badUserInput(
      field,
      `${field} must be an id (a positive whole number in decimal digits, without leading zeros or spaces)`,
    );
  }
  return id;
}
