/**
 * How a translator names an upstream stream event it cannot read, the same for every protocol:
 * the parser's reason and the start of the data, clipped so one huge event cannot flood the log.
 */

import { messageOf } from "../core/errors.ts";

/** A stream event that is not the JSON object its protocol promises. */
export interface MalformedEvent {
  readonly kind: "malformed";
  readonly detail: string;
}

/** The first 200 characters of an event's data (an ellipsis marks the cut). */
export function clipData(data: string): string {
  return data.length > 200 ? `${data.slice(0, 200)}\u2026` : data;
}

/** The event whose data `JSON.parse` rejected with `error`. */
export function notJson(data: string, error: unknown): MalformedEvent {
  const reason = messageOf(error);
  return { kind: "malformed", detail: `${reason} in ${JSON.stringify(clipData(data))}` };
}

/** The event whose data parsed to something other than an object. */
export function notAnObject(data: string): MalformedEvent {
  return { kind: "malformed", detail: `not a JSON object: ${clipData(data)}` };
}
