import assert from "node:assert/strict";
import { createLogger } from "../../src/core/log.ts";
import type { RequestRecord } from "../../src/pipeline/record.ts";
import { OllamaContextWatch } from "../../src/upstream/ollama/context_watch.ts";
import { ask, MAX_ANSWER_BYTES } from "../../src/upstream/ollama/context.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { psAnswer } from "../mocks/ollama_api.ts";
import { ServerWindows } from "../../src/resilience/server_windows.ts";

/**
 * An Ollama server's `/api/ps` and `/api/show` as its API documents them: `loaded` is what
 * `/api/ps` lists (changeable between calls), `modelfiles` each model's `parameters` text.
 */
function startOllama(loaded: Record<string, number>, modelfiles: Record<string, string> = {}) {
  const asked: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/api/ps") {
      asked.push("ps");
      return psAnswer(loaded);
    }
    if (path === "/api/show" && req.method === "POST") {
      const { model } = await req.json();
      asked.push(`show ${model}`);
      return Response.json({
        parameters: modelfiles[model] ?? 'stop "<|im_end|>"',
        model_info: { "qwen3.context_length": 262144 },
      });
    }
    return new Response("404 page not found", { status: 404 });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, asked, close: () => server.shutdown() };
}

function setup(url: string, routes: Record<string, string>) {
  const lines: string[] = [];
  const log = createLogger({ level: "info", write: (line) => void lines.push(line) });
  const config = testConfig({
    providers: [provider("ollama", { preset: "ollama", baseUrl: url })],
    routes,
  });
  const watch = new OllamaContextWatch(() => config, fetch, log);
  const warnings = () => lines.filter((l) => l.includes("WARN"));
  return { watch, warnings };
}

/** A finished request as the pipeline hands it to its observers (what the watch reads). */
const served = (model: string) =>
  ({
    provider: "ollama",
    model,
    attempts: [{ provider: "ollama", model, outcome: "answered" }],
  }) as unknown as RequestRecord;

async function until(check: () => boolean): Promise<void> {
  const end = performance.now() + 2000;
  while (!check()) {
    if (performance.now() > end) assert.fail("timed out");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

Deno.test("a model Ollama runs with too little context: one warning, on the first request routed to it", async (t) => {
  const ollama = startOllama({ "qwen3-coder:latest": 4096, "gpt-oss:20b": 131072 }, {
    "devstral": 'num_ctx 8192\nstop "</s>"',
  });
  const { watch, warnings } = setup(ollama.url, {
    default: "ollama/qwen3-coder",
    sonnet: "ollama/gpt-oss:20b",
    haiku: "ollama/devstral",
  });
  try {
    await watch.check();
    await t.step("nothing is said before a request is routed there", () => {
      assert.deepEqual(warnings(), []);
    });
    await t.step("loaded with 4096 tokens: warned once, saying what to set", () => {
      watch.ended(served("qwen3-coder"));
      watch.ended(served("qwen3-coder"));
      assert.equal(warnings().length, 1);
      assert.match(
        warnings()[0]!,
        /provider "ollama": Ollama runs qwen3-coder with a context of 4096 tokens: .*Claude Code needs at least 64000: set OLLAMA_CONTEXT_LENGTH=65536/,
      );
    });
    await t.step("loaded with enough: nothing", () => {
      watch.ended(served("gpt-oss:20b"));
      assert.equal(warnings().length, 1);
    });
    await t.step("not loaded, its Modelfile sets num_ctx 8192: warned", () => {
      watch.ended(served("devstral"));
      assert.equal(warnings().length, 2);
      assert.match(warnings()[1]!, /Ollama runs devstral with a context of 8192 tokens/);
    });
    await t.step("nothing more was asked: what the start check learned sufficed", () => {
      assert.deepEqual(ollama.asked, ["ps", "show devstral"]);
    });
  } finally {
    await ollama.close();
  }
});

Deno.test("a model Ollama had not loaded at start is asked about once, after its first request", async () => {
  const loaded: Record<string, number> = {};
  const ollama = startOllama(loaded);
  const { watch, warnings } = setup(ollama.url, { default: "ollama/qwen3-coder" });
  try {
    await watch.check();
    assert.deepEqual(ollama.asked, ["ps", "show qwen3-coder"]);
    // The first request loaded it, with Ollama's default context.
    loaded["qwen3-coder:latest"] = 4096;
    watch.ended(served("qwen3-coder"));
    await until(() => warnings().length === 1);
    assert.match(warnings()[0]!, /Ollama runs qwen3-coder with a context of 4096 tokens/);
    watch.ended(served("qwen3-coder"));
    watch.ended(served("qwen3-coder"));
    assert.deepEqual(ollama.asked, ["ps", "show qwen3-coder", "ps"], "asked once after a request");
    assert.equal(warnings().length, 1);
  } finally {
    await ollama.close();
  }
});

Deno.test("no Ollama route: nothing is scheduled, nothing asked", () => {
  const lines: string[] = [];
  const log = createLogger({ level: "info", write: (line) => void lines.push(line) });
  const config = testConfig({
    providers: [provider("up", { baseUrl: "http://127.0.0.1:9" })],
    routes: { default: "up/m" },
  });
  let asked = 0;
  const watch = new OllamaContextWatch(() => config, () => {
    asked++;
    return Promise.reject(new Error("not to be asked"));
  }, log);
  const cancel = watch.schedule(0);
  cancel();
  watch.ended({ provider: "up", model: "m", attempts: [] } as unknown as RequestRecord);
  assert.equal(asked, 0);
  assert.deepEqual(lines, []);
});

Deno.test("an Ollama answer past MAX_ANSWER_BYTES is refused, and no more of it is read", async () => {
  // A server at the configured address that sends without end (broken, or not Ollama).
  let sent = 0;
  let cancelled = false;
  const chunk = new Uint8Array(64 * 1024).fill(0x20);
  const endless = new ReadableStream<Uint8Array>({
    pull(controller) {
      // A bound so that a reader without a cap ends too, with the whole of it read.
      if (sent >= 4 * MAX_ANSWER_BYTES) return controller.close();
      sent += chunk.length;
      controller.enqueue(chunk.slice());
    },
    cancel() {
      cancelled = true;
    },
  }, { highWaterMark: 0 });
  const fetchFn = () => Promise.resolve(new Response(endless, { status: 200 }));
  await assert.rejects(
    ask(fetchFn, "http://127.0.0.1:11434/api/show", { method: "POST" }),
    (err: Error) =>
      /Ollama at http:\/\/127\.0\.0\.1:11434\/api\/show sent an answer larger than 4 MiB/.test(
        err.message,
      ) && !err.message.includes("max_response_size"),
  );
  assert.ok(cancelled, "the answer was cancelled");
  assert.ok(sent <= MAX_ANSWER_BYTES + chunk.length, `read ${sent} bytes`);
});

Deno.test("asked again after a prompt was not sent, a model not loaded keeps its Modelfile's num_ctx", async () => {
  const ollama = startOllama({}, { devstral: 'num_ctx 8192\nstop "</s>"' });
  const config = testConfig({
    providers: [provider("ollama", { preset: "ollama", baseUrl: ollama.url })],
    routes: { default: "ollama/devstral" },
  });
  const watch = new OllamaContextWatch(() => config, fetch, createLogger({ level: "error" }));
  const windows = new ServerWindows();
  watch.share(windows);
  const ollamaConfig = config.providers.ollama!;
  try {
    await watch.check();
    assert.equal(windows.of(ollamaConfig, "devstral")?.tokens, 8192);
    // Not loaded, Ollama loads it with the Modelfile's 8192 again: a prompt surely over it would
    // still be cut, so the window stays.
    windows.onUnsent!(ollamaConfig, "devstral");
    const shows = () => ollama.asked.filter((a) => a === "show devstral").length;
    await until(() => shows() === 2 || windows.of(ollamaConfig, "devstral") === undefined);
    assert.equal(windows.of(ollamaConfig, "devstral")?.tokens, 8192);
  } finally {
    watch.close();
    await ollama.close();
  }
});

Deno.test("a reload that points the provider at another Ollama: the first one's context is no longer said, and the model is asked about again", async () => {
  const first = startOllama({ "qwen3-coder:latest": 4096 });
  const loaded: Record<string, number> = {};
  const second = startOllama(loaded);
  const lines: string[] = [];
  const log = createLogger({ level: "info", write: (line) => void lines.push(line) });
  const configAt = (url: string) =>
    testConfig({
      providers: [provider("ollama", { preset: "ollama", baseUrl: url })],
      routes: { default: "ollama/qwen3-coder" },
    });
  let config = configAt(first.url);
  const watch = new OllamaContextWatch(() => config, fetch, log);
  const windows = new ServerWindows();
  watch.share(windows);
  const warnings = () => lines.filter((l) => l.includes("WARN"));
  try {
    await watch.check();
    watch.ended(served("qwen3-coder"));
    assert.deepEqual(watch.shortContexts(), [
      { provider: "ollama", model: "qwen3-coder", context: 4096 },
    ]);
    assert.equal(warnings().length, 1);

    config = configAt(second.url);
    await watch.check();
    assert.deepEqual(watch.shortContexts(), [], "no note of the first server's context");
    // The first request there loaded the model with that server's own default.
    loaded["qwen3-coder:latest"] = 8192;
    watch.ended(served("qwen3-coder"));
    await until(() => warnings().length === 2);
    assert.match(warnings()[1]!, /Ollama runs qwen3-coder with a context of 8192 tokens/);
    assert.deepEqual(watch.shortContexts(), [
      { provider: "ollama", model: "qwen3-coder", context: 8192 },
    ]);
    assert.equal(windows.of(config.providers.ollama!, "qwen3-coder")?.tokens, 8192);
    assert.deepEqual(second.asked, ["ps", "show qwen3-coder", "ps"]);
  } finally {
    watch.close();
    await first.close();
    await second.close();
  }
});

Deno.test("a local server's questions follow no redirect, and end at 2 s on a server that drips", async () => {
  const elsewhere: string[] = [];
  const other = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    elsewhere.push(`${req.method} ${new URL(req.url).pathname}`);
    return psAnswer({ "qwen3:latest": 4096 });
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/drip/api/ps") {
      // Headers at once, then a byte every 100 ms for 20 s.
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          if (++sent > 200) return controller.close();
          controller.enqueue(new Uint8Array([0x20]));
        },
      });
      return new Response(body, { headers: { "content-type": "application/json" } });
    }
    const to = `http://localhost:${other.addr.port}${path}`;
    return new Response(null, { status: Number(path.slice(1, 4)), headers: { location: to } });
  });
  const root = `http://127.0.0.1:${server.addr.port}`;
  try {
    for (const status of [301, 302, 303, 307, 308]) {
      const said = await ask(fetch, `${root}/${status}/api/show`, {
        method: "POST",
        body: JSON.stringify({ model: "qwen3" }),
      });
      assert.equal(said, undefined, `${status}`);
    }
    assert.deepEqual(elsewhere, []);
    const started = performance.now();
    await assert.rejects(ask(fetch, `${root}/drip/api/ps`), /timeout/i);
    const ms = performance.now() - started;
    assert.ok(ms >= 1_900 && ms < 4_000, `ended after ${ms.toFixed(0)} ms`);
  } finally {
    await Promise.all([server.shutdown(), other.shutdown()]);
  }
});
