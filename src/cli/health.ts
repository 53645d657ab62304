/** `ccp health`: asks the running ccp at the configured address whether it is up. */

import type { CliFlags } from "./args.ts";
import { ccpCommand, type CliContext } from "./context.ts";
import { networkCause } from "../upstream/errors.ts";
import { loadCliConfig } from "./load.ts";
import { clientHost, httpUrl } from "./startup.ts";
import { environmentFetch } from "../upstream/http/clients.ts";

/** Runs `ccp health`: 0 when GET /health answers 200 within 5 s, 1 otherwise. */
export async function runHealth(ctx: CliContext, flags: CliFlags): Promise<number> {
  const config = await loadCliConfig(ctx, flags);
  const url = `${httpUrl(clientHost(config.server.host), config.server.port)}/health`;
  try {
    const res = await environmentFetch()(url, { signal: AbortSignal.timeout(5000) });
    const body = await res.text();
    if (res.status === 200) {
      ctx.io.out(`${url}: ${body.trim()}`);
      return 0;
    }
    ctx.io.err(`${url} answered ${res.status}`);
  } catch (error) {
    // fetch's own message is "fetch failed" whatever went wrong: name the cause, and for the
    // usual one (no ccp started, or one on another port) what to do, as `ccp settings` says it.
    const cause = networkCause(error);
    const ccp = ccpCommand(ctx);
    const advice = cause === "connection refused"
      ? `: start it with \`${ccp}\`, or keep it running with \`${ccp} service install\`; ` +
        "for a ccp on another port, give that --port"
      : "";
    ctx.io.err(`Cannot reach ccp at ${url}: ${cause}${advice}`);
  }
  return 1;
}
