import { openingMessage } from "./anthropic_fixtures.ts";
/**
 * Anthropic's Messages API as a Claude plan's login (Pro/Max, OAuth) meets it: it accepts only
 * the login's own access token as a Bearer with the OAuth beta, answers with the plan's usage
 * headers, and, once the plan's limit is spent, refuses with 429.
 *
 * The usage headers, in words:
 * - `anthropic-ratelimit-unified-status`: whether the plan still serves: `allowed`,
 *   `allowed_warning` (a limit is close) or `rejected` (a limit is spent; the answer is a 429).
 * - `anthropic-ratelimit-unified-reset`: when the limit that counts resets, in epoch seconds.
 * - `anthropic-ratelimit-unified-representative-claim`: which limit counts: `five_hour` (the
 *   session window), `seven_day` (the weekly one), `seven_day_opus` / `seven_day_sonnet` (a
 *   model family's weekly one), `overage` (paid extra usage).
 * - `anthropic-ratelimit-unified-5h-*` and `-7d-*`: each window on its own: `-utilization`
 *   (the fraction spent, 0 to 1), `-reset` (epoch seconds), `-status`, and
 *   `-surpassed-threshold` (the warning level passed, when one was).
 * - `anthropic-ratelimit-unified-fallback`: `available` when the plan offers a smaller model
 *   instead.
 * - `anthropic-ratelimit-unified-overage-*`: the same for extra usage beyond the plan (`-status`,
 *   `-reset`, `-disabled-reason` when the account has none).
 * Claude Code reads them to warn that a limit is near and to say when a spent one lifts.
 */

/**
 * What the plan does with a request: serve it (at 91% of its 5-hour window), refuse it, or
 * (`tool-then-limit`) answer a prompt with signed thinking and a Bash call to `echo hi`, then
 * reach its limit: the call's result, and everything after, is refused.
 */
export type PlanMode = "serve" | "limit" | "tool-then-limit";

/** A request the plan received. */
export interface PlanRequest {
  readonly path: string;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

/** A running plan mock. */
export interface ClaudePlan {
  readonly url: string;
  readonly requests: PlanRequest[];
  /** When the 5-hour window resets (epoch seconds). */
  readonly reset: number;
  mode: PlanMode;
  close(): Promise<void>;
}

/** The text a served request answers with. */
export const PLAN_ANSWER = "Hello from your Claude plan.";

/** The id of the Bash call `tool-then-limit` answers with. */
export const PLAN_TOOL_ID = "toolu_plan_echo_01";

/** The signature of the thinking block `tool-then-limit` answers with (Anthropic's own). */
export const PLAN_SIGNATURE = "EqQBCkYIBxgCKkBplanSignatureOnlyAnthropicCanCheck0123456789==";

const OAUTH_BETA = "oauth-2025-04-20";

function windows(reset: number, status: string, utilization: string): Record<string, string> {
  const weekly = reset + 3 * 86_400;
  return {
    "anthropic-ratelimit-unified-status": status,
    "anthropic-ratelimit-unified-reset": String(reset),
    "anthropic-ratelimit-unified-representative-claim": "five_hour",
    "anthropic-ratelimit-unified-5h-status": status,
    "anthropic-ratelimit-unified-5h-reset": String(reset),
    "anthropic-ratelimit-unified-5h-utilization": utilization,
    "anthropic-ratelimit-unified-7d-status": "allowed",
    "anthropic-ratelimit-unified-7d-reset": String(weekly),
    "anthropic-ratelimit-unified-7d-utilization": "0.42",
  };
}

function error(status: number, type: string, message: string, headers = {}): Response {
  return Response.json({ type: "error", error: { type, message } }, {
    status,
    headers: { "request-id": `req_plan_${status}`, ...headers },
  });
}

const frame = (event: string, data: unknown) =>
  `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

function messageStart(model: string): string {
  return frame("message_start", {
    type: "message_start",
    message: openingMessage("msg_plan_1", model, { input_tokens: 12, output_tokens: 1 }),
  });
}

/** Signed thinking, then a Bash call to `echo hi`. */
function toolCall(model: string, headers: Record<string, string>): Response {
  const text = [
    messageStart(model),
    frame("content_block_start", {
      type: "content_block_start",
      index: 0,
      content_block: { type: "thinking", thinking: "", signature: "" },
    }),
    frame("content_block_delta", {
      type: "content_block_delta",
      index: 0,
      delta: { type: "thinking_delta", thinking: "The user wants me to run echo hi." },
    }),
    frame("content_block_delta", {
      type: "content_block_delta",
      index: 0,
      delta: { type: "signature_delta", signature: PLAN_SIGNATURE },
    }),
    frame("content_block_stop", { type: "content_block_stop", index: 0 }),
    frame("content_block_start", {
      type: "content_block_start",
      index: 1,
      content_block: { type: "tool_use", id: PLAN_TOOL_ID, name: "Bash", input: {} },
    }),
    frame("content_block_delta", {
      type: "content_block_delta",
      index: 1,
      delta: {
        type: "input_json_delta",
        partial_json: JSON.stringify({ command: "echo hi", description: "Say hi" }),
      },
    }),
    frame("content_block_stop", { type: "content_block_stop", index: 1 }),
    frame("message_delta", {
      type: "message_delta",
      delta: { stop_reason: "tool_use", stop_sequence: null },
      usage: { output_tokens: 30 },
    }),
    frame("message_stop", { type: "message_stop" }),
  ].join("");
  return new Response(text, {
    headers: { "content-type": "text/event-stream", "request-id": "req_plan_tool", ...headers },
  });
}

function served(model: string, headers: Record<string, string>): Response {
  const text = [
    messageStart(model),
    frame("content_block_start", {
      type: "content_block_start",
      index: 0,
      content_block: { type: "text", text: "" },
    }),
    frame("content_block_delta", {
      type: "content_block_delta",
      index: 0,
      delta: { type: "text_delta", text: PLAN_ANSWER },
    }),
    frame("content_block_stop", { type: "content_block_stop", index: 0 }),
    frame("message_delta", {
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: 7 },
    }),
    frame("message_stop", { type: "message_stop" }),
  ].join("");
  return new Response(text, {
    headers: { "content-type": "text/event-stream", "request-id": "req_plan_ok", ...headers },
  });
}

/** Starts the plan for the login whose access token is `token`. */
export function startClaudePlan(token: string, mode: PlanMode = "serve"): ClaudePlan {
  const requests: PlanRequest[] = [];
  const reset = Math.floor(Date.now() / 1000) + 2 * 3600;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json().catch(() => ({}));
    const path = new URL(req.url).pathname;
    requests.push({ path, headers: req.headers, body });
    const betas = (req.headers.get("anthropic-beta") ?? "").split(",").map((b) => b.trim());
    // Anthropic takes a plan's OAuth token only as a Bearer, and only with the OAuth beta.
    if (req.headers.get("authorization") !== `Bearer ${token}` || !betas.includes(OAUTH_BETA)) {
      return error(401, "authentication_error", "Invalid bearer token");
    }
    const warning = {
      ...windows(reset, "allowed_warning", "0.91"),
      "anthropic-ratelimit-unified-5h-surpassed-threshold": "0.9",
    };
    if (plan.mode === "tool-then-limit" && Array.isArray(body.tools) && body.tools.length > 0) {
      // The prompt gets the call; the call's result finds the plan spent.
      plan.mode = "limit";
      return toolCall(String(body.model), warning);
    }
    if (plan.mode === "limit") {
      // The plan's 5-hour limit is spent: a 429 that says which limit and when it resets.
      return error(
        429,
        "rate_limit_error",
        "This request would exceed your account's rate limit. Please try again later.",
        {
          ...windows(reset, "rejected", "1.0"),
          // No extra usage on this account to go on with.
          "anthropic-ratelimit-unified-overage-status": "rejected",
          "anthropic-ratelimit-unified-overage-disabled-reason": "org_level_disabled",
          "retry-after": String(reset - nowSeconds()),
        },
      );
    }
    return served(String(body.model), warning);
  });
  const plan: ClaudePlan = {
    url: `http://127.0.0.1:${server.addr.port}`,
    requests,
    reset,
    mode,
    close: () => server.shutdown(),
  };
  return plan;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
