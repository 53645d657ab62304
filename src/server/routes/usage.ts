/**
 * GET /v1/ccp/usage: the usage ledger's report, the same JSON as `ccp usage --json`; and
 * GET /v1/ccp/usage/session/:id: one Claude Code session's totals and who served its latest
 * request, which `ccp statusline` asks a running ccp for (its ledger may be in another data dir).
 */

import type { Context } from "hono";
import { ClientRequestError, messageOf, ProxyError } from "../../core/errors.ts";
import { parseQuestion, usageReport } from "../../usage/query.ts";
import type { Ledger } from "../../usage/ledger.ts";
import type { UsageStore } from "../../usage/store.ts";
import { type Counters, zeroCounters } from "../../usage/totals.ts";
import { MAX_SESSION_CHARS } from "../../routing/session_id.ts";
import type { AppEnv } from "../deps.ts";
import type { ServerConfig } from "../../config/types.ts";
import { errorResponse } from "../responses.ts";
import type { PassedNote } from "../../resilience/passed_over.ts";
import { seesEveryClient } from "../clients.ts";
import { noteFor, type ShortContexts } from "../../observe/context_notes.ts";

/** What a session's answer says of its latest request: who served it, not what it said. */
export interface SessionAnswer {
  readonly latest?: {
    readonly route?: string;
    readonly provider?: string;
    readonly model?: string;
    /** The route's target it was not sent to first, and why. */
    readonly passed?: PassedNote;
    /** Its target runs on too little context: `ollama/qwen3: context 4096, too small (...)`. */
    readonly context?: string;
  };
  readonly totals: Counters;
}

/** What the handlers read: the store, once the records still queued for it are written. */
type LedgerReads = Pick<Ledger, "store" | "settle">;

/** The session handler; without a ledger it is off and the answer says so (503). */
export function sessionUsageHandler(
  ledger: LedgerReads | undefined,
  server: () => ServerConfig,
  shortContexts?: ShortContexts,
): (c: Context<AppEnv>) => Promise<Response> {
  return async (c) => {
    if (!ledger) return ledgerOff();
    const store = ledger.store;
    const id = c.req.param("id") ?? "";
    // No record holds a longer id, and the embedded store refuses a key past 2 KiB: an answer of
    // nothing recorded, not a ledger that "does not answer".
    if (id.length > MAX_SESSION_CHARS) return c.json({ totals: zeroCounters() });
    let usage: Awaited<ReturnType<UsageStore["session"]>>;
    try {
      // The status line asks right after a turn: that turn's record must be in its totals.
      await ledger.settle();
      usage = await store.session(id);
    } catch (err) {
      return ledgerAway(store, err);
    }
    const latest = usage.latest;
    // A session is its client's: another of the team's clients that learnt its id is told what
    // it would be told of a session with nothing recorded.
    const identity = c.env.identity;
    if (
      identity && !seesEveryClient(identity, server()) && latest &&
      latest.client !== identity.client
    ) {
      return c.json({ totals: zeroCounters() });
    }
    const context = noteFor(shortContexts, latest?.provider, latest?.model);
    const answer: SessionAnswer = {
      ...(latest
        ? {
          latest: {
            ...(latest.route !== undefined ? { route: latest.route } : {}),
            ...(latest.provider !== undefined ? { provider: latest.provider } : {}),
            ...(latest.model !== undefined ? { model: latest.model } : {}),
            ...(latest.passed !== undefined ? { passed: latest.passed } : {}),
            ...(context !== undefined ? { context } : {}),
          },
        }
        : {}),
      totals: usage.totals,
    };
    return c.json(answer);
  };
}

/**
 * A shared ledger's database that is down or refuses: a 503 that says so (the status line shows
 * it as unavailable), not an internal error with a stack trace in the log at every status line.
 */
function ledgerAway(store: UsageStore, err: unknown): Response {
  const why = messageOf(err);
  return errorResponse(
    new ProxyError(
      "api_error",
      `The usage ledger does not answer: ${store.description}: ${why}`,
      { status: 503 },
    ),
  );
}

function ledgerOff(): Response {
  return errorResponse(
    new ProxyError(
      "api_error",
      "The usage ledger is off (ccp's start-up log says why): no usage is recorded",
      { status: 503 },
    ),
  );
}

/** Builds the handler; without a ledger it is off and the answer says so. */
export function usageHandler(
  ledger: LedgerReads | undefined,
): (c: Context<AppEnv>) => Promise<Response> {
  return async (c) => {
    if (!ledger) return ledgerOff();
    const store = ledger.store;
    const q = parseQuestion(
      { since: c.req.query("since") ?? undefined, by: c.req.query("by") ?? undefined },
      Date.now(),
    );
    if (!q.ok) return errorResponse(new ClientRequestError(q.message));
    try {
      await ledger.settle();
      return c.json(await usageReport(store, q));
    } catch (err) {
      return ledgerAway(store, err);
    }
  };
}
