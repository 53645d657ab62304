/** POST /v1/messages/count_tokens: ask an Anthropic upstream that can, else count locally. */

import type { Context } from "hono";
import { countTokensRequestSchema, validateRequest } from "../../protocols/anthropic_request.ts";
import { resolveModel } from "../../routing/resolve.ts";
import { callAnthropic } from "../../upstream/anthropic/anthropic.ts";
import { cleanFor } from "../../upstream/cleaning/resolve.ts";
import { filterBetaHeader } from "../../upstream/http/headers.ts";
import { readJsonBody } from "../body.ts";
import { tokenSuffix } from "../auth.ts";
import type { AppDeps, AppEnv } from "../deps.ts";
import { logRecord } from "../request_log.ts";

/** Builds the handler for POST /v1/messages/count_tokens. */
export function countTokensHandler(deps: AppDeps): (c: Context<AppEnv>) => Promise<Response> {
  return async (c) => {
    const config = deps.config();
    const started = deps.now();
    const raw = c.req.raw;
    const body = validateRequest(
      countTokensRequestSchema,
      await readJsonBody(raw, config.server.maxBodyBytes),
    );
    const resolution = resolveModel(
      { model: body.model, urlPrefix: c.env.routePrefix, tokenSuffix: tokenSuffix(raw.headers) },
      config,
    );
    const target = resolution.chain[0];
    const provider = target ? config.providers[target.provider] : undefined;
    let via = "local";
    let inputTokens: number | undefined;
    if (target && provider?.type === "anthropic" && provider.countTokens) {
      inputTokens = await askUpstream(deps, provider, target.model, body, raw);
      if (inputTokens !== undefined) via = `${provider.id}/${target.model}`;
    }
    inputTokens ??= await deps.countTokens(body);
    logRecord(deps.log, {
      method: raw.method,
      path: c.env.path,
      model: body.model,
      target: via,
      status: 200,
      durationMs: deps.now() - started,
      inputTokens,
    });
    return Response.json({ input_tokens: inputTokens });
  };
}

/** The upstream's count, or undefined when it cannot give one (then ccp counts locally). */
async function askUpstream(
  deps: AppDeps,
  provider: Parameters<typeof callAnthropic>[0]["provider"],
  model: string,
  body: Record<string, unknown>,
  raw: Request,
): Promise<number | undefined> {
  try {
    // The same cleaning as /v1/messages, so a strict endpoint counts what it would be sent.
    const cleaning = cleanFor(provider);
    const result = await callAnthropic({
      provider,
      model,
      body: cleaning.body(body),
      clientHeaders: filterBetaHeader(raw.headers, cleaning.betas),
      key: provider.apiKeys[0],
      signal: AbortSignal.any([raw.signal, AbortSignal.timeout(10_000)]),
      fetch: deps.fetch,
      path: "messages/count_tokens",
    });
    if (!result.ok) {
      deps.log.debug(`count_tokens upstream failed, counting locally: ${result.error.message}`);
      return undefined;
    }
    const json = await result.response.json() as { input_tokens?: unknown };
    return typeof json.input_tokens === "number" ? json.input_tokens : undefined;
  } catch (error) {
    if (raw.signal.aborted) throw error;
    deps.log.debug(`count_tokens upstream failed, counting locally: ${String(error)}`);
    return undefined;
  }
}
