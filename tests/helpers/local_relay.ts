/** ccp relaying to a scripted local server: the Anthropic relay's tests of what servers repeat. */

import { startCcp } from "./ccp.ts";
import { provider, testConfig } from "./config.ts";
import type { LocalServer } from "../mocks/local_servers.ts";

/**
 * Runs `use` with `ask`, which POSTs `body` to a ccp whose one target is `server` under `preset`
 * (its dialect's own, or `anthropic` for the real API's relay), then closes both.
 */
export async function withLocalRelay(
  server: LocalServer,
  preset: string,
  use: (ask: (body: Record<string, unknown>) => Promise<Response>) => Promise<void>,
): Promise<void> {
  // Ollama, and the Anthropic relay, take the server's root; the others its `/v1`.
  const baseUrl = server.dialect.id === "ollama" || preset === "anthropic"
    ? server.url
    : `${server.url}/v1`;
  const ccp = startCcp(testConfig({
    providers: [provider("local", { preset, baseUrl, maxRetries: 0 })],
    routes: { default: "local/local-model" },
  }));
  const ask = (body: Record<string, unknown>) =>
    fetch(`${ccp.url}/v1/messages?beta=true`, {
      method: "POST",
      headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
      body: JSON.stringify(body),
    });
  try {
    await use(ask);
  } finally {
    await ccp.close();
    await server.close();
  }
}
