/** The headers every answer to POST /v1/messages carries about who decided and who served. */

import { headerSafe } from "../core/headers.ts";
import { firstEntries } from "../core/first_entries.ts";
import type { Recorder } from "./recorder.ts";

/**
 * `x-ccp-route`, the provider and upstream model that served (or were tried last), and
 * `x-ccp-passed`: the targets passed over (their context window, a key cooling down, ...), and why.
 */
export function routeHeaders(recorder: Recorder): Record<string, string> {
  const { route, provider, model } = recorder.record;
  const headers: Record<string, string> = { "request-id": recorder.record.id };
  if (route !== undefined) headers["x-ccp-route"] = decodable(route);
  if (provider !== undefined && model !== undefined) {
    headers["x-ccp-provider"] = provider;
    headers["x-ccp-model"] = decodable(model);
  }
  const passed = recorder.record.passed;
  if (passed?.length) headers["x-ccp-passed"] = passedHeader(passed);
  return headers;
}

/**
 * A route, alias or model name as a header value: it may be any text, a header value only
 * Latin-1, so what is past ASCII is percent-encoded, the rest kept (`alias:opus-%E6%A8%A1`). A `%`
 * of the name itself is written `%25`, so the value decodes back to it (`alias:ops-50%` would not
 * decode, and a model `m%41` would decode as `mA`).
 */
function decodable(name: string): string {
  return name.replaceAll("%", "%25").replace(/[^\x20-\x7e]+/g, (text) => headerSafe(text));
}

/**
 * The longest `x-ccp-passed`: a proxy in front holds all of an answer's headers in a buffer
 * (nginx's is 4 KB by default) and refuses the whole answer when they outgrow it.
 */
const MAX_PASSED = 2048;

/**
 * The targets passed, first ones first, as many whole as fit; the rest counted (the log line names
 * them all). One too long alone is cut. What is past ASCII is percent-encoded, and so is a `)`
 * followed by `, ` inside an entry (a name or budget may hold one): `), ` only ever ends an entry,
 * so a program can split the list there. A `%` of the text itself is written `%25`, so that each
 * entry decodes back to what it said (a client named `ops-50%` would otherwise not decode).
 */
function passedHeader(passed: readonly string[]): string {
  const safe = passed.map((p) => decodable(p).replaceAll("), ", "%29, "));
  return firstEntries(
    safe,
    MAX_PASSED,
    (n) => `, and ${n} more (named in the log line)`,
    // Not in the middle of a percent-encoded byte.
    (entry, room) => entry.slice(0, room).replace(/%[0-9A-F]?$/, ""),
  );
}
