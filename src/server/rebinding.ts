/**
 * DNS rebinding: a web page of another site whose name its DNS then points at 127.0.0.1 is, to
 * the browser, the same origin as ccp. Its POSTs carry an `Origin` header and are refused (see
 * cors.ts), but a browser sends no `Origin` with a same-origin GET: without a token, the page
 * could read the status page's data, `/metrics`, the usage ledger and the request log of the
 * latest requests. Such a request names the attacker's host in its `Host` header, which a page
 * cannot change. A ccp without a token is on loopback only, and its own users reach it as
 * `localhost` or at an address; a browser's request under any other name is refused.
 */

import { ProxyError } from "../core/errors.ts";
import { isLoopbackHost } from "../core/loopback.ts";
import { parseIpv4, parseIpv6 } from "../core/ip_address.ts";
import { errorResponse } from "./responses.ts";

/**
 * The `Host` of a browser's request when it is a name other than localhost, which a DNS answer
 * could point at ccp; undefined otherwise. A browser's request is one with `Sec-Fetch-Site` or an
 * `Origin`, or, from a browser too old to send `Sec-Fetch-Site` (Safari before 16.4, whose
 * same-origin GET has neither), one whose `User-Agent` begins as every browser's does
 * (`Mozilla/`). Clients outside a browser (Claude Code, curl, a reverse proxy's own checks) are
 * never refused here: Node's fetch sends `Sec-Fetch-Mode`, but only browsers send `Sec-Fetch-Site`.
 */
export function reboundHost(headers: Headers): string | undefined {
  if (!headers.has("sec-fetch-site") && !headers.has("origin") && !fromBrowser(headers)) {
    return undefined;
  }
  const host = headers.get("host");
  if (host === null) return undefined;
  let hostname: string;
  try {
    hostname = new URL(`http://${host}`).hostname;
  } catch {
    return host;
  }
  // A name's one trailing dot (`localhost.`, the fully qualified form) names the same host.
  const bare = hostname.replace(/^\[(.*)\]$/, "$1").replace(/(?<=[^.])\.$/, "");
  if (isLoopbackHost(bare) || bare.endsWith(".localhost")) return undefined;
  if (parseIpv4(bare) !== undefined || parseIpv6(bare) !== undefined) return undefined;
  return host;
}

function fromBrowser(headers: Headers): boolean {
  return headers.get("user-agent")?.startsWith("Mozilla/") === true;
}

/** The answer to a browser that reached a ccp without a token under a name: 403 saying why. */
export function refuseRebound(host: string): Response {
  return errorResponse(
    new ProxyError(
      "permission_error",
      `ccp has no auth token, so a browser may reach it only at its address or as localhost, ` +
        `not as ${host.slice(0, 200)} (any web page's DNS could point that name here): ` +
        `open it as http://127.0.0.1:<port>, or set server.auth_token`,
    ),
  );
}
