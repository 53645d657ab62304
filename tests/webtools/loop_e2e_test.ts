/**
 * The web search loop through the real server in front of an OpenAI-compatible model: ccp runs
 * the searches the model asks for and answers the client with server_tool_use and
 * web_search_tool_result blocks, as JSON or as one well-formed stream.
 */

import assert from "node:assert/strict";
import type { Config, WebToolsConfig } from "../../src/config/types.ts";
import { parseSse, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import {
  type ModelMove,
  MOON,
  startScriptedOpenAI,
  startWebMock,
  trailingToolResults,
} from "./mocks.ts";
import { post, QUESTION, SEARCH_TOOL, webTools } from "./_loop_env.ts";

function config(modelUrl: string, webTools: WebToolsConfig | undefined): Config {
  const base = testConfig({
    providers: [provider("up", { type: "openai", baseUrl: modelUrl, authHeader: "bearer" })],
    routes: { default: "up/mock-model" },
  });
  return webTools ? { ...base, webTools } : base;
}

// Searches once, then answers quoting what the search returned.
function searchThenAnswer(messages: Parameters<Parameters<typeof startScriptedOpenAI>[0]>[0]) {
  const results = trailingToolResults(messages);
  if (results.length === 0) {
    return { calls: [{ name: "web_search", args: { query: "moon distance" } }] };
  }
  return { text: `Found: ${results[0]!.includes("384,400 km") ? "384,400 km" : "nothing"}` };
}

/** The content blocks a stream builds, text deltas applied. */
function blocksOfStream(text: string): Array<{ type: string; text: string }> {
  const blocks: Array<{ type: string; text: string }> = [];
  for (const e of parseSse(text)) {
    const d = e.data as {
      index: number;
      content_block?: { type: string; text?: string };
      delta?: { text?: string };
    };
    if (e.event === "content_block_start") {
      blocks[d.index] = { type: d.content_block!.type, text: d.content_block!.text ?? "" };
    }
    if (e.event === "content_block_delta" && d.delta?.text) blocks[d.index]!.text += d.delta.text;
  }
  return blocks;
}

async function withSetup(
  script: (m: Parameters<Parameters<typeof startScriptedOpenAI>[0]>[0]) => ModelMove,
  tools: (web: { url: string; port: number }) => WebToolsConfig | undefined,
  fn: (ctx: {
    ccp: ReturnType<typeof startCcp>;
    model: ReturnType<typeof startScriptedOpenAI>;
    web: ReturnType<typeof startWebMock>;
  }) => Promise<void>,
  over: Parameters<typeof startCcp>[1] = {},
): Promise<void> {
  const web = startWebMock();
  const model = startScriptedOpenAI(script);
  const ccp = startCcp(config(model.url, tools(web)), over);
  try {
    await fn({ ccp, model, web });
  } finally {
    await ccp.close();
    await model.close();
    await web.close();
  }
}

Deno.test("web search loop through ccp", async (t) => {
  await t.step("JSON: search, result and answer in one message, usage summed", async () => {
    await withSetup(searchThenAnswer, (w) => webTools(w.url), async ({ ccp, model, web }) => {
      const res = await post(ccp.url, {
        messages: QUESTION,
        tools: [SEARCH_TOOL],
        tool_choice: { type: "tool", name: "web_search" },
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("x-ccp-provider"), "up");
      const msg = await res.json();
      assert.equal(msg.type, "message");
      assert.equal(msg.model, "claude-sonnet-4-6");
      assert.deepEqual(msg.content.map((b: { type: string }) => b.type), [
        "server_tool_use",
        "web_search_tool_result",
        "text",
      ]);
      const [use, result, text] = msg.content;
      assert.match(use.id, /^srvtoolu_[A-Za-z0-9]{24}$/);
      assert.deepEqual(use, {
        type: "server_tool_use",
        id: use.id,
        name: "web_search",
        input: { query: "moon distance" },
      });
      assert.equal(result.tool_use_id, use.id);
      // The blocked domain is not filtered here (no blocked_domains); both results come through.
      assert.equal(result.content.length, 2);
      assert.deepEqual(Object.keys(result.content[0]).sort(), [
        "encrypted_content",
        "page_age",
        "title",
        "type",
        "url",
      ]);
      assert.equal(result.content[0].type, "web_search_result");
      assert.equal(result.content[0].url, MOON.url);
      assert.equal(result.content[0].title, MOON.title);
      assert.equal(result.content[0].page_age, MOON.publishedDate);
      assert.equal(text.text, "Found: 384,400 km");
      assert.equal(msg.stop_reason, "end_turn");
      assert.equal(msg.usage.input_tokens, 200);
      assert.equal(msg.usage.output_tokens, 20);
      assert.deepEqual(msg.usage.server_tool_use, {
        web_search_requests: 1,
        web_fetch_requests: 0,
      });
      assert.deepEqual(web.paths, ["/search?q=moon+distance&format=json"]);
      // The model was offered a function, forced on the first round only.
      assert.equal(model.bodies.length, 2);
      const first = model.bodies[0]!;
      assert.notEqual(first.stream, true, "rounds are asked as JSON");
      const fnNames = (first.tools as Array<{ function: { name: string } }>).map((x) =>
        x.function.name
      );
      assert.deepEqual(fnNames, ["web_search"]);
      assert.deepEqual(first.tool_choice, { type: "function", function: { name: "web_search" } });
      assert.notDeepEqual(model.bodies[1]!.tool_choice, first.tool_choice);
    });
  });

  await t.step("stream: one message_start, consecutive indexes, one message_stop", async () => {
    await withSetup(searchThenAnswer, (w) => webTools(w.url), async ({ ccp, model }) => {
      const res = await post(ccp.url, { messages: QUESTION, tools: [SEARCH_TOOL], stream: true });
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
      const events = parseSse(await res.text());
      // Each round streams from the model; its text goes through as it comes.
      assert.deepEqual(model.bodies.map((b) => b.stream), [true, true]);
      assert.deepEqual(
        events.map((e) => {
          const d = e.data as {
            index?: number;
            content_block?: { type: string };
            delta?: { type: string };
          };
          return [e.event, d.index, d.content_block?.type ?? d.delta?.type].filter((x) =>
            x !== undefined
          )
            .join(":");
        }),
        [
          "message_start",
          "content_block_start:0:server_tool_use",
          "content_block_delta:0:input_json_delta",
          "content_block_stop:0",
          "content_block_start:1:web_search_tool_result",
          "content_block_stop:1",
          "content_block_start:2:text",
          "content_block_delta:2:text_delta",
          "content_block_stop:2",
          "message_delta",
          "message_stop",
        ],
      );
      const start = events[1]!.data.content_block as Record<string, unknown>;
      assert.deepEqual(start.input, {});
      const delta = events[2]!.data.delta as { partial_json: string };
      assert.deepEqual(JSON.parse(delta.partial_json), { query: "moon distance" });
      const result = events[4]!.data.content_block as { tool_use_id: string; content: unknown[] };
      assert.equal(result.tool_use_id, start.id);
      assert.equal(result.content.length, 2);
      const end = events[9]!.data as {
        delta: { stop_reason: string };
        usage: { server_tool_use: unknown; input_tokens: number };
      };
      assert.equal(end.delta.stop_reason, "end_turn");
      assert.deepEqual(end.usage.server_tool_use, {
        web_search_requests: 1,
        web_fetch_requests: 0,
      });
      assert.equal(end.usage.input_tokens, 200);
    });
  });

  await t.step(
    "max_uses exceeded: the extra call gets the error code, the model then answers",
    async () => {
      const script = (m: Parameters<typeof searchThenAnswer>[0]): ModelMove => {
        const rounds = m.filter((x) => x.role === "tool").length;
        return rounds < 2
          ? { calls: [{ name: "web_search", args: { query: `q${rounds}` } }] }
          : { text: "done" };
      };
      await withSetup(script, (w) => webTools(w.url), async ({ ccp, model, web }) => {
        const res = await post(ccp.url, {
          messages: QUESTION,
          tools: [{ ...SEARCH_TOOL, max_uses: 1 }],
        });
        const msg = await res.json();
        assert.deepEqual(msg.content.map((b: { type: string }) => b.type), [
          "server_tool_use",
          "web_search_tool_result",
          "server_tool_use",
          "web_search_tool_result",
          "text",
        ]);
        assert.deepEqual(msg.content[3].content, {
          type: "web_search_tool_result_error",
          error_code: "max_uses_exceeded",
        });
        assert.deepEqual(msg.usage.server_tool_use, {
          web_search_requests: 1,
          web_fetch_requests: 0,
        });
        assert.equal(web.paths.length, 1, "the backend is asked once");
        // Once used up, the function is no longer offered.
        assert.equal(model.bodies[1]!.tools, undefined);
        assert.equal(model.bodies.length, 3);
      });
    },
  );

  await t.step("a turn that also calls a client tool runs the search, then returns", async () => {
    const script = (): ModelMove => ({
      calls: [
        { name: "web_search", args: { query: "moon" } },
        { name: "Bash", args: { command: "ls" } },
      ],
    });
    const bash = { name: "Bash", description: "run", input_schema: { type: "object" } };
    await withSetup(script, (w) => webTools(w.url), async ({ ccp, model }) => {
      const res = await post(ccp.url, { messages: QUESTION, tools: [bash, SEARCH_TOOL] });
      const msg = await res.json();
      assert.deepEqual(msg.content.map((b: { type: string }) => b.type), [
        "server_tool_use",
        "web_search_tool_result",
        "tool_use",
      ]);
      assert.equal(msg.content[2].name, "Bash");
      assert.equal(msg.stop_reason, "tool_use");
      assert.equal(model.bodies.length, 1);
    });
  });

  await t.step(
    "a round that fails after the stream started ends it with an error event",
    async () => {
      const script = (m: Parameters<typeof searchThenAnswer>[0]): ModelMove =>
        trailingToolResults(m).length === 0
          ? { calls: [{ name: "web_search", args: { query: "moon" } }] }
          : { status: 400 };
      await withSetup(script, (w) => webTools(w.url), async ({ ccp }) => {
        const res = await post(ccp.url, { messages: QUESTION, tools: [SEARCH_TOOL], stream: true });
        assert.equal(res.status, 200);
        const events = parseSse(await res.text());
        assert.deepEqual(events.map((e) => e.event), [
          "message_start",
          "content_block_start",
          "content_block_delta",
          "content_block_stop",
          "content_block_start",
          "content_block_stop",
          "error",
        ]);
        const error = events.at(-1)!.data as { type: string; error: { message: string } };
        assert.equal(error.type, "error");
        assert.match(error.error.message, /scripted failure/);
      });
    },
  );

  await t.step("a first round that fails is an HTTP error", async () => {
    await withSetup(() => ({ status: 400 }), (w) => webTools(w.url), async ({ ccp }) => {
      const res = await post(ccp.url, { messages: QUESTION, tools: [SEARCH_TOOL], stream: true });
      assert.equal(res.status, 400);
      const body = await res.json();
      assert.equal(body.type, "error");
      assert.match(body.error.message, /scripted failure/);
    });
  });

  await t.step(
    "a later turn carries the search blocks back; the model reads them as text",
    async () => {
      const first = await (async () => {
        let msg: Record<string, unknown> = {};
        await withSetup(searchThenAnswer, (w) => webTools(w.url), async ({ ccp }) => {
          msg = await (await post(ccp.url, { messages: QUESTION, tools: [SEARCH_TOOL] })).json();
        });
        return msg;
      })();
      const script = (): ModelMove => ({ text: "ok" });
      await withSetup(script, (w) => webTools(w.url), async ({ ccp, model }) => {
        const res = await post(ccp.url, {
          messages: [
            ...QUESTION,
            { role: "assistant", content: first.content },
            { role: "user", content: "And in miles?" },
          ],
        });
        assert.equal(res.status, 200);
        await res.body?.cancel();
        const history = JSON.stringify(model.bodies[0]!.messages);
        assert.match(history, /\[web_search \{\\"query\\":\\"moon distance\\"\}\]/);
        assert.match(history, /The Moon is 384,400 km from Earth\./);
      });
    },
  );

  await t.step("a search that failed is not counted in server_tool_use", async () => {
    // As Anthropic bills it: a search that errs is not billed; one without results is a search.
    await withSetup(searchThenAnswer, () => webTools("http://127.0.0.1:9"), async ({ ccp }) => {
      const msg = await (await post(ccp.url, { messages: QUESTION, tools: [SEARCH_TOOL] })).json();
      assert.deepEqual(msg.content[1].content, {
        type: "web_search_tool_result_error",
        error_code: "unavailable",
      });
      assert.deepEqual(msg.usage.server_tool_use, {
        web_search_requests: 0,
        web_fetch_requests: 0,
      });
    });
    await withSetup(searchThenAnswer, (w) => webTools(w.url), async ({ ccp }) => {
      const msg = await (await post(ccp.url, {
        messages: QUESTION,
        tools: [{ ...SEARCH_TOOL, allowed_domains: ["nowhere.invalid"] }],
      })).json();
      assert.deepEqual(msg.content[1].content, []);
      assert.deepEqual(msg.usage.server_tool_use, {
        web_search_requests: 1,
        web_fetch_requests: 0,
      });
    });
  });

  await t.step("a search that failed does not use up one of max_uses", async () => {
    // An empty query fails; the search after it is still within max_uses: 1.
    const script = (m: Parameters<typeof searchThenAnswer>[0]): ModelMove => {
      const rounds = m.filter((x) => x.role === "tool").length;
      return rounds < 2
        ? { calls: [{ name: "web_search", args: { query: rounds === 0 ? "" : "moon" } }] }
        : { text: "done" };
    };
    await withSetup(script, (w) => webTools(w.url), async ({ ccp, model, web }) => {
      const msg = await (await post(ccp.url, {
        messages: QUESTION,
        tools: [{ ...SEARCH_TOOL, max_uses: 1 }],
      })).json();
      assert.deepEqual(msg.content[1].content, {
        type: "web_search_tool_result_error",
        error_code: "invalid_tool_input",
      });
      assert.equal(msg.content[3].content[0].type, "web_search_result");
      assert.equal(web.paths.length, 1, "the backend is asked for the second search");
      assert.ok(model.bodies[1]!.tools, "the search is still offered after the failed one");
      assert.deepEqual(msg.usage.server_tool_use, {
        web_search_requests: 1,
        web_fetch_requests: 0,
      });
    });
  });

  await t.step(
    "a fetch that failed uses one of max_uses, as every fetch attempted does",
    async () => {
      // Anthropic's max_uses bounds the fetches the model attempts (the requests made to addresses
      // of its choosing); unlike a failed search, no failed fetch is exempt.
      const FETCH = { type: "web_fetch_20250910", name: "web_fetch", max_uses: 1 };
      let base = "";
      const script = (m: Parameters<typeof searchThenAnswer>[0]): ModelMove => {
        const rounds = m.filter((x) => x.role === "tool").length;
        return rounds < 2
          ? {
            calls: [{ name: "web_fetch", args: { url: `${base}/${rounds ? "page" : "missing"}` } }],
          }
          : { text: "done" };
      };
      await withSetup(script, (w) => {
        base = w.url;
        return webTools(w.url, true);
      }, async ({ ccp, web }) => {
        const msg = await (await post(ccp.url, {
          messages: [{ role: "user", content: `Read ${base}/missing and ${base}/page` }],
          tools: [FETCH],
        })).json();
        assert.deepEqual(msg.content[1].content, {
          type: "web_fetch_tool_result_error",
          error_code: "url_not_accessible",
        });
        assert.deepEqual(msg.content[3].content, {
          type: "web_fetch_tool_result_error",
          error_code: "max_uses_exceeded",
        });
        assert.deepEqual(web.paths, ["/missing"], "the second address is never asked");
        assert.deepEqual(msg.usage.server_tool_use, {
          web_search_requests: 0,
          web_fetch_requests: 0,
        });
      });
    },
  );

  await t.step("blocked_domains drop results", async () => {
    await withSetup(searchThenAnswer, (w) => webTools(w.url), async ({ ccp }) => {
      const res = await post(ccp.url, {
        messages: QUESTION,
        tools: [{ ...SEARCH_TOOL, blocked_domains: ["example.com"] }],
      });
      const msg = await res.json();
      assert.deepEqual(msg.content[1].content.map((r: { url: string }) => r.url), [MOON.url]);
    });
  });

  await t.step("without web_tools: the tools are removed and the answer says so", async () => {
    const script = (): ModelMove => ({ text: "I cannot search." });
    await withSetup(script, () => undefined, async ({ ccp, model }) => {
      for (const stream of [false, true]) {
        const res = await post(ccp.url, {
          messages: QUESTION,
          tools: [SEARCH_TOOL],
          tool_choice: { type: "tool", name: "web_search" },
          stream,
        });
        assert.equal(res.status, 200);
        const content = stream ? blocksOfStream(await res.text()) : (await res.json()).content;
        assert.equal(content[0].type, "text");
        assert.match(content[0].text, /web search is not configured/i);
        assert.equal(content[1].text, "I cannot search.");
      }
      for (const body of model.bodies) {
        assert.equal(body.tools, undefined);
        assert.equal(body.tool_choice, undefined);
      }
    });
  });
});
