/**
 * The windows local servers run models with, learned by ccp, on the request path: Ollama's (which
 * cuts a longer prompt from the front without an error) keeps a prompt surely over it from being
 * sent, and answers Anthropic's `prompt is too long`; vLLM's, learned from its first refusal,
 * fits `max_tokens` so that no later request is refused for it. A declared window wins.
 */

import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { createLogger } from "../../src/core/log.ts";
import { RecentRequests } from "../../src/observe/recent.ts";
import { ResilienceRegistry } from "../../src/resilience/registry.ts";
import { OllamaContextWatch } from "../../src/upstream/ollama/context_watch.ts";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { encodeEvents, textMessage, textTurn } from "../mocks/anthropic_fixtures.ts";
import { psAnswer } from "../mocks/ollama_api.ts";
import { promtool } from "../helpers/promtool.ts";
import { invalidRequest, startRecordingUpstream } from "../helpers/recording_upstream.ts";

const ANSWER = textMessage("m", { input_tokens: 1, output_tokens: 1 }, "ok");

/** What the mock server does: vLLM's window, or the context Ollama loads a model with. */
interface ServerState {
  window?: number | undefined;
  context?: number;
  /** Loads Ollama was asked for with no prompt (`/api/generate`). */
  loads: number;
  /** `/api/ps` questions, and whether it answers 404 (a gateway in front of Ollama). */
  ps?: number;
  psMissing?: boolean;
  /** Tokens the server counts beyond ccp's count, per request (its own tokenizer). */
  extra?: () => number;
  /** vLLM's newer words for max_tokens over the window (0.9 and later). */
  newWords?: boolean;
}

/** vLLM's refusal of a prompt of `prompt` tokens and `max` output tokens over `window`. */
function vllmRefusal(state: ServerState, prompt: number, max: number, window: number): string {
  if (state.newWords && prompt < window) {
    return `'max_tokens' or 'max_completion_tokens' is too large: ${max}. This model's maximum ` +
      `context length is ${window} tokens and your request has ${prompt} input tokens ` +
      `(${max} > ${window} - ${prompt}).`;
  }
  return `This model's maximum context length is ${window} tokens. However, you requested ` +
    `${max} output tokens and your prompt contains at least ${prompt + 1} input tokens, for a ` +
    `total of at least ${prompt + max + 1} tokens. Please reduce the length of the input ` +
    `prompt or the number of requested output tokens. (parameter=input_tokens, value=${prompt})`;
}

/**
 * A local server: `/api/ps` lists `loaded` and `/api/show` names no `num_ctx` (Ollama), a
 * request loads the model with `state.context` (Ollama's `/api/generate` with no prompt too),
 * `/v1/messages` answers, or refuses as vLLM does when the prompt (`tokens()`) and max_tokens
 * exceed `state.window`.
 */
function localServer(loaded: Record<string, number>, tokens: () => number, state: ServerState) {
  const sent: number[] = [];
  const load = () => {
    if (state.context !== undefined) loaded["qwen3-coder:latest"] ??= state.context;
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/api/ps") {
      state.ps = (state.ps ?? 0) + 1;
      return state.psMissing
        ? new Response("404 page not found", { status: 404 })
        : psAnswer(loaded);
    }
    // No Modelfile `num_ctx`: Ollama's default context (or OLLAMA_CONTEXT_LENGTH) applies.
    if (path === "/api/show") return Response.json({ parameters: 'stop "<|im_end|>"' });
    const body = await req.json();
    if (path === "/api/generate") {
      state.loads++;
      load();
      return Response.json({ model: body.model, response: "", done: true, done_reason: "load" });
    }
    load();
    sent.push(body.max_tokens);
    const prompt = tokens() + (state.extra?.() ?? 0);
    const window = state.window;
    if (window !== undefined && prompt + body.max_tokens > window) {
      // vLLM's words for a prompt and max_tokens over max_model_len.
      return Response.json({
        type: "error",
        error: {
          type: "BadRequestError",
          message: vllmRefusal(state, prompt, body.max_tokens, window),
        },
      }, { status: 400 });
    }
    if (body.stream) {
      const events = encodeEvents(textTurn("m", 1));
      return new Response(events, { headers: { "content-type": "text/event-stream" } });
    }
    return Response.json(ANSWER);
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, sent, close: () => server.shutdown() };
}

/**
 * ccp in front of one local server (`preset`), routed alone or, with `hosted` (the address of an
 * Anthropic-compatible upstream), first in a chain with that hosted model after it.
 */
function setup(
  preset: string,
  opts: { refuseOver?: number; declared?: number; hosted?: string } = {},
) {
  let tokens = 0;
  const loaded: Record<string, number> = {};
  const server: ServerState = { window: opts.refuseOver, loads: 0 };
  const upstream = localServer(loaded, () => tokens, server);
  const declared = opts.declared === undefined
    ? ""
    : `, model_settings: { qwen3-coder: { context_window: ${opts.declared} } }`;
  const hosted = opts.hosted === undefined ? "" : `
  hosted: { type: anthropic, base_url: "${opts.hosted}", api_key: sk-hosted-0123456789, max_retries: 0 }`;
  const route = (id: string) =>
    opts.hosted === undefined ? `${id}/qwen3-coder` : `[${id}/qwen3-coder, hosted/big-model]`;
  const configFor = (id: string) =>
    configFromYaml({
      file: "c.yaml",
      env: {},
      text: `
providers:
  ${id}: { preset: ${preset}, base_url: "${upstream.url}", max_retries: 0${declared} }${hosted}
routes: { default: ${route(id)} }
`,
    });
  let config = configFor("local");
  const registry = new ResilienceRegistry();
  const watchLogs: string[] = [];
  const log = createLogger({ level: "info", write: (line) => watchLogs.push(line), colour: false });
  const watch = new OllamaContextWatch(() => config, fetch, log);
  watch.share(registry.windows);
  // What the status page lists, as it lists it.
  const recent = new RecentRequests();
  const ccp = startCcp(config, {
    registry,
    observers: [watch, recent],
    countTokens: () => Promise.resolve(tokens),
  });
  return {
    loaded,
    server,
    sent: upstream.sent,
    registry,
    recent,
    url: ccp.url,
    get config() {
      return config;
    },
    /** A reload that renames the provider (same server, same key), its route following it. */
    rename: (id: string) => {
      config = configFor(id);
      ccp.setConfig(config);
    },
    /** The log lines of the requests and of the Ollama watch. */
    logs: () => [...ccp.logs, ...watchLogs],
    send: async (n: number, maxTokens = 32_000, stream = false) => {
      tokens = n;
      const res = await postMessages(ccp.url, {
        model: "claude-sonnet-4-5",
        max_tokens: maxTokens,
        messages: [{ role: "user", content: "hi" }],
        ...(stream ? { stream } : {}),
      });
      return { res, body: stream && res.ok ? await res.text() : await res.json() };
    },
    close: async () => {
      watch.close();
      await ccp.close();
      await upstream.close();
    },
  };
}

async function until(check: () => boolean): Promise<void> {
  const end = performance.now() + 3000;
  while (!check()) {
    if (performance.now() > end) assert.fail("timed out");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const learned = (env: ReturnType<typeof setup>) =>
  env.registry.windows.of(env.config.providers.local!, "qwen3-coder")?.tokens;

Deno.test("Ollama at 4096, model not loaded: ccp has it loaded first, and a prompt surely over it is refused, not cut", async () => {
  const env = setup("ollama");
  try {
    env.server.context = 4096;
    const { res, body } = await env.send(13_000);
    assert.equal(res.status, 400);
    assert.equal(body.error.type, "invalid_request_error");
    assert.match(body.error.message, /^prompt is too long: 13000 tokens > 4096 maximum/);
    assert.match(body.error.message, /OLLAMA_CONTEXT_LENGTH=65536/);
    assert.match(body.error.message, /num_ctx/);
    assert.equal(env.server.loads, 1, "the model was loaded with no prompt first");
    assert.equal(env.sent.length, 0, "Ollama was not sent the prompt it would have cut");
    // The load, a request more to the same Ollama, is said in one line.
    const loadLines = env.logs().filter((l) => l.includes("loaded first"));
    assert.equal(loadLines.length, 1, env.logs().join(""));
    assert.match(
      loadLines[0]!,
      /INFO {2}provider "local" \(model qwen3-coder\) is not loaded and the prompt \(13000 tokens by ccp's count\) may be longer than the context Ollama would load it with: loaded first/,
    );
    // Within the count's margin the request is sent, max_tokens fitted into the window.
    assert.equal((await env.send(2_000)).res.status, 200);
    assert.deepEqual(env.sent, [4096 - 2_000 - 64]);
    assert.equal(env.server.loads, 1);
  } finally {
    await env.close();
  }
});

Deno.test("Ollama: a loaded model's context is read before its first request, with no load", async () => {
  const env = setup("ollama");
  try {
    env.loaded["qwen3-coder:latest"] = 4096;
    assert.equal((await env.send(13_000)).res.status, 400);
    assert.equal(env.server.loads, 0);
    assert.equal(env.sent.length, 0);
  } finally {
    await env.close();
  }
});

Deno.test("Ollama: a prompt that fits any context is sent without loading the model first", async () => {
  const env = setup("ollama");
  try {
    env.server.context = 4096;
    assert.equal((await env.send(1_500)).res.status, 200);
    assert.equal(env.server.loads, 0);
    assert.deepEqual(env.sent, [32_000]);
    // That request loaded it; the watch asks after it, as before.
    await until(() => learned(env) === 4096);
  } finally {
    await env.close();
  }
});

Deno.test("Ollama restarted with more context: the learned window is asked again, not kept", async () => {
  const env = setup("ollama");
  try {
    env.loaded["qwen3-coder:latest"] = 4096;
    assert.equal((await env.send(13_000)).res.status, 400);
    assert.equal(learned(env), 4096);
    // Ollama restarts (OLLAMA_CONTEXT_LENGTH=65536): nothing is loaded until asked.
    delete env.loaded["qwen3-coder:latest"];
    env.server.context = 65_536;
    assert.equal((await env.send(13_000)).res.status, 400);
    await until(() => learned(env) === undefined);
    // The next request has the model loaded first, and goes with the new context known.
    assert.equal((await env.send(13_000)).res.status, 200);
    assert.equal(learned(env), 65_536);
    assert.equal((await env.send(30_000)).res.status, 200);
    assert.deepEqual(env.sent, [32_000, 32_000]);
    assert.equal(env.server.loads, 1);
  } finally {
    await env.close();
  }
});

Deno.test("a declared context_window wins over the context Ollama runs with", async () => {
  const env = setup("ollama", { declared: 200_000 });
  try {
    env.loaded["qwen3-coder:latest"] = 4096;
    await env.send(13_000);
    await until(() => learned(env) === 4096);
    assert.equal((await env.send(13_000)).res.status, 200);
    assert.deepEqual(env.sent, [32_000, 32_000]);
  } finally {
    await env.close();
  }
});

for (const stream of [false, true]) {
  Deno.test(`vLLM: its refusal of max_tokens is sent again fitted into the room it states, then fits from then on (stream: ${stream})`, async () => {
    const env = setup("vllm", { refuseOver: 32_768 });
    try {
      const first = await env.send(20_000, 128_000, stream);
      assert.equal(first.res.status, 200, "Claude Code never sees the first refusal");
      if (stream) assert.match(first.body, /event: message_stop/);
      assert.equal(learned(env), 32_768);
      // The re-send is said once, naming the target and the window; the request's body is not.
      const resent = env.logs().filter((l) => l.includes("sent again"));
      assert.equal(resent.length, 1, env.logs().join(""));
      assert.match(
        resent[0]!,
        /INFO {2}provider "local" \(model qwen3-coder\) answered 400: max_tokens over its window of 32768 tokens refused: sent again with max_tokens fitted into it\n$/,
      );
      for (const prompt of [20_000, 25_000]) {
        const { res } = await env.send(prompt, 128_000, stream);
        assert.equal(res.status, 200);
      }
      // The re-send fits beside vLLM's own count of the prompt (it says "at least 20001"), the
      // later requests beside ccp's.
      assert.deepEqual(env.sent, [
        128_000,
        32_768 - 20_001 - 64,
        32_768 - 20_000 - 64,
        32_768 - 25_000 - 64,
      ]);
    } finally {
      await env.close();
    }
  });
}

Deno.test("vLLM: a prompt itself over the window is refused as too long, and not sent again", async () => {
  const env = setup("vllm", { refuseOver: 32_768 });
  try {
    const { res, body } = await env.send(40_000, 128_000);
    assert.equal(res.status, 400);
    assert.match(body.error.message, /^prompt is too long: 40001 tokens > 32768 maximum/);
    assert.deepEqual(env.sent, [128_000]);
    assert.equal(learned(env), 32_768);
  } finally {
    await env.close();
  }
});

Deno.test("vLLM: a fitted re-send refused again reaches the client, with no third try", async () => {
  const env = setup("vllm", { refuseOver: 32_768 });
  try {
    // The server counts the prompt 10000 tokens higher on the re-send than it said at first:
    // the fitted max_tokens does not fit, and that second refusal is the answer.
    let calls = 0;
    env.server.extra = () => (calls++ === 0 ? 0 : 10_000);
    const { res, body } = await env.send(20_000, 128_000);
    assert.equal(res.status, 400);
    assert.match(body.error.message, /^input length and `max_tokens` exceed context limit/);
    assert.deepEqual(env.sent, [128_000, 32_768 - 20_001 - 64]);
  } finally {
    await env.close();
  }
});

Deno.test("vLLM counting fewer tokens than ccp: each refusal is sent again fitted beside the server's count", async () => {
  // vLLM at --max-model-len 16384 counts 12000 tokens of a prompt ccp's estimate makes 16000 of
  // (Claude tokens, a third over an open model's): ccp's count leaves no room to fit max_tokens
  // into the window it knows, vLLM's leaves 4300.
  const env = setup("vllm", { refuseOver: 16_384 });
  try {
    env.server.extra = () => -4_000;
    for (let turn = 0; turn < 2; turn++) {
      const { res } = await env.send(16_000, 128_000, turn === 1);
      assert.equal(res.status, 200, `turn ${turn}: Claude Code never sees the refusal`);
    }
    assert.equal(learned(env), 16_384);
    // The window learned at the first refusal does not help the second request (ccp's count
    // fills it): that one is refused too, and sent again beside vLLM's count.
    assert.deepEqual(env.sent, [128_000, 16_384 - 12_001 - 64, 128_000, 16_384 - 12_001 - 64]);
  } finally {
    await env.close();
  }
});

Deno.test("vLLM with a declared window learns nothing from a refusal, and sends it again fitted", async () => {
  const env = setup("vllm", { refuseOver: 32_768, declared: 1_000_000 });
  try {
    assert.equal((await env.send(20_000, 128_000)).res.status, 200);
    assert.equal(learned(env), undefined);
    assert.deepEqual(env.sent, [128_000, 32_768 - 20_001 - 64]);
  } finally {
    await env.close();
  }
});

Deno.test("Ollama with a declared context_window (the context it runs): a prompt surely over it is not sent either", async () => {
  const env = setup("ollama", { declared: 4096 });
  try {
    const { res, body } = await env.send(13_000);
    assert.equal(res.status, 400);
    assert.equal(body.error.type, "invalid_request_error");
    assert.match(
      body.error.message,
      /^prompt is too long: 13000 tokens > 4096 maximum \(ccp's count; not sent: the context_window of qwen3-coder is 4096 tokens, and Ollama cuts a longer prompt/,
    );
    assert.match(body.error.message, /OLLAMA_CONTEXT_LENGTH=65536.*raise its context_window/);
    assert.deepEqual(env.sent, [], "Ollama was not sent the prompt it would have cut");
    // Within the count's margin it is sent, max_tokens fitted into the declared window.
    assert.equal((await env.send(2_000)).res.status, 200);
    assert.deepEqual(env.sent, [4096 - 2_000 - 64]);
  } finally {
    await env.close();
  }
});

Deno.test("vLLM restarted with a smaller window: its refusal replaces the larger one learned", async () => {
  const env = setup("vllm", { refuseOver: 32_768 });
  try {
    assert.equal((await env.send(20_000, 128_000)).res.status, 200);
    assert.equal(learned(env), 32_768);
    // vLLM restarts with --max-model-len 24576: the window fitted so far is too large now.
    env.server.window = 24_576;
    // Its refusal of the max_tokens fitted to the old window is sent again, fitted to the room the
    // new one leaves.
    assert.equal((await env.send(20_000, 128_000)).res.status, 200);
    assert.equal(learned(env), 24_576);
    assert.equal((await env.send(20_000, 128_000)).res.status, 200);
    assert.deepEqual(env.sent, [
      128_000,
      32_768 - 20_001 - 64,
      32_768 - 20_000 - 64,
      24_576 - 20_001 - 64,
      24_576 - 20_000 - 64,
    ]);
  } finally {
    await env.close();
  }
});

Deno.test("Ollama restarted with less context: the smaller window replaces the larger one", async () => {
  const env = setup("ollama");
  try {
    env.loaded["qwen3-coder:latest"] = 65_536;
    assert.equal((await env.send(13_000)).res.status, 200);
    await until(() => learned(env) === 65_536);
    // Ollama restarts at 4096 and loads the model again for the next request.
    env.loaded["qwen3-coder:latest"] = 4096;
    assert.equal((await env.send(1_000)).res.status, 200);
    await until(() => learned(env) === 4096);
    const { res, body } = await env.send(13_000);
    assert.equal(res.status, 400);
    assert.match(body.error.message, /^prompt is too long: 13000 tokens > 4096 maximum/);
    assert.equal(env.sent.length, 2, "Ollama was not sent the prompt it would now cut");
  } finally {
    await env.close();
  }
});

Deno.test("Ollama: a server with no /api/ps is asked once before a request, not before each", async () => {
  const env = setup("ollama");
  try {
    env.server.psMissing = true;
    for (let i = 0; i < 3; i++) assert.equal((await env.send(13_000)).res.status, 200);
    // Once before the first request, once after it (in the background), then never again.
    await until(() => env.server.ps === 2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(env.server.ps, 2);
    assert.equal(env.sent.length, 3);
  } finally {
    await env.close();
  }
});

Deno.test("vLLM's window learned under one name holds after a reload renames the provider: no refused round trip", async () => {
  const env = setup("vllm", { refuseOver: 32_768 });
  try {
    assert.equal((await env.send(20_000, 128_000)).res.status, 200);
    // The re-send is fitted by vLLM's own count of the prompt (its mock counts one more).
    assert.deepEqual(env.sent, [128_000, 32_768 - 20_001 - 64]);
    env.rename("vllm_box");
    assert.equal((await env.send(20_000, 128_000)).res.status, 200);
    assert.deepEqual(env.sent.slice(2), [32_768 - 20_000 - 64], "fitted at once, not refused");
  } finally {
    await env.close();
  }
});

Deno.test("Ollama not loaded: the request sent after ccp had the model loaded first carries max_tokens fitted into the context learned at the load", async () => {
  const env = setup("ollama");
  try {
    env.server.context = 16_384;
    // Over the least context any Ollama picks, within the count's margin of 16384: loaded first.
    assert.equal((await env.send(8_000)).res.status, 200);
    assert.equal(env.server.loads, 1);
    assert.deepEqual(env.sent, [16_384 - 8_000 - 64], "the first request is fitted as later ones");
    assert.equal((await env.send(9_000)).res.status, 200);
    assert.deepEqual(env.sent.slice(1), [16_384 - 9_000 - 64]);
  } finally {
    await env.close();
  }
});

Deno.test("Ollama not loaded: two requests at once wait for one load, and both carry max_tokens fitted", async () => {
  const env = setup("ollama");
  try {
    env.server.context = 16_384;
    const both = await Promise.all([env.send(8_000, 128_000), env.send(8_000, 128_000, true)]);
    assert.deepEqual(both.map(({ res }) => res.status), [200, 200]);
    assert.equal(env.server.loads, 1);
    assert.deepEqual(env.sent, [16_384 - 8_000 - 64, 16_384 - 8_000 - 64]);
  } finally {
    await env.close();
  }
});

for (const newWords of [false, true]) {
  for (const stream of [false, true]) {
    Deno.test(`a chain of vLLM then a hosted model: vLLM's refusal of max_tokens that leaves no room for an answer moves on, and the hosted model serves it (vLLM's ${newWords ? "newer" : "older"} words, stream: ${stream})`, async () => {
      const hosted = startRecordingUpstream();
      const env = setup("vllm", { refuseOver: 32_768, hosted: hosted.url });
      env.server.newWords = newWords;
      try {
        // The prompt leaves vLLM less than 1024 tokens of its 32768 for an answer.
        const { res } = await env.send(31_800, 32_000, stream);
        assert.equal(res.status, 200, "the hosted model serves what vLLM cannot");
        assert.equal(res.headers.get("x-ccp-provider"), "hosted");
        assert.equal(res.headers.get("x-ccp-passed"), "local/qwen3-coder (refused as too long)");
        assert.deepEqual(env.sent, [32_000], "not sent again with a few tokens of max_tokens");
        assert.equal(hosted.bodies.length, 1);
        assert.equal(hosted.bodies[0]!.max_tokens, 32_000);
        const moved = env.logs().filter((l) => l.includes("next_target"));
        assert.equal(moved.length, 1, env.logs().join(""));
        assert.match(moved[0]!, /prompt is too long: 3180[01] tokens > 31680 maximum/);
        const breaker = env.registry.breaker("local", "qwen3-coder").snapshot();
        assert.equal(breaker.failures, 0, "a prompt too long is no ill health of the server");
        // vLLM is no worse for it: the next, shorter prompt is its own, max_tokens fitted.
        assert.equal((await env.send(20_000, 32_000, stream)).res.status, 200);
        assert.deepEqual(env.sent, [32_000, 32_768 - 20_000 - 64]);
        assert.equal(hosted.bodies.length, 1);
        assert.equal(env.registry.breaker("local", "qwen3-coder").state, "closed");
      } finally {
        await env.close();
        await hosted.close();
      }
    });
  }
}

Deno.test("vLLM alone: a refusal of max_tokens that leaves no room for an answer reaches Claude Code as Anthropic's prompt is too long, naming the window", async () => {
  for (const newWords of [false, true]) {
    const env = setup("vllm", { refuseOver: 32_768 });
    env.server.newWords = newWords;
    try {
      const { res, body } = await env.send(31_800, 32_000);
      assert.equal(res.status, 400);
      assert.equal(body.type, "error");
      assert.equal(body.error.type, "invalid_request_error");
      const counted = newWords ? 31_800 : 31_801;
      assert.match(
        body.error.message,
        new RegExp(
          `^prompt is too long: ${counted} tokens > 31680 maximum \\(its window of 32768 tokens ` +
            `leaves ${
              32_768 - counted
            } beside the prompt, too few for an answer; provider "local" ` +
            `\\(model qwen3-coder\\) answered HTTP 400: .*maximum context length is 32768`,
        ),
      );
      assert.deepEqual(env.sent, [32_000]);
    } finally {
      await env.close();
    }
  }
});

/** The request log lines (`POST /v1/messages ...`) among `logs`. */
const requestLines = (logs: string[]) => logs.filter((l) => l.includes("POST /v1/messages"));

Deno.test("a chain of vLLM then a hosted model: the hosted model's refusal of max_tokens reaches Claude Code as it came, not sent again nor made a prompt too long", async () => {
  // The hosted model counts the prompt by its own tokenizer, and states room for an answer
  // (64000 asked beside 150000 of 200000) or none (32000 beside 199500).
  let prompt = 150_000;
  const hosted = startRecordingUpstream((body) =>
    invalidRequest(
      `input length and \`max_tokens\` exceed context limit: ${prompt} + ${body.max_tokens} > ` +
        "200000, decrease input length or `max_tokens` and try again",
    )
  );
  // vLLM's window holds no such prompt: the request moves on to the hosted model.
  const env = setup("vllm", { refuseOver: 32_768, hosted: hosted.url });
  try {
    for (const [counted, max] of [[150_000, 64_000], [199_500, 32_000]] as const) {
      prompt = counted;
      const before = hosted.bodies.length;
      const { res, body } = await env.send(40_000, max);
      assert.equal(res.status, 400);
      assert.equal(res.headers.get("x-ccp-provider"), "hosted");
      assert.equal(body.error.type, "invalid_request_error");
      assert.match(
        body.error.message,
        new RegExp(`^input length and \`max_tokens\` exceed context limit: ${counted} \\+ ${max}`),
        "as the hosted model alone would answer: Claude Code asks for fewer tokens",
      );
      assert.deepEqual(
        hosted.bodies.slice(before).map((b) => b.max_tokens),
        [max],
        "the hosted model is sent the request once",
      );
    }
    assert.doesNotMatch(requestLines(env.logs()).join(""), /resent:/);
  } finally {
    await env.close();
    await hosted.close();
  }
});

Deno.test("a refusal of max_tokens sent again fitted and served: the log line, the status page and /metrics say so, and count no failure", async () => {
  const env = setup("vllm", { refuseOver: 32_768 });
  try {
    assert.equal((await env.send(20_000, 128_000)).res.status, 200);
    const lines = requestLines(env.logs());
    assert.equal(lines.length, 1, env.logs().join(""));
    assert.match(
      lines[0]!,
      / INFO {2}POST \/v1\/messages claude-sonnet-4-5 \u2192 local\/qwen3-coder 200 /,
    );
    assert.match(lines[0]!, / resent: local\/qwen3-coder \(max_tokens fitted after 400\)\n$/);
    assert.doesNotMatch(lines[0]!, /attempts=|failed/);
    const [summary] = env.recent.latest();
    assert.equal(summary!.failed, undefined, "no failed try on the status page");
    assert.equal(summary!.resent, "local/qwen3-coder (max_tokens fitted after 400)");
    assert.equal(summary!.attempts, 2, "both sends are counted");
    const metrics = await (await fetch(`${env.url}/metrics`)).text();
    assert.match(
      metrics,
      /ccp_upstream_attempts_total\{provider="local",model="qwen3-coder",outcome="resent"\} 1\n/,
    );
    assert.match(
      metrics,
      /ccp_upstream_attempts_total\{provider="local",model="qwen3-coder",outcome="answered"\} 1\n/,
    );
    assert.doesNotMatch(metrics, /outcome="status_400"/);
    assert.equal(await promtool(metrics), "", "Prometheus's checker takes the resent series");
    assert.equal(env.registry.breaker("local", "qwen3-coder").state, "closed");
  } finally {
    await env.close();
  }
});

Deno.test("a re-send fitted, refused again, then served by the next target: the log line counts the failover's attempts, not the re-send", async () => {
  const hosted = startRecordingUpstream();
  const env = setup("vllm", { refuseOver: 32_768, hosted: hosted.url });
  try {
    // vLLM counts the prompt 12000 tokens higher on the re-send: no room left then.
    let calls = 0;
    env.server.extra = () => (calls++ === 0 ? 0 : 12_000);
    const { res } = await env.send(20_000, 128_000);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-ccp-provider"), "hosted");
    assert.deepEqual(env.sent, [128_000, 32_768 - 20_001 - 64]);
    const lines = requestLines(env.logs());
    assert.equal(lines.length, 1, env.logs().join(""));
    assert.match(
      lines[0]!,
      / attempts=2 \(failed: local\/qwen3-coder 400\) resent: local\/qwen3-coder \(max_tokens fitted after 400\) passed: local\/qwen3-coder \(refused as too long\)\n$/,
    );
    assert.equal(env.recent.latest()[0]!.failed, "local/qwen3-coder 400");
  } finally {
    await env.close();
    await hosted.close();
  }
});
