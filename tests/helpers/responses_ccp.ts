/** A mock Responses API upstream and a ccp whose default route goes to it, disposed together. */

import type { ProviderConfig } from "../../src/config/types.ts";
import { type RunningCcp, startCcp } from "./ccp.ts";
import { provider, testConfig } from "./config.ts";
import { type ResponsesMock, startResponsesMock } from "../mocks/responses_mock.ts";
import type { ResponsesScript } from "../mocks/responses_wire.ts";

/** The mock, the ccp in front of it, and their disposal. */
export interface ResponsesCcp extends AsyncDisposable {
  readonly mock: ResponsesMock;
  readonly ccp: RunningCcp;
}

/** The key the mock accepts by default. */
export const RESPONSES_KEY = "sk-test-responses-key";

/**
 * Starts the mock answering with `script` and a ccp routing `default` to `codex/<model>` on it
 * (the `openai_responses` preset, no retries); `over` changes the provider.
 */
export function startResponsesCcp(
  script: (body: Record<string, unknown>, n: number) => ResponsesScript,
  model = "gpt-5.1-codex",
  over: Partial<ProviderConfig> = {},
): ResponsesCcp {
  const mock = startResponsesMock(script);
  const ccp = startCcp(testConfig({
    providers: [
      provider("codex", {
        type: "openai_responses",
        preset: "openai_responses",
        baseUrl: mock.url,
        apiKeys: [RESPONSES_KEY],
        authHeader: "bearer",
        maxRetries: 0,
        ...over,
      }),
    ],
    routes: { default: `codex/${model}` },
  }));
  return {
    mock,
    ccp,
    async [Symbol.asyncDispose]() {
      await ccp.close();
      await mock.close();
    },
  };
}
