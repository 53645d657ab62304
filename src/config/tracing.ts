/**
 * The tracing settings: the `tracing:` block over OpenTelemetry's standard variables
 * (`OTEL_EXPORTER_OTLP_ENDPOINT`, `..._HEADERS`, `OTEL_SERVICE_NAME`, `OTEL_TRACES_SAMPLER`, ...),
 * so a team's usual collector settings work unchanged and a config file can still say otherwise.
 */

import type { TraceBatchSettings, TracingConfig } from "./types.ts";
import type { TracingSection } from "./schema/config.ts";
import { type EnvMap, envValue } from "./env/map.ts";
import { shownAddress } from "../core/secrets.ts";

/** One export waits this long unless `timeout` or `OTEL_EXPORTER_OTLP_TIMEOUT` says otherwise. */
const DEFAULT_TIMEOUT_MS = 10_000;

/** What the settings are built into: the config, or problems and warnings that say why not. */
export interface TracingBuilt {
  readonly tracing?: TracingConfig;
  /** Settings no export could use, each naming where it was written. */
  readonly problems: readonly string[];
  readonly warnings: readonly string[];
}

/** `tracing:` (when the file has one) over the variables; off without an endpoint. */
export function buildTracing(section: TracingSection | undefined, env: EnvMap): TracingBuilt {
  const problems: string[] = [];
  const warnings: string[] = [];
  const file = section ?? {};
  const fileDecides = file.endpoint !== undefined || file.traces_endpoint !== undefined ||
    file.enabled !== undefined;
  // The exporter's warning only where the variables decide.
  const envOff = envValue(env, "OTEL_SDK_DISABLED")?.toLowerCase() === "true" ||
    !exportsOtlp(env, fileDecides ? [] : warnings);
  const fileUrl = file.traces_endpoint !== undefined
    ? checkedUrl(file.traces_endpoint, "tracing.traces_endpoint", problems)
    : file.endpoint !== undefined
    ? checkedUrl(tracesPath(file.endpoint), "tracing.endpoint", problems)
    : undefined;
  if (problems.length > 0) return { problems, warnings };
  if (file.enabled === false) return { problems, warnings };
  // The two switches OpenTelemetry gives operators to turn tracing off win over a block's
  // endpoint too (a service's environment may have to silence every exporter on the machine);
  // only `enabled: true` says the block means it anyway.
  const killSwitch = killedBy(env);
  if (killSwitch !== undefined && file.enabled !== true) {
    if (fileUrl !== undefined) {
      warnings.push(
        `${killSwitch} turns tracing off, though the tracing: block names a collector ` +
          "(tracing.enabled: true traces over it)",
      );
    }
    return { problems, warnings };
  }
  // The variables count unless the block gives its own endpoint, or they turn tracing off.
  const envUrl = fileUrl !== undefined || (envOff && file.enabled !== true)
    ? undefined
    : envTracesUrl(env, warnings);
  // The block's own endpoint is ccp's alone; the protocol variables speak of the shared one.
  const url = fileUrl ?? (envUrl && spokenThere(envUrl, env, warnings) ? envUrl : undefined);
  if (url === undefined) {
    if (file.enabled === true) {
      problems.push(
        "tracing.enabled is true but no collector is named: set tracing.endpoint or " +
          "OTEL_EXPORTER_OTLP_ENDPOINT",
      );
    }
    return { problems, warnings };
  }
  // Headers follow the endpoint they came with: the variables' (often set for Claude Code's own
  // collector, with its key) go to the variables' collector only, never to another one a block
  // names; a block that names the same URL speaks of the same collector.
  const envHeadersCount = fileUrl === undefined || sameCollector(fileUrl, envTracesUrl(env, []));
  const headers = headersOf(file, env, envHeadersCount, problems, warnings);
  if (headers === undefined) return { problems, warnings };
  const leftOut = envHeadersCount ? undefined : envHeaderNames(env);
  const envResource = keyValues(envValue(env, "OTEL_RESOURCE_ATTRIBUTES"));
  const { "service.name": envServiceName, ...resource } = {
    ...envResource,
    ...file.resource_attributes,
  };
  const sampler = samplerOf(env, warnings);
  const tracing: TracingConfig = {
    url,
    headers,
    serviceName: file.service_name?.trim() || envValue(env, "OTEL_SERVICE_NAME") ||
      envServiceName || "ccp",
    resource,
    sampleRatio: file.sample_ratio ?? sampler.ratio,
    parentBased: sampler.parentBased,
    timeoutMs: file.timeout ?? envTimeout(env, warnings),
    compression: file.compression ?? envCompression(env, warnings),
    batch: batchSettings(env, warnings),
    from: section !== undefined && fileUrl !== undefined ? "config" : "environment",
    ...(file.enabled === true ? { enabledByBlock: true as const } : {}),
    ...(leftOut ? { leftOut } : {}),
  };
  return { tracing, problems, warnings };
}

/** The traces URL the variables name: the signal's own as it is, else the base's `/v1/traces`. */
function envTracesUrl(env: EnvMap, warnings: string[]): string | undefined {
  const own = envValue(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  const base = envValue(env, "OTEL_EXPORTER_OTLP_ENDPOINT");
  const [name, url] = own !== undefined
    ? ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", own]
    : base !== undefined
    ? ["OTEL_EXPORTER_OTLP_ENDPOINT", tracesPath(base)]
    : [undefined, undefined];
  if (name === undefined) return undefined;
  const problems: string[] = [];
  const checked = checkedUrl(url, name, problems);
  // A variable set for other programs too does not stop ccp: tracing stays off, and says why.
  warnings.push(...problems.map((p) => `${p}; tracing is off`));
  return checked;
}

/** The variable that turns every OpenTelemetry exporter off here, if one does. */
function killedBy(env: EnvMap): string | undefined {
  if (envValue(env, "OTEL_SDK_DISABLED")?.trim().toLowerCase() === "true") {
    return "OTEL_SDK_DISABLED=true";
  }
  // `none,none` says it as `none` does.
  const names = exporterNames(env);
  return names?.length === 1 && names[0] === "none"
    ? `OTEL_TRACES_EXPORTER=${envValue(env, "OTEL_TRACES_EXPORTER")!.trim()}`
    : undefined;
}

/** The exporters `OTEL_TRACES_EXPORTER` names, each once, blanks left out; undefined when unset. */
function exporterNames(env: EnvMap): string[] | undefined {
  const raw = envValue(env, "OTEL_TRACES_EXPORTER");
  if (raw === undefined) return undefined;
  return [...new Set(raw.split(",").map((n) => n.trim().toLowerCase()).filter((n) => n))];
}

/**
 * `OTEL_TRACES_EXPORTER` (unset or blank means `otlp`, as OpenTelemetry says): a list naming
 * `otlp` exports; `none` alone turns tracing off; beside other exporters `none` is ignored, as
 * OpenTelemetry's SDKs ignore it, and a list of exporters ccp lacks turns tracing off. Where a
 * collector is named, what does not trace as written is said.
 */
function exportsOtlp(env: EnvMap, warnings: string[]): boolean {
  const raw = envValue(env, "OTEL_TRACES_EXPORTER");
  const names = exporterNames(env) ?? [];
  if (names.length === 1 && names[0] === "none") return false;
  const others = names.filter((n) => n !== "none");
  const collector = envValue(env, "OTEL_EXPORTER_OTLP_ENDPOINT") ??
    envValue(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  if (others.length === 0 || others.includes("otlp")) {
    if (others.length < names.length && collector) {
      warnings.push(
        `OTEL_TRACES_EXPORTER is ${raw}: none beside other exporters is ignored, and ccp ` +
          "traces by otlp (OTEL_TRACES_EXPORTER=none alone turns it off)",
      );
    }
    return true;
  }
  if (collector) {
    warnings.push(
      `OTEL_TRACES_EXPORTER is ${raw}: ccp exports traces only by otlp; tracing is off ` +
        "(OTEL_TRACES_EXPORTER=otlp or a tracing: block turns it on)",
    );
  }
  return false;
}

/**
 * Whether ccp can send its OTLP/HTTP JSON to the collector the variables name. A gRPC one
 * (`grpc`, or OTLP's gRPC port 4317 with no protocol named) cannot take it, so the traces stay
 * home rather than fail at every batch; a protobuf one takes JSON on the same URL.
 */
function spokenThere(url: string, env: EnvMap, warnings: string[]): boolean {
  const [name, protocol] = [
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
  ].map((n) => [n, envValue(env, n)?.trim().toLowerCase()] as const).find(([, v]) => v) ??
    [undefined, undefined];
  const elsewhere = "to trace ccp, name an OTLP/HTTP endpoint (port 4318 by convention) in " +
    "tracing.endpoint, or in OTEL_EXPORTER_OTLP_TRACES_ENDPOINT with " +
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/json";
  const shown = shownAddress(url);
  if (protocol === "grpc" || (protocol === undefined && new URL(url).port === "4317")) {
    const why = protocol === "grpc" ? `${name} is grpc` : "port 4317 is OTLP's gRPC port";
    warnings.push(
      `${why}, and ccp sends traces only as OTLP/HTTP JSON: tracing is off, nothing is sent ` +
        `to ${shown}; ${elsewhere}`,
    );
    return false;
  }
  if (protocol !== undefined && protocol !== "http/json") {
    warnings.push(
      `${name} is ${protocol}; ccp sends its traces to ${shown} as OTLP/HTTP JSON, which ` +
        `OTLP/HTTP receivers take beside protobuf; if this one does not, ${elsewhere}`,
    );
  }
  return true;
}

/**
 * A base endpoint's traces URL: `/v1/traces` after its path (a trailing slash or not), before the
 * query it may hold. One that is no URL stays so, for `checkedUrl` to name.
 */
function tracesPath(base: string): string {
  const url = URL.canParse(base.trim()) ? new URL(base.trim()) : undefined;
  if (url === undefined) return base;
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/v1/traces`;
  return url.href;
}

/**
 * Whether two checked URLs name one collector: a trailing slash is a way of writing, not another
 * path (the default port and the host's letter case are already gone from a checked URL).
 */
function sameCollector(a: string, b: string | undefined): boolean {
  if (b === undefined) return false;
  const bare = (url: string) => {
    const parsed = new URL(url);
    parsed.pathname = parsed.pathname.replace(/\/+$/, "");
    return parsed.href;
  };
  return bare(a) === bare(b);
}

/** `url` when it is an http(s) URL, else a problem naming `where`. */
function checkedUrl(url: string, where: string, problems: string[]): string | undefined {
  const parsed = URL.canParse(url.trim()) ? new URL(url.trim()) : undefined;
  if (parsed && (parsed.protocol === "http:" || parsed.protocol === "https:")) {
    return parsed.href;
  }
  problems.push(`${where}: expected an http:// or https:// URL of an OTLP collector`);
  return undefined;
}

/**
 * `k1=v1,k2=v2` as OpenTelemetry writes headers and resource attributes (values
 * percent-encoded); a pair without `=` is skipped.
 */
function keyValues(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of text?.split(",") ?? []) {
    const eq = pair.indexOf("=");
    if (eq <= 0) continue;
    const key = pair.slice(0, eq).trim();
    const raw = pair.slice(eq + 1).trim();
    if (key === "") continue;
    try {
      out[decodeURIComponent(key)] = decodeURIComponent(raw);
    } catch {
      out[key] = raw;
    }
  }
  return out;
}

/** The variables that give the collector's headers, the shared one first. */
const ENV_HEADERS = ["OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"];

/**
 * The collector's headers: the variables' (when they count), then the block's. One no request can carry (fetch
 * would refuse every export) refuses the block, or, in a variable set for other programs too,
 * turns tracing off; either says which, never its value.
 */
function headersOf(
  file: TracingSection,
  env: EnvMap,
  envHeadersCount: boolean,
  problems: string[],
  warnings: string[],
): Record<string, string> | undefined {
  const envNames = envHeadersCount ? ENV_HEADERS : [];
  const sources = [
    ...envNames.map((name) => [name, keyValues(envValue(env, name))] as const),
    ["tracing.headers", file.headers ?? {}] as const,
  ];
  for (const [where, headers] of sources) {
    for (const [name, value] of Object.entries(headers)) {
      const why = !HEADER_NAME.test(name)
        ? "a header name holds a space or a sign no name may hold"
        : !HEADER_VALUE.test(value)
        ? `the value of ${name} holds a line break or a character past Latin-1`
        : undefined;
      if (why === undefined) continue;
      if (where === "tracing.headers") problems.push(`${where}: ${why}`);
      else warnings.push(`${where}: ${why}; tracing is off`);
      return undefined;
    }
  }
  return sameHeaders(sources.map(([, headers]) => headers));
}

/** The names of the headers each of the variables sets, none when neither sets any. */
function envHeaderNames(env: EnvMap): Record<string, string[]> | undefined {
  const named = ENV_HEADERS
    .map((name) => [name, Object.keys(keyValues(envValue(env, name)))] as const)
    .filter(([, names]) => names.length > 0);
  return named.length > 0 ? Object.fromEntries(named) : undefined;
}

// What an HTTP header's name (a token) and value (Latin-1 but NUL and line breaks) may hold.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[^\0\r\n\u0100-\uffff]*$/;

/**
 * Headers from several sources, a later one's winning over an earlier one's of the same name in
 * any letter case: sent as two, they would reach the collector joined into one value.
 */
function sameHeaders(sources: readonly Readonly<Record<string, string>>[]): Record<string, string> {
  const byName = new Map<string, [string, string]>();
  for (const source of sources) {
    for (const [name, value] of Object.entries(source)) {
      byName.set(name.toLowerCase(), [name, value]);
    }
  }
  return Object.fromEntries(byName.values());
}

/** The sampler the variables name; OpenTelemetry's default keeps every trace a parent keeps. */
function samplerOf(env: EnvMap, warnings: string[]): { ratio: number; parentBased: boolean } {
  const name = envValue(env, "OTEL_TRACES_SAMPLER")?.toLowerCase() ?? "parentbased_always_on";
  const arg = envValue(env, "OTEL_TRACES_SAMPLER_ARG");
  const parentBased = name.startsWith("parentbased_");
  switch (name.replace(/^parentbased_/, "")) {
    case "always_on":
      return { ratio: 1, parentBased };
    case "always_off":
      return { ratio: 0, parentBased };
    case "traceidratio": {
      const n = arg === undefined ? 1 : Number(arg);
      if (Number.isFinite(n) && n >= 0 && n <= 1) return { ratio: n, parentBased };
      warnings.push(`OTEL_TRACES_SAMPLER_ARG: expected a ratio from 0 to 1, got "${arg}"; using 1`);
      return { ratio: 1, parentBased };
    }
  }
  warnings.push(
    `OTEL_TRACES_SAMPLER: unknown sampler "${name}" (ccp knows always_on, always_off, ` +
      "traceidratio and their parentbased_ forms); keeping every trace",
  );
  return { ratio: 1, parentBased: true };
}

/** `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT` or `OTEL_EXPORTER_OTLP_TIMEOUT`, in milliseconds. */
function envTimeout(env: EnvMap, warnings: string[]): number {
  for (const name of ["OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT"]) {
    const raw = envValue(env, name);
    if (raw === undefined) continue;
    if (/^\d+$/.test(raw) && Number(raw) > 0) return Number(raw);
    warnings.push(`${name}: expected milliseconds, got "${raw}"; using ${DEFAULT_TIMEOUT_MS}`);
  }
  return DEFAULT_TIMEOUT_MS;
}

/**
 * `OTEL_EXPORTER_OTLP_TRACES_COMPRESSION` or `OTEL_EXPORTER_OTLP_COMPRESSION`: `gzip` or `none`
 * (the default). Another value keeps the body as it is and says so, naming the accepted ones.
 */
function envCompression(env: EnvMap, warnings: string[]): "gzip" | "none" {
  for (const name of ["OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "OTEL_EXPORTER_OTLP_COMPRESSION"]) {
    const raw = envValue(env, name);
    if (raw === undefined) continue;
    const value = raw.trim().toLowerCase();
    if (value === "gzip" || value === "none") return value;
    warnings.push(`${name}: expected gzip or none, got "${raw}"; sending traces uncompressed`);
    return "none";
  }
  return "none";
}

/** The batch processor's variables: each a whole number of spans or milliseconds. */
const BATCH_VARIABLES = [
  ["OTEL_BSP_MAX_QUEUE_SIZE", "maxQueue", 2048, 1],
  ["OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "maxBatch", 512, 1],
  ["OTEL_BSP_SCHEDULE_DELAY", "delayMs", 5000, 0],
  ["OTEL_BSP_EXPORT_TIMEOUT", "exportTimeoutMs", 30_000, 0],
] as const;

/**
 * `OTEL_BSP_*`: the queue's and a batch's size (positive), the delay and the export's bound
 * (milliseconds, 0 or more; a bound of 0 is none). A value that is not one keeps the default and
 * says so; a batch larger than the queue is cut to it, as a batch can hold no more than waits.
 */
function batchSettings(env: EnvMap, warnings: string[]): TraceBatchSettings {
  const out: { -readonly [K in keyof TraceBatchSettings]: number } = {};
  for (const [name, key, fallback, least] of BATCH_VARIABLES) {
    const raw = envValue(env, name);
    if (raw === undefined) continue;
    if (/^\d+$/.test(raw) && Number(raw) >= least) out[key] = Number(raw);
    else {
      const expected = least > 0 ? "a whole number above 0" : "a whole number of milliseconds";
      warnings.push(`${name}: expected ${expected}, got "${raw}"; using ${fallback}`);
    }
  }
  const queue = out.maxQueue ?? 2048;
  if (out.maxBatch !== undefined && out.maxBatch > queue) {
    warnings.push(
      `OTEL_BSP_MAX_EXPORT_BATCH_SIZE is above the queue's size; using ${queue}`,
    );
  }
  if ((out.maxBatch ?? 512) > queue) out.maxBatch = queue;
  return out;
}
