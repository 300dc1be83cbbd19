import { badUserInput } from "./errors";
import { INT32_MAX } from "./validation";

/** Parses a GraphQL `ID`; anything but a positive 32-bit integer is bad input naming `field`. */
export function parseId(raw: string | number, field = "id"): number {
  const text = String(raw).trim();
  const id = /^[0-9]{1,10}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(id) || id < 1 || id > INT32_MAX) {
    throw badUserInput(field, `${field} must be an id (a positive whole number)`);
  }
  return id;
}
