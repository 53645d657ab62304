import assert from "node:assert/strict";
import { runCli } from "../../src/cli/run.ts";
import { testContext } from "./helpers.ts";

const YAML = `server:
  auth_token: \${CCP_AUTH_TOKEN:-}
providers:
  nim:
    preset: nvidia_nim
    api_key: nvapi-abcdefghijklmnop-WXYZ
  local:
    type: openai
    base_url: http://127.0.0.1:9999/v1
    models: [qwen3-coder]
routes:
  default: local/qwen3-coder
  sonnet: [local/qwen3-coder, nim/z-ai/glm4.7]
aliases:
  fast: local/qwen3-coder
`;

async function withConfig(
  text: string,
  run: (dir: string, file: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ccp_check_" });
  try {
    await Deno.writeTextFile(`${dir}/ccp.yaml`, text);
    await run(dir, `${dir}/ccp.yaml`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("check prints the resolved config with keys redacted and exits 0", async () => {
  await withConfig(YAML, async (dir, file) => {
    const ctx = testContext(dir);
    assert.equal(await runCli(["check", "--config", file], ctx), 0);
    const out = ctx.io.stdout.join("\n");
    assert.ok(out.includes(`Source: config file ${file}`), out);
    assert.ok(out.includes("keys: 1 (…WXYZ)"), out);
    assert.ok(!out.includes("nvapi-abcdefghijklmnop"), "the key leaked");
    assert.ok(out.includes("sonnet → local/qwen3-coder → nim/z-ai/glm4.7"), out);
    assert.ok(out.includes("fast → local/qwen3-coder"), out);
    assert.match(out, /Config OK$/);
    assert.deepEqual(ctx.io.stderr, []);
  });
});

Deno.test("check finds ./ccp.yaml by itself and applies flags over it", async () => {
  await withConfig(YAML, async (dir) => {
    const ctx = testContext(dir);
    assert.equal(await runCli(["check", "--port", "9123", "--log-level", "warn"], ctx), 0);
    assert.match(ctx.io.stdout.join("\n"), /Server: http:\/\/127\.0\.0\.1:9123; .*log level warn/);
  });
});

Deno.test("a broken config exits 1 naming the file and the key path", async () => {
  const broken = YAML.replace("sonnet: [local/qwen3-coder, nim/z-ai/glm4.7]", "sonnet: [nmi/x]");
  await withConfig(broken, async (dir, file) => {
    const ctx = testContext(dir);
    assert.equal(await runCli(["check", "--config", file], ctx), 1);
    const err = ctx.io.stderr.join("\n");
    assert.match(err, /^ccp: configuration error:/);
    assert.ok(err.includes(`${file}: routes.sonnet[0]: unknown provider "nmi"`), err);
    assert.deepEqual(ctx.io.stdout, []);
  });
});

Deno.test("a missing --config file exits 1", async () => {
  await withConfig(YAML, async (dir) => {
    const ctx = testContext(dir);
    assert.equal(await runCli(["check", "--config", "nope.yaml"], ctx), 1);
    assert.match(
      ctx.io.stderr.join("\n"),
      /nope\.yaml: config file named by --config does not exist/,
    );
  });
});

Deno.test("check refuses a non-loopback host without a token, and accepts one with it", async () => {
  await withConfig(YAML, async (dir, file) => {
    const ctx = testContext(dir);
    assert.equal(await runCli(["check", "--config", file, "--host", "0.0.0.0"], ctx), 1);
    const err = ctx.io.stderr.join("\n");
    assert.match(err, /Refusing to listen on 0\.0\.0\.0 without an auth token/);
    assert.match(err, /server\.auth_token/);
    assert.match(err, /CCP_AUTH_TOKEN/);
    assert.match(err, /ANTHROPIC_AUTH_TOKEN/);
    const withToken = testContext(dir, { env: { CCP_AUTH_TOKEN: "s3cret-token-value" } });
    assert.equal(await runCli(["check", "--config", file, "--host", "0.0.0.0"], withToken), 0);
    assert.ok(!withToken.io.stdout.join("\n").includes("s3cret-token-value"));
  });
});

Deno.test("models lists routes, aliases and provider models, each name once", async () => {
  await withConfig(YAML, async (dir, file) => {
    const ctx = testContext(dir);
    assert.equal(await runCli(["models", "--config", file], ctx), 0);
    assert.deepEqual(ctx.io.stdout, [
      "default            route  → local/qwen3-coder",
      "sonnet             route  → local/qwen3-coder → nim/z-ai/glm4.7",
      "fast               alias  → local/qwen3-coder",
      "local/qwen3-coder  model",
    ]);
  });
});

Deno.test("models pads its names by the columns a terminal gives them", async () => {
  const yaml = `providers:
  local:
    type: openai
    base_url: http://127.0.0.1:9999/v1
    models: [通义千问, qwen3-coder-plus]
routes:
  default: local/通义千问
`;
  await withConfig(yaml, async (dir, file) => {
    const ctx = testContext(dir);
    assert.equal(await runCli(["models", "--config", file], ctx), 0);
    // "local/通义千问" takes 14 columns, "local/qwen3-coder-plus" 22.
    assert.deepEqual(ctx.io.stdout, [
      "default                 route  → local/通义千问",
      "local/通义千问          model",
      "local/qwen3-coder-plus  model",
    ]);
  });
});

Deno.test("help and version go to stdout with exit 0; usage errors to stderr with exit 2", async () => {
  const ctx = testContext("/nonexistent");
  assert.equal(await runCli(["--version"], ctx), 0);
  assert.equal(await runCli(["help", "check"], ctx), 0);
  assert.equal(await runCli(["check", "--nope"], ctx), 2);
  assert.match(ctx.io.stdout[0] ?? "", /^\d+\.\d+\.\d+/);
  assert.match(ctx.io.stdout[1] ?? "", /^Usage: ccp check/);
  assert.match(ctx.io.stderr.join("\n"), /^ccp: unknown option --nope\n\nUsage: ccp check/);
});

// A hosted preset named by a route, without its key: every request to it would be refused.
const UNKEYED = `providers:
  nim:
    preset: nvidia_nim
    api_key: \${NIM_KEY}
  zai: { preset: zai }
  claude: { preset: anthropic, auth: passthrough }
  gateway: { preset: openai_compatible, base_url: "http://10.0.0.5:8000/v1", auth_header: none }
  keyed: { preset: groq, headers: { Authorization: "Bearer \${GROQ_TOKEN:-x}" } }
routes:
  default: [claude/claude-sonnet-4-5, lmstudio/qwen3-coder, gateway/m, keyed/m]
  sonnet: [lmstudio/qwen3-coder, nim/z-ai/glm4.7]
aliases:
  fast: nim/z-ai/glm4.7
  glm: zai/glm-4.7
`;

Deno.test("a route's provider without its key fails the check, naming provider, variable and route", async () => {
  await withConfig(UNKEYED, async (dir, file) => {
    const ctx = testContext(dir);
    assert.equal(await runCli(["check", "--config", file], ctx), 1);
    const out = ctx.io.stdout.join("\n");
    assert.ok(out.includes("Routes:"), "the config is still printed");
    assert.ok(!out.includes("Config OK"), out);
    assert.deepEqual(ctx.io.stderr, [
      "ccp: configuration error:\n" +
      `  ${file}: providers.nim: no API key, needed by route sonnet and alias fast ` +
      "(nim/z-ai/glm4.7): set NIM_KEY, which providers.nim.api_key reads\n" +
      `  ${file}: providers.zai: no API key, needed by alias glm (zai/glm-4.7): ` +
      "set api_key: ${ZAI_API_KEY} under providers.zai in the config file",
    ]);
    const keyed = testContext(dir, { env: { NIM_KEY: "nvapi-abcdefghijklmnop-WXYZ" } });
    const fixed = UNKEYED.replace(
      "zai: { preset: zai }",
      'zai: { preset: zai, api_key: "k-123456789012" }',
    );
    await Deno.writeTextFile(file, fixed);
    assert.equal(await runCli(["check", "--config", file], keyed), 0, keyed.io.stderr.join("\n"));
    assert.match(keyed.io.stdout.join("\n"), /Config OK$/);
  });
});

Deno.test("environment mode: a MODEL route to a hosted preset without its key fails the check", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_check_" });
  try {
    const ctx = testContext(dir, {
      env: {
        XDG_CONFIG_HOME: `${dir}/xdg`,
        MODEL: "lmstudio/qwen3-coder",
        MODEL_OPUS: "groq/kimi",
      },
    });
    assert.equal(await runCli(["check"], ctx), 1);
    assert.deepEqual(ctx.io.stderr, [
      "ccp: configuration error:\n  provider groq: no API key, needed by route opus (groq/kimi): " +
      "set GROQ_API_KEY",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// A hosted preset no route or alias uses: a request still reaches it by naming it (groq/<model> as
// its model, a URL prefix, a token suffix or a subagent tag), and a transform is kept for it.
const SPARE = `providers:
  spare: { preset: groq }
  lm: { preset: lmstudio }
routes:
  default: lm/qwen3-coder
transforms:
  spare: { system_append: "Answer briefly." }
`;

Deno.test("a provider only a request that names it reaches, without its key, fails the check too", async () => {
  await withConfig(SPARE, async (dir, file) => {
    const ctx = testContext(dir);
    assert.equal(await runCli(["check", "--config", file], ctx), 1);
    assert.deepEqual(ctx.io.stderr, [
      "ccp: configuration error:\n" +
      `  ${file}: providers.spare: no API key, needed by requests that name it (spare/…): ` +
      "set api_key: ${GROQ_API_KEY} under providers.spare in the config file",
    ]);
    // No client may name a provider: only the routes are reached, and they need no key.
    const tokens = SPARE + `clients:
  - { name: ci, token: "ci-token-0123456789abcdef", routes: [default] }
`;
    await Deno.writeTextFile(file, tokens);
    const closed = testContext(dir);
    assert.equal(await runCli(["check", "--config", file], closed), 0, closed.io.stderr.join("\n"));
    // One client that may (explicit in its list) makes the provider reachable again.
    await Deno.writeTextFile(
      file,
      tokens.replace("routes: [default]", "routes: [default, explicit]"),
    );
    const open = testContext(dir);
    assert.equal(await runCli(["check", "--config", file], open), 1);
    assert.match(open.io.stderr.join("\n"), /providers\.spare: no API key, needed by requests/);
  });
});
