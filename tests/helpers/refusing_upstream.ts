/**
 * One "hi" from Claude Code through ccp to a single provider whose upstream refuses every request
 * with the same answer: what ccp told the client, and how often the upstream was asked.
 */

import type { ProviderConfig } from "../../src/config/types.ts";
import { postMessages, startCcp } from "./ccp.ts";
import { testConfig } from "./config.ts";

/** ccp's answer (read whole) and the number of upstream requests it made for it. */
export interface RefusedAsk {
  res: Response;
  // deno-lint-ignore no-explicit-any -- an Anthropic error body, read by the caller's asserts
  answer: any;
  asked: number;
}

/**
 * Serves `refusal` as the upstream's status and JSON body, starts ccp with the provider
 * `providerAt` builds for the upstream's origin and `route` as its default, and sends one request.
 */
export async function askRefusingUpstream(
  refusal: { status: number; body: string },
  providerAt: (origin: string) => ProviderConfig,
  route: string,
): Promise<RefusedAsk> {
  let asked = 0;
  const upstream = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    asked++;
    await req.body?.cancel();
    return new Response(refusal.body, {
      status: refusal.status,
      headers: { "content-type": "application/json" },
    });
  });
  const ccp = startCcp(
    testConfig({
      providers: [providerAt(`http://127.0.0.1:${upstream.addr.port}`)],
      routes: { default: route },
    }),
  );
  try {
    const body = {
      model: "claude-sonnet-4-5",
      max_tokens: 64,
      messages: [{ role: "user", content: "hi" }],
    };
    const res = await postMessages(ccp.url, body, { "anthropic-version": "2023-06-01" });
    const answer = await res.json();
    return { res, answer, asked };
  } finally {
    await ccp.close();
    await upstream.shutdown();
  }
}
