/** `ccp check`'s line on request traces: where they go and which share of them. */

import type { Config, TracingConfig } from "../config/types.ts";
import { shownAddress } from "../core/secrets.ts";

/** The line, or none when tracing is off. Header names only: their values hold a key. */
export function tracingLines(config: Config): string[] {
  const t = config.tracing;
  if (!t) return [];
  const headers = Object.keys(t.headers);
  const share = t.sampleRatio >= 1 ? "every trace" : `${round(t.sampleRatio * 100)}% of traces`;
  const parent = t.parentBased ? ", or as a caller's traceparent decides" : "";
  const from = t.from === "config" ? "tracing:" : "OTEL_* variables";
  return [
    `Tracing: OTLP/HTTP JSON to ${shownAddress(t.url)} as service ${t.serviceName}; ` +
    `${share}${parent}; timeout ${t.timeoutMs} ms` +
    (t.compression === "gzip" ? "; gzip" : "") +
    (headers.length > 0 ? `; headers ${headers.join(", ")}` : "") + ` (from ${from})` +
    leftOutText(t.leftOut),
  ];
}

// The variables' headers a block's own collector is not sent (they carry another collector's key).
function leftOutText(leftOut: TracingConfig["leftOut"]): string {
  if (!leftOut) return "";
  const named = Object.entries(leftOut).map(([name, headers]) => `${name} (${headers.join(", ")})`);
  return `; not sent there, as they go to the variables' own collector: ${named.join(", ")}`;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
