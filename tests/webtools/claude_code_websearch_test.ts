/**
 * Drives the real Claude Code CLI (`claude -p`) through ccp for a WebSearch question: the
 * scripted OpenAI-compatible model calls WebSearch, Claude Code sends its web search request
 * (Anthropic's server tool), ccp runs the search against the mock SearXNG, and the model's
 * final answer quotes the result. Skipped when `claude` is not installed.
 */

import assert from "node:assert/strict";
import { startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { countRequestTokensAsync } from "../../src/tokens/mod.ts";
import {
  type ModelMove,
  MOON,
  startScriptedOpenAI,
  startWebMock,
  trailingToolResults,
} from "./mocks.ts";
import { claudeEnv, findClaude, runClaude, STREAM_JSON } from "../helpers/claude.ts";

const claude = await findClaude();

type Msg = { role: string; content?: unknown };
type Tool = { function?: { name?: string } };

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((p) => (p as { text?: string }).text ?? "").join("");
}

// Main turn: call WebSearch, then answer from its result; Claude Code's search request: search.
function webSearchScript(log: string[]) {
  return (messages: Msg[], tools: Tool[]): ModelMove => {
    const names = tools.map((t) => t.function?.name ?? "");
    const results = trailingToolResults(messages as never);
    if (names.includes("web_search")) {
      log.push("search-request");
      if (results.length === 0) {
        return { calls: [{ name: "web_search", args: { query: "moon distance" } }] };
      }
      // Says nothing of what it found: the answer can only learn it from the result blocks.
      return { text: "The search is done." };
    }
    log.push("main");
    const all = messages.filter((m) => m.role === "tool").map((m) => textOf(m.content)).join("\n");
    if (all.includes(MOON.url)) return { text: `ANSWER from ${MOON.url}: ${all}` };
    if (results.length > 0) return { text: `NO RESULT: ${all.slice(0, 500)}` };
    return { calls: [{ name: "WebSearch", args: { query: "moon distance" } }] };
  };
}

Deno.test({
  name: "real Claude Code answers a WebSearch question through ccp's web tools",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const work = await Deno.makeTempDir({ prefix: "ccp-e2e-" });
    const home = await Deno.makeTempDir({ prefix: "ccp-home-" });
    const web = startWebMock();
    const log: string[] = [];
    const script = webSearchScript(log);
    const model = startScriptedOpenAI((messages) => script(messages, lastTools()));
    const lastTools = () => (model.bodies.at(-1)?.tools ?? []) as Tool[];
    const ccp = startCcp(
      {
        ...testConfig({
          providers: [provider("up", { type: "openai", baseUrl: model.url, authHeader: "bearer" })],
          routes: { default: "up/scripted-model" },
          authToken: "e2e-token",
        }),
        webTools: {
          search: { provider: "searxng", baseUrl: web.url },
          fetch: { allowPrivateNetworks: false, maxBytes: 1024 * 1024, timeoutMs: 10_000 },
        },
      },
      { countTokens: (body) => countRequestTokensAsync(body) },
    );
    try {
      const out = await runClaude(
        [
          "-p",
          "How far away is the Moon? Use WebSearch.",
          ...STREAM_JSON,
          "--allowedTools",
          "WebSearch",
        ],
        work,
        claudeEnv(home, ccp.url),
        120_000,
      );
      const stdout = new TextDecoder().decode(out.stdout);
      const lines = stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l));
      const result = lines.find((e) => e.type === "result");
      const context = `\n${stdout}\n${new TextDecoder().decode(out.stderr)}\n${
        ccp.logs.join("")
      }\n${log}`;
      assert.ok(result, `no result line:${context}`);
      assert.equal(result.is_error, false, context);
      // Claude Code read the web_search_tool_result block: its link reached the main model.
      assert.match(result.result, /^ANSWER from https:\/\/example\.org\/moon/, context);
      assert.ok(result.result.includes(MOON.title), context);
      assert.ok(
        log.includes("search-request"),
        `Claude Code sent no web search request:${context}`,
      );
      assert.ok(web.paths.some((p) => p.startsWith("/search?q=")), "the mock SearXNG was asked");
      assert.ok(ccp.logs.every((l) => !l.includes("e2e-token")), "token never logged");
    } finally {
      await ccp.close();
      await model.close();
      await web.close();
      await Deno.remove(work, { recursive: true }).catch(() => {});
      await Deno.remove(home, { recursive: true }).catch(() => {});
    }
  },
});
