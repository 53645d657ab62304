/** The headers every answer to POST /v1/messages carries about who decided and who served. */

import { headerSafe } from "../core/headers.ts";
import type { Recorder } from "./recorder.ts";

/**
 * `x-ccp-route`, the provider and upstream model that served (or were tried last), and
 * `x-ccp-passed`: the targets passed over (their context window, a key cooling down, ...), and why.
 */
export function routeHeaders(recorder: Recorder): Record<string, string> {
  const { route, provider, model } = recorder.record;
  const headers: Record<string, string> = { "request-id": recorder.record.id };
  // An alias or route name may be any text, a header value only Latin-1: what is past ASCII is
  // percent-encoded, the rule before it kept (`alias:opus-%E6%A8%A1`).
  if (route !== undefined) {
    headers["x-ccp-route"] = route.replace(/[^\x20-\x7e]+/g, (text) => headerSafe(text));
  }
  if (provider !== undefined && model !== undefined) {
    headers["x-ccp-provider"] = provider;
    headers["x-ccp-model"] = headerSafe(model);
  }
  const passed = recorder.record.passed;
  if (passed?.length) {
    headers["x-ccp-passed"] = passed.join(", ").replace(/[^\x20-\x7e]+/g, (t) => headerSafe(t));
  }
  return headers;
}
