import assert from "node:assert/strict";
import { runCli } from "../../src/cli/run.ts";
import { testContext } from "./helpers.ts";
import { psAnswer } from "../mocks/ollama_api.ts";
import { closedPort } from "../helpers/ports.ts";

/** An Ollama server's `/api/ps` and `/api/show` as its API documents them; nothing else. */
function startOllama(loaded: Record<string, number>, maxima: Record<string, number>) {
  const asked: string[] = [];
  const queries: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const { pathname: path, search } = new URL(req.url);
    asked.push(`${req.method} ${path}`);
    queries.push(search);
    if (path === "/api/ps") {
      return psAnswer(loaded);
    }
    if (path === "/api/show" && req.method === "POST") {
      const { model } = await req.json();
      const maximum = maxima[model];
      if (maximum === undefined) {
        return Response.json({ error: `model '${model}' not found` }, { status: 404 });
      }
      return Response.json({ model_info: { "qwen3moe.context_length": maximum } });
    }
    return new Response("404 page not found", { status: 404 });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    asked,
    queries,
    close: () => server.shutdown(),
  };
}

async function check(yaml: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "ccp_check_ollama_" });
  try {
    await Deno.writeTextFile(`${dir}/ccp.yaml`, yaml);
    const ctx = testContext(dir);
    assert.equal(await runCli(["check", "--config", `${dir}/ccp.yaml`], ctx), 0);
    return ctx.io.stdout.join("\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("ccp check says what context Ollama runs each routed model with", async (t) => {
  const ollama = startOllama(
    { "qwen3-coder:latest": 4096, "gpt-oss:20b": 131072 },
    { "llama3.2": 131072 },
  );
  try {
    const out = await check(`providers:
  ollama:
    preset: ollama
    base_url: ${ollama.url}
routes:
  default: ollama/qwen3-coder
  sonnet: ollama/gpt-oss:20b
  haiku: ollama/llama3.2
`);
    await t.step("a model loaded with too small a context: a warning saying what to set", () => {
      assert.match(
        out,
        /Warning: Ollama runs qwen3-coder with a context of 4096 tokens: a longer prompt is cut .*set OLLAMA_CONTEXT_LENGTH=65536/,
      );
    });
    await t.step("a model loaded with enough: said plainly", () => {
      assert.match(out, /^Ollama runs gpt-oss:20b with a context of 131072 tokens$/m);
    });
    await t.step("a model not loaded: what it could take, and what Claude Code needs", () => {
      assert.match(
        out,
        /Ollama has not loaded llama3\.2: .* \(the model takes up to 131072\); Claude Code needs at least 64000/,
      );
    });
    await t.step("only Ollama's read-only endpoints were asked", () => {
      assert.ok(ollama.asked.every((a) => a === "GET /api/ps" || a === "POST /api/show"));
    });
  } finally {
    await ollama.close();
  }
});

Deno.test("ccp check asks an Ollama whose base_url holds a query at its paths, the query kept last", async () => {
  const ollama = startOllama({ "qwen3-coder:latest": 131072 }, { "llama3.2": 131072 });
  try {
    const out = await check(`providers:
  ollama: { preset: ollama, base_url: "${ollama.url}/v1/?k=gate-1234" }
routes:
  default: ollama/qwen3-coder
  haiku: ollama/llama3.2
`);
    assert.deepEqual(ollama.asked, ["GET /api/ps", "POST /api/show"]);
    assert.deepEqual(ollama.queries, ["?k=gate-1234", "?k=gate-1234"]);
    assert.match(out, /^Ollama runs qwen3-coder with a context of 131072 tokens$/m);
    assert.match(out, /Ollama has not loaded llama3\.2: .* \(the model takes up to 131072\)/);
  } finally {
    await ollama.close();
  }
});

Deno.test("ccp check without Ollama running says so, and exits 0", async () => {
  const out = await check(`providers:
  ollama:
    preset: ollama
    base_url: http://127.0.0.1:${closedPort()}
routes:
  default: ollama/qwen3-coder
`);
  assert.match(
    out,
    /Ollama \(provider "ollama" at http:\/\/127\.0\.0\.1:\d+\) is not running: nothing listens there \(connection refused\)\. Start it \(`OLLAMA_CONTEXT_LENGTH=65536 ollama serve`, or the Ollama app with its context length at 64k or more\), or fix providers\.ollama\.base_url in the config file; its context was not checked/,
  );
});

Deno.test("ccp check names the variable a config file's base_url reads, as ccp init writes it", async () => {
  const port = closedPort();
  const dir = await Deno.makeTempDir({ prefix: "ccp_check_ollama_" });
  try {
    await Deno.writeTextFile(
      `${dir}/ccp.yaml`,
      `providers:
  ollama:
    preset: ollama
    base_url: \${OLLAMA_BASE_URL:-http://127.0.0.1:${port}}
routes:
  default: ollama/qwen3-coder
`,
    );
    const ctx = testContext(dir);
    assert.equal(await runCli(["check", "--config", `${dir}/ccp.yaml`], ctx), 0);
    const out = ctx.io.stdout.join("\n");
    assert.ok(
      out.includes(
        "or set OLLAMA_BASE_URL (which providers.ollama.base_url in the config file reads) to " +
          "where it listens; its context was not checked",
      ),
      out,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ccp check without a config file names OLLAMA_BASE_URL, not a base_url it has none of", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_check_ollama_" });
  try {
    const base = `http://127.0.0.1:${closedPort()}`;
    const ctx = testContext(dir);
    const env = { ...ctx.env, OLLAMA_BASE_URL: base };
    assert.equal(await runCli(["check"], { ...ctx, env }), 0);
    const out = ctx.io.stdout.join("\n");
    assert.match(out, /^Source: built-in default/m);
    assert.ok(
      out.includes(
        `Ollama (provider "ollama" at ${base}) is not running: nothing listens there (connection ` +
          "refused). Start it (`OLLAMA_CONTEXT_LENGTH=65536 ollama serve`, or the Ollama app " +
          "with its context length at 64k or more), or set OLLAMA_BASE_URL to " +
          "where it listens; its context was not checked",
      ),
      out,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ccp check names a local server it cannot reach without the credentials in its address", async () => {
  const port = closedPort();
  // A key may sit in the query under a name like no credential's (`k`): the probes' lines show
  // no query at all (the provider's own line shows the query with the named ones hidden).
  const out = await check(`providers:
  ollama: { preset: ollama, base_url: "http://me:ol-pass-0123@127.0.0.1:${port}?key=ol-key-4567&k=ol-k-6789" }
  vllm: { preset: vllm, base_url: "http://tok-vl-8901@127.0.0.1:${port}/v1?api-key=vl-key-2345&k=vl-k-6789" }
routes:
  default: ollama/qwen3-coder
  opus: vllm/a
`);
  for (const secret of ["ol-pass-0123", "ol-key-4567", "tok-vl-8901", "vl-key-2345"]) {
    assert.ok(!out.includes(secret), `${secret} in:\n${out}`);
  }
  const probes = out.split("\n").filter((l) => / \(provider "[a-z]+" at /.test(l));
  assert.equal(probes.length, 2, out);
  assert.ok(!probes.some((l) => l.includes("-k-6789")), probes.join("\n"));
  assert.match(out, /Ollama \(provider "ollama" at http:\/\/me:\*\*\*@127\.0\.0\.1:\d+\) is not/);
  assert.match(
    out,
    /vLLM \(provider "vllm" at http:\/\/\*\*\*@127\.0\.0\.1:\d+\/v1\) did not answer/,
  );
});

Deno.test("ccp check beside a server that answers but not as Ollama says it did not answer", async () => {
  const other = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response("404 page not found", { status: 404 }),
  );
  try {
    const out = await check(`providers:
  ollama:
    preset: ollama
    base_url: http://127.0.0.1:${other.addr.port}
routes:
  default: ollama/qwen3-coder
`);
    assert.match(
      out,
      /Ollama \(provider "ollama" at http:\/\/127\.0\.0\.1:\d+\) did not answer: its/,
    );
    assert.doesNotMatch(out, /is not running/);
  } finally {
    await other.shutdown();
  }
});

Deno.test("ccp check asks no Ollama when no route uses one", async () => {
  const out = await check(`providers:
  local:
    type: openai
    base_url: http://127.0.0.1:9999/v1
routes:
  default: local/qwen3-coder
`);
  assert.doesNotMatch(out, /Ollama/);
});
