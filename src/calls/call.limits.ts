/** How long what a call result carries may be, in characters (Unicode code points). */

/** A comment, as stored (trimmed). */
export const COMMENT_MAX_LENGTH = 2000;

/** An idempotency key. */
export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;
