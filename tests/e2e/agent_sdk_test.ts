/**
 * The Claude Agent SDK (`query()`, as its users call it) through ccp: a plain prompt, Claude
 * Code's own Bash tool, a custom in-process MCP tool, structured output, a custom system prompt
 * with a turn limit, and a cancelled answer, each on the passthrough path (an Anthropic upstream)
 * and on a translated one (OpenAI Chat Completions), both answered by one scripted upstream, so
 * what the SDK gives on the translated path (its messages, results and raw stream events) can be
 * held against what it gives on the Anthropic one. The SDK runs the Claude Code installed on
 * PATH. Skipped, saying so, without `claude` or without the SDK's package (which
 * `deno task fetch:agent-sdk` unpacks; tests/helpers/agent_sdk.ts says why it is not in dev.lock).
 */

import assert from "node:assert/strict";
import { z } from "zod";
import {
  agentSdkOrSkip,
  collectQuery,
  resultOf,
  type SdkMessage,
  withAgentRun,
} from "../helpers/agent_sdk.ts";
import { type RunningCcp, startGuardedCcp } from "../helpers/ccp.ts";
import { chatHistoryProblem } from "../helpers/chat_history.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { within } from "../helpers/within.ts";
import {
  type Answer,
  type Script,
  startTwinUpstream,
  type TwinRequest,
  type TwinUpstream,
} from "../mocks/twin_upstream.ts";

const { claude, sdk, skip } = await agentSdkOrSkip("Agent SDK tests");

type Obj = Record<string, unknown>;
type Wire = "anthropic" | "openai";
const WIRES: readonly Wire[] = ["anthropic", "openai"];

/** One path through ccp: its upstream, ccp, and the directories Claude Code runs in. */
interface Path {
  wire: Wire;
  twin: TwinUpstream;
  ccp: RunningCcp;
  work: string;
  /** The query options every test gives, with `extra`. */
  options(extra?: Obj): Obj;
  /** The model requests the upstream received (ccp's own token counts left out). */
  turns(): TwinRequest[];
}

async function withPath(wire: Wire, answer: Answer, body: (path: Path) => Promise<void>) {
  const twin = startTwinUpstream(answer);
  const up = wire === "anthropic"
    ? provider("up", { type: "anthropic", baseUrl: twin.url, apiKeys: ["k1"], maxRetries: 0 })
    : provider("up", { type: "openai", baseUrl: twin.openaiUrl, apiKeys: ["k2"], maxRetries: 0 });
  const ccp = await startGuardedCcp(
    testConfig({ providers: [up], routes: { default: "up/up-model" }, authToken: "e2e-token" }),
  );
  await withAgentRun(wire, { claude: claude!, ccp, close: () => twin.close() }, (run) =>
    body({
      wire,
      twin,
      ccp,
      work: run.work,
      options: run.options,
      turns: () =>
        twin.requests.filter((r) =>
          !r.path.includes("count_tokens") &&
          (r.path.startsWith("/v1/messages") || r.path.endsWith("/chat/completions"))
        ),
    }));
}

/** Runs one query to its end, bounded, and returns its messages. */
const collect = (query: AsyncIterable<SdkMessage>, what: string) =>
  collectQuery(query, what, 30_000);

/** The tool names a request declares, as the upstream sees them. */
function declared(wire: Wire, body: Obj): string[] {
  const tools = (body.tools ?? []) as Obj[];
  return tools.map((t) => String(wire === "openai" ? (t.function as Obj).name : t.name));
}

/** The tool results a request carries, in order: the call each answers and its text. */
function toolResults(wire: Wire, body: Obj): Array<{ id: string; text: string }> {
  const messages = body.messages as Obj[];
  if (wire === "openai") {
    return messages.filter((m) => m.role === "tool").map((m) => ({
      id: String(m.tool_call_id),
      text: typeof m.content === "string" ? m.content : JSON.stringify(m.content),
    }));
  }
  return messages.flatMap((m) => Array.isArray(m.content) ? m.content as Obj[] : [])
    .filter((b) => b.type === "tool_result").map((b) => ({
      id: String(b.tool_use_id),
      text: typeof b.content === "string" ? b.content : JSON.stringify(b.content),
    }));
}

/** The tool calls of the assistant turns a request carries: their ids and names. */
function toolCalls(wire: Wire, body: Obj): Array<{ id: string; name: string }> {
  const messages = (body.messages as Obj[]).filter((m) => m.role === "assistant");
  if (wire === "openai") {
    return messages.flatMap((m) => (m.tool_calls ?? []) as Obj[]).map((c) => ({
      id: String(c.id),
      name: String((c.function as Obj).name),
    }));
  }
  return messages.flatMap((m) => Array.isArray(m.content) ? m.content as Obj[] : [])
    .filter((b) => b.type === "tool_use").map((b) => ({ id: String(b.id), name: String(b.name) }));
}

const text = (t: string, inputTokens = 40, outputTokens = 6): Script => ({
  blocks: [{ kind: "text", text: t }],
  stop: "end_turn",
  inputTokens,
  outputTokens,
});

const call = (id: string, name: string, input: Obj): Script => ({
  blocks: [
    { kind: "thinking", text: `Thinking before ${id}.`, signature: `sig-${id}` },
    { kind: "text", text: "Let me check." },
    { kind: "tool", id, name, input },
  ],
  stop: "tool_use",
  inputTokens: 40,
  outputTokens: 12,
});

/** The result message's fields that do not depend on timing or ids. */
function stableResult(result: Obj): Obj {
  const usage = result.usage as Obj;
  return {
    subtype: result.subtype,
    is_error: result.is_error,
    result: result.result,
    num_turns: result.num_turns,
    stop_reason: result.stop_reason,
    total_cost_usd: result.total_cost_usd,
    input_tokens: usage.input_tokens,
    output_tokens: usage.output_tokens,
    structured_output: result.structured_output,
  };
}

/**
 * The raw stream events the SDK passed on (`includePartialMessages`), in the form a UI reads
 * them: each event's type and block index, what a block starts as, what a delta carries, and
 * each block's text, thinking or tool input put together (ids and signatures left out).
 */
function streamShape(messages: SdkMessage[]): { events: string[]; blocks: string[] } {
  const events: string[] = [];
  const blocks: string[] = [];
  for (const m of messages) {
    if (m.type !== "stream_event") continue;
    const e = m.event as Obj;
    if (e.type === "ping") continue;
    const start = e.content_block as Obj | undefined;
    const delta = e.delta as Obj | undefined;
    events.push(
      [e.type, e.index, start?.type, delta?.type].filter((x) => x !== undefined).join(" "),
    );
    if (start) blocks.push(`${start.type} ${start.name ?? ""}: `);
    const add = delta?.text ?? delta?.thinking ?? delta?.partial_json;
    if (typeof add === "string") blocks[blocks.length - 1] += add;
  }
  return { events, blocks };
}

/** Runs `check` on both paths at once, and returns each path's stable result. */
async function bothPaths(
  answer: (wire: Wire) => Answer,
  check: (path: Path) => Promise<Obj>,
): Promise<Record<Wire, Obj>> {
  const results = await Promise.all(
    WIRES.map((wire) => {
      let out: Obj = {};
      return withPath(wire, answer(wire), async (path) => void (out = await check(path)))
        .then(() => out);
    }),
  );
  return { anthropic: results[0]!, openai: results[1]! };
}

const e2e = (name: string, fn: () => Promise<void>) =>
  Deno.test({
    name: `Agent SDK through ccp: ${name}`,
    ignore: skip !== undefined,
    sanitizeResources: false,
    sanitizeOps: false,
    fn,
  });

e2e("a plain prompt gives the same result message on both paths", async () => {
  const results = await bothPaths(() => text("Hello from the twin.", 1200, 9), async (path) => {
    const messages = await collect(
      // taskBudget is the SDK's own: `output_config.task_budget`, with a beta of its own.
      sdk!.query({ prompt: "Say hello", options: path.options({ taskBudget: { total: 50_000 } }) }),
      "the plain query",
    );
    assert.equal(messages[0]?.type, "system");
    assert.equal(messages[0]?.subtype, "init");
    const assistant = messages.filter((m) => m.type === "assistant");
    assert.deepEqual(
      assistant.flatMap((m) => (m.message as Obj).content as Obj[]),
      [{ type: "text", text: "Hello from the twin." }],
    );
    const result = resultOf(messages);
    assert.equal(result.subtype, "success", JSON.stringify(result));
    assert.equal(result.result, "Hello from the twin.");
    assert.equal(result.num_turns, 1);
    assert.equal((result.usage as Obj).input_tokens, 1200);
    assert.equal((result.usage as Obj).output_tokens, 9);
    assert.ok(typeof result.total_cost_usd === "number" && result.total_cost_usd > 0);
    assert.equal(path.turns().length, 1, "one upstream request");
    // Claude Code's real request went through: its system prompt and tools reached the upstream.
    const body = path.turns()[0]!.body;
    assert.ok(declared(path.wire, body).includes("Bash"), declared(path.wire, body).join(", "));
    if (path.wire === "anthropic") {
      const config = body.output_config as Obj;
      assert.deepEqual(config.task_budget, { type: "tokens", total: 50_000 });
    }
    return stableResult(result);
  });
  assert.deepEqual(results.openai, results.anthropic);
});

const SERVER = "ccp-agent-sdk-e2e";
const TOOL = "look_up_the_release_code_of_a_service_by_name";
const MCP_NAME = `mcp__${SERVER}__${TOOL}`;

e2e(
  "Bash and a custom MCP tool: each call runs, each result reaches the next request",
  async () => {
    /**
     * Turn 1 runs Bash; the MCP tool is deferred behind ToolSearch, so turn 2 loads it as a model
     * does, turn 3 calls it (by the name the upstream sees) and turn 4 answers.
     */
    const agent = (wire: Wire): Answer => (request) => {
      const body = request.body;
      const mcp = declared(wire, body).find((n) => n.startsWith("mcp__"));
      // One call per turn, whatever came back, so that a failure ends the run rather than loops.
      const done = toolResults(wire, body).length;
      if (done === 0) return call("toolu_bash1", "Bash", { command: "echo agent-sdk-$((6*7))" });
      if (done === 1) {
        return call("toolu_search1", "ToolSearch", { query: `select:${MCP_NAME}`, max_results: 1 });
      }
      if (done === 2) return call("toolu_mcp1", mcp ?? "not-declared", { service: "billing" });
      return text("Both checks are done.");
    };
    const results = await bothPaths(agent, async (path) => {
      const handled: Obj[] = [];
      const server = sdk!.createSdkMcpServer({
        name: SERVER,
        version: "1.0.0",
        tools: [
          sdk!.tool(TOOL, "The release code of a service", { service: z.string() }, (args) => {
            handled.push(args);
            return Promise.resolve({ content: [{ type: "text", text: "release code 7731" }] });
          }),
        ],
      });
      const messages = await collect(
        sdk!.query({
          prompt: "Run the checks",
          options: path.options({
            mcpServers: { [SERVER]: server },
            allowedTools: ["Bash", MCP_NAME],
            // Anything not allowed above is refused rather than asked about: nobody answers.
            permissionMode: "dontAsk",
            includePartialMessages: true,
          }),
        }),
        "the tool query",
      );
      const result = resultOf(messages);
      assert.equal(result.subtype, "success", JSON.stringify(result));
      assert.equal(result.result, "Both checks are done.");
      assert.equal(result.num_turns, 4);
      assert.deepEqual(handled, [{ service: "billing" }], "the MCP handler ran once");

      // The SDK's messages name the tools as the client declared them, whatever the upstream saw.
      const blocks = messages.filter((m) => m.type === "assistant")
        .flatMap((m) => (m.message as Obj).content as Obj[]);
      const uses = blocks.filter((b) => b.type === "tool_use");
      // Each turn's thinking (reasoning_content, on the OpenAI path) reached the SDK.
      assert.deepEqual(
        blocks.filter((b) => b.type === "thinking").map((b) => b.thinking),
        ["toolu_bash1", "toolu_search1", "toolu_mcp1"].map((id) => `Thinking before ${id}.`),
      );
      assert.deepEqual(uses.map((b) => b.name), ["Bash", "ToolSearch", MCP_NAME]);
      assert.deepEqual(uses.map((b) => b.input), [
        { command: "echo agent-sdk-$((6*7))" },
        { query: `select:${MCP_NAME}`, max_results: 1 },
        { service: "billing" },
      ]);

      const turns = path.turns();
      assert.equal(turns.length, 4, "one upstream request per agent turn");
      // Deferred at first; declared once ToolSearch loaded it.
      assert.ok(!declared(path.wire, turns[0]!.body).some((n) => n.startsWith("mcp__")));
      const names = declared(path.wire, turns[3]!.body);
      const upstreamName = names.find((n) => n.startsWith("mcp__"));
      if (path.wire === "openai") {
        // Longer than a function name may be: it reaches the upstream fitted, and valid.
        assert.ok(MCP_NAME.length > 64);
        assert.match(upstreamName ?? "", /^[A-Za-z0-9_-]{1,64}$/, names.join(", "));
        assert.notEqual(upstreamName, MCP_NAME);
      } else {
        assert.equal(upstreamName, MCP_NAME, names.join(", "));
      }
      // Every tool result answers the call before it, in order, with what the tool gave.
      const last = turns[3]!.body;
      const calls = toolCalls(path.wire, last);
      const answers = toolResults(path.wire, last);
      assert.deepEqual(calls.map((c) => c.name), ["Bash", "ToolSearch", upstreamName]);
      assert.deepEqual(answers.map((a) => a.id), calls.map((c) => c.id));
      assert.match(answers[0]!.text, /agent-sdk-42/);
      // ToolSearch's answer names the tool it loaded as the upstream knows it.
      assert.ok(answers[1]!.text.includes(upstreamName!), answers[1]!.text);
      assert.match(answers[2]!.text, /release code 7731/);
      // The history the second turn sent holds the first call and its result, already paired.
      assert.deepEqual(
        toolResults(path.wire, turns[1]!.body).map((a) => a.id),
        toolCalls(path.wire, turns[1]!.body).map((c) => c.id),
      );
      return { ...stableResult(result), stream: streamShape(messages) };
    });
    // What a UI streams from the SDK's raw events is the same on both paths.
    assert.deepEqual(results.openai, results.anthropic);
  },
);

const SCHEMA = {
  type: "object",
  properties: { answer: { type: "string" }, sure: { type: "boolean" } },
  required: ["answer", "sure"],
  additionalProperties: false,
};

e2e(
  "structured output (outputFormat): the StructuredOutput call becomes structured_output",
  async () => {
    const agent = (wire: Wire): Answer => (request) =>
      toolResults(wire, request.body).length === 0
        ? call("toolu_out1", "StructuredOutput", { answer: "42", sure: true })
        : text("Answered.");
    const results = await bothPaths(agent, async (path) => {
      const messages = await collect(
        sdk!.query({
          prompt: "What is six times seven?",
          options: path.options({ outputFormat: { type: "json_schema", schema: SCHEMA } }),
        }),
        "the structured query",
      );
      const result = resultOf(messages);
      assert.equal(result.subtype, "success", JSON.stringify(result));
      assert.deepEqual(result.structured_output, { answer: "42", sure: true });
      // The SDK asks for it with a tool of the schema's shape, not a request field of its own.
      const body = path.turns()[0]!.body;
      const tools = (body.tools ?? []) as Obj[];
      const tool = path.wire === "openai"
        ? tools.map((t) => t.function as Obj).find((f) => f.name === "StructuredOutput")
        : tools.find((t) => t.name === "StructuredOutput");
      assert.ok(tool, declared(path.wire, body).join(", "));
      const schema = path.wire === "openai" ? tool.parameters : tool.input_schema;
      assert.deepEqual((schema as Obj).properties, SCHEMA.properties);
      assert.deepEqual((schema as Obj).required, SCHEMA.required);
      return stableResult(result);
    });
    assert.deepEqual(results.openai, results.anthropic);
  },
);

const LONG: Script = {
  blocks: [{ kind: "text", text: "word ".repeat(400) }],
  stop: "end_turn",
  inputTokens: 30,
  outputTokens: 400,
};

/** A streaming-input prompt: user messages pushed as the conversation goes, until `end()`. */
function inbox() {
  const queue: Obj[] = [];
  let wake = () => {};
  let ended = false;
  return {
    push(text: string) {
      queue.push({
        type: "user",
        message: { role: "user", content: text },
        parent_tool_use_id: null,
        session_id: "",
      });
      wake();
    },
    end() {
      ended = true;
      wake();
    },
    async *[Symbol.asyncIterator](): AsyncGenerator<Obj> {
      for (;;) {
        while (queue.length > 0) yield queue.shift()!;
        if (ended) return;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}

e2e("interrupt() mid-stream closes the upstream request, and the session goes on", async () => {
  const results = await bothPaths(() => LONG, async (path) => {
    // The first answer streams slowly; the one after the interrupt is short.
    path.twin.set(
      (request) => path.turns().indexOf(request) === 0 ? LONG : text("Picking up again."),
      { gapMs: 50 },
    );
    let closedAt = 0;
    const closed = path.twin.closed().then(() => void (closedAt = Date.now()));
    const input = inbox();
    input.push("Tell me a long story");
    const query = sdk!.query({
      prompt: input,
      options: path.options({ includePartialMessages: true }),
    });
    let interruptedAt = 0;
    const ends: Obj[] = [];
    try {
      await within(
        (async () => {
          for await (const m of query) {
            const event = m.type === "stream_event" ? m.event as Obj : undefined;
            if (interruptedAt === 0 && event?.type === "content_block_delta") {
              interruptedAt = Date.now();
              void query.interrupt();
            }
            if (m.type !== "result") continue;
            ends.push(m);
            if (ends.length === 1) input.push("Go on, briefly");
            else input.end();
          }
        })(),
        30_000,
        "the interrupted session",
      );
    } finally {
      input.end();
      query.close();
    }
    assert.ok(interruptedAt > 0, "no streamed text arrived");
    await within(closed, 3000, "the upstream connection closing");
    const gap = closedAt - interruptedAt;
    // About 10 ms here; the bound leaves room for a busy machine.
    assert.ok(gap < 1000, `upstream closed ${gap} ms after interrupt()`);
    assert.deepEqual(ends.map((r) => r.subtype), ["error_during_execution", "success"]);
    assert.equal(ends[1]!.result, "Picking up again.");
    const turns = path.turns();
    assert.equal(turns.length, 2);
    assert.equal(turns[0]!.closedEarly, true);
    // The next request holds the interrupted turn, in a history the upstream accepts.
    const history = turns[1]!.body.messages as Obj[];
    assert.match(JSON.stringify(history), /Request interrupted by user/);
    if (path.wire === "openai") {
      assert.equal(chatHistoryProblem(history), undefined, JSON.stringify(history));
    }
    return { subtypes: ends.map((r) => r.subtype), result: ends[1]!.result };
  });
  assert.deepEqual(results.openai, results.anthropic);
});

e2e("abortController mid-stream closes the upstream request once Claude Code exits", async () => {
  await bothPaths(() => LONG, async (path) => {
    path.twin.set(LONG, { gapMs: 50 });
    let closedAt = 0;
    const closed = path.twin.closed().then(() => void (closedAt = Date.now()));
    const controller = new AbortController();
    const query = sdk!.query({
      prompt: "Tell me a long story",
      options: path.options({ abortController: controller, includePartialMessages: true }),
    });
    let abortedAt = 0;
    try {
      await within(
        (async () => {
          for await (const m of query) {
            const event = m.type === "stream_event" ? m.event as Obj : undefined;
            if (abortedAt === 0 && event?.type === "content_block_delta") {
              abortedAt = Date.now();
              controller.abort();
            }
          }
        })(),
        30_000,
        "the aborted query",
      );
    } catch (err) {
      // The SDK ends an aborted query with an error of its own.
      assert.ok(abortedAt > 0, `failed before the abort: ${err}`);
    } finally {
      query.close();
    }
    assert.ok(abortedAt > 0, "no streamed text arrived");
    await within(closed, 5000, "the upstream connection closing");
    // The SDK closes Claude Code's stdin and gives it 2 s to exit before SIGTERM, which closes
    // the connection; against Anthropic the same. ccp passes the close on at once.
    const gap = closedAt - abortedAt;
    assert.ok(gap < 3500, `upstream closed ${gap} ms after abort()`);
    assert.equal(path.turns().length, 1);
    assert.equal(path.turns()[0]!.closedEarly, true);
    return {};
  });
});

const CUSTOM_PROMPT = "You are LEDGER-BOT. Answer in one line.";
/** The SDK's line that opens every system prompt, and the section Claude Code adds after yours. */
const SDK_LINE = "You are a Claude agent, built on Anthropic's Claude Agent SDK.";
const ENVIRONMENT = "# Environment";

/** The system prompt a request carries, as one text, on either wire. */
function systemText(wire: Wire, body: Obj): string {
  if (wire === "anthropic") return (body.system as Obj[]).map((b) => b.text).join("\n");
  return (body.messages as Obj[]).filter((m) => m.role === "system").map((m) => m.content)
    .join("\n");
}

e2e(
  "a custom systemPrompt reaches the upstream in its place, and maxTurns ends a loop as " +
    "error_max_turns",
  async () => {
    // A model that never stops calling Bash.
    const agent = (wire: Wire): Answer => (request) =>
      call(`toolu_loop${toolResults(wire, request.body).length}`, "Bash", {
        command: "echo again",
      });
    const results = await bothPaths(agent, async (path) => {
      const messages: SdkMessage[] = [];
      let thrown = "";
      await within(
        (async () => {
          const query = sdk!.query({
            prompt: "Keep checking",
            options: path.options({
              systemPrompt: CUSTOM_PROMPT,
              maxTurns: 2,
              allowedTools: ["Bash"],
              permissionMode: "dontAsk",
            }),
          });
          try {
            for await (const m of query) messages.push(m);
          } catch (err) {
            // The SDK throws once it has passed on an error result.
            thrown = String(err);
          }
        })(),
        30_000,
        "the bounded query",
      );
      assert.match(thrown, /Reached maximum number of turns \(2\)/);
      const result = resultOf(messages);
      assert.equal(result.subtype, "error_max_turns", JSON.stringify(result));
      assert.equal(result.terminal_reason, "max_turns");
      assert.deepEqual(result.errors, ["Reached maximum number of turns (2)"]);
      // Two model requests, each answered with a call: the second call never runs.
      const turns = path.turns();
      assert.equal(turns.length, 2);
      for (const turn of turns) {
        // Claude Code puts it between the SDK's line and its environment section (ccp drops the
        // billing line before them).
        const system = systemText(path.wire, turn.body);
        const at = [SDK_LINE, CUSTOM_PROMPT, ENVIRONMENT].map((t) => system.indexOf(t));
        assert.deepEqual(at.toSorted((a, b) => a - b), at, system.slice(0, 400));
        assert.equal(at[0], 0, system.slice(0, 400));
      }
      const second = turns[1]!.body;
      assert.deepEqual(
        toolResults(path.wire, second).map((a) => a.id),
        toolCalls(path.wire, second).map((c) => c.id),
      );
      return stableResult(result);
    });
    assert.deepEqual(results.openai, results.anthropic);
  },
);
