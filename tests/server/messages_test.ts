/**
 * `POST /v1/messages` relayed to an Anthropic upstream through the real server: event for
 * event, as JSON, or as a stream made from a JSON answer, with the client's model name restored
 * and its request forwarded intact.
 */

import assert from "node:assert/strict";
import {
  encodeEvents,
  thinkingTextToolMessage,
  thinkingTextToolTurn,
} from "../mocks/anthropic_fixtures.ts";
import { parseSse } from "../helpers/ccp.ts";
import { CLAUDE_HEADERS, claudeCodeBody, setup } from "./_messages_env.ts";

Deno.test("stream relay: event for event, model name restored, request forwarded intact", async () => {
  const events = thinkingTextToolTurn("glm-4.7-upstream-name");
  await using env = setup([{ kind: "stream", events, splitEvery: 7 }]);
  const res = await fetch(`${env.ccp.url}/v1/messages?beta=true`, {
    method: "POST",
    headers: CLAUDE_HEADERS,
    body: JSON.stringify(claudeCodeBody()),
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type")!, /^text\/event-stream/);
  assert.equal(res.headers.get("x-ccp-route"), "opus");
  assert.equal(res.headers.get("x-ccp-provider"), "up");
  assert.equal(res.headers.get("x-ccp-model"), "kimi-k2.5");
  assert.match(res.headers.get("request-id") ?? "", /^req_[0-9A-Za-z]{24}$/);
  const got = parseSse(await res.text());
  const want = events.map((e) => ({ event: e.event, data: structuredClone(e.data) }));
  (want[0]!.data.message as Record<string, unknown>).model = "claude-opus-5-5";
  assert.deepEqual(got, want);

  const sent = env.mock.requests[0]!;
  assert.equal(sent.path, "/v1/messages");
  assert.equal(sent.body!.model, "kimi-k2.5");
  const { model: _a, ...restSent } = sent.body!;
  const { model: _b, ...restClient } = claudeCodeBody();
  assert.deepEqual(
    restSent,
    restClient,
    "every other field, known or not, reaches the upstream untouched",
  );
  assert.equal(sent.headers.get("x-api-key"), "sk-ant-api03-UPSTREAMKEY0000000000");
  assert.equal(sent.headers.get("authorization"), null, "client credentials never forwarded");
  assert.equal(sent.headers.get("anthropic-version"), "2023-06-01");
  assert.equal(sent.headers.get("anthropic-beta"), CLAUDE_HEADERS["anthropic-beta"]);
  assert.equal(
    sent.headers.get("x-claude-code-session-id"),
    CLAUDE_HEADERS["x-claude-code-session-id"],
  );
  assert.equal(sent.headers.get("user-agent"), CLAUDE_HEADERS["user-agent"]);
  assert.equal(sent.headers.get("accept-encoding") !== "gzip, deflate, br, zstd", true);
  const line = env.ccp.logs.find((l) => l.includes("POST /v1/messages"))!;
  assert.match(
    line,
    /INFO {2}POST \/v1\/messages claude-opus-5-5 → up\/kimi-k2\.5 200 \d+ms ttft=\d+ms in=2095 out=89 stream \[opus\]/,
  );
  assert.ok(!env.ccp.logs.join("").includes("UPSTREAMKEY"), "no key in the log");
  assert.ok(!env.ccp.logs.join("").includes("write a.txt"), "no prompt text in the log");
});

Deno.test("non-stream: JSON relayed with the client's model name", async () => {
  await using env = setup([{ kind: "json", body: thinkingTextToolMessage("glm-4.7") }]);
  const res = await fetch(`${env.ccp.url}/v1/messages`, {
    method: "POST",
    headers: CLAUDE_HEADERS,
    body: JSON.stringify({ ...claudeCodeBody(false), model: "gpt-5" }),
  });
  assert.equal(res.status, 200);
  // The answer's head as Response.json made it (the body is now sent as text).
  assert.equal(res.headers.get("content-type"), "application/json");
  assert.equal(res.headers.get("x-ccp-provider"), "up");
  assert.match(res.headers.get("request-id") ?? "", /^req_[0-9A-Za-z]{24}$/);
  const text = await res.text();
  assert.equal(res.headers.get("content-length"), String(new TextEncoder().encode(text).length));
  const body = JSON.parse(text);
  assert.deepEqual(body, { ...thinkingTextToolMessage("glm-4.7"), model: "gpt-5" });
  assert.equal(env.mock.requests[0]!.body!.model, "glm-4.7");
  assert.equal(env.mock.requests[0]!.headers.get("accept"), "application/json");
});

Deno.test("stream requested but upstream answered JSON: the client still gets a valid stream", async () => {
  await using env = setup([{ kind: "json", body: thinkingTextToolMessage("glm-4.7") }]);
  const res = await fetch(`${env.ccp.url}/v1/messages`, {
    method: "POST",
    headers: CLAUDE_HEADERS,
    body: JSON.stringify(claudeCodeBody()),
  });
  const events = parseSse(await res.text());
  assert.deepEqual(events.map((e) => e.event), [
    "message_start",
    "content_block_start",
    "content_block_delta",
    "content_block_delta",
    "content_block_stop",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
  ]);
  const json = events.filter((e) =>
    (e.data.delta as Record<string, unknown> | undefined)?.type === "input_json_delta"
  );
  assert.deepEqual(
    JSON.parse(String((json[0]!.data.delta as Record<string, unknown>).partial_json)),
    { file_path: "/tmp/a.txt", content: "line\n2" },
  );
});

Deno.test("base_url given with /v1 appends only /messages", async () => {
  await using env = setup([{ kind: "json", body: thinkingTextToolMessage("m") }], {
    baseSuffix: "/v1",
  });
  await (await fetch(`${env.ccp.url}/v1/messages`, {
    method: "POST",
    headers: CLAUDE_HEADERS,
    body: JSON.stringify(claudeCodeBody(false)),
  })).body?.cancel();
  assert.equal(env.mock.requests[0]!.path, "/v1/messages");
});

Deno.test("encodeEvents fixture sanity", () => {
  assert.match(encodeEvents(thinkingTextToolTurn("m")), /^event: message_start\ndata: /);
});
