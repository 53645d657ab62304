/**
 * Esc in the real, interactive Claude Code (driven in tmux) on each kind of upstream other than
 * Chat Completions (which claude_code_interrupt_test.ts covers), in one session whose model
 * changes between them with `/model claude-ccp/<route>`, the names ccp's model list gives Claude
 * Code (`CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY`, as `ccp code` sets it): Anthropic (the
 * `anthropic` preset, relayed), Gemini and the Responses API. Claude Code checks each picked
 * model with a short non-streamed request, which the route's upstream answers. Each time ccp
 * cancels the upstream answer at once, and the next prompt, on the same provider, goes through
 * with the interrupted turn in a history that provider accepts. Skipped without `claude` or
 * `tmux`.
 */

import assert from "node:assert/strict";
import { startGuardedCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import {
  screen,
  slowSse,
  startClaudeTui,
  tmux,
  tmuxAndClaude,
  tuiPlace,
  typeLine,
  until,
  waitForScreen,
} from "../helpers/tmux.ts";
import { encodeEvents, type SseEvent, sseEvent as ev } from "../mocks/anthropic_fixtures.ts";
import { geminiRequestProblem } from "../mocks/gemini_strict.ts";
import { invalidArgument } from "../mocks/gemini_wire.ts";
import { responseObject, responsesSse } from "../mocks/responses_wire.ts";

const ready = await tmuxAndClaude();

type Obj = Record<string, unknown>;
type Kind = "anthropic" | "gemini" | "responses";

/** `n` words `<tag>0 <tag>1 …`, so that each provider's answer is told apart on the screen. */
const words = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `${tag}${i} `);

/** The SSE events of an answer on `kind`: thinking (or reasoning), then `text` in pieces. */
function answer(kind: Kind, text: string[], n: number, model: string): string[] {
  if (kind === "anthropic") {
    const events: SseEvent[] = [
      ev("message_start", {
        message: {
          id: `msg_${n}`,
          type: "message",
          role: "assistant",
          model,
          content: [],
          stop_reason: null,
          usage: { input_tokens: 900, output_tokens: 1 },
        },
      }),
      ev("content_block_start", {
        index: 0,
        content_block: { type: "thinking", thinking: "", signature: "" },
      }),
      ev("content_block_delta", { index: 0, delta: { type: "thinking_delta", thinking: "Hm." } }),
      ev("content_block_delta", {
        index: 0,
        delta: { type: "signature_delta", signature: `anth-sig-${n}` },
      }),
      ev("content_block_stop", { index: 0 }),
      ev("content_block_start", { index: 1, content_block: { type: "text", text: "" } }),
      ...text.map((t) =>
        ev("content_block_delta", { index: 1, delta: { type: "text_delta", text: t } })
      ),
      ev("content_block_stop", { index: 1 }),
      ev("message_delta", {
        delta: { stop_reason: "end_turn", stop_sequence: null },
        usage: { output_tokens: 5 },
      }),
      ev("message_stop", {}),
    ];
    return encodeEvents(events).split(/(?<=\n\n)/);
  }
  if (kind === "gemini") {
    const parts = [[{ text: "Hm.", thought: true }], ...text.map((t) => [{ text: t }]), [{
      text: "",
      thoughtSignature: "R0VNLXNpZw==",
    }]];
    return parts.map((p, i) =>
      `data: ${
        JSON.stringify({
          candidates: [{
            content: { role: "model", parts: p },
            index: 0,
            ...(i === parts.length - 1 ? { finishReason: "STOP" } : {}),
          }],
          usageMetadata: { promptTokenCount: 900, candidatesTokenCount: 5, totalTokenCount: 905 },
        })
      }\r\n\r\n`
    );
  }
  const script = {
    items: [
      { kind: "reasoning" as const, summary: ["Hm."], encrypted: `enc-${n}` },
      { kind: "text" as const, text: text.join("") },
    ],
    piece: 4,
  };
  return responsesSse(script, model).split(/(?<=\n\n)/);
}

/** Why `kind`'s API would refuse `body`, as far as an interrupted turn could bring it about. */
function problemOf(kind: Kind, body: Obj): string | undefined {
  if (kind === "gemini") return geminiRequestProblem(body, "gemini-3.8-flash");
  const text = JSON.stringify(body);
  if (text.includes("ccp:v1:")) return "a ccp signature";
  if (kind === "responses") {
    const items = body.input as Obj[];
    if (items.some((i) => i.type === "reasoning" && typeof i.id === "string")) {
      return "a reasoning item by id with store: false";
    }
  }
  return undefined;
}

/** A short whole (non-streamed) answer on `kind`, as Claude Code's check of a model gets. */
function wholeAnswer(kind: Kind, model: string): Obj {
  if (kind === "anthropic") {
    return {
      id: "msg_check",
      type: "message",
      role: "assistant",
      model,
      content: [{ type: "text", text: "ok" }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 10, output_tokens: 1 },
    };
  }
  if (kind === "gemini") {
    return {
      candidates: [{ content: { role: "model", parts: [{ text: "ok" }] }, finishReason: "STOP" }],
      usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 1, totalTokenCount: 11 },
    };
  }
  return responseObject({ items: [{ kind: "text", text: "ok" }] }, model);
}

/**
 * One server for the three upstreams, told apart by path. Each provider's first streamed answer
 * streams a word every 100 ms (30 s in all); later ones answer at once.
 */
function startUpstreams() {
  const checks: Kind[] = [];
  const bodies: Record<Kind, Obj[]> = { anthropic: [], gemini: [], responses: [] };
  const cancelledAt: Record<Kind, number[]> = { anthropic: [], gemini: [], responses: [] };
  const problems: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    if (path.endsWith("/count_tokens")) return Response.json({ input_tokens: 900 });
    const kind: Kind = path.startsWith("/v1beta/")
      ? "gemini"
      : path.endsWith("/responses")
      ? "responses"
      : "anthropic";
    const body = await req.json() as Obj;
    if (body.stream !== true && !path.endsWith(":streamGenerateContent")) {
      checks.push(kind);
      return Response.json(wholeAnswer(kind, "m"));
    }
    bodies[kind].push(body);
    const problem = problemOf(kind, body);
    if (problem) {
      problems.push(`${kind}: ${problem}`);
      return kind === "gemini"
        ? invalidArgument(problem)
        : Response.json({ error: { type: "invalid_request_error", message: problem } }, {
          status: 400,
        });
    }
    const n = bodies[kind].length;
    const tag = kind.slice(0, 2);
    const slow = n === 1;
    const events = answer(kind, slow ? words(tag, 300) : [`${kind} answer two`], n, "m");
    return slowSse(events, {
      gapMs: slow ? 100 : 0,
      onCancel: () => cancelledAt[kind].push(Date.now()),
    });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    bodies,
    checks,
    cancelledAt,
    problems,
    close: () => server.shutdown(),
  };
}

Deno.test({
  name: "real Claude Code in tmux: Esc cancels an answer at once on Anthropic, Gemini and the " +
    "Responses API, switched with /model; each next turn is accepted",
  ignore: !ready,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const place = await tuiPlace("ccp-esc-providers");
    const up = startUpstreams();
    const ccp = await startGuardedCcp(
      testConfig({
        providers: [
          provider("claude", {
            baseUrl: up.url,
            preset: "anthropic",
            apiKeys: ["sk-ant-e2e"],
            maxRetries: 0,
          }),
          provider("gem", {
            type: "gemini",
            baseUrl: `${up.url}/v1beta`,
            apiKeys: ["gemini-e2e"],
            authHeader: "x-goog-api-key",
            maxRetries: 0,
          }),
          provider("oai", {
            type: "openai_responses",
            baseUrl: `${up.url}/v1`,
            apiKeys: ["sk-e2e"],
            authHeader: "bearer",
            maxRetries: 0,
          }),
        ],
        routes: {
          default: "claude/claude-opus-5-5",
          flash: "gem/gemini-3.8-flash",
          codex: "oai/gpt-5.5",
        },
        authToken: "e2e",
      }),
    );
    try {
      const { session } = place;
      await startClaudeTui(place, ccp.url, { CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY: "1" });
      const steps: Array<[string | undefined, Kind]> = [
        [undefined, "anthropic"],
        ["flash", "gemini"],
        ["codex", "responses"],
      ];
      for (const [route, kind] of steps) {
        if (route) {
          await typeLine(session, `/model claude-ccp/${route}`);
          // Claude Code asks first whether to leave the model the conversation is cached for.
          // It names the pick as ccp's list does: the route and where it goes.
          const set = new RegExp(`Set model to ${route} \\(`);
          const asked = await waitForScreen(
            session,
            new RegExp(`Switch model\\?|${set.source}`),
            5000,
          );
          if (/Switch model\?/.test(asked)) await tmux("send-keys", "-t", session, "Enter");
          await waitForScreen(session, set, 5000);
        }
        await typeLine(session, `tell a long story on ${kind}`);
        await waitForScreen(session, new RegExp(`${kind.slice(0, 2)}3 `), 10_000);
        const pressed = Date.now();
        await tmux("send-keys", "-t", session, "Escape");
        await until(() => up.cancelledAt[kind].length > 0, 3000, `the ${kind} answer's cancel`);
        const gap = up.cancelledAt[kind][0]! - pressed;
        // About 70 ms here; the bound leaves room for a busy machine.
        assert.ok(gap < 1000, `${kind}: upstream cancelled ${gap} ms after Esc`);
        // This turn's mark, not an earlier one still on the screen.
        await waitForScreen(session, new RegExp(`story on ${kind}[\\s\\S]*Interrupted`), 5000);

        await typeLine(session, `go on with ${kind}`);
        await waitForScreen(session, new RegExp(`${kind} answer two`), 10_000);
        assert.equal(up.bodies[kind].length, 2, kind);
        assert.match(JSON.stringify(up.bodies[kind][1]), /Request interrupted by user/);
      }
      assert.deepEqual(up.problems, []);
      assert.deepEqual(up.checks, ["gemini", "responses"], "each pick checked on its upstream");
      assert.doesNotMatch(await screen(session), /API Error/);
    } finally {
      await place.close();
      await ccp.close();
      await up.close();
    }
  },
});
