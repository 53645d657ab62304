/**
 * One Claude Code session with a local stdio MCP server (tests/fixtures/mcp/inventory_server.ts:
 * tools whose `mcp__<server>__<tool>` names pass 64 characters, schemas with `$ref`/`$defs`,
 * `anyOf`, enums, nested objects, `additionalProperties` and formats), served by one provider and
 * resumed on another, three `claude -p` runs in all:
 * 1. on Kimi through Moonshot's Chat Completions API (reasoning in `reasoning_content`, cache hits
 *    in its usage, tool schemas held to Moonshot's subset of JSON Schema as
 *    tests/mocks/moonshot_strict.ts does), with `--mcp-config` and `--append-system-prompt`:
 *    ToolSearch loads the MCP tools, the model calls one by the shortened name it was offered, the
 *    server gets the call under its own name with every argument, and the answer follows;
 * 2. `--resume` of that session on Gemini (behind the strict request check of
 *    tests/mocks/gemini_strict.ts): Kimi's turns go back without their reasoning and with
 *    placeholder signatures, the MCP tools reach Gemini in its schema subset, and the model calls
 *    the other one;
 * 3. `--resume` on Kimi again, with `--json-schema`: Gemini's turns reach it as a valid
 *    Chat history without Gemini's signatures, and its StructuredOutput call becomes the result's
 *    `structured_output`.
 * Each run's `usage` and `modelUsage` hold the tokens the upstream reported, cache hits apart.
 * Skipped when `claude` is not installed.
 */

import assert from "node:assert/strict";
import { chatHistoryProblem } from "../helpers/chat_history.ts";
import { findClaude } from "../helpers/claude.ts";
import { claudeStage, claudeWorkspace, printJson } from "../helpers/claude_print.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { COUNT_TOOL, FIND_TOOL, inventoryMcpConfig } from "../fixtures/mcp/inventory_server.ts";
import { geminiRequestProblem } from "../mocks/gemini_strict.ts";
import { invalidArgument } from "../mocks/gemini_wire.ts";
import { moonshotToolsProblem } from "../mocks/moonshot_strict.ts";
import { chatChunk, chatStreamAnswer } from "../mocks/openai_mock.ts";
import { OPENAI_DIALECTS } from "../../src/translate/openai_chat/dialects.ts";
import { NO_REASONING } from "../../src/translate/openai_chat/reasoning_spans.ts";

const claude = await findClaude();

type Obj = Record<string, unknown>;

const SERVER = "ccp-inventory-journey";
const FIND = `mcp__${SERVER}__${FIND_TOOL}`;
const COUNT = `mcp__${SERVER}__${COUNT_TOOL}`;
const WAREHOUSE = "6f1c2b9e-3d4a-4c8e-9f00-1a2b3c4d5e6f";
/** What the model asks the find tool for: every shape its schema allows. */
const FIND_ARGS = {
  warehouse: WAREHOUSE,
  filters: [{ field: "sku", value: "A-1" }, { field: "bin", value: 7 }],
  options: { limit: 5, order: "asc" },
  labels: { team: "ops" },
  note: null,
};
const APPENDED = "APPENDED-PROMPT-7c1e: answer in one line.";
const GEMINI_SIG = "R0VNSU5JLWNvdW50LXNpZw==";
const OUTPUT_SCHEMA = {
  type: "object",
  properties: { records: { type: "integer" }, unit: { enum: ["records", "bins"] } },
  required: ["records", "unit"],
  additionalProperties: false,
};
const OUTPUT = { records: 2, unit: "records" };

const textOf = (content: unknown) =>
  typeof content === "string" ? content : JSON.stringify(content ?? "");
const chatNames = (body: Obj) =>
  ((body.tools ?? []) as Obj[]).map((t) => String((t.function as Obj).name));
const chatTool = (body: Obj, name: string) =>
  ((body.tools ?? []) as Obj[]).map((t) => t.function as Obj).find((f) => f.name === name);
const chatCall = (id: string, name: string, args: unknown) =>
  chatChunk({
    tool_calls: [{
      index: 0,
      id,
      type: "function",
      function: { name, arguments: JSON.stringify(args) },
    }],
  });

/**
 * The Kimi model: the prompt → reasoning and ToolSearch for both MCP tools; ToolSearch's result →
 * the find tool, by the name it is offered under; the find tool's result → an answer; a prompt
 * asking for structured output → the StructuredOutput call. A tool schema Moonshot refuses gets
 * its 400.
 */
function startChat() {
  const bodies: Obj[] = [];
  const problems: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json() as Obj;
    bodies.push(body);
    const problem = moonshotToolsProblem(body);
    if (problem) {
      problems.push(problem);
      const error = { message: `Invalid request: ${problem}`, type: "invalid_request_error" };
      return Response.json({ error }, { status: 400 });
    }
    const messages = body.messages as Obj[];
    const tool = messages.findLast((m) => m.role === "tool");
    const lastUser = textOf(messages.findLast((m) => m.role === "user")?.content);
    const find = chatNames(body).find((n) => n.startsWith("mcp__") && n.includes("find"));
    const parts = [chatChunk({ role: "assistant", content: "" })];
    if (lastUser.includes("STRUCTURED")) {
      parts.push(chatCall("call_out", "StructuredOutput", OUTPUT), chatChunk({}, "tool_calls"));
    } else if (tool && textOf(tool.content).includes("records in")) {
      parts.push(chatChunk({ content: "Found 2 records." }), chatChunk({}, "stop"));
    } else if (tool) {
      parts.push(chatChunk({ reasoning_content: "Now find them." }));
      parts.push(chatCall("call_find", find ?? "not-offered", FIND_ARGS));
      parts.push(chatChunk({}, "tool_calls"));
    } else {
      parts.push(chatChunk({ reasoning_content: "Load the inventory tools." }));
      const query = { query: `select:${FIND},${COUNT}`, max_results: 2 };
      parts.push(chatCall("call_search", "ToolSearch", query), chatChunk({}, "tool_calls"));
    }
    const usage = {
      prompt_tokens: 900,
      completion_tokens: 20,
      total_tokens: 920,
      prompt_tokens_details: { cached_tokens: 600 },
    };
    return chatStreamAnswer(parts, usage);
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/v1`,
    bodies,
    problems,
    close: () => server.shutdown(),
  };
}

const geminiNames = (body: Obj) =>
  ((body.tools ?? []) as Obj[]).flatMap((t) =>
    ((t.functionDeclarations ?? []) as Obj[]).map((d) => d)
  );

/** The Gemini model: a thought and a signed call of the count tool, then an answer. */
function startGemini() {
  const bodies: Obj[] = [];
  const problems: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json() as Obj;
    bodies.push(body);
    const model = decodeURIComponent(/models\/([^/:]+):/.exec(new URL(req.url).pathname)![1]!);
    const problem = geminiRequestProblem(body, model);
    if (problem) {
      problems.push(problem);
      return invalidArgument(problem);
    }
    const last = ((body.contents as Obj[]).at(-1)?.parts ?? []) as Obj[];
    const count = geminiNames(body).find((d) => String(d.name).includes("count"));
    const parts = last.some((p) => p.functionResponse) ? [{ text: "Gemini counted 2." }] : [
      { text: "Counting.", thought: true },
      {
        functionCall: { name: count?.name ?? "not-offered", args: { warehouse: WAREHOUSE } },
        thoughtSignature: GEMINI_SIG,
      },
    ];
    const frame = {
      candidates: [{ content: { role: "model", parts }, index: 0, finishReason: "STOP" }],
      usageMetadata: {
        promptTokenCount: 1000,
        cachedContentTokenCount: 400,
        candidatesTokenCount: 12,
        thoughtsTokenCount: 5,
        totalTokenCount: 1017,
      },
      modelVersion: model,
    };
    return new Response(`data: ${JSON.stringify(frame)}\r\n\r\n`, {
      headers: { "content-type": "text/event-stream" },
    });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    bodies,
    problems,
    close: () => server.shutdown(),
  };
}

/** The tokens of one run's `usage` that the upstream's reports decide. */
function tokens(result: Obj) {
  const usage = result.usage as Obj;
  return {
    input: usage.input_tokens,
    cacheRead: usage.cache_read_input_tokens,
    output: usage.output_tokens,
    thinking: (usage.output_tokens_details as Obj | undefined)?.thinking_tokens,
  };
}

/** `modelUsage` as [input, cache read, output] per model, and its costs' sum. */
function modelUsage(result: Obj) {
  const entries = Object.values(result.modelUsage as Record<string, Obj>);
  const cost = entries.reduce((sum, m) => sum + Number(m.costUSD), 0);
  return {
    counts: entries.map((m) => [m.inputTokens, m.cacheReadInputTokens, m.outputTokens]),
    cost,
  };
}

Deno.test({
  name: "real Claude Code with a stdio MCP server: long tool names and rich schemas through Kimi " +
    "(Moonshot's schema subset), the session resumed on Gemini and back, with " +
    "--append-system-prompt, --json-schema and the usage Claude Code reports",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using ws = await claudeWorkspace("ccp-mcp-resume-");
    const callLog = `${ws.work}/mcp-calls.jsonl`;
    const mcpConfig = `${ws.work}/mcp.json`;
    await Deno.writeTextFile(mcpConfig, JSON.stringify(inventoryMcpConfig(SERVER, callLog)));
    const mcp = ["--mcp-config", mcpConfig, "--strict-mcp-config"];
    const chat = startChat();
    const gemini = startGemini();
    await using stage = await claudeStage(
      ws,
      testConfig({
        providers: [
          provider("chat", {
            type: "openai",
            baseUrl: chat.url,
            authHeader: "bearer",
            apiKeys: ["chat-key"],
            maxRetries: 0,
            dialect: OPENAI_DIALECTS.kimi!,
          }),
          provider("gem", {
            type: "gemini",
            baseUrl: gemini.url,
            authHeader: "x-goog-api-key",
            apiKeys: ["gemini-key"],
            maxRetries: 0,
          }),
        ],
        routes: {
          default: "chat/kimi-k2.6",
          haiku: "chat/kimi-k2.6",
          sonnet: "gem/gemini-3.8-flash",
        },
        authToken: "e2e-token",
      }),
      { mocks: [chat, gemini], guarded: true },
    );
    const { ccp } = stage;
    const calls = async () =>
      (await Deno.readTextFile(callLog)).trim().split("\n").map((l) => JSON.parse(l));
    const tools = { tools: [FIND, COUNT] };
    // 1. Kimi loads the MCP tools and calls one.
    const first = await printJson(ws, ccp.url, [
      "-p",
      "--model",
      "haiku",
      ...mcp,
      "--append-system-prompt",
      APPENDED,
      "Find the records",
    ], tools);
    assert.deepEqual(chat.problems, []);
    assert.equal(first.is_error, false, JSON.stringify(first) + ccp.logs.join(""));
    assert.equal(first.result, "Found 2 records.");
    assert.deepEqual(await calls(), [{ name: FIND_TOOL, args: FIND_ARGS }]);
    assert.equal(chat.bodies.length, 3, "one request per model turn");
    for (const body of chat.bodies) {
      assert.equal(chatHistoryProblem(body.messages as Obj[]), undefined);
    }
    const [opening, , answering] = chat.bodies as [Obj, Obj, Obj];
    assert.match(textOf((opening.messages as Obj[])[0]!.content), /APPENDED-PROMPT-7c1e/);
    assert.ok(!chatNames(opening).some((n) => n.startsWith("mcp__")), "deferred at first");
    const offered = chatNames(answering).filter((n) => n.startsWith("mcp__"));
    assert.equal(offered.length, 2, chatNames(answering).join(", "));
    for (const name of offered) assert.match(name, /^[A-Za-z0-9_-]{1,64}$/);
    const find = offered.find((n) => n.includes("find"))!;
    assert.ok(FIND.length > 64 && find !== FIND);
    // ToolSearch's answer names each tool as the model can call it.
    const loaded = (answering.messages as Obj[]).find((m) => m.tool_call_id === "call_search");
    assert.match(textOf(loaded?.content), new RegExp(`Tool "${find}" loaded`));
    // The schema in Moonshot's subset: references only into `$defs`, and bare; no `type` beside
    // `anyOf`; `required` names that exist; object schemas only; each `enum` with its type.
    const params = chatTool(answering, find)!.parameters as Obj;
    const props = params.properties as Record<string, Obj>;
    assert.equal(params.$schema, undefined);
    assert.deepEqual(Object.keys(params.$defs as Obj), ["Filter"]);
    const filterRef = { $ref: "#/$defs/Filter" };
    assert.deepEqual(props.filters, { type: "array", items: filterRef, minItems: 1 });
    assert.deepEqual(props.exclude, { type: "array", items: filterRef });
    assert.equal(props.primary!.description, "The main condition");
    assert.deepEqual(props.primary!.required, ["field", "value"]);
    assert.deepEqual(props.sku_pattern, {
      anyOf: [{ type: "string", pattern: "^[A-Z]-\\d+$" }, { type: "string", minLength: 8 }],
    });
    assert.deepEqual(props.context, {});
    assert.deepEqual(props.options!.required, ["limit"]);
    assert.deepEqual((props.options!.properties as Obj).order, {
      type: "string",
      enum: ["asc", "desc"],
    });
    assert.equal(params.additionalProperties, false);
    // Claude Code's usage is the upstream's: 900 prompt tokens a turn, 600 of them cached.
    assert.deepEqual(tokens(first), { input: 900, cacheRead: 1800, output: 60, thinking: 0 });
    const firstUsage = modelUsage(first);
    assert.deepEqual(firstUsage.counts, [[900, 1800, 60]]);
    assert.ok(first.total_cost_usd as number > 0);
    assert.ok(Math.abs(first.total_cost_usd as number - firstUsage.cost) < 1e-9);

    // 2. Resumed on Gemini: the loaded MCP tools go on, in Gemini's schema subset.
    const second = await printJson(ws, ccp.url, [
      "-p",
      "--resume",
      String(first.session_id),
      "--model",
      "sonnet",
      ...mcp,
      "Count them",
    ], tools);
    assert.deepEqual(gemini.problems, []);
    assert.equal(second.is_error, false, JSON.stringify(second) + ccp.logs.join(""));
    assert.equal(second.result, "Gemini counted 2.");
    assert.equal(second.session_id, first.session_id);
    assert.deepEqual((await calls())[1], { name: COUNT_TOOL, args: { warehouse: WAREHOUSE } });
    assert.equal(gemini.bodies.length, 2);
    const resumed = gemini.bodies[0]!;
    const declared = geminiNames(resumed).filter((d) => String(d.name).startsWith("mcp__"));
    // Gemini's name rule shortens these names as OpenAI's does.
    assert.deepEqual(declared.map((d) => d.name).sort(), [...offered].sort());
    const schema = declared.find((d) => d.name === find)!.parameters as Obj;
    const properties = schema.properties as Record<string, Obj>;
    assert.deepEqual(properties.filters!.items, {
      type: "OBJECT",
      description: "One condition on a record field",
      properties: {
        field: { type: "STRING", enum: ["sku", "bin", "owner"] },
        value: { anyOf: [{ type: "STRING", minLength: 1 }, { type: "INTEGER", minimum: 0 }] },
      },
      required: ["field", "value"],
    });
    assert.deepEqual(properties.warehouse, { type: "STRING", description: "The warehouse id" });
    assert.deepEqual(properties.note, { type: "STRING", nullable: true });
    assert.deepEqual(properties.since, { type: "STRING", format: "date-time" });
    // Kimi's turns: no reasoning (Gemini cannot use it), calls paired with their
    // responses in order, each call with the placeholder signature Gemini 3 takes from others.
    const history = resumed.contents as Obj[];
    const modelParts = history.filter((c) => c.role === "model").flatMap((c) => c.parts as Obj[]);
    assert.ok(!modelParts.some((p) => p.thought), JSON.stringify(modelParts));
    const callParts = modelParts.filter((p) => p.functionCall);
    assert.deepEqual(callParts.map((p) => (p.functionCall as Obj).name), ["ToolSearch", find]);
    assert.ok(callParts.every((p) => p.thoughtSignature === "skip_thought_signature_validator"));
    const responses = history.flatMap((c) => c.parts as Obj[]).filter((p) => p.functionResponse);
    assert.deepEqual(responses.map((p) => (p.functionResponse as Obj).name), [
      "ToolSearch",
      find,
    ]);
    // Two turns of 1000 prompt tokens (400 cached) and 12 + 5 thought tokens out.
    assert.deepEqual(tokens(second), { input: 1200, cacheRead: 800, output: 34, thinking: 10 });
    const secondUsage = modelUsage(second);
    assert.deepEqual(secondUsage.counts, [[900, 1800, 60], [1200, 800, 34]]);
    assert.ok(Math.abs(second.total_cost_usd as number - secondUsage.cost) < 1e-9);

    // 3. Back on Kimi, with structured output.
    const third = await printJson(ws, ccp.url, [
      "-p",
      "--resume",
      String(first.session_id),
      "--model",
      "haiku",
      ...mcp,
      "--json-schema",
      JSON.stringify(OUTPUT_SCHEMA),
      "STRUCTURED: sum it up",
    ], tools);
    assert.equal(third.is_error, false, JSON.stringify(third) + ccp.logs.join(""));
    assert.deepEqual(third.structured_output, OUTPUT);
    assert.equal(chat.bodies.length, 4);
    const back = chat.bodies[3]!;
    const messages = back.messages as Obj[];
    assert.equal(chatHistoryProblem(messages), undefined, JSON.stringify(messages));
    const structured = chatTool(back, "StructuredOutput")!.parameters as Obj;
    assert.deepEqual(structured.properties, {
      records: { type: "integer" },
      unit: { type: "string", enum: ["records", "bins"] },
    });
    // Gemini's call and its result, under the id ccp gave the call; nothing of its signature
    // or thought reaches Kimi, while Kimi's own reasoning comes back.
    const geminiTurn = messages.find((m) =>
      (m.tool_calls as Obj[] | undefined)?.some((c) => String((c.function as Obj).name) !== find) &&
      !JSON.stringify(m).includes("ToolSearch")
    )!;
    const [countCall] = geminiTurn.tool_calls as Obj[];
    assert.match(String(countCall!.id), /^toolu_/);
    assert.ok(messages.some((m) => m.role === "tool" && m.tool_call_id === countCall!.id));
    const text = JSON.stringify(back);
    assert.ok(!text.includes(GEMINI_SIG) && !text.includes("Counting."), "Gemini's own parts");
    const reasoning = messages.filter((m) => m.tool_calls).map((m) => m.reasoning_content);
    assert.deepEqual(reasoning, ["Load the inventory tools.", "Now find them.", NO_REASONING]);
    assert.deepEqual(chat.problems, []);
    assert.ok(ccp.logs.every((l) => !l.includes("chat-key") && !l.includes("gemini-key")));
  },
});
