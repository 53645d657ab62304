/**
 * A parameter one server refused is left out for that provider id from then on. A reload that
 * points the id at another server must not carry the lesson there: a `thinking` field an older
 * compatible server refused would otherwise never reach the new one, and the session's model would
 * stop thinking until ccp restarts.
 */

import assert from "node:assert/strict";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { invalidRequest, startRecordingUpstream } from "../helpers/recording_upstream.ts";

type Obj = Record<string, unknown>;

/** An Anthropic-compatible server; `refusesThinking`: it answers 400 to a body with `thinking`. */
function startServer(refusesThinking: boolean) {
  return startRecordingUpstream((body) =>
    refusesThinking && body.thinking !== undefined
      ? invalidRequest("thinking: Extra inputs are not permitted")
      : undefined
  );
}

const config = (baseUrl: string) =>
  testConfig({
    providers: [provider("main", { baseUrl, apiKeys: ["sk-main"], maxRetries: 0 })],
    routes: { default: "main/glm-5" },
  });

const ask = async (url: string) => {
  const res = await postMessages(url, {
    model: "claude-sonnet-4-5",
    max_tokens: 2000,
    thinking: { type: "enabled", budget_tokens: 1024 },
    messages: [{ role: "user", content: "hi" }],
  });
  assert.equal(res.status, 200, await res.clone().text());
  await res.body?.cancel();
};

Deno.test("a reload that points a provider id at another server forgets the parameters the old one refused", async () => {
  const old = startServer(true);
  const next = startServer(false);
  const ccp = startCcp(config(old.url));
  try {
    await ask(ccp.url);
    // Refused, then sent again without it.
    assert.deepEqual(old.bodies.map((b) => b.thinking !== undefined), [true, false]);
    // A reload that leaves the provider where it was keeps the lesson: no refused round trip.
    ccp.setConfig(config(old.url));
    await ask(ccp.url);
    assert.equal(old.bodies.length, 3);
    assert.equal(old.bodies[2]!.thinking, undefined);
    // The id now names a server that thinks: it gets the request's thinking.
    ccp.setConfig(config(next.url));
    await ask(ccp.url);
    assert.deepEqual(next.bodies.map((b) => b.thinking), [{
      type: "enabled",
      budget_tokens: 1024,
    }]);
  } finally {
    await ccp.close();
    await old.close();
    await next.close();
  }
});
