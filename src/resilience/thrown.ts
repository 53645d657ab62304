/**
 * What an attempt that threw becomes. A transport's own errors (and an abort) are judged like
 * reported ones. Anything else is a bug inside ccp (a translator that threw on a request): never
 * an upstream failure, so it is not retried and not held against the target or its key -- it
 * answers 500, naming ccp. A stack overflow is a request nested too deeply to follow: the
 * client's, a 400.
 */

import { isStackOverflow, nestedTooDeeply, ProxyError } from "../core/errors.ts";
import type { Logger } from "../core/log.ts";

/** The error an attempt's throw reports, logging a bug of ccp's with its stack. */
export function thrownError(
  error: unknown,
  aborted: boolean,
  who: string,
  log: Logger | undefined,
): unknown {
  if (aborted || error instanceof ProxyError) return error;
  if (isStackOverflow(error)) return nestedTooDeeply();
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const trace = error instanceof Error ? error.stack ?? reason : reason;
  log?.error(`Internal error in ccp preparing the request for ${who}: ${trace}`);
  return new ProxyError(
    "api_error",
    `Internal error in ccp (not the upstream's fault) while handling the request for ` +
      `${who}: ${reason}`,
    { status: 500 },
  );
}
