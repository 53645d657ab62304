/**
 * Claude Code's WebSearch end to end with the real `claude -p`, on each kind of upstream a user
 * puts behind it: the model calls WebSearch, Claude Code sends its own request with Anthropic's
 * `web_search_20250305` server tool, and that search runs — by ccp against a SearXNG mock for a
 * Chat Completions model and for Gemini, and by a `type: anthropic` gateway with
 * `server_tools: true` itself (its answer carries server_tool_use + web_search_tool_result
 * blocks). Claude Code shows the results, the model's answer cites them, and the usage Claude
 * Code reports counts one web search. Without `web_tools`, Claude Code gets ccp's "not
 * configured" notice as the search's answer and the session goes on to the model's answer.
 * With a SearXNG that refuses JSON (its settings.yml does not enable it), Claude Code gets the
 * error as the search's result and goes on, and ccp's log says what to fix. The five sessions
 * run side by side. Skipped when `claude` is not installed.
 */

import assert from "node:assert/strict";
import { claudeStage } from "../helpers/claude_print.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { claudeEnv, findClaude, runClaude, STREAM_JSON } from "../helpers/claude.ts";
import { encodeEvents, type SseEvent } from "../mocks/anthropic_fixtures.ts";
import { MOON, startWebMock } from "../webtools/mocks.ts";
import type { Config, ProviderConfig, WebToolsConfig } from "../../src/config/types.ts";

const claude = await findClaude();

type Obj = Record<string, unknown>;

/** What a request asks, whatever its wire: the tools offered and the tool results so far. */
interface Asked {
  /** Claude Code's own search request (a `web_search` function or server tool is offered). */
  search: boolean;
  /** The text of every tool result in the history. */
  results: string;
  /** The request ends with tool results (the model is to answer from them). */
  answered: boolean;
  /** Claude Code's search request, whether or not a search tool came with it. */
  searchPrompt: boolean;
}

type Move = { call: { name: string; args: Obj } } | { text: string };

/** The scripted model: search when asked a question, answer from what the search found. */
function decide(asked: Asked): Move {
  if (asked.search) {
    if (!asked.answered) return { call: { name: "web_search", args: { query: "moon distance" } } };
    // Nothing of the result in its own words: the main model can only learn it from the blocks.
    return { text: "Searched." };
  }
  if (asked.searchPrompt) return { text: "No search tool was offered." };
  if (!asked.answered) return { call: { name: "WebSearch", args: { query: "moon distance" } } };
  const cited = /https:\/\/example\.org\/moon/.exec(asked.results)?.[0];
  return { text: cited ? `ANSWER citing ${cited}` : `NO RESULT: ${asked.results.slice(0, 300)}` };
}

/** How Claude Code's WebSearch tool words its own request. */
const SEARCH_PROMPT = /Perform a web search for the query/;

function text(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((p) => JSON.stringify(p)).join("\n");
  return JSON.stringify(content ?? "");
}

function askedChat(body: Obj): Asked {
  const tools = (body.tools ?? []) as Array<{ function?: { name?: string } }>;
  const messages = body.messages as Array<{ role: string; content?: unknown }>;
  return {
    search: tools.some((t) => t.function?.name === "web_search"),
    results: messages.filter((m) => m.role === "tool").map((m) => text(m.content)).join("\n"),
    answered: messages.at(-1)?.role === "tool",
    searchPrompt: SEARCH_PROMPT.test(JSON.stringify(messages.at(-1))),
  };
}

function askedGemini(body: Obj): Asked {
  const tools = (body.tools ?? []) as Array<{ functionDeclarations?: Array<{ name: string }> }>;
  const contents = body.contents as Array<{ parts: Obj[] }>;
  const responses = (c: { parts: Obj[] }) => c.parts.filter((p) => p.functionResponse);
  return {
    search: tools.some((t) => t.functionDeclarations?.some((f) => f.name === "web_search")),
    results: contents.flatMap(responses).map((p) => text(p.functionResponse)).join("\n"),
    answered: responses(contents.at(-1)!).length > 0,
    searchPrompt: SEARCH_PROMPT.test(JSON.stringify(contents.at(-1))),
  };
}

function askedAnthropic(body: Obj): Asked {
  const tools = (body.tools ?? []) as Array<{ type?: string }>;
  const messages = body.messages as Array<{ role: string; content: unknown }>;
  const blocks = messages.flatMap((m) => Array.isArray(m.content) ? m.content as Obj[] : []);
  const last = messages.at(-1)!.content;
  return {
    search: tools.some((t) => t.type === "web_search_20250305"),
    results: blocks.filter((b) => b.type === "tool_result").map((b) => text(b.content)).join("\n"),
    answered: Array.isArray(last) && last.some((b: Obj) => b.type === "tool_result"),
    searchPrompt: SEARCH_PROMPT.test(JSON.stringify(last)),
  };
}

const SSE = { headers: { "content-type": "text/event-stream" } };

function chatReply(body: Obj, move: Move): Response {
  const delta = "call" in move
    ? {
      role: "assistant",
      tool_calls: [{
        index: 0,
        id: `call_${crypto.randomUUID().slice(0, 8)}`,
        type: "function",
        function: { name: move.call.name, arguments: JSON.stringify(move.call.args) },
      }],
    }
    : { role: "assistant", content: move.text };
  const chunk = (d: unknown, finish: string | null, extra: Obj = {}) =>
    `data: ${
      JSON.stringify({
        id: "chatcmpl-1",
        object: "chat.completion.chunk",
        model: body.model,
        choices: [{ index: 0, delta: d, finish_reason: finish }],
        ...extra,
      })
    }\n\n`;
  const usage = { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 };
  const finish = "call" in move ? "tool_calls" : "stop";
  return new Response(chunk(delta, null) + chunk({}, finish, { usage }) + "data: [DONE]\n\n", SSE);
}

function geminiReply(move: Move): Response {
  const part = "call" in move
    ? { functionCall: { name: move.call.name, args: move.call.args } }
    : { text: move.text };
  const chunk = {
    candidates: [{ content: { role: "model", parts: [part] }, finishReason: "STOP", index: 0 }],
    usageMetadata: { promptTokenCount: 100, candidatesTokenCount: 10, totalTokenCount: 110 },
    modelVersion: "gemini-2.5-flash",
  };
  return new Response(`data: ${JSON.stringify(chunk)}\r\n\r\n`, SSE);
}

/** Anthropic's stream of `blocks` (each whole in its start event, text as one delta). */
function anthropicStream(blocks: Obj[], stop: string, usage: Obj): Response {
  const events: SseEvent[] = [{
    event: "message_start",
    data: {
      type: "message_start",
      message: {
        id: `msg_${crypto.randomUUID().slice(0, 8)}`,
        type: "message",
        role: "assistant",
        model: "claude-sonnet-4-6",
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 100, output_tokens: 1 },
      },
    },
  }];
  blocks.forEach((block, index) => {
    const start = block.type === "text"
      ? { ...block, text: "" }
      : block.type === "tool_use" || block.type === "server_tool_use"
      ? { ...block, input: {} }
      : block;
    events.push({
      event: "content_block_start",
      data: { type: "content_block_start", index, content_block: start },
    });
    const delta = block.type === "text"
      ? { type: "text_delta", text: block.text }
      : "input" in block
      ? { type: "input_json_delta", partial_json: JSON.stringify(block.input) }
      : undefined;
    if (delta) {
      events.push({
        event: "content_block_delta",
        data: { type: "content_block_delta", index, delta },
      });
    }
    events.push({ event: "content_block_stop", data: { type: "content_block_stop", index } });
  });
  events.push({
    event: "message_delta",
    data: { type: "message_delta", delta: { stop_reason: stop, stop_sequence: null }, usage },
  }, { event: "message_stop", data: { type: "message_stop" } });
  return new Response(encodeEvents(events), SSE);
}

/** What Anthropic behind the gateway answers: the search runs there, as Anthropic runs it. */
function gatewayReply(asked: Asked, move: Move): Response {
  const usage = { input_tokens: 100, output_tokens: 10 };
  if (asked.search) {
    const id = "srvtoolu_01GatewaySearch";
    const found = {
      type: "web_search_tool_result",
      tool_use_id: id,
      content: [{
        type: "web_search_result",
        url: MOON.url,
        title: MOON.title,
        encrypted_content: "EqgfCioIARgBIiQ3YTAwMjY1Mi1mZjM5",
        page_age: "January 2, 2026",
      }],
    };
    const use = { type: "server_tool_use", id, name: "web_search", input: { query: "moon" } };
    return anthropicStream([use, found, { type: "text", text: "Searched." }], "end_turn", {
      ...usage,
      server_tool_use: { web_search_requests: 1 },
    });
  }
  if ("call" in move) {
    const use = {
      type: "tool_use",
      id: "toolu_01Main",
      name: move.call.name,
      input: move.call.args,
    };
    return anthropicStream([use], "tool_use", usage);
  }
  return anthropicStream([{ type: "text", text: move.text }], "end_turn", usage);
}

/** One upstream speaking all three wires, by path; it records what each request asked. */
function startModel() {
  const asked: Asked[] = [];
  const bodies: Obj[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    const body = await req.json() as Obj;
    bodies.push(body);
    if (path.endsWith("/chat/completions")) {
      const a = askedChat(body);
      asked.push(a);
      return chatReply(body, decide(a));
    }
    if (path.includes(":streamGenerateContent")) {
      const a = askedGemini(body);
      asked.push(a);
      return geminiReply(decide(a));
    }
    const a = askedAnthropic(body);
    asked.push(a);
    return gatewayReply(a, decide(a));
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    asked,
    bodies,
    close: () => server.shutdown(),
  };
}

type Kind = "chat" | "gemini" | "gateway";

function upstream(kind: Kind, url: string): ProviderConfig {
  const common = { apiKeys: ["sk-up-0000"], maxRetries: 0 };
  if (kind === "chat") {
    return provider("up", {
      ...common,
      type: "openai",
      baseUrl: `${url}/v1`,
      authHeader: "bearer",
    });
  }
  if (kind === "gemini") {
    return provider("up", {
      ...common,
      type: "gemini",
      baseUrl: `${url}/v1beta`,
      authHeader: "x-goog-api-key",
    });
  }
  return provider("up", { ...common, baseUrl: url, serverTools: true });
}

/** One `claude -p` WebSearch question through its own ccp and upstream. */
async function session(kind: Kind, web: WebToolsConfig | undefined) {
  const model = startModel();
  const config: Config = {
    ...testConfig({
      providers: [upstream(kind, model.url)],
      routes: { default: "up/search-model" },
      authToken: "e2e-token",
    }),
    ...(web ? { webTools: web } : {}),
  };
  await using stage = await claudeStage(`ccp-websearch-${kind}-`, config, { mocks: [model] });
  const { ws, ccp } = stage;
  const out = await runClaude(
    [
      "-p",
      "How far away is the Moon? Use WebSearch.",
      ...STREAM_JSON,
      "--permission-mode",
      "acceptEdits",
      "--allowedTools",
      "Bash",
      "Write",
      "Edit",
      "Read",
      "WebSearch",
    ],
    ws.work,
    claudeEnv(ws.home, ccp.url),
    20_000,
  );
  const stdout = new TextDecoder().decode(out.stdout);
  const events = stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Obj);
  const context = `${kind}:\n${stdout}\n${new TextDecoder().decode(out.stderr)}\n${
    ccp.logs.join("")
  }`;
  return { events, result: events.findLast((e) => e.type === "result"), model, ccp, context };
}

/** The text of the WebSearch tool results Claude Code handed its model (what it shows). */
function shownResults(events: Obj[]): string {
  return events.filter((e) => e.type === "user").flatMap((e) =>
    ((e.message as Obj).content as Obj[]).filter((b) => b.type === "tool_result")
  ).map((b) => text(b.content)).join("\n");
}

Deno.test({
  name: "Claude Code's WebSearch: Chat, Gemini, an Anthropic gateway with server_tools, none set",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const web = startWebMock();
    // A SearXNG whose settings.yml does not list the json format refuses it with a 403.
    const htmlOnly = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      () => new Response("Forbidden", { status: 403 }),
    );
    const webTools: WebToolsConfig = {
      search: { provider: "searxng", baseUrl: web.url },
      fetch: { allowPrivateNetworks: false, maxBytes: 1024 * 1024, timeoutMs: 10_000 },
    };
    try {
      const refusing = {
        provider: "searxng" as const,
        baseUrl: `http://127.0.0.1:${htmlOnly.addr.port}`,
      };
      const [chat, gemini, gateway, none, down] = await Promise.all([
        session("chat", webTools),
        session("gemini", webTools),
        session("gateway", webTools),
        session("chat", undefined),
        session("gemini", { ...webTools, search: refusing }),
      ]);
      for (const run of [chat, gemini, gateway]) {
        const { result, events, model, context } = run;
        assert.ok(result, `no result: ${context}`);
        assert.equal(result.is_error, false, context);
        assert.ok(model.asked.some((a) => a.search), `no search request: ${context}`);
        // Claude Code shows the search's results: the link and title reach its tool result.
        const shown = shownResults(events);
        assert.ok(shown.includes(MOON.url) && shown.includes(MOON.title), context);
        assert.equal(result.result, `ANSWER citing ${MOON.url}`, context);
        // Claude Code sums the search request's `usage.server_tool_use` per model.
        const perModel = Object.values(result.modelUsage as Record<string, Obj>);
        assert.deepEqual(perModel.map((u) => u.webSearchRequests), [1], context);
        assert.ok(run.ccp.logs.every((l) => !l.includes("sk-up-0000")), "no key logged");
      }
      // SearXNG was asked once for each translated upstream, never for the gateway's search.
      assert.equal(web.paths.filter((p) => p.startsWith("/search?q=")).length, 2, web.paths.join());
      assert.ok(web.paths.every((p) => p.includes("format=json")), web.paths.join());
      // The gateway got the server tool as Claude Code sent it.
      const relayed = gateway.model.bodies.find((b) =>
        (b.tools as Obj[] | undefined)?.some((t) => t.type === "web_search_20250305")
      );
      assert.ok(relayed, gateway.context);

      assert.ok(none.result, `no result: ${none.context}`);
      assert.equal(none.result.is_error, false, none.context);
      assert.match(shownResults(none.events), /Web search is not configured in ccp/, none.context);
      assert.match(String(none.result.result), /^NO RESULT/, none.context);
      const noneUsage = Object.values(none.result.modelUsage as Record<string, Obj>);
      assert.deepEqual(noneUsage.map((u) => u.webSearchRequests), [0], none.context);
      // Claude Code's search request reached the model without the server tool.
      assert.ok(none.model.asked.some((a) => a.searchPrompt && !a.search), none.context);

      // The backend refuses: Claude Code gets the error as the search's result and goes on, and
      // ccp's log tells its operator what to fix.
      assert.ok(down.result, `no result: ${down.context}`);
      assert.equal(down.result.is_error, false, down.context);
      assert.match(shownResults(down.events), /Web search error: unavailable/, down.context);
      assert.match(String(down.result.result), /^NO RESULT/, down.context);
      assert.match(
        down.ccp.logs.join(""),
        /WARN {2}Web search failed \(unavailable\): searxng answered 403 \(enable the json format/,
        down.context,
      );
    } finally {
      await htmlOnly.shutdown();
      await web.close();
    }
  },
});
