/** A request in flight when the config is reloaded finishes on the config it started with. */

import assert from "node:assert/strict";
import type { Config } from "../../src/config/types.ts";
import { testApp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { textMessage } from "../mocks/anthropic_fixtures.ts";

function configWith(temperature: number): Config {
  return {
    ...testConfig({
      providers: [provider("up", {
        apiKeys: ["sk-up-00000000000000001"],
        retryDelay: { baseMs: 1, maxMs: 1 },
      })],
      routes: { default: ["up/m", "up/n"] },
    }),
    transforms: { up: { set: { temperature } } },
  };
}

Deno.test("a failover after a reload sends the transforms the request started with", async () => {
  const sent: unknown[] = [];
  let swap: (config: Config) => void = () => {};
  const fetch = async (_url: string | URL | Request, init?: RequestInit) => {
    sent.push((await new Response(init?.body).json()).temperature);
    if (sent.length === 1) {
      // The user edits the transforms and sends SIGHUP before the request fails over.
      swap(configWith(0.9));
      return Response.json(
        { type: "error", error: { type: "overloaded_error", message: "busy" } },
        { status: 503 },
      );
    }
    return Response.json(textMessage("m", { input_tokens: 3, output_tokens: 1 }));
  };
  const { app, setConfig } = testApp(configWith(0.1), { fetch });
  swap = setConfig;
  const answer = await app.fetch(
    new Request("http://ccp/v1/messages", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "x",
        max_tokens: 5,
        messages: [{ role: "user", content: "hi" }],
      }),
    }),
  );
  assert.equal(answer.status, 200, await answer.clone().text());
  await answer.body?.cancel();
  assert.deepEqual(sent, [0.1, 0.1]);
});
