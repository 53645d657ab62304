/**
 * An `anthropic-beta` value an Anthropic-compatible endpoint refuses costs one round trip: the
 * request goes again without it, and later requests leave it out at once.
 */

import assert from "node:assert/strict";
import { parseSse, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { encodeEvents, textTurn } from "../mocks/anthropic_fixtures.ts";
import { betaEntry, refusedBetas, withoutBetas } from "../../src/upstream/http/refused_betas.ts";
import { threadCpuMs } from "../helpers/cpu_time.ts";
import { createLogger } from "../../src/core/log.ts";
import { LearnedParams } from "../../src/resilience/learned_params.ts";
import { lessonOf } from "../../src/upstream/http/lessons.ts";

const SENT = {
  "anthropic-beta": "claude-code-20250219,prompt-caching-scope-2026-01-05,effort-2025-11-24",
};

Deno.test("refusedBetas: the values the refusal names among those sent", () => {
  const vertex =
    "Unexpected value(s) `prompt-caching-scope-2026-01-05` for the `anthropic-beta` header. " +
    "Please consult our documentation at docs.anthropic.com or try again without the header.";
  assert.deepEqual(refusedBetas(vertex, SENT), ["prompt-caching-scope-2026-01-05"]);
  // Relayed by a gateway that lost the backticks, with two values.
  assert.deepEqual(
    refusedBetas(
      "Unexpected value(s) prompt-caching-scope-2026-01-05, effort-2025-11-24 for the anthropic-beta header.",
      SENT,
    ),
    ["prompt-caching-scope-2026-01-05", "effort-2025-11-24"],
  );
  assert.deepEqual(refusedBetas(vertex, { "anthropic-beta": "claude-code-20250219" }), []);
  assert.deepEqual(refusedBetas("max_tokens: Field required", SENT), []);
});

Deno.test("withoutBetas: leaves out learned betas, the header when none is left", () => {
  const learned = [betaEntry("prompt-caching-scope-2026-01-05"), "max_tokens<=8192"];
  assert.deepEqual(withoutBetas(SENT, learned), {
    "anthropic-beta": "claude-code-20250219,effort-2025-11-24",
  });
  assert.equal(withoutBetas(SENT, ["temperature"]), SENT);
  assert.deepEqual(
    withoutBetas({ "anthropic-beta": "effort-2025-11-24", "x-app": "cli" }, [
      betaEntry("effort-2025-11-24"),
    ]),
    { "x-app": "cli" },
  );
});

Deno.test("a refused beta is left out from then on, after one refused request", async () => {
  const seen: Array<string | null> = [];
  const upstream = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      await req.body?.cancel();
      const beta = req.headers.get("anthropic-beta");
      seen.push(beta);
      if (beta?.includes("prompt-caching-scope-2026-01-05")) {
        return Response.json({
          type: "error",
          error: {
            type: "invalid_request_error",
            message:
              "Unexpected value(s) `prompt-caching-scope-2026-01-05` for the `anthropic-beta` header.",
          },
        }, { status: 400 });
      }
      return new Response(encodeEvents(textTurn("m", 2)), {
        headers: { "content-type": "text/event-stream" },
      });
    },
  );
  const ccp = startCcp(testConfig({
    providers: [provider("gateway", { baseUrl: `http://127.0.0.1:${upstream.addr.port}` })],
    routes: { default: "gateway/claude-opus-4-5" },
  }));
  const ask = async () => {
    const res = await fetch(`${ccp.url}/v1/messages?beta=true`, {
      method: "POST",
      headers: { "content-type": "application/json", ...SENT },
      body: JSON.stringify({
        model: "claude-opus-4-5",
        max_tokens: 100,
        stream: true,
        messages: [{ role: "user", content: "hi" }],
      }),
    });
    return { status: res.status, events: parseSse(await res.text()) };
  };
  try {
    const first = await ask();
    assert.equal(first.status, 200);
    assert.equal(first.events.at(-1)!.event, "message_stop");
    const second = await ask();
    assert.equal(second.status, 200);
    assert.deepEqual(seen, [
      SENT["anthropic-beta"],
      "claude-code-20250219,effort-2025-11-24",
      "claude-code-20250219,effort-2025-11-24",
    ]);
  } finally {
    await ccp.close();
    await upstream.shutdown();
  }
});

Deno.test("a refused beta takes the body field that needs it along, on the retry and after", async () => {
  const CM = "context-management-2025-06-27";
  const seen: Array<{ beta: string | null; field: boolean }> = [];
  const upstream = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const body = await req.json();
      const beta = req.headers.get("anthropic-beta");
      const field = "context_management" in body;
      seen.push({ beta, field });
      const refuse = (message: string) =>
        Response.json({ type: "error", error: { type: "invalid_request_error", message } }, {
          status: 400,
        });
      if (beta?.includes(CM)) {
        return refuse(`Unexpected value(s) \`${CM}\` for the \`anthropic-beta\` header.`);
      }
      // Anthropic's own answer to the field without its beta.
      if (field) return refuse("context_management: Extra inputs are not permitted");
      return new Response(encodeEvents(textTurn("m", 2)), {
        headers: { "content-type": "text/event-stream" },
      });
    },
  );
  const ccp = startCcp(testConfig({
    providers: [provider("vertex", { baseUrl: `http://127.0.0.1:${upstream.addr.port}` })],
    routes: { default: "vertex/claude-opus-4-5" },
  }));
  const ask = async () => {
    const res = await fetch(`${ccp.url}/v1/messages?beta=true`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "anthropic-beta": `claude-code-20250219,${CM}`,
      },
      body: JSON.stringify({
        model: "claude-opus-4-5",
        max_tokens: 100,
        stream: true,
        messages: [{ role: "user", content: "hi" }],
        context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] },
      }),
    });
    return { status: res.status, events: parseSse(await res.text()) };
  };
  try {
    const first = await ask();
    assert.equal(first.status, 200, JSON.stringify(first.events));
    assert.equal(first.events.at(-1)!.event, "message_stop");
    const second = await ask();
    assert.equal(second.status, 200);
    assert.deepEqual(seen, [
      { beta: `claude-code-20250219,${CM}`, field: true },
      { beta: "claude-code-20250219", field: false },
      { beta: "claude-code-20250219", field: false },
    ]);
  } finally {
    await ccp.close();
    await upstream.shutdown();
  }
});

Deno.test("refusedBetas: a refusal text crafted to backtrack is read in linear time", () => {
  // An upstream's 400 may quote the client's text: many "Unexpected value(s)" and no header
  // named after them was read once per occurrence to the end (200 ms on an error body's 64 KB).
  const crafted = "Unexpected value(s) ".repeat(3400);
  const started = threadCpuMs();
  assert.deepEqual(refusedBetas(crafted, SENT), []);
  const ms = threadCpuMs() - started;
  assert.ok(ms < 100, `${ms} ms of CPU`);
});

Deno.test("a refused beta's warning names the keys it took from another beta's entries", () => {
  const classifier = "dangerous-tool-use-classifier-tool-calls-2026-11-23";
  const lines: string[] = [];
  const log = createLogger({ level: "info", write: (line) => void lines.push(line) });
  const gw = { id: "gw", type: "anthropic", baseUrl: "http://gw.example" };
  const pupil = { provider: gw, model: "m", learned: new LearnedParams(), log };
  const safeguard = { type: "dangerous_tool_use", classifier_context: { v: 1 } };
  const sent = {
    body: { safeguards: [{ ...safeguard, classifier_tool_calls: { tools: ["Bash"] } }] },
    headers: { "anthropic-beta": `dangerous-tool-use-2026-09-03,${classifier}` },
  };
  const refusal = `Unexpected value(s) \`${classifier}\` for the \`anthropic-beta\` header.`;
  const lesson = lessonOf({ status: 400, bodyText: refusal }, sent, pupil);
  assert.deepEqual(lesson?.body, { safeguards: [safeguard] });
  lesson?.settle?.({ ok: true });
  assert.equal(lines.length, 1, lines.join(""));
  assert.match(
    lines[0]!,
    /model "m" does not accept anthropic-beta dangerous-tool-use-classifier-tool-calls-2026-11-23: sent again without it \(and the body's classifier_tool_calls in safeguards, which need it\), and left out from now on/,
  );
});
