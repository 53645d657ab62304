/**
 * Keys never leave ccp: an upstream that echoes the provider's key — in a mid-stream error, in an
 * error answer before the first byte, or in a streamed error collected for a JSON client — has it
 * scrubbed from what the client receives and from ccp's log. Each stream ends with one error.
 */

import assert from "node:assert/strict";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { testConfig } from "../helpers/config.ts";
import {
  anthropicHead,
  eventNames,
  frame,
  messageBody,
  providerOf,
  sse,
  startUpstream,
} from "./creds_helpers.ts";

// No known key shape: only ccp's knowledge of its own keys can catch it.
const KEY = "plainsecret0123456789abcdefXYZ";

const MID_STREAM_ERROR: Record<"anthropic" | "openai" | "gemini", () => string[]> = {
  anthropic: () => [
    ...anthropicHead(),
    frame("error", { type: "error", error: { type: "api_error", message: `key ${KEY} revoked` } }),
  ],
  openai: () => [
    `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: "hi" } }] })}\n\n`,
    `data: ${JSON.stringify({ error: { message: `key ${KEY} revoked` } })}\n\n`,
  ],
  gemini: () => [
    `data: ${
      JSON.stringify({ candidates: [{ content: { role: "model", parts: [{ text: "hi" }] } }] })
    }\n\n`,
    `data: ${JSON.stringify({ error: { code: 401, message: `key ${KEY} revoked` } })}\n\n`,
  ],
};

Deno.test("an upstream key echoed in a mid-stream error never reaches the client", async (t) => {
  for (const kind of ["anthropic", "openai", "gemini"] as const) {
    await t.step(kind, async () => {
      const upstream = startUpstream(() => sse(MID_STREAM_ERROR[kind]()));
      const ccp = startCcp(testConfig({
        providers: [providerOf(kind, upstream.url, KEY)],
        routes: { default: "up/m" },
      }));
      try {
        const res = await postMessages(ccp.url, messageBody({ stream: true }));
        assert.equal(res.status, 200);
        const text = await res.text();
        assert.ok(!text.includes(KEY), `key leaked: ${text}`);
        assert.match(text, /revoked/, "the rest of the message stays");
        const names = eventNames(text);
        assert.equal(names.filter((n) => n === "error").length, 1, text);
        assert.equal(names.at(-1), "error", "the error is the last event");
        assert.ok(!ccp.logs.join("\n").includes(KEY), "key in the log");
      } finally {
        await ccp.close();
        await upstream.close();
      }
    });
  }
});

Deno.test("a key echoed before the first byte, or in a stream collected as JSON, is scrubbed", async (t) => {
  await t.step("error answer (HTTP 401) quoting the key", async () => {
    const upstream = startUpstream(() =>
      Response.json({ error: { message: `invalid key ${KEY}` } }, { status: 401 })
    );
    const ccp = startCcp(testConfig({
      providers: [providerOf("openai", upstream.url, KEY)],
      routes: { default: "up/m" },
    }));
    try {
      const res = await postMessages(ccp.url, messageBody());
      const text = await res.text();
      assert.ok(res.status >= 500, `${res.status} ${text}`);
      assert.ok(!text.includes(KEY), text);
      assert.ok(!ccp.logs.join("\n").includes(KEY), "key in the log");
    } finally {
      await ccp.close();
      await upstream.close();
    }
  });
  await t.step("stream: false client, upstream streams an error quoting the key", async () => {
    const upstream = startUpstream(() => sse(MID_STREAM_ERROR.anthropic()));
    const ccp = startCcp(testConfig({
      providers: [providerOf("anthropic", upstream.url, KEY)],
      routes: { default: "up/m" },
    }));
    try {
      const res = await postMessages(ccp.url, messageBody({ stream: false }));
      const text = await res.text();
      assert.equal(res.headers.get("content-type")?.includes("application/json"), true, text);
      assert.equal(JSON.parse(text).type, "error");
      assert.ok(!text.includes(KEY), text);
      assert.ok(!ccp.logs.join("\n").includes(KEY), "key in the log");
    } finally {
      await ccp.close();
      await upstream.close();
    }
  });
});

Deno.test("client and upstream text cannot forge log lines or drive the operator's terminal", async () => {
  // A right-to-left override would draw the rest of its line backwards in a bidi terminal.
  const forged = "x\n2026-01-01T00:00:00.000Z ERROR forged line\x1b[2J\u202e 200 12ms";
  const upstream = startUpstream(() =>
    Response.json({ error: { message: `bad\r\n2026-01-01T00:00:00.000Z INFO fake\x1b]0;t\x07` } }, {
      status: 400,
    })
  );
  const ccp = startCcp(testConfig({
    providers: [providerOf("openai", upstream.url, KEY)],
    routes: { default: "up/m" },
  }));
  try {
    const res = await postMessages(ccp.url, messageBody({ model: forged }));
    await res.body?.cancel();
    const log = ccp.logs.join("");
    assert.match(log, /forged line/, "the text is still there, made inert");
    for (const line of log.split("\n")) {
      assert.ok(!line.startsWith("2026-01-01"), `forged line: ${line}`);
    }
    // deno-lint-ignore no-control-regex -- looking for control characters is the point
    assert.ok(!/[\x1b\x07\r]/.test(log), "no control characters reach the log");
    assert.ok(!/[\u202a-\u202e\u2066-\u2069]/.test(log), "no bidi override reaches the log");
    assert.match(log, /forged line\\x1b\[2J\\u202e 200 12ms/);
  } finally {
    await ccp.close();
    await upstream.close();
  }
});
