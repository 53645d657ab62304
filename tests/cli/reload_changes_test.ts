/** What a reload's log line names: each server setting by the name the config file gives it. */

import assert from "node:assert/strict";
import { reloadChanges } from "../../src/cli/reload_changes.ts";
import type { Config, ProviderConfig, ServerConfig } from "../../src/config/types.ts";
import { provider, testConfig } from "../helpers/config.ts";

const running = testConfig({ providers: [provider("up")], routes: { default: "up/m" } });

// A changed value for every server setting, and the name the log must give it.
const CHANGED: { [K in keyof Required<ServerConfig>]: [ServerConfig[K], string] } = {
  host: ["0.0.0.0", "server.host"],
  port: [8083, "server.port"],
  authToken: ["a-new-token", "server.auth_token"],
  maxBodyBytes: [1024, "server.max_body_size"],
  clientTimeouts: [{ headersMs: 1, bodyMs: 2, idleMs: 3 }, "server.timeouts"],
  maxConnections: [8, "server.max_connections"],
  connectionGuard: [true, "server.connection_guard"],
  maxResponseBytes: [2048, "server.max_response_size"],
  logLevel: ["debug", "server.log_level"],
  dataDir: ["/tmp/ccp-data", "server.data_dir"],
  logFormat: ["json", "server.log_format"],
  logFile: ["/tmp/ccp.log", "server.log_file"],
  watchConfig: [false, "server.watch_config"],
  clients: [[{ name: "alice", token: "t-alice" }], "client alice added"],
  cors: [{ origins: ["https://example.com"] }, "server.cors"],
};

Deno.test("a reload names the server setting that changed, never its value", () => {
  for (const [key, [value, name]] of Object.entries(CHANGED)) {
    const next: Config = { ...running, server: { ...running.server, [key]: value } };
    const changes = reloadChanges(running, next);
    assert.deepEqual(changes, [name.startsWith("client ") ? name : `${name} changed`], key);
    assert.ok(!/a-new-token|t-alice/.test(changes.join()), "no token in the log");
  }
  assert.deepEqual(reloadChanges(running, { ...running }), []);
});

Deno.test("a reload names each client added, removed, or whose token or routes changed", () => {
  const team = (clients: Array<{ name: string; token: string; routes?: string[] }>): Config => ({
    ...running,
    server: { ...running.server, clients },
  });
  const before = team([
    { name: "alice", token: "t-alice-1" },
    { name: "dave", token: "t-dave-1" },
    { name: "erin", token: "t-erin-1", routes: ["default"] },
  ]);
  const after = team([
    { name: "alice", token: "t-alice-1" },
    { name: "dave", token: "t-dave-2" },
    { name: "erin", token: "t-erin-1", routes: ["default", "haiku"] },
    { name: "frank", token: "t-frank-1" },
  ]);
  const changes = reloadChanges(before, after);
  assert.deepEqual(changes, [
    "client dave: token changed",
    "client erin: routes changed",
    "client frank added",
  ]);
  assert.deepEqual(reloadChanges(after, before), [
    "client dave: token changed",
    "client erin: routes changed",
    "client frank removed",
  ]);
  assert.ok(!/t-\w+-\d/.test(changes.join()), "no token in the log");
});

Deno.test("a reload says tracing went on (and where), off, or elsewhere; never a header's value", () => {
  const traced = (url: string): Config => ({
    ...running,
    tracing: {
      url,
      headers: { "x-honeycomb-team": "hc-secret-key" },
      serviceName: "ccp",
      resource: {},
      sampleRatio: 1,
      parentBased: true,
      timeoutMs: 10_000,
      compression: "none",
      batch: {},
      from: "config",
    },
  });
  const here = traced("http://127.0.0.1:4318/v1/traces");
  const there = traced("https://user:pw@collector.example/v1/traces");
  assert.deepEqual(reloadChanges(running, here), [
    "tracing on (traces to http://127.0.0.1:4318/v1/traces)",
  ]);
  assert.deepEqual(reloadChanges(here, running), ["tracing off"]);
  const moved = reloadChanges(here, there);
  assert.equal(moved.length, 1);
  assert.match(
    moved[0]!,
    /^tracing changed \(traces to https:\/\/.*collector\.example\/v1\/traces\)$/,
  );
  assert.ok(!/pw|hc-secret-key/.test(moved.join()), "no secret in the log");
  const sampled = { ...here, tracing: { ...here.tracing!, sampleRatio: 0.5 } };
  assert.deepEqual(reloadChanges(here, sampled), ["tracing changed"]);
  assert.deepEqual(reloadChanges(here, traced("http://127.0.0.1:4318/v1/traces")), []);
  // A key in the query under a name of the collector's own: the query is not shown, as `ccp
  // check` and the delivery warnings leave it out.
  const keyed = traced("https://collector.example/v1/traces?dd=ddsecret0123456789");
  assert.deepEqual(reloadChanges(here, keyed), [
    "tracing changed (traces to https://collector.example/v1/traces)",
  ]);
});

Deno.test("a reload that points a provider at another server says where, without secrets", () => {
  const at = (over: Partial<ProviderConfig>) =>
    testConfig({ providers: [provider("up", over)], routes: { default: "up/m" } });
  const was = at({ baseUrl: "http://127.0.0.1:1" });
  assert.deepEqual(reloadChanges(was, at({ baseUrl: "https://user:pw@gw.example/v1" })), [
    "provider up: now anthropic at https://user:***@gw.example/v1",
  ]);
  assert.deepEqual(reloadChanges(was, at({ baseUrl: "http://127.0.0.1:1", type: "openai" })), [
    "provider up: now openai at http://127.0.0.1:1",
  ]);
  // A key in the query under a name of the server's own is not shown: the query is left out.
  assert.deepEqual(reloadChanges(was, at({ baseUrl: "https://gw.example/v1?dd=q-0123456789" })), [
    "provider up: now anthropic at https://gw.example/v1",
  ]);
  // The same server written another way (the host in capitals, a key rotated in the query) is not
  // another server: its breakers and what it refused are kept, and the line says so.
  const gateway = at({ baseUrl: "https://gw.example/v1?key=old-0123456789" });
  assert.deepEqual(
    reloadChanges(gateway, at({ baseUrl: "https://GW.example:443/v1?key=new-0123456789" })),
    ["provider up: base_url written anew (the same server)"],
  );
  // Another setting of a provider that stays where it was is said as before.
  assert.deepEqual(reloadChanges(was, at({ baseUrl: "http://127.0.0.1:1", maxRetries: 1 })), [
    "provider up: settings changed",
  ]);
});
