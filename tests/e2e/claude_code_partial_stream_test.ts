/**
 * `claude -p --output-format stream-json --include-partial-messages` (what an editor or a script
 * that shows the answer as it is written runs) through ccp to a thinking Chat model with
 * DeepSeek's rules whose tokens come one at a time: the model sends each next token only once the
 * one before it has reached Claude Code's output, as a `stream_event` delta, so any token held
 * back on the way (in ccp or in Claude Code) stops the model until the test gives up waiting for
 * it. The reasoning comes as thinking deltas, the answer as text deltas, in order, and the
 * result holds the whole answer. Skipped when `claude` is not installed.
 */

import assert from "node:assert/strict";
import { claudeEnv, findClaude, STREAM_JSON } from "../helpers/claude.ts";
import { claudeStage } from "../helpers/claude_print.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { OPENAI_DIALECTS } from "../../src/translate/openai_chat/dialects.ts";
import { chatChunk } from "../mocks/openai_mock.ts";

const claude = await findClaude();

type Obj = Record<string, unknown>;

/** The reasoning's tokens, then the answer's: each names itself, so its delta can be found. */
const THINKING = ["Plan-r0 ", "the-r1 ", "answer-r2 ", "now-r3."];
const ANSWER = ["Hello-t0 ", "from-t1 ", "a-t2 ", "paced-t3 ", "model-t4", "!-t5"];
const TOKENS = [...THINKING, ...ANSWER];
/** How long the model waits for a token to reach the output before sending the next anyway. */
const PATIENCE_MS = 3_000;

/** A token's journey: when the model sent it and when Claude Code printed it. */
interface Timing {
  sent?: number;
  printed?: number;
}

/**
 * A Chat Completions upstream (DeepSeek's reasoning field) that sends {@link TOKENS} one chunk
 * at a time, each after `printed(k - 1)` resolves or {@link PATIENCE_MS} passes.
 */
function startPacedModel(printed: (k: number) => Promise<void>, timings: Timing[]) {
  const bodies: Obj[] = [];
  const encoder = new TextEncoder();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    bodies.push(await req.json() as Obj);
    let k = 0;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode(chatChunk({ role: "assistant", content: "" })));
      },
      async pull(controller) {
        if (k > 0) {
          await Promise.race([
            printed(k - 1),
            new Promise((resolve) => setTimeout(resolve, PATIENCE_MS)),
          ]);
        }
        if (k === TOKENS.length) {
          controller.enqueue(encoder.encode(`${chatChunk({}, "stop")}data: [DONE]\n\n`));
          controller.close();
          return;
        }
        const token = TOKENS[k]!;
        const delta = k < THINKING.length ? { reasoning_content: token } : { content: token };
        timings[k] = { sent: performance.now() };
        controller.enqueue(encoder.encode(chatChunk(delta)));
        k++;
      },
    });
    return new Response(stream, { headers: { "content-type": "text/event-stream" } });
  });
  const up = provider("up", {
    type: "openai",
    baseUrl: `http://127.0.0.1:${server.addr.port}/v1`,
    apiKeys: ["deepseek-key"],
    authHeader: "bearer",
    maxRetries: 0,
    dialect: OPENAI_DIALECTS.deepseek!,
  });
  return { bodies, provider: up, close: () => server.shutdown() };
}

/** Reads `stream` line by line, handing each JSON line to `onEvent` as it arrives. */
async function readEvents(
  stream: ReadableStream<Uint8Array>,
  onEvent: (event: Obj) => void,
): Promise<string> {
  let pending = "";
  let all = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    all += text;
    pending += text;
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const line of lines.filter(Boolean)) onEvent(JSON.parse(line) as Obj);
  }
  return all;
}

Deno.test({
  name: "real Claude Code through ccp: with --include-partial-messages each thinking and text " +
    "token of a paced Chat model reaches the output before the next one is sent",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const timings: Timing[] = [];
    const seen = TOKENS.map(() => Promise.withResolvers<void>());
    const model = startPacedModel((k) => seen[k]!.promise, timings);
    await using stage = await claudeStage(
      "ccp-partial-",
      testConfig({
        providers: [model.provider],
        routes: { default: "up/deepseek-reasoner" },
        authToken: "e2e-token",
      }),
      { mocks: [model], guarded: true },
    );
    const { ws, ccp } = stage;
    const deltas: { type: string; text: string }[] = [];
    const child = new Deno.Command("claude", {
      args: ["-p", "Say hello.", ...STREAM_JSON, "--include-partial-messages"],
      cwd: ws.work,
      env: claudeEnv(ws.home, ccp.url),
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(45_000),
    }).spawn();
    const stderr = new Response(child.stderr).text();
    const stdout = await readEvents(child.stdout, (event) => {
      const inner = event.type === "stream_event" ? event.event as Obj : undefined;
      if (inner?.type !== "content_block_delta") return;
      const delta = inner.delta as Obj;
      const text = String(delta.thinking ?? delta.text ?? "");
      deltas.push({ type: String(delta.type), text });
      const at = performance.now();
      TOKENS.forEach((token, k) => {
        if (!text.includes(token) || timings[k]?.printed !== undefined) return;
        timings[k] = { ...timings[k], printed: at };
        seen[k]!.resolve();
      });
    });
    await child.status;
    const context = `${stdout}\n${await stderr}\n${ccp.logs.join("")}`;
    const events = stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Obj);
    const result = events.findLast((e) => e.type === "result");
    assert.equal(result?.is_error, false, context);
    assert.equal(result?.result, ANSWER.join(""), context);
    assert.equal(model.bodies.length, 1, context);
    assert.equal(model.bodies[0]!.stream, true, context);

    // Every token was printed, each before the model sent the next (it waited for it).
    TOKENS.forEach((token, k) => {
      const { sent, printed } = timings[k] ?? {};
      assert.ok(
        sent !== undefined && printed !== undefined,
        `${token} never printed\n${context}`,
      );
      const next = timings[k + 1]?.sent;
      if (next !== undefined) {
        assert.ok(printed < next, `${token} was held back until the next token came\n${context}`);
      }
      assert.ok(printed - sent < PATIENCE_MS, `${token} took ${printed - sent} ms`);
    });
    // Thinking deltas for the reasoning, text deltas for the answer, one per token, in order.
    const kinds = deltas.filter((d) => d.text !== "");
    assert.deepEqual(kinds, [
      ...THINKING.map((text) => ({ type: "thinking_delta", text })),
      ...ANSWER.map((text) => ({ type: "text_delta", text })),
    ]);
    // The reasoning is in the assistant message Claude Code printed as well.
    const thinking = events.filter((e) => e.type === "assistant")
      .flatMap((e) => (e.message as Obj).content as Obj[])
      .filter((b) => b.type === "thinking").map((b) => b.thinking);
    assert.deepEqual(thinking, [THINKING.join("")], context);
  },
});
