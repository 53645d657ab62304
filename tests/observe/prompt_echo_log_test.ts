/**
 * Upstreams that quote the prompt in shapes nothing can recognise (prose, JSON encoded twice,
 * vLLM's `(parameter=..., value=...)`): the client that sent the request gets their words whole;
 * ccp's log (each attempt's warning, the request's line, its JSON `error` and
 * `attempts[].reason`, count_tokens' debug line), `/health`, the status page's data and shared
 * state (a key's refusal, an open circuit) keep them with the request's text left out.
 */

import assert from "node:assert/strict";
import { createLogger } from "../../src/core/log.ts";
import { ResilienceRegistry } from "../../src/resilience/registry.ts";
import type { SharedGuards } from "../../src/resilience/shared_sync.ts";
import { startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";

const TOKEN = "ccp-prompt-echo-token";
const PROMPT = 'Draft the merger memo for Falcon Holdings; the "board" must not see it yet.\n' +
  "It's confidential until the vote.";
const PRIVATE = ["Falcon Holdings", "merger memo", "confidential"];

const error = (status: number, message: string) =>
  Promise.resolve(Response.json({ error: { message, type: "error", code: status } }, { status }));

// A gateway that quotes the body it was given, encoded as JSON twice.
const AUTH = `Invalid API key for request ${JSON.stringify(JSON.stringify({ input: PROMPT }))}`;
// vLLM's VLLMValidationError: str() of the message, then `(parameter=..., value=...)`.
const VLLM = "The model failed to process the conversation (parameter=messages, " +
  `value=[{'role': 'user', 'content': ${JSON.stringify(PROMPT)}}])`;
// Prose that quotes the prompt.
const PROSE = `Your request was flagged: the prompt '${PROMPT}' violates the usage policy.`;

function upstream(input: RequestInfo | URL): Promise<Response> {
  const host = new URL(input instanceof Request ? input.url : String(input)).hostname;
  if (host === "auth.test") return error(401, AUTH);
  if (host === "vllm.test") return error(500, VLLM);
  return error(400, PROSE);
}

const chat = (id: string) =>
  provider(id, {
    type: "openai",
    authHeader: "bearer",
    baseUrl: `http://${id}.test/v1`,
    apiKeys: [`sk-test-key-${id}-123456`],
    maxRetries: 0,
  });

Deno.test("an upstream's unrecognised echo reaches the client, not the log or shared state", async () => {
  const logs: string[] = [];
  const kept: string[] = [];
  const shared: SharedGuards = {
    sync: () => Promise.resolve({ waitMs: 0 }),
    release: () => {},
    cooling: () => {},
    setAside: (_provider, _index, _until, _status, reason) => void kept.push(reason),
    circuit: (_provider, _model, _until, lastError) => void kept.push(lastError ?? ""),
    cleared: () => {},
  };
  const ccp = startCcp(
    testConfig({
      providers: [
        chat("auth"),
        chat("vllm"),
        chat("prose"),
        provider("an", { baseUrl: "http://an.test", apiKeys: ["sk-test-key-an-654321"] }),
      ],
      routes: { default: ["auth/m", "vllm/m", "prose/m"], count: "an/m" },
      authToken: TOKEN,
    }),
    {
      fetch: upstream as typeof fetch,
      log: createLogger({ level: "debug", format: "json", write: (line) => logs.push(line) }),
      registry: new ResilienceRegistry({ breaker: { threshold: 1 } }),
      sharedGuards: shared,
    },
  );
  const headers = { "x-api-key": TOKEN, "content-type": "application/json" };
  const messages = [{ role: "user", content: [{ type: "text", text: PROMPT }] }];
  try {
    const refused = await fetch(`${ccp.url}/v1/messages`, {
      method: "POST",
      headers,
      body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 10, messages }),
    });
    assert.equal(refused.status, 400);
    const said = (await refused.json()).error.message as string;
    assert.ok(said.includes(PROMPT), `the client reads the upstream's words whole: ${said}`);

    const counted = await fetch(`${ccp.url}/v1/messages/count_tokens`, {
      method: "POST",
      headers,
      body: JSON.stringify({ model: "count", messages }),
    });
    assert.equal(counted.status, 200, await counted.clone().text());
    await counted.body?.cancel();
    const health = await (await fetch(`${ccp.url}/health`, { headers })).text();
    const status = await (await fetch(`${ccp.url}/ui/state`, { headers })).text();

    const lines = logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    const record = lines.find((l) => l.request_id !== undefined) as
      | { error: string; attempts: Array<{ reason: string }> }
      | undefined;
    assert.ok(record, logs.join(""));
    // What each upstream said of its own is still there, the prompt in it marked.
    assert.match(record.error, /the prompt '\[prompt text\]' violates the usage policy/);
    const reasons = record.attempts.map((a) => a.reason);
    assert.match(
      reasons[0]!,
      /Invalid API key for request "\{\\"input\\":\\"\[prompt text\]\\"\}"/,
    );
    assert.match(
      reasons[1]!,
      /\(parameter=messages, value=\[\{'role': 'user', 'content': "\[prompt/,
    );
    assert.match(reasons[2]!, /flagged: the prompt '\[prompt text\]'/);
    const warnings = lines.filter((l) => l.level === "warn" && l.request_id === undefined);
    // The three attempts' and the count's.
    assert.equal(warnings.filter((l) => /\[prompt text\]/.test(String(l.msg))).length, 4);
    assert.ok(
      lines.some((l) => /count_tokens upstream failed.*\[prompt text\]/s.test(String(l.msg))),
      logs.join("\n"),
    );
    assert.match(health, /\[prompt text\]/);
    assert.match(status, /\[prompt text\]/);
    assert.equal(kept.length, 2, "a key set aside and a circuit opened, both shared");
    for (const text of [...logs, health, status, ...kept]) {
      for (const words of PRIVATE) assert.ok(!text.includes(words), `${words} in ${text}`);
    }
  } finally {
    await ccp.close();
  }
});
