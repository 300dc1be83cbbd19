import { badUserInput } from "./errors";

/**
 * Parses a GraphQL `ID`; anything but a positive whole number of at most 2^53 − 1 (the largest
 * a JavaScript number holds exactly; ids are 64-bit in the database) is bad input naming `field`.
 */
export function parseId(raw: string | number, field = "id"): number {
  const text = String(raw).trim();
  const id = /^[0-9]{1,16}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(id) || id < 1) {
    throw badUserInput(field, `${field} must be an id (a positive whole number)`);
  }
  return id;
}
