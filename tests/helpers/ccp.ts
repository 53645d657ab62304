/** Runs ccp in-process on an ephemeral port against a test config, capturing its log. */

import type { Config } from "../../src/config/types.ts";
import { loadConfig } from "../../src/config/load.ts";
import { createLogger } from "../../src/core/log.ts";
import { createApp } from "../../src/server/app.ts";
import type { AppDeps } from "../../src/server/deps.ts";
import { ResilienceRegistry } from "../../src/resilience/registry.ts";
import { TRANSPORTS } from "../../src/server/compose.ts";
import { DepartureWatcher } from "../../src/server/departures.ts";
import { listen } from "../../src/server/listen.ts";

/** A running in-process ccp. */
export interface RunningCcp {
  url: string;
  logs: string[];
  /** Swaps the config, as a reload would. */
  setConfig(config: Config): void;
  close(): Promise<void>;
}

/** Starts ccp with `config` on 127.0.0.1:0. */
export function startCcp(config: Config, over: Partial<AppDeps> = {}): RunningCcp {
  const { app, logs, setConfig } = testApp(config, over);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    logs,
    setConfig,
    close: () => server.shutdown(),
  };
}

/**
 * Starts ccp with `config` on 127.0.0.1:0 bound as `ccp serve` binds it: behind the connection
 * guard, which reads every request head and passes the bytes on to the HTTP server.
 */
export async function startGuardedCcp(
  config: Config,
  over: Partial<AppDeps> = {},
): Promise<RunningCcp> {
  // The guard reports departures to the watcher the app asks.
  const departures = over.departures ?? new DepartureWatcher();
  const { app, logs, setConfig } = testApp(config, { ...over, departures });
  const settings = { ...config.server, connectionGuard: true };
  const bound = await listen("127.0.0.1", 0, settings, app.fetch, departures);
  return {
    url: `http://127.0.0.1:${bound.port}`,
    logs,
    setConfig,
    close: async () => {
      bound.stopAccepting();
      await bound.server.shutdown();
      await bound.cleanUp();
    },
  };
}

/** The app `startCcp` serves, with its captured log and a way to swap its config. */
export interface TestApp {
  app: ReturnType<typeof createApp>;
  logs: string[];
  setConfig(config: Config): void;
}

/** Builds the app `startCcp` serves. */
export function testApp(config: Config, over: Partial<AppDeps> = {}): TestApp {
  let current = config;
  const logs: string[] = [];
  const app = createApp({
    config: () => current,
    fetch,
    log: createLogger({ level: "debug", write: (line) => logs.push(line), colour: false }),
    transports: TRANSPORTS,
    registry: new ResilienceRegistry(),
    countTokens: () => Promise.resolve(7),
    now: () => performance.now(),
    startedAt: new Date("2026-11-21T00:00:00Z"),
    version: "test",
    ...over,
  });
  return { app, logs, setConfig: (next: Config) => void (current = next) };
}

/** Parses SSE text into {event, data} records. */
export function parseSse(text: string): Array<{ event: string; data: Record<string, unknown> }> {
  return text.split(/\r?\n\r?\n/).filter((block) => block.trim()).map((block) => {
    const event = /^event: ?(.*)$/m.exec(block)?.[1] ?? "message";
    const data = /^data: ?(.*)$/m.exec(block)?.[1] ?? "null";
    return { event, data: JSON.parse(data) };
  });
}

/** POSTs `body` as JSON to `<baseUrl>/v1/messages`, with `headers` beside the content type. */
export function postMessages(
  baseUrl: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${baseUrl}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

/** Streams one Messages request of `messages` through ccp at `baseUrl`: the status and the events. */
export async function askStreaming(
  baseUrl: string,
  messages: unknown[],
): Promise<{ status: number; events: ReturnType<typeof parseSse> }> {
  const res = await postMessages(baseUrl, {
    model: "claude-sonnet-4-6",
    max_tokens: 100,
    stream: true,
    messages,
  });
  return { status: res.status, events: parseSse(await res.text()) };
}

/**
 * POSTs `body` with client key `key` to a ccp serving the config file `configFile` (loaded as
 * `ccp serve --config` loads it, from `cwd`); ccp is closed before the answer, read whole, returns.
 */
export async function askThroughConfigFile(
  configFile: string,
  cwd: string,
  key: string,
  body: unknown,
): Promise<{ status: number; headers: Headers; text: string }> {
  const ccp = startCcp(await loadConfig({ flags: { config: configFile }, env: {}, cwd }));
  try {
    const res = await postMessages(ccp.url, body, { "x-api-key": key });
    return { status: res.status, headers: res.headers, text: await res.text() };
  } finally {
    await ccp.close();
  }
}

/**
 * Sends one HTTP/1.1 request over a raw TCP socket and returns the socket, so a test can hang up
 * the way a killed client does (Deno's fetch abort can leave the socket half-open).
 */
export async function rawPost(
  baseUrl: string,
  path: string,
  headers: Record<string, string>,
  body: string,
): Promise<Deno.TcpConn> {
  const url = new URL(baseUrl);
  const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
  const bytes = new TextEncoder().encode(body);
  const head = [`POST ${path} HTTP/1.1`, `host: ${url.host}`, `content-length: ${bytes.length}`];
  for (const [name, value] of Object.entries(headers)) head.push(`${name}: ${value}`);
  await conn.write(new TextEncoder().encode(head.join("\r\n") + "\r\n\r\n"));
  await conn.write(bytes);
  return conn;
}
