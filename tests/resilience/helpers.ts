/** Shared fixtures for dispatcher tests: provider configs and a scripted transport. */

import { protocolParts } from "../../src/config/provider_build.ts";
import type { ProviderConfig } from "../../src/config/types.ts";
import type { DispatchTarget } from "../../src/resilience/dispatcher.ts";
import type { AttemptFailed, AttemptFn } from "../../src/resilience/dispatcher_options.ts";

/** A provider config with quiet defaults (no retries, no fallback statuses, no limits). */
export function provider(id: string, overrides: Partial<ProviderConfig> = {}): ProviderConfig {
  return {
    ...protocolParts({ baseUrl: `https://${id}.example/v1` }),
    id,
    type: "openai",
    baseUrl: `https://${id}.example/v1`,
    apiKeys: [],
    authHeader: "bearer",
    auth: "key",
    headers: {},
    models: [],
    timeouts: { connectMs: 0, firstByteMs: 0, idleMs: 0, totalMs: 0 },
    maxRetries: 0,
    fallbackOn: [],
    keyUsageLimit: 0,
    countTokens: false,
    implicit: false,
    ...overrides,
  };
}

/** What a successful scripted attempt returns. */
export type Ok = { readonly ok: true; readonly response: Response };

/** One scripted answer: a failure, `"ok"`, or a function of the call's signal. */
export type Step =
  | "ok"
  | Omit<AttemptFailed, "ok">
  | ((signal: AbortSignal) => Promise<Ok | AttemptFailed>);

/** Records every call and answers from a per-provider script (the last step repeats). */
export function scripted(
  script: Record<string, Step[]>,
): { calls: string[]; attempt: AttemptFn<Ok> } {
  const calls: string[] = [];
  const attempt = (target: DispatchTarget, key: string | undefined, signal: AbortSignal) => {
    calls.push(`${target.provider.id}/${target.model}${key ? ` ${key}` : ""}`);
    const steps = script[target.provider.id] ?? ["ok"];
    const step = steps.length > 1 ? steps.shift()! : steps[0]!;
    if (step === "ok") {
      return Promise.resolve<Ok>({
        ok: true,
        response: new Response(`hello from ${target.provider.id}`),
      });
    }
    if (typeof step === "function") return step(signal);
    return Promise.resolve<AttemptFailed>({ ok: false, ...step });
  };
  return { calls, attempt };
}

/** Headers helper. */
export function h(init: Record<string, string>): Headers {
  return new Headers(init);
}
