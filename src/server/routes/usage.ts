/** GET /v1/ccp/usage: the usage ledger's report, the same JSON as `ccp usage --json`. */

import type { Context } from "hono";
import { ClientRequestError, ProxyError } from "../../core/errors.ts";
import { parseQuestion, usageReport } from "../../usage/query.ts";
import type { UsageStore } from "../../usage/store.ts";
import type { AppEnv } from "../deps.ts";
import { errorResponse } from "../responses.ts";

/** Builds the handler; without a store the ledger is off and the answer says so. */
export function usageHandler(
  store: UsageStore | undefined,
): (c: Context<AppEnv>) => Promise<Response> {
  return async (c) => {
    if (!store) {
      return errorResponse(
        new ProxyError(
          "api_error",
          "The usage ledger is off (ccp's start-up log says why): no usage is recorded",
          { status: 503 },
        ),
      );
    }
    const q = parseQuestion(
      { since: c.req.query("since") ?? undefined, by: c.req.query("by") ?? undefined },
      Date.now(),
    );
    if (!q.ok) return errorResponse(new ClientRequestError(q.message));
    return c.json(await usageReport(store, q));
  };
}
