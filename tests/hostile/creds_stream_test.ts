/**
 * Streams end properly: at most one `event: error` per stream and nothing after it, malformed
 * upstream JSON never forwarded (one well-formed error instead), and a client that asked for
 * JSON gets JSON even when the upstream streams.
 */

import assert from "node:assert/strict";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { testConfig } from "../helpers/config.ts";
import {
  anthropicHead,
  anthropicTail,
  eventNames,
  messageBody,
  providerOf,
  sse,
  startUpstream,
} from "./creds_helpers.ts";

type Kind = "anthropic" | "openai" | "gemini";

async function ask(kind: Kind, answer: () => Response, stream: boolean) {
  const upstream = startUpstream(answer);
  const ccp = startCcp(testConfig({
    providers: [providerOf(kind, upstream.url, "sk-k-0123456789")],
    routes: { default: "up/m" },
  }));
  try {
    const res = await postMessages(ccp.url, messageBody({ stream }));
    return { res, text: await res.text() };
  } finally {
    await ccp.close();
    await upstream.close();
  }
}

/** Every data line is JSON; returns the parsed events. */
function wellFormed(text: string): unknown[] {
  return [...text.matchAll(/^data: ?(.*)$/gm)].map((m) => JSON.parse(m[1]!));
}

const chunk = (delta: unknown) =>
  `data: ${JSON.stringify({ choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`;

Deno.test("one error per stream, then the end", async (t) => {
  const cases: Array<[string, Kind, string[]]> = [
    ["openai: malformed chunk then close", "openai", [chunk({ content: "hi" }), "data: {oops\n\n"]],
    [
      "gemini: malformed chunk then close",
      "gemini",
      [
        `data: ${
          JSON.stringify({ candidates: [{ content: { role: "model", parts: [{ text: "hi" }] } }] })
        }\n\n`,
        "data: {oops\n\n",
      ],
    ],
    [
      "anthropic: upstream error event, then more events, then close",
      "anthropic",
      [
        ...anthropicHead(),
        'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"busy"}}\n\n',
        'event: error\ndata: {"type":"error","error":{"type":"api_error","message":"again"}}\n\n',
        ...anthropicTail(),
      ],
    ],
    ["anthropic: close before message_stop", "anthropic", anthropicHead()],
  ];
  for (const [name, kind, frames] of cases) {
    await t.step(name, async () => {
      const { res, text } = await ask(kind, () => sse(frames), true);
      assert.equal(res.status, 200);
      const names = eventNames(text);
      assert.equal(names.filter((n) => n === "error").length, 1, text);
      assert.equal(names.at(-1), "error", text);
      wellFormed(text);
    });
  }
  await t.step("the upstream's error type is kept", async () => {
    const { text } = await ask("anthropic", () => sse(cases[2]![2]), true);
    assert.match(
      text,
      /"type":"overloaded_error","message":"Provider \\"up\\" \(model m\) reported an error mid-stream: busy"/,
    );
  });
});

Deno.test("the Anthropic relay never forwards malformed JSON", async (t) => {
  const bad = [
    'event: content_block_delta\ndata: {"type":"content_block_delta",\n\n',
    "event: content_block_delta\ndata: not json at all\n\n",
    "event: content_block_delta\ndata: [1,2]\n\n",
  ];
  for (const frame of bad) {
    await t.step(JSON.stringify(frame.slice(27, 60)), async () => {
      const { text } = await ask(
        "anthropic",
        () => sse([...anthropicHead(), frame, ...anthropicTail()]),
        true,
      );
      const events = wellFormed(text);
      const last = events.at(-1) as { type: string; error: { type: string; message: string } };
      assert.equal(last.type, "error");
      assert.match(last.error.message, /provider "up" \(model m\) sent/i);
      assert.equal(eventNames(text).filter((n) => n === "error").length, 1);
      assert.ok(!text.includes("message_stop"), "nothing after the error");
    });
  }
  await t.step("events split across reads at every byte still relay whole", async () => {
    const bytes = new TextEncoder().encode([...anthropicHead(), ...anthropicTail()].join(""));
    const pieces = ReadableStream.from(
      (function* () {
        for (let i = 0; i < bytes.length; i += 5) yield bytes.slice(i, i + 5);
      })(),
    );
    const { text } = await ask(
      "anthropic",
      () => new Response(pieces, { headers: { "content-type": "text/event-stream" } }),
      true,
    );
    wellFormed(text);
    assert.deepEqual(eventNames(text), [
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    assert.match(text, /"model":"claude-sonnet-4-5"/, "message_start carries the client's model");
  });
});

Deno.test("stream: false gets JSON even when the upstream streams", async (t) => {
  const streams: Record<Kind, string[]> = {
    anthropic: [...anthropicHead(), ...anthropicTail()],
    openai: [
      chunk({ role: "assistant", content: "hi" }),
      `data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }] })}\n\n`,
      "data: [DONE]\n\n",
    ],
    gemini: [
      `data: ${
        JSON.stringify({
          candidates: [{
            content: { role: "model", parts: [{ text: "hi" }] },
            finishReason: "STOP",
          }],
          usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 1 },
        })
      }\n\n`,
    ],
  };
  for (const kind of ["anthropic", "openai", "gemini"] as const) {
    await t.step(kind, async () => {
      const { res, text } = await ask(kind, () => sse(streams[kind]), false);
      assert.equal(res.status, 200, text);
      assert.match(res.headers.get("content-type") ?? "", /application\/json/);
      const message = JSON.parse(text);
      assert.equal(message.type, "message");
      assert.equal(message.model, "claude-sonnet-4-5");
      assert.equal(message.stop_reason, "end_turn");
      assert.deepEqual(message.content, [{ type: "text", text: "hi" }]);
    });
  }
});

Deno.test("a 2xx JSON answer that is not a message is the upstream failing", async (t) => {
  const bodies: Array<[string, unknown]> = [
    ["an error body with status 200", {
      type: "error",
      error: { type: "api_error", message: "key sk-k-0123456789 revoked" },
    }],
    ["a string", "hello"],
    ["an object without content", { id: "x" }],
  ];
  for (const [name, body] of bodies) {
    await t.step(name, async () => {
      const { res, text } = await ask("anthropic", () => Response.json(body), false);
      assert.equal(res.status, 502, text);
      const json = JSON.parse(text);
      assert.equal(json.error.type, "api_error");
      // An error body is read as the error it is (and fails over like one); the rest are not messages.
      const said = typeof body === "object" && body !== null && "error" in body
        ? /answered HTTP 200 with an error as its body: key \[redacted\] revoked/
        : /without a message/;
      assert.match(json.error.message, said);
      assert.ok(!text.includes("sk-k-0123456789"), text);
    });
  }
});
