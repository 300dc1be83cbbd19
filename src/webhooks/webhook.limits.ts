/** The bounds of webhook endpoints, shared by the inputs, the service and the docs. */

/** The longest URL an endpoint may have. */
export const URL_MAX_LENGTH = 2048;
/** Endpoints one account may have. */
export const MAX_ENDPOINTS_PER_ACCOUNT = 20;
/** How long the previous secret may keep signing after a rotation: a week. */
export const MAX_OVERLAP_SECONDS = 7 * 24 * 3600;
/** Unless told otherwise: a day. */
export const DEFAULT_OVERLAP_SECONDS = 24 * 3600;
/** Events one redelivery may queue. */
export const MAX_REDELIVERY = 10_000;
