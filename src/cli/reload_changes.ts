/** What a reload cannot apply: the settings `ccp serve` reads once, when it starts. */

import type { ClientConfig, Config, ProviderConfig, TracingConfig } from "../config/types.ts";
import { shownAddress } from "../core/secrets.ts";
import { serverAddress } from "../resilience/server_key.ts";
import { httpUrl } from "./startup.ts";

// Each setting as the config file names it, and how to read it from a loaded config. The
// listener's limits, the log sink, the usage ledger and the shared engines are set up at start.
const AT_START: readonly (readonly [string, (c: Config) => unknown])[] = [
  ["server.timeouts", (c) => c.server.clientTimeouts],
  ["server.max_connections", (c) => c.server.maxConnections],
  ["server.max_body_size", (c) => c.server.maxBodyBytes],
  ["server.connection_guard", (c) => c.server.connectionGuard],
  ["server.log_file", (c) => c.server.logFile],
  ["server.log_format", (c) => c.server.logFormat],
  ["server.data_dir", (c) => c.server.dataDir],
  ["server.watch_config", (c) => c.server.watchConfig ?? true],
  ["usage.enabled", (c) => c.usage?.enabled ?? true],
  ["shared", (c) => c.shared],
];

/** The settings that differ between the running config and the reloaded one but need a restart. */
function restartOnlyChanges(running: Config, next: Config): string[] {
  return AT_START.filter(([, read]) => JSON.stringify(read(running)) !== JSON.stringify(read(next)))
    .map(([name]) => name);
}

/**
 * What a reload to `next` leaves for a restart, one sentence each: a new address (ccp stays on
 * `listening`), and the settings read once at start, compared with the config ccp `started` with.
 */
export function restartNotes(
  started: Config,
  next: Config,
  listening: { readonly host: string; readonly port: number; readonly url: string },
): string[] {
  const notes: string[] = [];
  if (next.server.host !== listening.host || next.server.port !== listening.port) {
    notes.push(
      `The new config listens on ${httpUrl(next.server.host, next.server.port)}; ` +
        `restart ccp to move there (still on ${listening.url})`,
    );
  }
  const unapplied = restartOnlyChanges(started, next);
  if (unapplied.length > 0) {
    notes.push(
      `${unapplied.join(", ")}: changed; restart ccp to apply (until then the values it started ` +
        "with hold)",
    );
  }
  return notes;
}

// The server's settings, as the config file names them (`clients` and `cors` too, which are read
// into the server's): the log names the one that changed rather than the whole section.
const SERVER: readonly (readonly [string, (c: Config) => unknown])[] = [
  ["server.host", (c) => c.server.host],
  ["server.port", (c) => c.server.port],
  ["server.auth_token", (c) => c.server.authToken],
  ["server.log_level", (c) => c.server.logLevel],
  ["server.max_response_size", (c) => c.server.maxResponseBytes],
  ["server.cors", (c) => c.server.cors],
  ...AT_START.filter(([name]) => name.startsWith("server.")),
];

// The config's sections besides providers, routes and aliases, as the config file names them.
const SECTIONS: readonly (readonly [string, (c: Config) => unknown])[] = [
  ...SERVER,
  ["routing", (c) => c.routing],
  ["budgets", (c) => c.budgets],
  ["transforms", (c) => c.transforms],
  ["web_tools", (c) => c.webTools],
  ["usage", (c) => c.usage],
  ["local_answers", (c) => c.localAnswers],
];

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * What a reload changes, for the log: each provider added, removed or changed (its keys, its
 * limits, its other settings), each route and alias, and the other sections. Only names: keys,
 * tokens and passwords are among the values.
 */
export function reloadChanges(running: Config, next: Config): string[] {
  const changes: string[] = [];
  for (const [id, now] of Object.entries(next.providers)) {
    const was = running.providers[id];
    if (!was) changes.push(`provider ${id} added`);
    else {
      const parts = providerChanges(was, now);
      if (parts.length > 0) changes.push(`provider ${id}: ${parts.join(", ")}`);
    }
  }
  for (const id of Object.keys(running.providers)) {
    if (!(id in next.providers)) changes.push(`provider ${id} removed`);
  }
  tableChanges("route", running.routes, next.routes, changes);
  tableChanges("alias", running.aliases, next.aliases, changes);
  clientChanges(running.server.clients ?? [], next.server.clients ?? [], changes);
  for (const [name, read] of SECTIONS) {
    if (!same(read(running), read(next))) changes.push(`${name} changed`);
  }
  const tracing = tracingChange(running.tracing, next.tracing);
  if (tracing !== undefined) changes.push(tracing);
  return changes;
}

/**
 * Whether a reload turned request traces on or off, or sent them elsewhere: the start names the
 * collector, and a reload that turns tracing on is read for the same (the URL without secrets).
 */
function tracingChange(
  was: TracingConfig | undefined,
  now: TracingConfig | undefined,
): string | undefined {
  if (same(was, now)) return undefined;
  if (now === undefined) return "tracing off";
  // Without its query, where the collector's key may sit under any name.
  const to = `traces to ${shownAddress(now.url)}`;
  if (was === undefined) return `tracing on (${to})`;
  return was.url === now.url ? "tracing changed" : `tracing changed (${to})`;
}

function providerChanges(was: ProviderConfig, now: ProviderConfig): string[] {
  const parts: string[] = [];
  // Either one starts the provider's keys afresh (cool-downs and set-asides go).
  if (!same(was.apiKeys, now.apiKeys)) parts.push("keys changed");
  const limits = (
    p: ProviderConfig,
  ) => [p.rateLimit, p.maxConcurrency, p.keyUsageLimit, p.keyStrategy];
  if (!same(limits(was), limits(now))) parts.push("limits changed");
  // Another server: its breakers, and what the old one refused (parameters, thinking), start
  // afresh, so the line says where the id points now: without the query, where a key may sit
  // under any name, as the tracing line has it. The same server written another way (the host in
  // capitals, a password or `?key=` rotated) keeps all that, and the line says so.
  if (was.type !== now.type || serverAddress(was.baseUrl) !== serverAddress(now.baseUrl)) {
    parts.push(`now ${now.type} at ${shownAddress(now.baseUrl)}`);
  } else if (was.baseUrl !== now.baseUrl) parts.push("base_url written anew (the same server)");
  const rest = (p: ProviderConfig) => {
    const { apiKeys: _k, rateLimit: _r, maxConcurrency: _m, keyUsageLimit: _u, ...others } = p;
    const { keyStrategy: _s, baseUrl: _b, type: _t, ...settings } = others;
    return settings;
  };
  if (!same(rest(was), rest(now))) parts.push("settings changed");
  return parts;
}

/**
 * Each client of `clients:` added, removed or changed, by name: whose token a lead just revoked
 * or rotated is what the line is read for. Never the token.
 */
function clientChanges(
  was: readonly ClientConfig[],
  now: readonly ClientConfig[],
  changes: string[],
): void {
  const before = new Map(was.map((c) => [c.name, c]));
  for (const client of now) {
    const old = before.get(client.name);
    if (!old) {
      changes.push(`client ${client.name} added`);
      continue;
    }
    const parts = [
      ...(old.token !== client.token ? ["token changed"] : []),
      ...(!same(old.routes, client.routes) ? ["routes changed"] : []),
    ];
    if (parts.length > 0) changes.push(`client ${client.name}: ${parts.join(", ")}`);
  }
  const names = new Set(now.map((c) => c.name));
  for (const client of was) {
    if (!names.has(client.name)) changes.push(`client ${client.name} removed`);
  }
}

function tableChanges(
  kind: string,
  was: Config["routes"],
  now: Config["routes"],
  changes: string[],
): void {
  for (const [name, chain] of Object.entries(now)) {
    if (!(name in was)) changes.push(`${kind} ${name} added`);
    else if (!same(was[name], chain)) changes.push(`${kind} ${name} changed`);
  }
  for (const name of Object.keys(was)) {
    if (!(name in now)) changes.push(`${kind} ${name} removed`);
  }
}
