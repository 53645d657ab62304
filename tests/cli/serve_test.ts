import assert from "node:assert/strict";
import { CliError } from "../../src/cli/context.ts";
import { listenError } from "../../src/cli/listen_error.ts";
import { startServer } from "../../src/cli/serve.ts";
import { ConfigError } from "../../src/core/errors.ts";
import { REFUSED_SIGNATURES } from "../../src/upstream/anthropic/foreign_signatures.ts";
import { VERSION } from "../../src/version.ts";
import { type AnthropicMock, type MockReply, startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { textTurn } from "../mocks/anthropic_fixtures.ts";
import { inTempDir, NOWHERE_YAML, testContext } from "./helpers.ts";
import { postMessages } from "../helpers/ccp.ts";

function anthropicYaml(url: string): string {
  return `providers:\n  up:\n    type: anthropic\n    base_url: ${url}\n    api_key: k-1234567890\n` +
    `routes:\n  default: up/m\n`;
}

/** What a test of `startServer` in front of a mock Anthropic upstream works with. */
interface Served {
  server: Awaited<ReturnType<typeof startServer>>;
  ctx: ReturnType<typeof testContext>;
  mock: AnthropicMock;
}

/**
 * Runs `body` against `startServer` (stopping after `graceMs`, when given) in a temp dir whose
 * config's one route goes to a mock Anthropic upstream answering `replies`; closes the mock after.
 */
async function servingMock(
  replies: MockReply[],
  graceMs: number | undefined,
  body: (served: Served) => Promise<void>,
): Promise<void> {
  const mock = startAnthropicMock(replies);
  await inTempDir("ccp_serve_", async (dir) => {
    await Deno.writeTextFile(`${dir}/c.yaml`, anthropicYaml(mock.url));
    const ctx = testContext(dir);
    const server = await startServer({ ctx, flags: { config: "c.yaml", port: 0 }, graceMs });
    await body({ server, ctx, mock });
  });
  await mock.close();
}

Deno.test("startServer listens, logs the start-up lines and answers /health", async () => {
  await inTempDir("ccp_serve_", async (dir) => {
    await Deno.writeTextFile(`${dir}/c.yaml`, NOWHERE_YAML);
    const ctx = testContext(dir);
    const server = await startServer({ ctx, flags: { config: "c.yaml", port: 0 } });
    try {
      const health = await fetch(`${server.url}/health`);
      assert.equal(health.status, 200);
      const body = await health.json();
      assert.equal(body.name, "ccp");
      assert.equal(body.config, "file");
      const log = ctx.io.stderr.join("\n");
      assert.match(log, new RegExp(`listening on ${server.listenUrl} \\(ready \\d+ ms`));
      assert.match(log, /Config: config file \S*c\.yaml\n/);
      assert.match(log, /route default → up\/model-a/);
      assert.match(log, /route sonnet → up\/model-b → ollama\/qwen3-coder/);
      assert.ok(
        log.includes(`ANTHROPIC_BASE_URL=${server.url} ANTHROPIC_AUTH_TOKEN=ccp claude`),
        log,
      );
      // `ccp code` finds this ccp only with the same config file and port.
      assert.ok(
        log.includes(`(or run: deno task start code --config ${dir}/c.yaml --port ${server.port})`),
        log,
      );
    } finally {
      await server.stop();
    }
    assert.equal(await server.finished, 0);
    assert.match(ctx.io.stderr.join("\n"), /Stopped/);
  });
});

Deno.test("the embedded default logs its notice, and a token is never printed", async () => {
  await inTempDir("ccp_serve_", async (dir) => {
    const ctx = testContext(dir, { env: { CCP_AUTH_TOKEN: "tok-very-secret", CCP_PORT: "0" } });
    const server = await startServer({ ctx, flags: {} });
    await server.stop();
    const log = ctx.io.stderr.join("\n");
    assert.match(log, /No config file and no MODEL variable: using the built-in default/);
    assert.match(log, /ANTHROPIC_AUTH_TOKEN=<your auth token> claude/);
    assert.ok(!log.includes("tok-very-secret"));
  });
});

Deno.test("reload swaps in a valid config and keeps the old one when the new is broken", async () => {
  await inTempDir("ccp_serve_", async (dir) => {
    await Deno.writeTextFile(`${dir}/c.yaml`, NOWHERE_YAML);
    const ctx = testContext(dir);
    const server = await startServer({ ctx, flags: { config: `${dir}/c.yaml`, port: 0 } });
    try {
      await Deno.writeTextFile(`${dir}/c.yaml`, "routes:\n  default: [nope/x\n");
      assert.equal(await server.reload(), false);
      assert.deepEqual(Object.keys(server.config().routes), ["default", "sonnet"]);
      assert.match(ctx.io.stderr.join("\n"), /ERROR Config reload failed; keeping the previous/);

      await Deno.writeTextFile(`${dir}/c.yaml`, `${NOWHERE_YAML}  haiku: up/model-c\n`);
      assert.equal(await server.reload(), true);
      assert.deepEqual(Object.keys(server.config().routes), ["default", "sonnet", "haiku"]);
      const log = ctx.io.stderr.join("\n");
      assert.match(log, /Config reloaded: config file/);
      assert.match(log, /route haiku → up\/model-c/);
      assert.equal((await fetch(`${server.url}/health`).then((r) => r.json())).status, "ok");
    } finally {
      await server.stop();
    }
  });
});

Deno.test("a reload names the changed settings that only a restart applies", async () => {
  await inTempDir("ccp_serve_", async (dir) => {
    await Deno.writeTextFile(`${dir}/c.yaml`, NOWHERE_YAML);
    const ctx = testContext(dir);
    const server = await startServer({
      ctx,
      flags: { config: `${dir}/c.yaml`, port: 0, dataDir: `${dir}/data` },
    });
    try {
      // Routes and providers apply at once; nothing to say about them.
      await Deno.writeTextFile(`${dir}/c.yaml`, `${NOWHERE_YAML}  haiku: up/model-c\n`);
      assert.equal(await server.reload(), true);
      assert.doesNotMatch(ctx.io.stderr.join("\n"), /restart ccp/);
      // The ledger, the listener's limits and the log are set up once, at start.
      await Deno.writeTextFile(
        `${dir}/c.yaml`,
        `${NOWHERE_YAML}server:\n  max_connections: 10\n  timeouts: { idle: 5s }\n` +
          `  log_format: json\nusage:\n  enabled: false\n`,
      );
      assert.equal(await server.reload(), true);
      const log = ctx.io.stderr.join("\n");
      assert.match(
        log,
        /server\.timeouts, server\.max_connections, server\.log_format, usage\.enabled: changed; restart ccp to apply/,
      );
    } finally {
      await server.stop();
    }
  });
});

Deno.test("a reload says what it changed, naming keys and never showing them", async () => {
  await inTempDir("ccp_serve_", async (dir) => {
    await Deno.writeTextFile(`${dir}/c.yaml`, NOWHERE_YAML);
    const ctx = testContext(dir);
    const server = await startServer({ ctx, flags: { config: `${dir}/c.yaml`, port: 0 } });
    try {
      assert.equal(await server.reload(), true);
      assert.match(ctx.io.stderr.join("\n"), /INFO +Nothing changed\n/);
      const changed = NOWHERE_YAML
        .replace("sk-test-1234567890abcdef", "sk-new-key-0000000000009999")
        .replace("  ollama:\n    preset: ollama\n    base_url: http://127.0.0.1:9\n", "")
        .replace(
          "routes:\n",
          "  other:\n    type: openai\n    base_url: http://127.0.0.1:9/v1\n" +
            "    api_key: sk-other-000000000000777\n    max_concurrency: 2\nroutes:\n",
        )
        .replace("  sonnet: [up/model-b, ollama/qwen3-coder]\n", "  haiku: up/model-c\n") +
        "  opus: up/model-a\nbudgets:\n  - target: up\n    tokens: 1000\n    per: day\n";
      await Deno.writeTextFile(`${dir}/c.yaml`, changed);
      assert.equal(await server.reload(), true, ctx.io.stderr.join("\n"));
      const log = ctx.io.stderr.join("\n");
      assert.match(
        log,
        /INFO +Changed: provider up: keys changed; provider other added; provider ollama removed; route haiku added; route opus added; route sonnet removed; budgets changed\n/,
      );
      assert.ok(!log.includes("sk-new-key") && !log.includes("9999"), log);
    } finally {
      await server.stop();
    }
  });
});

Deno.test("stop lets a stream in flight finish before the server goes", async () => {
  await servingMock(
    [{ kind: "stream", events: textTurn("m", 8), delayMs: 60 }],
    undefined,
    async ({ server, ctx }) => {
      const response = await postMessages(server.url, {
        model: "claude-sonnet-4-5",
        max_tokens: 10,
        stream: true,
        messages: [{ role: "user", content: "hi" }],
      });
      assert.equal(response.status, 200);
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = (await reader.read()).value ?? "";
      const stopped = server.stop();
      for (let r = await reader.read(); !r.done; r = await reader.read()) text += r.value;
      await stopped;
      assert.match(text, /event: message_stop/);
      assert.match(text, /token7 /);
      assert.equal(await server.finished, 0);
      assert.doesNotMatch(ctx.io.stderr.join("\n"), /Grace period over/);
    },
  );
});

Deno.test({
  name: "stop gives up on requests in flight after the grace period",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await servingMock([{ kind: "hang" }], 200, async ({ server, ctx, mock }) => {
      const controller = new AbortController();
      const pending = fetch(`${server.url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: "m",
          max_tokens: 1,
          messages: [{ role: "user", content: "x" }],
        }),
        signal: controller.signal,
      }).catch(() => undefined);
      while (mock.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
      const started = Date.now();
      await server.stop();
      assert.ok(Date.now() - started < 2_000);
      assert.match(ctx.io.stderr.join("\n"), /Grace period over/);
      controller.abort();
      await pending;
    });
  },
});

Deno.test({
  name: "a stream still open when the grace period ends gets one overloaded_error, then the end",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await servingMock(
      [{ kind: "stream", events: textTurn("m", 40), delayMs: 400 }],
      300,
      async ({ server }) => {
        const response = await postMessages(server.url, {
          model: "m",
          max_tokens: 100,
          stream: true,
          messages: [{ role: "user", content: "x" }],
        });
        const text = response.body!.pipeThrough(new TextDecoderStream());
        const chunks: string[] = [];
        const reading = (async () => {
          for await (const piece of text) chunks.push(piece);
        })().catch(() => {});
        while (chunks.length === 0) await new Promise((r) => setTimeout(r, 10));
        await server.stop();
        await reading;
        const events = chunks.join("").split("\n\n").filter((e) => e.trim());
        const errors = events.filter((e) => e.startsWith("event: error"));
        assert.equal(errors.length, 1, chunks.join(""));
        assert.match(errors[0]!, /"type":"overloaded_error","message":"ccp is shutting down"/);
        assert.ok(events.at(-1)!.startsWith("event: error"), "the error is the last event");
      },
    );
  },
});

Deno.test({
  name: "a request still waiting for its answer when the grace period ends gets a 529 saying so",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await servingMock([{ kind: "hang" }], 200, async ({ server, ctx, mock }) => {
      // A non-streamed request, and a streamed one whose upstream has not answered yet.
      const pending = [false, true].map((stream) =>
        postMessages(server.url, {
          model: "m",
          max_tokens: 1,
          stream,
          messages: [{ role: "user", content: "x" }],
        }).then(async (response) => ({ response, body: await response.text(), at: Date.now() }))
      );
      while (mock.requests.length < 2) await new Promise((r) => setTimeout(r, 10));
      await server.stop();
      // Before the stop is over: a ccp process would exit then.
      const stopped = Date.now();
      for (const { response, body, at } of await Promise.all(pending)) {
        assert.ok(at <= stopped, "answered before the stop ended");
        assert.equal(response.status, 529, body);
        assert.deepEqual(JSON.parse(body), {
          type: "error",
          error: { type: "overloaded_error", message: "ccp is shutting down" },
        });
        assert.notEqual(response.headers.get("x-should-retry"), "false");
        assert.match(response.headers.get("request-id") ?? "", /./);
      }
      assert.match(ctx.io.stderr.join("\n"), /Grace period over/);
    });
  },
});

Deno.test("a port in use says whether a ccp holds it; a public host without a token is refused", async () => {
  await inTempDir("ccp_serve_", async (dir) => {
    await Deno.writeTextFile(`${dir}/c.yaml`, NOWHERE_YAML);
    const refused = async (port: number, message: RegExp) => {
      const ctx = testContext(dir);
      await assert.rejects(
        () => startServer({ ctx, flags: { config: "c.yaml", port } }),
        (err: unknown) =>
          err instanceof CliError && err.exitCode === 1 && message.test(err.message),
      );
    };
    const other = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      () => new Response("hello from something else"),
    );
    try {
      const port = other.addr.port;
      await refused(
        port,
        new RegExp(
          `^something else is using 127\\.0\\.0\\.1:${port} \\(not a ccp\\): choose another port ` +
            "with --port N or CCP_PORT\\.$",
        ),
      );
    } finally {
      await other.shutdown();
    }
    const ccp = await startServer({ ctx: testContext(dir), flags: { config: "c.yaml", port: 0 } });
    try {
      await refused(
        ccp.port,
        new RegExp(
          `^a ccp \\(version ${VERSION.replaceAll(".", "\\.")}\\) is already running on ` +
            `127\\.0\\.0\\.1:${ccp.port}: use it, or choose another port with --port N or CCP_PORT\\.$`,
        ),
      );
    } finally {
      await ccp.stop();
    }
    await assert.rejects(
      () => startServer({ ctx: testContext(dir), flags: { config: "c.yaml", host: "0.0.0.0" } }),
      ConfigError,
    );
  });
});

Deno.test("a port below 1024 this user may not bind: says so, with the two ways out", async () => {
  // What Deno throws for EACCES on listen, as an unprivileged user gets it for port 80.
  const denied = new Deno.errors.PermissionDenied("Permission denied (os error 13)");
  const err = await listenError(denied, "127.0.0.1", 80);
  assert.ok(err instanceof CliError);
  assert.match(
    err.message,
    /^Cannot listen on 127\.0\.0\.1:80: a port below 1024 needs a privilege/,
  );
  assert.match(err.message, /from 1024 up with --port N or CCP_PORT/);
  assert.match(err.message, /AmbientCapabilities=CAP_NET_BIND_SERVICE .*sudo systemctl edit ccp/);
  // Any other refusal keeps the system's own words.
  const other = await listenError(denied, "127.0.0.1", 8082);
  assert.equal(other.message, "Cannot listen on 127.0.0.1:8082: Permission denied (os error 13)");
  const unprivileged = await Deno.readTextFile("/proc/sys/net/ipv4/ip_unprivileged_port_start")
    .catch(() => "");
  if (Deno.build.os === "linux" && Deno.uid() !== 0 && Number(unprivileged) > 80) {
    await inTempDir("ccp_serve_", async (dir) => {
      await Deno.writeTextFile(`${dir}/c.yaml`, NOWHERE_YAML);
      const ctx = testContext(dir);
      await assert.rejects(
        () => startServer({ ctx, flags: { config: "c.yaml", host: "127.0.0.1", port: 80 } }),
        /a port below 1024 needs a privilege/,
      );
    });
  }
});

Deno.test("the thinking a server refused follows the server through reloads, not the provider's name", async () => {
  await inTempDir("ccp_serve_", async (dir) => {
    const yaml = (id: string, moved: string, type = "anthropic") =>
      `providers:\n  ${id}: { type: ${type}, base_url: ${moved}, api_key: sk-test-0000 }\n` +
      `  gw_kept: { type: anthropic, base_url: http://127.0.0.1:9, api_key: sk-test-1111 }\n` +
      `routes:\n  default: gw_kept/m\n`;
    await Deno.writeTextFile(`${dir}/c.yaml`, yaml("gw_moved", "http://127.0.0.1:8"));
    const ctx = testContext(dir);
    const server = await startServer({ ctx, flags: { config: `${dir}/c.yaml`, port: 0 } });
    const provider = (id: string) => server.config().providers[id]!;
    const refused = (id: string) => {
      const thinking = { type: "thinking", thinking: "t", signature: `sig-${id}` };
      REFUSED_SIGNATURES.noteHistory(provider(id), {
        messages: [{ role: "assistant", content: [thinking] }],
      });
    };
    const remembers = (id: string, signature: string) =>
      REFUSED_SIGNATURES.of(provider(id))?.has(signature) === true;
    try {
      refused("gw_moved");
      refused("gw_kept");
      // A reload that leaves both where they were keeps both memories.
      await Deno.writeTextFile(
        `${dir}/c.yaml`,
        `${yaml("gw_moved", "http://127.0.0.1:8")}  haiku: gw_kept/h\n`,
      );
      assert.equal(await server.reload(), true);
      assert.ok(remembers("gw_moved", "sig-gw_moved") && remembers("gw_kept", "sig-gw_kept"));
      // Renamed, the same server still refuses what it refused: no round trip to learn it again.
      await Deno.writeTextFile(`${dir}/c.yaml`, yaml("gw_renamed", "http://127.0.0.1:8"));
      assert.equal(await server.reload(), true);
      assert.ok(remembers("gw_renamed", "sig-gw_moved"), "a renamed provider keeps it");
      // Another server behind the name may take what the old one refused.
      await Deno.writeTextFile(`${dir}/c.yaml`, yaml("gw_renamed", "http://127.0.0.1:7"));
      assert.equal(await server.reload(), true);
      assert.ok(!remembers("gw_renamed", "sig-gw_moved"), "a new base_url has none of it");
      assert.ok(remembers("gw_kept", "sig-gw_kept"), "an unchanged provider keeps its memory");
      // So may another protocol at the same address.
      await Deno.writeTextFile(`${dir}/c.yaml`, yaml("gw_renamed", "http://127.0.0.1:8", "openai"));
      assert.equal(await server.reload(), true);
      assert.ok(!remembers("gw_renamed", "sig-gw_moved"), "a new type has none of it");
    } finally {
      await server.stop();
    }
  });
});
