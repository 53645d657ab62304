import assert from "node:assert/strict";
import {
  assertSafeExposure,
  claudeCodeLine,
  clientHost,
  httpUrl,
  listenHost,
  startupLines,
} from "../../src/cli/startup.ts";
import { ConfigError } from "../../src/core/errors.ts";
import { isLoopbackHost } from "../../src/core/loopback.ts";
import { VERSION } from "../../src/version.ts";
import { provider, testConfig } from "../helpers/config.ts";

Deno.test("loopback hosts need no token; every other host does", () => {
  for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST", "::1", "[::1]"]) {
    assert.ok(isLoopbackHost(host), host);
  }
  for (
    const host of ["0.0.0.0", "::", "192.168.1.5", "example.com", "128.0.0.1", "127.0.0.1.nip.io"]
  ) {
    assert.ok(!isLoopbackHost(host), host);
  }
  const server = {
    host: "0.0.0.0",
    port: 1,
    maxBodyBytes: 1,
    clientTimeouts: { headersMs: 1, bodyMs: 1, idleMs: 1 },
    maxConnections: 1,
    connectionGuard: false,
    maxResponseBytes: 1,
    logLevel: "info",
  } as const;
  assert.throws(() => assertSafeExposure(server), ConfigError);
  // A short token is the user's choice on a reachable address: warned about, not refused.
  const [warning, ...more] = assertSafeExposure({ ...server, authToken: "t" });
  assert.match(warning!, /1-character auth token.*at least 16 random characters/);
  assert.deepEqual(more, []);
  const clients = [{ name: "ci", token: "short" }, { name: "alice", token: "0123456789abcdef" }];
  assert.deepEqual(
    assertSafeExposure({ ...server, clients } as typeof server).map((w) => /"(\w+)"/.exec(w)?.[1]),
    ["ci"],
  );
  assert.deepEqual(assertSafeExposure({ ...server, authToken: "0123456789abcdef" }), []);
  assert.deepEqual(assertSafeExposure({ ...server, host: "127.0.0.1", authToken: "t" }), []);
  assert.deepEqual(assertSafeExposure({ ...server, host: "127.0.0.1" }), []);
});

Deno.test("URLs: wildcard hosts become loopback for clients; IPv6 gets brackets", () => {
  assert.equal(clientHost("0.0.0.0"), "127.0.0.1");
  assert.equal(clientHost("::"), "::1");
  assert.equal(clientHost("[::]"), "::1");
  assert.equal(clientHost("10.0.0.2"), "10.0.0.2");
  assert.equal(listenHost("[::1]"), "::1");
  assert.equal(httpUrl("::1", 8082), "http://[::1]:8082");
  assert.equal(httpUrl("127.0.0.1", 0), "http://127.0.0.1:0");
  assert.match(claudeCodeLine("http://x:1", false), /ANTHROPIC_AUTH_TOKEN=ccp claude/);
});

Deno.test("start-up lines: version and URL, source, warnings, one line per route, Claude Code line", () => {
  const config = {
    ...testConfig({
      providers: [provider("local"), provider("nim")],
      routes: { default: "local/qwen3-coder", sonnet: ["local/qwen3-coder", "nim/z-ai/glm4.7"] },
      aliases: { fast: "local/small" },
      authToken: "secret",
    }),
    warnings: ["something to know"],
  };
  const lines = startupLines({
    config,
    listenUrl: "http://0.0.0.0:8082",
    clientUrl: "http://127.0.0.1:8082",
    startupMs: 41.6,
  });
  assert.deepEqual(lines.map((l) => `${l.level} ${l.text}`), [
    `info ccp ${VERSION} listening on http://0.0.0.0:8082 (ready 42 ms after process start)`,
    "info Config: config file test.yaml",
    "warn something to know",
    "info route default → local/qwen3-coder",
    "info route sonnet → local/qwen3-coder → nim/z-ai/glm4.7",
    "info alias fast → local/small",
    "info Use it with Claude Code: ANTHROPIC_BASE_URL=http://127.0.0.1:8082 " +
    "ANTHROPIC_AUTH_TOKEN=<your auth token> claude   (or run: ccp code)",
  ]);
});

Deno.test("start-up lines from a source checkout name deno task start, not a ccp on the PATH", () => {
  const config = testConfig({
    providers: [provider("ollama")],
    routes: { default: "ollama/qwen3-coder" },
    source: { kind: "default" },
  });
  const text = startupLines({
    config,
    listenUrl: "http://127.0.0.1:8082",
    clientUrl: "http://127.0.0.1:8082",
    startupMs: 1,
    command: "deno task start",
  }).map((l) => l.text).join("\n");
  assert.match(text, /\(or run: deno task start code\)/);
  assert.match(text, /Run "deno task start init"/);
  assert.doesNotMatch(text, /ccp (code|init)/);
});

Deno.test("start-up lines with clients: each developer sends a token of their own, not 'ccp'", () => {
  const base = testConfig({ providers: [provider("up")], routes: { default: "up/m" } });
  const config = {
    ...base,
    server: { ...base.server, clients: [{ name: "alice", token: "t-alice-0123456789" }] },
  };
  const text = startupLines({
    config,
    listenUrl: "http://127.0.0.1:8082",
    clientUrl: "http://127.0.0.1:8082",
    startupMs: 1,
  }).map((l) => l.text).join("\n");
  assert.match(text, /ANTHROPIC_AUTH_TOKEN=<your token of clients:> claude/);
  assert.doesNotMatch(text, /ANTHROPIC_AUTH_TOKEN=ccp|t-alice/);
});
