/**
 * A mock OTLP/HTTP collector on 127.0.0.1 that takes `POST /v1/traces` with JSON and checks each
 * export strictly as the OTLP specification's JSON mapping defines it: lowerCamelCase keys and no
 * others, hex ids of the right length, 64-bit integers as decimal strings, enums as integers, one
 * value kind per attribute. A body that breaks a rule is answered 400 and its problems kept.
 */

/** An attribute as exported. */
export interface Attr {
  key: string;
  value: Record<string, unknown>;
}

/** A span as exported. */
export interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Attr[];
  status?: { code: number; message?: string };
  flags?: number;
}

/** One export the collector received. */
export interface Export {
  headers: Headers;
  /** The body as text, exactly as it arrived (after gunzip, when it came gzip-compressed). */
  text: string;
  /** The body's size in bytes as it arrived (compressed, when it was). */
  size: number;
  resource: Attr[];
  spans: Span[];
}

/** What the collector answers next: a status (with headers), after a delay; the last repeats. */
export interface CollectorReply {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  delayMs?: number;
}

/** A running collector. */
export interface Collector {
  url: string;
  exports: Export[];
  /** Every request that arrived, shape-checked or not. */
  requests: number;
  /** The rules each refused body broke. */
  problems: string[];
  replies: CollectorReply[];
  spans(): Span[];
  close(): Promise<void>;
}

/** Starts a collector on an ephemeral port. */
export function startCollector(replies: CollectorReply[] = []): Collector {
  const collector: Collector = {
    url: "",
    exports: [],
    requests: 0,
    problems: [],
    replies,
    spans: () => collector.exports.flatMap((e) => e.spans),
    close: async () => {},
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const reply = collector.replies[Math.min(collector.requests, collector.replies.length - 1)] ??
      {};
    collector.requests++;
    const bytes = new Uint8Array(await req.arrayBuffer());
    if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    const problems: string[] = [];
    const text = await decoded(bytes, req.headers.get("content-encoding"), problems);
    if (req.method !== "POST") problems.push(`method ${req.method}`);
    if (new URL(req.url).pathname !== "/v1/traces") problems.push(`path ${req.url}`);
    if (req.headers.get("content-type") !== "application/json") {
      problems.push(`content-type ${req.headers.get("content-type")}`);
    }
    let parsed: unknown;
    try {
      if (problems.length === 0) parsed = JSON.parse(text);
    } catch {
      problems.push("body is no JSON");
    }
    const checked = problems.length === 0 ? checkRequest(parsed, problems) : undefined;
    if (problems.length > 0 || !checked) {
      collector.problems.push(...problems);
      return Response.json({ message: problems.join("; ") }, { status: 400 });
    }
    const status = reply.status ?? 200;
    if (status === 200) {
      collector.exports.push({ headers: req.headers, text, size: bytes.length, ...checked });
    }
    return new Response(reply.body ?? "{}", {
      status,
      headers: { "content-type": "application/json", ...reply.headers },
    });
  });
  collector.url = `http://127.0.0.1:${server.addr.port}`;
  collector.close = () => server.shutdown();
  return collector;
}

type Problems = string[];

const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * The body as text, gunzipped when its `Content-Encoding` says gzip (as OTLP/HTTP allows). A body
 * whose header lies is refused: gzip said and not gzip, or gzip bytes with no such header.
 */
async function decoded(
  bytes: Uint8Array<ArrayBuffer>,
  encoding: string | null,
  p: Problems,
): Promise<string> {
  const isGzip = bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
  const said = encoding?.trim().toLowerCase() ?? "identity";
  if (said === "gzip") {
    if (!isGzip) {
      p.push("content-encoding gzip, but the body is not gzip");
      return "";
    }
    try {
      const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
      return await new Response(stream).text();
    } catch {
      p.push("content-encoding gzip, but the body does not gunzip");
      return "";
    }
  }
  if (said !== "identity") p.push(`content-encoding ${said} is not one OTLP/HTTP takes`);
  else if (isGzip) p.push("a gzip body without content-encoding: gzip");
  return new TextDecoder().decode(bytes);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Keys outside `allowed` are reported (the snake_case names are not valid OTLP JSON). */
function onlyKeys(value: Record<string, unknown>, allowed: string[], at: string, p: Problems) {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) p.push(`${at}: unknown key ${key}`);
  }
}

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const DECIMAL = /^(0|[1-9]\d*)$/;

function checkRequest(
  body: unknown,
  p: Problems,
): { resource: Attr[]; spans: Span[] } | undefined {
  if (!isObject(body) || !Array.isArray(body.resourceSpans)) {
    p.push("no resourceSpans list");
    return undefined;
  }
  onlyKeys(body, ["resourceSpans"], "request", p);
  const resource: Attr[] = [];
  const spans: Span[] = [];
  for (const [i, rs] of body.resourceSpans.entries()) {
    const at = `resourceSpans[${i}]`;
    if (!isObject(rs)) {
      p.push(`${at}: not an object`);
      continue;
    }
    onlyKeys(rs, ["resource", "scopeSpans", "schemaUrl"], at, p);
    if (!isObject(rs.resource)) p.push(`${at}.resource missing`);
    else {
      onlyKeys(rs.resource, ["attributes", "droppedAttributesCount"], `${at}.resource`, p);
      resource.push(...checkAttributes(rs.resource.attributes, `${at}.resource`, p));
    }
    if (!Array.isArray(rs.scopeSpans) || rs.scopeSpans.length === 0) {
      p.push(`${at}.scopeSpans missing`);
      continue;
    }
    for (const [j, ss] of rs.scopeSpans.entries()) {
      const sat = `${at}.scopeSpans[${j}]`;
      if (!isObject(ss)) {
        p.push(`${sat}: not an object`);
        continue;
      }
      onlyKeys(ss, ["scope", "spans", "schemaUrl"], sat, p);
      if (isObject(ss.scope)) {
        onlyKeys(ss.scope, ["name", "version", "attributes", "droppedAttributesCount"], sat, p);
        if (typeof ss.scope.name !== "string") p.push(`${sat}.scope.name not a string`);
      }
      if (!Array.isArray(ss.spans) || ss.spans.length === 0) {
        // Senders should not make empty envelopes.
        p.push(`${sat}.spans empty`);
        continue;
      }
      for (const [k, span] of ss.spans.entries()) {
        const checked = checkSpan(span, `${sat}.spans[${k}]`, p);
        if (checked) spans.push(checked);
      }
    }
  }
  return p.length === 0 ? { resource, spans } : undefined;
}

function checkSpan(span: unknown, at: string, p: Problems): Span | undefined {
  if (!isObject(span)) {
    p.push(`${at}: not an object`);
    return undefined;
  }
  onlyKeys(
    span,
    [
      "traceId",
      "spanId",
      "traceState",
      "parentSpanId",
      "flags",
      "name",
      "kind",
      "startTimeUnixNano",
      "endTimeUnixNano",
      "attributes",
      "droppedAttributesCount",
      "events",
      "droppedEventsCount",
      "links",
      "droppedLinksCount",
      "status",
    ],
    at,
    p,
  );
  if (typeof span.traceId !== "string" || !HEX32.test(span.traceId)) p.push(`${at}.traceId`);
  if (typeof span.spanId !== "string" || !HEX16.test(span.spanId)) p.push(`${at}.spanId`);
  if (span.parentSpanId !== undefined && !HEX16.test(String(span.parentSpanId))) {
    p.push(`${at}.parentSpanId`);
  }
  if (typeof span.name !== "string" || span.name === "") p.push(`${at}.name`);
  if (!Number.isInteger(span.kind) || (span.kind as number) < 0 || (span.kind as number) > 5) {
    p.push(`${at}.kind must be an enum integer`);
  }
  for (const key of ["startTimeUnixNano", "endTimeUnixNano"]) {
    if (typeof span[key] !== "string" || !DECIMAL.test(span[key] as string)) {
      p.push(`${at}.${key} must be a decimal string`);
    }
  }
  if (
    typeof span.startTimeUnixNano === "string" && typeof span.endTimeUnixNano === "string" &&
    BigInt(span.endTimeUnixNano) < BigInt(span.startTimeUnixNano)
  ) p.push(`${at}: ends before it starts`);
  if (span.flags !== undefined && (!Number.isInteger(span.flags) || (span.flags as number) < 0)) {
    p.push(`${at}.flags must be a fixed32 number`);
  }
  if (span.status !== undefined) {
    if (!isObject(span.status)) p.push(`${at}.status`);
    else {
      onlyKeys(span.status, ["code", "message"], `${at}.status`, p);
      if (![0, 1, 2].includes(span.status.code as number)) p.push(`${at}.status.code`);
      if (span.status.message !== undefined && typeof span.status.message !== "string") {
        p.push(`${at}.status.message`);
      }
    }
  }
  const attributes = checkAttributes(span.attributes, at, p);
  return { ...(span as unknown as Span), attributes };
}

function checkAttributes(list: unknown, at: string, p: Problems): Attr[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    p.push(`${at}.attributes not a list`);
    return [];
  }
  const seen = new Set<string>();
  for (const [i, kv] of list.entries()) {
    const kat = `${at}.attributes[${i}]`;
    if (!isObject(kv) || typeof kv.key !== "string" || kv.key === "") {
      p.push(`${kat}: no key`);
      continue;
    }
    onlyKeys(kv, ["key", "value"], kat, p);
    if (seen.has(kv.key)) p.push(`${kat}: ${kv.key} twice`);
    seen.add(kv.key);
    checkValue(kv.value, `${kat} (${kv.key})`, p);
  }
  return list as Attr[];
}

function checkValue(value: unknown, at: string, p: Problems): void {
  if (!isObject(value) || Object.keys(value).length !== 1) {
    p.push(`${at}: a value has exactly one kind`);
    return;
  }
  const [kind, v] = Object.entries(value)[0]!;
  switch (kind) {
    case "stringValue":
      if (typeof v !== "string") p.push(`${at}: stringValue`);
      break;
    case "boolValue":
      if (typeof v !== "boolean") p.push(`${at}: boolValue`);
      break;
    case "intValue":
      // int64: a decimal string (numbers are accepted by readers, but the mapping writes strings).
      if (typeof v !== "string" || !/^-?(0|[1-9]\d*)$/.test(v)) p.push(`${at}: intValue`);
      break;
    case "doubleValue":
      if (typeof v !== "number" || !Number.isFinite(v)) p.push(`${at}: doubleValue`);
      break;
    case "arrayValue":
      if (!isObject(v) || !Array.isArray(v.values)) p.push(`${at}: arrayValue`);
      else v.values.forEach((item, i) => checkValue(item, `${at}[${i}]`, p));
      break;
    default:
      p.push(`${at}: unknown value kind ${kind}`);
  }
}

/** An attribute's value, whatever its kind (intValue as a number). */
export function attr(span: Span | { attributes: Attr[] }, key: string): unknown {
  const found = span.attributes.find((a) => a.key === key)?.value;
  if (!found) return undefined;
  if ("intValue" in found) return Number(found.intValue);
  if ("arrayValue" in found) {
    return (found.arrayValue as { values: Record<string, unknown>[] }).values.map((v) =>
      Object.values(v)[0]
    );
  }
  return Object.values(found)[0];
}
