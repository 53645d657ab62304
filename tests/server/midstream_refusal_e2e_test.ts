/**
 * A key refused inside an open stream (revoked mid-session; some gateways send their 401 as an
 * error event after 200), through the real server, for each protocol and for a client that asked
 * for JSON (the stream is collected): the client gets the gateway error it gets today, and the key
 * is then set aside as after the same 401 or 403 before the stream, so the re-send goes to the
 * fallback at once, saying why, and no server fault is counted against the target. The collected
 * answers ask for stop sequences and one tool call at a time, whose wrappers pass the error on.
 */

import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { encodeEvents, openingMessage, textMessage } from "../mocks/anthropic_fixtures.ts";

const SSE = { "content-type": "text/event-stream" };

const data = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;
const named = (event: string, value: Record<string, unknown>) =>
  `event: ${event}\ndata: ${JSON.stringify({ type: event, ...value })}\n\n`;

/** Each protocol's stream: some text, then the refusal in the provider's own shape. */
const STREAMS: Record<string, (refusal: 401 | 403) => string> = {
  anthropic: (refusal) =>
    encodeEvents([
      {
        event: "message_start",
        data: {
          type: "message_start",
          message: openingMessage("msg_1", "m", { input_tokens: 9, output_tokens: 1 }),
        },
      },
      {
        event: "content_block_start",
        data: { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
      },
      {
        event: "content_block_delta",
        data: { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hel" } },
      },
      {
        event: "error",
        data: {
          type: "error",
          error: refusal === 401
            ? { type: "authentication_error", message: "invalid x-api-key" }
            : { type: "permission_error", message: "Your API key does not have permission" },
        },
      },
    ]),
  openai: (refusal) =>
    data({
      id: "c1",
      object: "chat.completion.chunk",
      model: "m",
      choices: [{ index: 0, delta: { role: "assistant", content: "Hel" }, finish_reason: null }],
    }) +
    data({
      error: refusal === 401
        ? {
          message: "Incorrect API key provided: sk-c***0000.",
          type: "invalid_request_error",
          code: "invalid_api_key",
        }
        // A gateway's numeric code, as OpenRouter sends it.
        : { message: "This key may not use this model", code: 403 },
    }),
  openai_responses: (refusal) =>
    named("response.created", { response: { id: "resp_1", status: "in_progress", output: [] } }) +
    named("response.output_text.delta", {
      item_id: "msg_1",
      output_index: 0,
      content_index: 0,
      delta: "Hel",
    }) +
    named("error", {
      code: refusal === 401 ? "invalid_api_key" : "permission_denied",
      message: refusal === 401 ? "Incorrect API key provided" : "Project lacks access",
      param: null,
    }),
  gemini: (refusal) =>
    data({ candidates: [{ content: { role: "model", parts: [{ text: "Hel" }] }, index: 0 }] }) +
    data({
      error: refusal === 401
        // Gemini refuses a revoked key with 400 `API_KEY_INVALID`.
        ? {
          code: 400,
          message: "API key not valid. Please pass a valid API key.",
          status: "INVALID_ARGUMENT",
          details: [{
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            reason: "API_KEY_INVALID",
          }],
        }
        : { code: 403, message: "Permission denied", status: "PERMISSION_DENIED" },
    }),
};

/** One mock for every protocol (by path) that refuses mid-stream, and a fallback. */
function upstreams(refusal: 401 | 403, seen: string[]) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.text();
    const kind = new URL(req.url).pathname.split("/")[1]!;
    seen.push(kind);
    if (kind === "other") {
      return Response.json(textMessage("m", { input_tokens: 1, output_tokens: 1 }, "other"));
    }
    return new Response(STREAMS[kind]!(refusal), { headers: SSE });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

const BASE: Record<string, string> = {
  anthropic: "",
  openai: "/v1",
  openai_responses: "/v1",
  gemini: "/v1beta",
};

for (const kind of Object.keys(STREAMS)) {
  for (const refusal of [401, 403] as const) {
    for (const stream of [true, false]) {
      const how = stream ? "streamed" : "collected";
      Deno.test(`${kind}: a ${refusal} inside a ${how} answer sets the key aside`, async () => {
        const seen: string[] = [];
        const mock = upstreams(refusal, seen);
        const ccp = startCcp(configFromYaml({
          text: `
providers:
  p: { type: ${kind}, base_url: "${mock.url}/${kind}${BASE[kind]}", api_key: sk-p-test-0000 }
  other: { type: anthropic, base_url: "${mock.url}/other", api_key: sk-other-0000 }
routes:
  default: [p/m, other/m]
`,
          file: "config.yaml",
          path: "/abs/config.yaml",
          env: {},
        }));
        // The client's stop sequences and one tool call at a time wrap a translated stream:
        // what the error stands for passes through them.
        const limits = stream ? {} : {
          stop_sequences: ["#"],
          tools: [{ name: "t", input_schema: { type: "object" } }],
          tool_choice: { type: "auto", disable_parallel_tool_use: true },
        };
        const ask = () =>
          postMessages(ccp.url, {
            model: "claude-sonnet-4-6",
            max_tokens: 16,
            stream,
            messages: [{ role: "user", content: "hi" }],
            ...limits,
          });
        try {
          const first = await ask();
          const text = await first.text();
          if (stream) {
            assert.deepEqual(seen, [kind]);
            // The client is told a gateway error, never its own login refused.
            assert.match(text, /"type":"api_error"/);
            assert.doesNotMatch(text, /"type":"(?:authentication|permission)_error"/);
          } else {
            // Nothing reached a JSON client yet: the same request moves on, as before a byte.
            assert.equal(first.status, 200, text);
            assert.deepEqual(seen, [kind, "other"]);
            assert.ok(
              ccp.logs.some((l) =>
                new RegExp(` 200 .*attempts=2 \\(failed: p/m ${refusal}\\)`).test(l)
              ),
              ccp.logs.join("\n"),
            );
          }
          const again = await ask();
          const answer = await again.text();
          assert.equal(again.status, 200, answer);
          assert.deepEqual(
            seen,
            stream ? [kind, "other"] : [kind, "other", "other"],
            "the refused key is not asked again",
          );
          assert.match(
            again.headers.get("x-ccp-passed") ?? "",
            new RegExp(`^p/m \\(not sent: key refused with ${refusal}`),
          );
          assert.ok(
            ccp.logs.some((l) => /the key is set aside/.test(l)),
            ccp.logs.join("\n"),
          );
        } finally {
          await ccp.close();
          await mock.close();
        }
      });
    }
  }
}
