/** ccp in-process with one provider per wire protocol, all answered by one fake upstream. */

import type { FetchLike } from "../../src/upstream/http/clients.ts";
import { type TestApp, testApp } from "./ccp.ts";
import { provider, testConfig } from "./config.ts";

/** The providers, named after their protocols (`anthropic/m`, `openai/m`, …), never retried. */
const EVERY_PROTOCOL = [
  provider("anthropic", { type: "anthropic", baseUrl: "http://up.test", apiKeys: ["k"] }),
  provider("openai", { type: "openai", baseUrl: "http://up.test/v1", apiKeys: ["k"] }),
  provider("openai_responses", {
    type: "openai_responses",
    baseUrl: "http://up.test/v1",
    apiKeys: ["k"],
  }),
  provider("gemini", { type: "gemini", baseUrl: "http://up.test/v1beta", apiKeys: ["k"] }),
].map((p) => ({ ...p, maxRetries: 0 }));

/** The app, whose every upstream request `upstream` answers. */
export function everyProtocolApp(upstream: FetchLike): TestApp["app"] {
  const config = testConfig({ providers: EVERY_PROTOCOL, routes: { default: "anthropic/m" } });
  return testApp(config, { fetch: upstream }).app;
}

/** POSTs a Messages request to `app` in-process and returns its status and body text. */
export async function askMessages(
  app: TestApp["app"],
  body: Record<string, unknown>,
): Promise<{ status: number; text: string }> {
  const res = await app.fetch(
    new Request("http://ccp.test/v1/messages", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  );
  return { status: res.status, text: await res.text() };
}
