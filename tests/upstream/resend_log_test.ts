/**
 * Each request ccp sends again to the same upstream, changed after a refusal, is one line of the
 * log naming the provider and model and what changed: the line that says what was learned, or,
 * when nothing was (the room a balance leaves, a refusal the retry met again), a line of its own.
 * Never the prompt, never the key.
 */

import assert from "node:assert/strict";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { startRecordingUpstream } from "../helpers/recording_upstream.ts";

type Obj = Record<string, unknown>;
const KEY = "sk-resend-0123456789abcdef";
const PROMPT = "the words of a private prompt";

/** An Anthropic-compatible server answering each body with `answer` (undefined: a message). */
const startServer = startRecordingUpstream;

const refuseThinking = () =>
  Response.json({
    type: "error",
    error: { type: "invalid_request_error", message: "thinking: Extra inputs are not permitted" },
  }, { status: 400 });

async function run(answer: (body: Obj) => Response | undefined) {
  const up = startServer(answer);
  const ccp = startCcp(testConfig({
    providers: [provider("main", { baseUrl: up.url, apiKeys: [KEY], maxRetries: 0 })],
    routes: { default: "main/glm-5" },
  }));
  try {
    const res = await postMessages(ccp.url, {
      model: "claude-sonnet-4-5",
      max_tokens: 32000,
      thinking: { type: "enabled", budget_tokens: 1024 },
      messages: [{ role: "user", content: PROMPT }],
    });
    await res.body?.cancel();
    // The lines about a re-send: "sent again" is in each.
    const lines = ccp.logs.filter((l) => l.includes("sent again"));
    for (const line of lines) {
      assert.ok(!line.includes(PROMPT) && !line.includes(KEY), line);
    }
    return { status: res.status, bodies: up.bodies, lines };
  } finally {
    await ccp.close();
    await up.close();
  }
}

Deno.test("a refusal learned: its one line says what was left out from now on", async () => {
  const { status, bodies, lines } = await run((b) =>
    b.thinking !== undefined ? refuseThinking() : undefined
  );
  assert.equal(status, 200);
  assert.equal(bodies.length, 2);
  assert.equal(lines.length, 1, lines.join(""));
  assert.match(
    lines[0]!,
    /WARN {2}provider "main" model "glm-5" does not accept "thinking": sent again without it, and left out from now on/,
  );
});

Deno.test("a refusal the re-send meets again (the client's words quoted back): not learned, and still one line", async () => {
  const { status, bodies, lines } = await run(refuseThinking);
  assert.equal(status, 400);
  assert.equal(bodies.length, 2);
  assert.equal(lines.length, 1, lines.join(""));
  assert.match(
    lines[0]!,
    /INFO {2}provider "main" model "glm-5" answered 400: "thinking" refused: sent again without it\n$/,
  );
});

Deno.test("the output a balance cannot pay for: sent again with what fits, in one line", async () => {
  const { status, bodies, lines } = await run((b) =>
    b.max_tokens === 32000
      ? Response.json({
        error: {
          message: "This request requires more credits, or fewer max_tokens. You requested up " +
            "to 32000 tokens, but can only afford 12345. To increase, visit " +
            "https://openrouter.ai/settings/credits and upgrade to a paid account",
          code: 402,
        },
      }, { status: 402 })
      : undefined
  );
  assert.equal(status, 200);
  assert.deepEqual(bodies.map((b) => b.max_tokens), [32000, 12345]);
  assert.equal(lines.length, 1, lines.join(""));
  assert.match(
    lines[0]!,
    /INFO {2}provider "main" model "glm-5" answered 402: the output asked for refused: sent again with max_tokens<=12345\n$/,
  );
});
