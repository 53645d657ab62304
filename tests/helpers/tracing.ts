/** Tracing settings and a config carrying them, as the exporter's tests build them. */

import type { Config, TracingConfig } from "../../src/config/types.ts";
import type { RequestRecord } from "../../src/pipeline/record.ts";
import { provider, testConfig } from "./config.ts";
import { servedRecord } from "./records.ts";

/** Traces to `url`'s collector, everything sampled, nothing compressed; `over` changes any part. */
export function tracingConfig(url: string, over: Partial<TracingConfig> = {}): TracingConfig {
  return {
    url: `${url}/v1/traces`,
    headers: {},
    serviceName: "ccp",
    resource: {},
    sampleRatio: 1,
    parentBased: true,
    timeoutMs: 2_000,
    compression: "none",
    batch: {},
    from: "config",
    ...over,
  };
}

/** A one-provider config (`up/m`), traced by `t` when given. */
export function configWithTracing(t: TracingConfig | undefined): Config {
  const base = testConfig({ providers: [provider("up")], routes: { default: "up/m" } });
  return t ? { ...base, tracing: t } : base;
}

/** Request `i` of the config above, answered by `up/m` on its first key. */
export function upRecord(i: number): RequestRecord {
  return servedRecord({
    id: `req_${i}`,
    attempts: [{
      provider: "up",
      model: "m",
      keyLabel: "key 1 (...abcd)",
      status: 200,
      outcome: "answered",
      startedAt: Date.now(),
      durationMs: 1,
    }],
  });
}
