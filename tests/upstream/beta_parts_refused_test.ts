/**
 * The betas Claude Code and Anthropic's tools bring into the body (tool search and its deferred
 * tools, tool use examples, code execution, web fetch, compaction, and Claude Code 2.1.332's
 * safeguards, per-turn effort and thinking display) go with the beta when an
 * Anthropic-compatible gateway refuses it: by naming the beta, or by naming one of its parts the
 * way such gateways do ("Extra inputs are not permitted", "unknown variant"). The request is
 * served, streamed and not, and the next request goes without them at once. An upstream that
 * takes them gets them as they came.
 */

import assert from "node:assert/strict";
import { parseSse, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { encodeEvents, textMessage, textTurn } from "../mocks/anthropic_fixtures.ts";
import { withoutBetaParts } from "../../src/upstream/cleaning/beta_parts.ts";
import { betasBehindParts } from "../../src/upstream/http/refused_betas.ts";

type Json = Record<string, unknown>;

const CC = "claude-code-20250219";
const CM = "context-management-2025-06-27";
const ATU = "advanced-tool-use-2025-11-20";
const CODE = "code-execution-2025-08-25";
const FETCH = "web-fetch-2025-09-10";
const COMPACT = "compact-2026-01-12";
const DANGER = "dangerous-tool-use-2026-09-03";
// Claude Code 2.1.337 sends this newer check's beta in the 2026-09-03 one's place, with the same
// `safeguards`, when Anthropic's settings for the account ask for it.
const DANGER_1015 = "dangerous-tool-use-2026-10-15";
// Claude Code 2.1.337 adds it to the 2026-09-03 one when the same settings ask for it, with
// `classifier_tool_calls` inside the safeguard.
const CLASSIFIER = "dangerous-tool-use-classifier-tool-calls-2026-11-23";
const PER_TURN = "per-turn-control-2026-07-01";
const DISPLAY = "thinking-display-updates-2026-08-18";

const READ = {
  name: "Read",
  description: "Reads a file",
  input_schema: { type: "object", properties: { path: { type: "string" } } },
};
const EXAMPLES = { ...READ, input_examples: [{ path: "/tmp/a.txt" }] };
// Without the beta, the examples end the description.
const FOLDED = {
  ...READ,
  description: 'Reads a file\n\nExamples of input:\n- {"path":"/tmp/a.txt"}',
};
// What Claude Code sends: its own ToolSearch and a deferred placeholder.
const TOOL_SEARCH = {
  name: "ToolSearch",
  description: "Loads deferred tools",
  input_schema: { type: "object", properties: { query: { type: "string" } } },
};
const PLACEHOLDER = {
  name: "DeferredToolPlaceholder",
  description: "Never call this tool",
  input_schema: { type: "object", properties: {} },
  defer_loading: true,
};
const REGEX = { type: "tool_search_tool_regex_20251119", name: "tool_search_tool_regex" };
const CODE_TOOL = { type: "code_execution_20250825", name: "code_execution" };
const FETCH_TOOL = { type: "web_fetch_20250910", name: "web_fetch", max_uses: 2 };

const ask = (text: string) => ({ role: "user", content: text });

// Claude Code 2.1.337's safeguard in auto mode, and with the tool calls the check may judge.
const SAFEGUARD = {
  type: "dangerous_tool_use",
  classifier_context: { v: 1, permission_mode: "auto", platform: "linux" },
};
const CLASSIFIED = { ...SAFEGUARD, classifier_tool_calls: { tools: ["Bash", "Write"] } };
const classifierCalls = (body: Json) =>
  ((body.safeguards ?? []) as Json[]).some((s) => "classifier_tool_calls" in s);

/** One beta refused: what the client sends, how the gateway refuses, and what it then gets. */
interface Case {
  readonly name: string;
  readonly betas: readonly string[];
  readonly body: Json;
  /** The gateway's refusal of a request (beta header, body), or undefined to serve it. */
  readonly refuse: (beta: string, body: Json) => string | undefined;
  /** Asserts that a body the gateway served is without the beta's parts. */
  readonly served: (body: Json) => void;
  /** A gateway that runs Anthropic's server tools (ccp sends them only to such a one). */
  readonly serverTools?: boolean;
  /** The provider's preset; none: the cleaning of a `type: anthropic` provider without one. */
  readonly preset?: string;
  /** The betas refused, when the client sends others beside them; else all but CC's and CM. */
  readonly refused?: readonly string[];
}

const refusedBeta = (beta: string) =>
  `Unexpected value(s) \`${beta}\` for the \`anthropic-beta\` header. Please consult our documentation.`;
const types = (body: Json) =>
  ((body.tools ?? []) as Json[]).map((t) => (t.type as string | undefined) ?? t.name);
const blockTypes = (body: Json) =>
  (body.messages as Array<{ content: unknown }>).flatMap((m) =>
    Array.isArray(m.content) ? m.content.map((b: Json) => b.type) : []
  );
const toolText = (body: Json) => JSON.stringify(body.tools ?? []);
// Claude Code 2.1.332's effort per turn (trimmed): "ultrathink" put xhigh on the environment
// message, then `/effort medium` sent an empty system message carrying the new effort.
const PER_TURN_HISTORY = [
  { role: "user", content: [{ type: "text", text: "ultrathink: say hi" }] },
  {
    role: "system",
    content: [{ type: "text", text: "# Environment" }],
    output_config: { effort: "xhigh" },
  },
  { role: "assistant", content: [{ type: "text", text: "Hi." }] },
  { role: "user", content: [{ type: "text", text: "say again" }] },
  { role: "system", content: [], output_config: { effort: "medium" } },
];
const messageKeys = (body: Json) =>
  (body.messages as Json[]).flatMap((m, i) =>
    Object.keys(m).filter((k) => k !== "role" && k !== "content").map((k) => `messages.${i}.${k}`)
  );

const CASES: readonly Case[] = [
  {
    name: "advanced-tool-use, refused by name",
    betas: [CC, ATU],
    body: {
      tools: [EXAMPLES, TOOL_SEARCH, PLACEHOLDER, REGEX],
      messages: [
        ask("Find the weather tool"),
        {
          role: "assistant",
          content: [
            {
              type: "server_tool_use",
              id: "srvtoolu_01",
              name: "tool_search_tool_regex",
              input: { query: "weather" },
            },
            {
              type: "tool_search_tool_result",
              tool_use_id: "srvtoolu_01",
              content: { type: "tool_search_tool_search_result", tool_references: [] },
            },
            { type: "text", text: "None found." },
          ],
        },
        ask("Then read /tmp/a.txt"),
      ],
    },
    refuse: (beta, body) =>
      beta.includes(ATU)
        ? refusedBeta(ATU)
        : toolText(body).includes("defer_loading") || toolText(body).includes("input_examples")
        ? "tools.0.input_examples: Extra inputs are not permitted"
        : undefined,
    served: (body) => {
      assert.deepEqual(body.tools, [FOLDED, TOOL_SEARCH]);
      assert.deepEqual(blockTypes(body), ["text", "text", "text"]);
    },
  },
  {
    name: "advanced-tool-use, refused for a deferred tool (Extra inputs are not permitted)",
    betas: [CC, ATU],
    body: { tools: [READ, TOOL_SEARCH, PLACEHOLDER], messages: [ask("hi")] },
    refuse: (_beta, body) =>
      toolText(body).includes("defer_loading")
        ? "tools.2.defer_loading: Extra inputs are not permitted"
        : undefined,
    served: (body) => assert.deepEqual(body.tools, [READ, TOOL_SEARCH]),
  },
  {
    name: "code execution, refused as an unknown variant",
    betas: [CC, CODE],
    body: {
      tools: [READ, CODE_TOOL],
      container: "container_011CPR5CNjB747bApHNEqp2R",
      messages: [
        ask("Count the files"),
        {
          role: "assistant",
          content: [
            {
              type: "server_tool_use",
              id: "srvtoolu_02",
              name: "bash_code_execution",
              input: { command: "ls | wc -l" },
            },
            {
              type: "bash_code_execution_tool_result",
              tool_use_id: "srvtoolu_02",
              content: {
                type: "bash_code_execution_result",
                stdout: "3\n",
                stderr: "",
                return_code: 0,
              },
            },
            { type: "text", text: "Three." },
          ],
        },
        ask("And now?"),
      ],
    },
    refuse: (_beta, body) =>
      types(body).includes("code_execution_20250825")
        ? "tools.1: unknown variant `code_execution_20250825`, expected one of `custom`, " +
          "`bash_20250124`, `text_editor_20250728`, `web_search_20250305`"
        : "container" in body
        ? "container: Extra inputs are not permitted"
        : blockTypes(body).some((t) => t !== "text")
        ? "messages.1.content.0: unknown variant `server_tool_use`"
        : undefined,
    served: (body) => {
      assert.deepEqual(body.tools, [READ]);
      assert.equal("container" in body, false);
      assert.deepEqual(blockTypes(body), ["text", "text", "text"]);
      const turn = (body.messages as Array<{ content: Json[] }>)[1]!.content;
      assert.match(String(turn[1]!.text), /exit code 0\]\n3/);
    },
  },
  {
    name: "web fetch, refused by name",
    betas: [CC, FETCH],
    serverTools: true,
    body: {
      tools: [READ, FETCH_TOOL],
      messages: [
        ask("Read https://example.com"),
        {
          role: "assistant",
          content: [
            {
              type: "server_tool_use",
              id: "srvtoolu_03",
              name: "web_fetch",
              input: { url: "https://example.com" },
            },
            {
              type: "web_fetch_tool_result",
              tool_use_id: "srvtoolu_03",
              content: {
                type: "web_fetch_result",
                url: "https://example.com",
                content: {
                  type: "document",
                  source: { type: "text", media_type: "text/plain", data: "Example Domain" },
                  title: "Example",
                },
                retrieved_at: "2025-08-25T10:30:00Z",
              },
            },
            { type: "text", text: "It is the example page." },
          ],
        },
        ask("Thanks"),
      ],
    },
    refuse: (beta, body) =>
      beta.includes(FETCH)
        ? refusedBeta(FETCH)
        : types(body).includes("web_fetch_20250910")
        ? "tools.1: Input tag 'web_fetch_20250910' found using 'type' does not match any of the " +
          "expected tags"
        : undefined,
    served: (body) => {
      assert.deepEqual(body.tools, [READ]);
      assert.deepEqual(blockTypes(body), ["text", "text", "text"]);
    },
  },
  {
    name: "compaction, refused for its edit; context management stays",
    betas: [CC, CM, COMPACT],
    body: {
      context_management: {
        edits: [{ type: "clear_thinking_20251015", keep: "all" }, { type: "compact_20260112" }],
      },
      messages: [
        {
          role: "assistant",
          content: [{ type: "compaction", content: "The user is porting a parser to Rust." }],
        },
        ask("Go on"),
      ],
    },
    refuse: (_beta, body) =>
      JSON.stringify(body.context_management ?? {}).includes("compact_20260112")
        ? "context_management.edits.1: Input tag 'compact_20260112' found using 'type' does " +
          "not match any of the expected tags: 'clear_thinking_20251015', 'clear_tool_uses_20250919'"
        : blockTypes(body).includes("compaction")
        ? "messages.0.content.0: unknown variant `compaction`"
        : undefined,
    served: (body) => {
      assert.deepEqual(body.context_management, {
        edits: [{ type: "clear_thinking_20251015", keep: "all" }],
      });
      const first = (body.messages as Array<{ content: Json[] }>)[0]!.content[0]!;
      assert.equal(first.type, "text");
      assert.match(String(first.text), /porting a parser to Rust/);
    },
  },
  {
    name: "dangerous-tool-use, refused by name: auto mode's safeguards go with it",
    betas: [CC, DANGER],
    body: {
      safeguards: [{
        type: "dangerous_tool_use",
        classifier_context: { v: 1, permission_mode: "auto", platform: "linux" },
      }],
      messages: [ask("hi")],
    },
    refuse: (beta, body) =>
      beta.includes(DANGER)
        ? refusedBeta(DANGER)
        : "safeguards" in body
        ? "safeguards: Extra inputs are not permitted"
        : undefined,
    served: (body) => assert.equal("safeguards" in body, false),
  },
  {
    name: "dangerous-tool-use 2026-10-15, refused by name: the safeguards go with it",
    betas: [CC, DANGER_1015],
    body: {
      safeguards: [{
        type: "dangerous_tool_use",
        classifier_context: { v: 1, permission_mode: "auto", platform: "linux" },
        classifier_tool_calls: { tools: ["Bash"] },
      }],
      messages: [ask("hi")],
    },
    refuse: (beta, body) =>
      beta.includes(DANGER_1015)
        ? refusedBeta(DANGER_1015)
        : "safeguards" in body
        ? "safeguards: Extra inputs are not permitted"
        : undefined,
    served: (body) => assert.equal("safeguards" in body, false),
  },
  {
    name: "classifier-tool-calls, refused by name: the safeguard's key goes, the safeguard stays",
    betas: [CC, DANGER, CLASSIFIER],
    refused: [CLASSIFIER],
    body: { safeguards: [CLASSIFIED], messages: [ask("hi")] },
    refuse: (beta, body) =>
      beta.includes(CLASSIFIER)
        ? refusedBeta(CLASSIFIER)
        : classifierCalls(body)
        ? "safeguards.0.dangerous_tool_use.classifier_tool_calls: Extra inputs are not permitted"
        : undefined,
    served: (body) => assert.deepEqual(body.safeguards, [SAFEGUARD]),
  },
  {
    name: "classifier-tool-calls, refused for the safeguard's key",
    betas: [CC, DANGER, CLASSIFIER],
    refused: [CLASSIFIER],
    body: { safeguards: [CLASSIFIED], messages: [ask("hi")] },
    refuse: (_beta, body) =>
      classifierCalls(body)
        ? "safeguards.0.dangerous_tool_use.classifier_tool_calls: Extra inputs are not permitted"
        : undefined,
    served: (body) => assert.deepEqual(body.safeguards, [SAFEGUARD]),
  },
  {
    name: "dangerous-tool-use, refused for its safeguards field",
    betas: [CC, DANGER],
    body: { safeguards: [{ type: "dangerous_tool_use" }], messages: [ask("hi")] },
    refuse: (_beta, body) =>
      "safeguards" in body ? "safeguards: Extra inputs are not permitted" : undefined,
    served: (body) => assert.equal("safeguards" in body, false),
  },
  {
    name: "per-turn-control, refused by name: the per-message efforts go, the top-level stays",
    betas: [CC, PER_TURN],
    // Sent to Anthropic's own API shape: other presets fold system messages away before sending.
    preset: "anthropic",
    body: { output_config: { effort: "medium" }, messages: PER_TURN_HISTORY },
    refuse: (beta, body) =>
      beta.includes(PER_TURN)
        ? refusedBeta(PER_TURN)
        : messageKeys(body).length > 0
        ? `${messageKeys(body)[0]}: Extra inputs are not permitted`
        : (body.messages as Json[]).some((m) => Array.isArray(m.content) && !m.content.length)
        ? "messages: all messages must have non-empty content"
        : undefined,
    served: (body) => {
      assert.deepEqual(body.output_config, { effort: "medium" });
      assert.deepEqual(body.messages, [
        PER_TURN_HISTORY[0],
        { role: "system", content: [{ type: "text", text: "# Environment" }] },
        PER_TURN_HISTORY[2],
        PER_TURN_HISTORY[3],
      ]);
    },
  },
  {
    name: "per-turn-control, refused for a message's output_config",
    betas: [CC, PER_TURN],
    preset: "anthropic",
    body: { output_config: { effort: "medium" }, messages: PER_TURN_HISTORY },
    refuse: (_beta, body) =>
      messageKeys(body).length > 0
        ? `${messageKeys(body).at(-1)}: Extra inputs are not permitted`
        : undefined,
    served: (body) => assert.deepEqual(messageKeys(body), []),
  },
  {
    name: "thinking-display-updates, refused by name: the display goes with it",
    betas: [CC, DISPLAY],
    body: { thinking: { type: "adaptive", display: "updates" }, messages: [ask("hi")] },
    refuse: (beta, body) =>
      beta.includes(DISPLAY)
        ? refusedBeta(DISPLAY)
        : (body.thinking as Json).display === "updates"
        ? "thinking.adaptive.display: Input should be 'summarized' or 'omitted'"
        : undefined,
    served: (body) => assert.deepEqual(body.thinking, { type: "adaptive" }),
  },
];

/** A gateway that refuses as `refuse` says and serves anything else, streamed or not. */
function startGateway(refuse: Case["refuse"]) {
  const seen: Array<{ beta: string | null; body: Json }> = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json();
    const beta = req.headers.get("anthropic-beta");
    seen.push({ beta, body });
    const message = refuse(beta ?? "", body);
    if (message) {
      return Response.json(
        { type: "error", error: { type: "invalid_request_error", message } },
        { status: 400 },
      );
    }
    if (!body.stream) return Response.json(textMessage("m", { input_tokens: 9, output_tokens: 2 }));
    return new Response(encodeEvents(textTurn("m", 2)), {
      headers: { "content-type": "text/event-stream" },
    });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, seen, close: () => server.shutdown() };
}

for (const c of CASES) {
  Deno.test(`${c.name}: served without the beta's parts, and learned`, async () => {
    const gateway = startGateway(c.refuse);
    const ccp = startCcp(testConfig({
      providers: [
        provider("gw", {
          baseUrl: gateway.url,
          maxRetries: 0,
          serverTools: c.serverTools,
          preset: c.preset,
        }),
      ],
      routes: { default: "gw/claude-opus-4-5" },
    }));
    const post = (stream: boolean) =>
      fetch(`${ccp.url}/v1/messages?beta=true`, {
        method: "POST",
        headers: { "content-type": "application/json", "anthropic-beta": c.betas.join(",") },
        body: JSON.stringify({ model: "claude-opus-4-5", max_tokens: 100, stream, ...c.body }),
      });
    try {
      const streamed = await post(true);
      assert.equal(streamed.status, 200);
      assert.equal(parseSse(await streamed.text()).at(-1)!.event, "message_stop");
      const json = await post(false);
      assert.equal(json.status, 200);
      assert.equal((await json.json()).content[0].text, "hi");
      // One refused request; its retry and the next request go without the beta's parts.
      assert.equal(gateway.seen.length, 3);
      assert.equal(gateway.seen[0]!.beta, c.betas.join(","));
      const refused = c.refused ?? c.betas.filter((b) => b !== CC && b !== CM);
      const kept = c.betas.filter((b) => !refused.includes(b)).join(",");
      for (const served of gateway.seen.slice(1)) {
        assert.equal(served.beta, kept);
        c.served(served.body);
      }
      assert.equal(gateway.seen[2]!.body.stream, false);
    } finally {
      await ccp.close();
      await gateway.close();
    }
  });
}

Deno.test("2.1.332's betas and their parts reach an upstream that takes them as they came", async () => {
  const betas = [CC, DANGER, DISPLAY, PER_TURN].join(",");
  const body = {
    model: "claude-opus-5-5",
    max_tokens: 100,
    stream: true,
    thinking: { type: "adaptive", display: "updates" },
    safeguards: [{ type: "dangerous_tool_use", classifier_context: { v: 1 } }],
    output_config: { effort: "medium" },
    messages: PER_TURN_HISTORY,
  };
  // Anthropic's own API gets everything; a gateway without a preset gets the system messages
  // folded (the environment into `system`, the empty one gone) and the rest as it came.
  for (const preset of ["anthropic", undefined]) {
    const gateway = startGateway(() => undefined);
    const ccp = startCcp(testConfig({
      providers: [provider("gw", { baseUrl: gateway.url, maxRetries: 0, preset })],
      routes: { default: "gw/claude-opus-5-5" },
    }));
    try {
      const res = await fetch(`${ccp.url}/v1/messages?beta=true`, {
        method: "POST",
        headers: { "content-type": "application/json", "anthropic-beta": betas },
        body: JSON.stringify(body),
      });
      assert.equal(res.status, 200);
      await res.body?.cancel();
      const sent = gateway.seen[0]!;
      assert.equal(sent.beta, betas, String(preset));
      for (const field of ["thinking", "safeguards", "output_config"] as const) {
        assert.deepEqual(sent.body[field], body[field], `${preset}: ${field}`);
      }
      const roles = (sent.body.messages as Json[]).map((m) => m.role);
      if (preset) assert.deepEqual(sent.body.messages, PER_TURN_HISTORY);
      else assert.deepEqual(roles, ["user", "assistant", "user"]);
    } finally {
      await ccp.close();
      await gateway.close();
    }
  }
});

Deno.test("a preset that keeps only long-standing betas leaves 2.1.332's parts out too", async () => {
  // Z.AI is sent none of Claude Code's newer betas; what they bring would be refused as unknown.
  const gateway = startGateway(() => undefined);
  const ccp = startCcp(testConfig({
    providers: [provider("glm", { baseUrl: gateway.url, maxRetries: 0, preset: "zai" })],
    routes: { default: "glm/glm-5.1" },
  }));
  try {
    const res = await fetch(`${ccp.url}/v1/messages?beta=true`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "anthropic-beta": [CC, DANGER, DISPLAY, PER_TURN].join(","),
      },
      body: JSON.stringify({
        model: "glm-5.1",
        max_tokens: 100,
        stream: true,
        thinking: { type: "adaptive", display: "updates" },
        safeguards: [{ type: "dangerous_tool_use" }],
        output_config: { effort: "medium" },
        messages: PER_TURN_HISTORY,
      }),
    });
    assert.equal(res.status, 200);
    await res.body?.cancel();
    assert.equal(gateway.seen.length, 1);
    const { beta, body } = gateway.seen[0]!;
    assert.equal(beta, CC);
    assert.deepEqual(body.thinking, { type: "adaptive" });
    assert.equal("safeguards" in body, false);
    assert.deepEqual(body.output_config, { effort: "medium" });
    assert.deepEqual(messageKeys(body), []);
  } finally {
    await ccp.close();
    await gateway.close();
  }
});

Deno.test("withoutBetaParts: only what the beta brings goes", () => {
  const body = {
    model: "m",
    messages: [ask("hi")],
    tools: [EXAMPLES, TOOL_SEARCH, PLACEHOLDER, CODE_TOOL, FETCH_TOOL],
    context_management: { edits: [{ type: "compact_20260112" }] },
  };
  // Each beta on its own leaves the others' parts alone.
  assert.deepEqual(types(withoutBetaParts(body, [FETCH])), [
    "Read",
    "ToolSearch",
    "DeferredToolPlaceholder",
    "code_execution_20250825",
  ]);
  assert.deepEqual(types(withoutBetaParts(body, [CODE])), [
    "Read",
    "ToolSearch",
    "DeferredToolPlaceholder",
    "web_fetch_20250910",
  ]);
  const noAtu = withoutBetaParts(body, [ATU]);
  assert.deepEqual(noAtu.tools, [FOLDED, TOOL_SEARCH, CODE_TOOL, FETCH_TOOL]);
  assert.deepEqual(noAtu.context_management, body.context_management);
  // The last edit gone, the field goes.
  assert.equal("context_management" in withoutBetaParts(body, [COMPACT]), false);
  // Vertex's tool search header: deferral and the search tools, not tool use examples.
  const vertex = withoutBetaParts({ ...body, tools: [EXAMPLES, PLACEHOLDER, REGEX] }, [
    "tool-search-tool-2025-10-19",
  ]);
  assert.deepEqual(vertex.tools, [EXAMPLES]);
  // Nothing of a beta: the very same body.
  const plain = { model: "m", messages: [ask("hi")], tools: [READ] };
  assert.equal(withoutBetaParts(plain, [ATU, CODE, FETCH, COMPACT]), plain);
});

Deno.test("betasBehindParts: a refused tool key, edit or variant of a beta sent stands for it", () => {
  const sent = (body: Json, betas: string[]) => ({
    body: { model: "m", messages: [ask("hi")], ...body },
    headers: { "anthropic-beta": [CC, ...betas].join(",") },
  });
  const behind = (message: string, body: Json, betas: string[]) =>
    betasBehindParts(message, JSON.stringify({ error: { message } }), sent(body, betas));
  const examples = "tools.0.input_examples: Extra inputs are not permitted";
  assert.deepEqual(behind(examples, { tools: [EXAMPLES] }, [ATU, FETCH]), [ATU]);
  const variant = "unknown variant `web_fetch_20250910`, expected one of `custom`";
  assert.deepEqual(behind(variant, { tools: [FETCH_TOOL] }, [ATU, FETCH]), [FETCH]);
  const container = "container: Extra inputs are not permitted";
  assert.deepEqual(behind(container, { container: "c1" }, [CODE]), [CODE]);
  // The part named but not in the body, or the beta not sent: none.
  assert.deepEqual(behind(examples, { tools: [READ] }, [ATU]), []);
  assert.deepEqual(behind(variant, { tools: [FETCH_TOOL] }, [ATU]), []);
});
