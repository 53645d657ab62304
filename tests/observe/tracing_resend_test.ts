/**
 * A request sent again within one attempt, changed after a refusal (a refused beta, a refused
 * field, a refused thinking signature, a tool step that had to lead with thinking), is a try of
 * its own: each try gets a client span, its upstream is told that span's id, and the next try's
 * span says why it was sent (`ccp.attempt.kind: resend`, `ccp.attempt.after`), as a retry's does.
 */

import assert from "node:assert/strict";
import { tracingConfig } from "../helpers/tracing.ts";
import type { Config, ProviderConfig } from "../../src/config/types.ts";
import { createLogger } from "../../src/core/log.ts";
import { TraceExport } from "../../src/observe/tracing/exporter.ts";
import { textMessage } from "../mocks/anthropic_fixtures.ts";
import { attr, type Span, startCollector } from "../mocks/otlp_collector.ts";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";

type Json = Record<string, unknown>;

const refusal = (message: string) =>
  Response.json({ type: "error", error: { type: "invalid_request_error", message } }, {
    status: 400,
  });

const thinkingHistory = (signature: string) => [
  { role: "user", content: "list the files" },
  {
    role: "assistant",
    content: [
      { type: "thinking", thinking: "ls will do", signature },
      { type: "tool_use", id: "toolu_01", name: "Bash", input: { command: "ls" } },
    ],
  },
  { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_01", content: "a" }] },
];

const hasThinkingBlock = (body: Json) =>
  JSON.stringify(body.messages).includes('"type":"thinking"');

interface Case {
  readonly name: string;
  readonly provider?: Partial<ProviderConfig>;
  readonly headers?: Record<string, string>;
  readonly body: Json;
  /** The upstream's answer to a try: a refusal, or undefined to answer it. */
  readonly refuse: (body: Json, headers: Headers, tryNo: number) => Response | undefined;
  /** The refused try's HTTP status (a Gemini stream fails after its 200). */
  readonly refusedStatus?: number;
  readonly why: RegExp;
}

const fixture = (name: string) =>
  Deno.readTextFileSync(new URL(`../fixtures/gemini/${name}`, import.meta.url));
const sse = (text: string) =>
  new Response(text, { headers: { "content-type": "text/event-stream" } });

const CASES: Case[] = [
  {
    name: "a refused beta",
    headers: { "anthropic-beta": "claude-code-20250219,prompt-caching-scope-2026-01-05" },
    body: { messages: [{ role: "user", content: "hi" }] },
    refuse: (_, headers) =>
      headers.get("anthropic-beta")?.includes("prompt-caching-scope-2026-01-05")
        ? refusal(
          "Unexpected value(s) `prompt-caching-scope-2026-01-05` for the `anthropic-beta` header.",
        )
        : undefined,
    why: /^anthropic-beta prompt-caching-scope-2026-01-05 refused: sent again without it$/,
  },
  {
    name: "a refused field",
    body: { top_k: 5, messages: [{ role: "user", content: "hi" }] },
    refuse: (body) =>
      "top_k" in body ? refusal("Unrecognized request argument supplied: top_k") : undefined,
    why: /^"top_k" refused: sent again without it$/,
  },
  {
    name: "a refused thinking signature",
    body: { messages: thinkingHistory("sig-made-elsewhere-0123") },
    refuse: (body) =>
      hasThinkingBlock(body)
        ? refusal("messages.1.content.0: Invalid `signature` in `thinking` block")
        : undefined,
    why:
      /^a thinking signature made elsewhere was refused: sent again without the history's thinking blocks$/,
  },
  {
    name: "a tool step that had to lead with thinking",
    provider: { preset: "anthropic" },
    body: { thinking: { type: "adaptive" }, messages: thinkingHistory("sig-made-elsewhere-4567") },
    refuse: (body) =>
      body.thinking !== undefined
        ? refusal(
          "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found " +
            "`tool_use`. When `thinking` is enabled, a final `assistant` message must start " +
            "with a thinking block.",
        )
        : undefined,
    why: /^the tool loop's last answer had to start with thinking: sent again without thinking$/,
  },
  {
    name: "Gemini's malformed start",
    provider: {
      type: "gemini",
      preset: "gemini",
      apiKeys: ["AIzaSyTEST-0000000000000000000000000000"],
      authHeader: "x-goog-api-key",
      maxRetries: 0,
    },
    body: { stream: true, messages: [{ role: "user", content: "run it" }] },
    refuse: (_, __, tryNo) =>
      sse(fixture(tryNo === 0 ? "malformed_function_call.sse" : "function_call_signature.sse")),
    refusedStatus: 200,
    why: /^the model's answer began with a malformed function call: asked once more$/,
  },
];

/** The span id a `traceparent` names. */
const parentOf = (traceparent: string | null) => traceparent?.split("-")[2];

for (const c of CASES) {
  Deno.test(`tracing: ${c.name} sent again within the attempt is a span of its own`, async () => {
    const seen: string[] = [];
    const upstream = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (
      req,
    ) => {
      const body = await req.json() as Json;
      seen.push(req.headers.get("traceparent") ?? "none");
      return c.refuse(body, req.headers, seen.length - 1) ??
        Response.json(textMessage("m", { input_tokens: 3, output_tokens: 1 }));
    });
    const collector = startCollector();
    // A provider id of its own: what a refusal teaches is kept per provider.
    const id = `p${crypto.randomUUID().slice(0, 8)}`;
    const config: Config = {
      ...testConfig({
        providers: [
          provider(id, { baseUrl: `http://127.0.0.1:${upstream.addr.port}`, ...c.provider }),
        ],
        routes: { default: `${id}/claude-opus-4-5` },
      }),
      tracing: tracingConfig(collector.url),
    };
    const traces = new TraceExport({
      config: () => config,
      log: createLogger({ level: "error", write: () => {}, colour: false }),
      limits: { delayMs: 60_000, closeMs: 3_000 },
    });
    const ccp = startCcp(config, { traces });
    try {
      const res = await postMessages(
        ccp.url,
        { model: "claude-opus-4-5", max_tokens: 100, ...c.body },
        c.headers,
      );
      assert.equal(res.status, 200, await res.clone().text());
      await res.body?.cancel();
      await traces.close();
      assert.deepEqual(collector.problems, []);
      assert.equal(seen.length, 2, "refused once, sent again once");
      const [server] = collector.spans().filter((s) => s.kind === 2);
      assert.equal(attr(server!, "ccp.attempts"), 1, "one attempt, two tries");
      const tries = collector.spans().filter((s: Span) => s.parentSpanId === server!.spanId);
      tries.sort((x, y) => Number(BigInt(x.startTimeUnixNano) - BigInt(y.startTimeUnixNano)));
      assert.equal(tries.length, 2);
      const [refused, answered] = tries as [Span, Span];
      // Each try's upstream was told the span that records it.
      assert.deepEqual(seen.map(parentOf), [refused.spanId, answered.spanId]);
      assert.equal(attr(refused, "ccp.attempt.kind"), "first");
      const refusedStatus = c.refusedStatus ?? 400;
      assert.equal(attr(refused, "http.response.status_code"), refusedStatus);
      assert.equal(attr(refused, "error.type"), String(refusedStatus));
      assert.equal(refused.status?.code, 2);
      assert.match(refused.status?.message ?? "", c.why);
      assert.equal(attr(refused, "gen_ai.usage.output_tokens"), undefined);
      assert.equal(attr(answered, "ccp.attempt.kind"), "resend");
      assert.match(String(attr(answered, "ccp.attempt.after")), c.why);
      assert.equal(attr(answered, "http.response.status_code"), 200);
      assert.equal(attr(answered, "ccp.attempt.number"), 1);
      assert.equal(answered.status, undefined);
      assert.equal(typeof attr(answered, "gen_ai.usage.output_tokens"), "number");
      assert.ok(BigInt(answered.startTimeUnixNano) >= BigInt(refused.endTimeUnixNano));
    } finally {
      await ccp.close();
      await upstream.shutdown();
      await collector.close();
    }
  });
}
