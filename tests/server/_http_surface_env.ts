/**
 * What the HTTP surface tests of the server share: a ccp with a token, two Anthropic providers
 * on one mock, tiers, a fallback chain and an alias, and a small request body.
 */

import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";

export const TOKEN = "ccp-secret";
export const body = (over: Record<string, unknown> = {}): string =>
  JSON.stringify({
    model: "claude-sonnet-4-5",
    max_tokens: 100,
    messages: [{ role: "user", content: "hi" }],
    ...over,
  });

/** Runs `run` against a ccp whose providers `up` and `alt` are both the mock answering `replies`. */
export async function withCcp(
  replies: Parameters<typeof startAnthropicMock>[0],
  run: (
    ccp: ReturnType<typeof startCcp>,
    mock: ReturnType<typeof startAnthropicMock>,
  ) => Promise<void>,
  over: { maxBodyBytes?: number; countTokens?: boolean; models?: string[] } = {},
): Promise<void> {
  const mock = startAnthropicMock(replies);
  const ccp = startCcp(testConfig({
    providers: [
      provider("up", {
        baseUrl: mock.url,
        apiKeys: ["k-1234567890"],
        countTokens: over.countTokens ?? true,
        models: over.models ?? [],
      }),
      provider("alt", { baseUrl: mock.url, models: ["alt-model"] }),
    ],
    routes: { default: "up/def", sonnet: "up/son", haiku: ["alt/h1", "up/h2"] },
    aliases: { "my-fast": "alt/fast" },
    authToken: TOKEN,
    maxBodyBytes: over.maxBodyBytes,
  }));
  try {
    await run(ccp, mock);
  } finally {
    await ccp.close();
    await mock.close();
  }
}

export const auth = { "content-type": "application/json", authorization: `Bearer ${TOKEN}` };
