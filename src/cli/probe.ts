/** Who answers at a ccp address: a ccp (and its version), something else, or nothing. */

import { environmentFetch } from "../upstream/http/clients.ts";

/**
 * How long to wait for a program on the port to answer GET /health. Where nothing listens the
 * connection is refused at once, so the wait only runs for a program that accepted it: a ccp busy
 * on a loaded machine may take over a second, and taking it for nobody made `ccp code` try to
 * start a second one on the same port.
 */
const PROBE_MS = 2_000;

/** What answers at a URL: ccp, something else, or nothing (within the timeout). */
export interface Probe {
  readonly found: "ccp" | "other" | "none";
  /** A ccp's version, when its /health tells it (without the token a ccp that has one does not). */
  readonly version?: string;
}

/** Asks `${url}/health` who is there; it never sends a token, which another program could keep. */
export async function probeHealth(url: string, timeoutMs = PROBE_MS): Promise<Probe> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await environmentFetch()(`${url}/health`, { signal: controller.signal });
    const body: unknown = await response.json().catch(() => undefined);
    const field = (key: string) =>
      typeof body === "object" && body !== null ? Reflect.get(body, key) : undefined;
    // A ccp that refuses requests for now (a shared engine away, `on_unavailable: closed`) answers
    // 503: it is still the ccp to use, and serves again when the engine is back.
    if (field("name") !== "ccp") return { found: "other" };
    const version = field("version");
    return typeof version === "string" ? { found: "ccp", version } : { found: "ccp" };
  } catch {
    return { found: "none" };
  } finally {
    clearTimeout(timer);
  }
}
