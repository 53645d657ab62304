/**
 * A beta's parts go with it: when an Anthropic-compatible endpoint refuses the MCP connector's
 * beta (naming it, or naming only `mcp_servers`), the header value, `mcp_servers` and the
 * `mcp_toolset` tools are left out together and the request is still served; the memory tool
 * goes with context management's beta as an ordinary tool; a preset that strips a beta strips
 * what it brings too.
 */

import assert from "node:assert/strict";
import { parseSse, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { encodeEvents, textTurn } from "../mocks/anthropic_fixtures.ts";
import { withoutBetaParts } from "../../src/upstream/cleaning/beta_parts.ts";
import { outgoingRequest } from "../../src/upstream/http/headers.ts";
import { betasBehindParts } from "../../src/upstream/http/refused_betas.ts";

const MCP = "mcp-client-2025-11-20";
const CM = "context-management-2025-06-27";
const SERVERS = [{ type: "url", url: "https://mcp.example.com/sse", name: "docs" }];
const TOOLSET = { type: "mcp_toolset", mcp_server_name: "docs" };
const READ = {
  name: "Read",
  description: "Reads a file",
  input_schema: { type: "object", properties: { path: { type: "string" } } },
};
const MEMORY = { type: "memory_20250818", name: "memory" };
// An earlier turn that Anthropic served with the connector.
const MCP_TURN = [
  { role: "user", content: "What do the docs say?" },
  {
    role: "assistant",
    content: [
      {
        type: "mcp_tool_use",
        id: "mcptoolu_01",
        name: "search_docs",
        server_name: "docs",
        input: { q: "install" },
      },
      {
        type: "mcp_tool_result",
        tool_use_id: "mcptoolu_01",
        is_error: false,
        content: [{ type: "text", text: "Run install.sh" }],
      },
      { type: "text", text: "Run install.sh." },
    ],
  },
  { role: "user", content: "Thanks. And then?" },
];

Deno.test("withoutBetaParts: the connector's servers, toolsets and history blocks", () => {
  const body = {
    model: "m",
    messages: MCP_TURN,
    mcp_servers: SERVERS,
    tools: [READ, TOOLSET],
    tool_choice: { type: "auto" },
  };
  const out = withoutBetaParts(body, [MCP]);
  assert.equal("mcp_servers" in out, false);
  assert.deepEqual(out.tools, [READ]);
  assert.deepEqual(out.tool_choice, { type: "auto" });
  const turn = (out.messages as Array<{ content: Array<{ type: string; text: string }> }>)[1]!;
  assert.deepEqual(turn.content.map((b) => b.type), ["text", "text", "text"]);
  assert.match(turn.content[0]!.text, /docs search_docs \{"q":"install"\}/);
  assert.match(turn.content[1]!.text, /Run install\.sh/);
  // Nothing of the beta: the very same body.
  const plain = { model: "m", messages: [{ role: "user", content: "hi" }], tools: [READ] };
  assert.equal(withoutBetaParts(plain, [MCP, CM, "effort-2025-11-24"]), plain);
  // Only toolsets: no tools left, and no choice among them.
  const only = withoutBetaParts({ ...body, tools: [TOOLSET], tool_choice: { type: "any" } }, [MCP]);
  assert.equal("tools" in only || "tool_choice" in only, false);
  // The deprecated version had no toolset, but the same servers and blocks.
  const old = withoutBetaParts(body, ["mcp-client-2025-04-04"]);
  assert.equal("mcp_servers" in old, false);
  assert.deepEqual(old.tools, [READ, TOOLSET]);
  assert.deepEqual(old.messages, out.messages);
});

Deno.test("withoutBetaParts: context management's memory tool becomes an ordinary tool", () => {
  const body = {
    model: "m",
    messages: [{ role: "user", content: "hi" }],
    tools: [READ, MEMORY],
    context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] },
  };
  const out = withoutBetaParts(body, [CM]);
  assert.equal("context_management" in out, false);
  const tools = out.tools as Array<Record<string, unknown>>;
  assert.deepEqual(tools[0], READ);
  assert.equal(tools[1]!.name, "memory");
  assert.equal(tools[1]!.type, undefined);
  assert.equal((tools[1]!.input_schema as { type: string }).type, "object");
});

const UPSTREAM_COUNT = 4242;

/** What one upstream request carried. */
interface Seen {
  beta: string | null;
  servers: boolean;
  tools: string[];
  blocks: string[];
}

/** An endpoint that refuses the connector as `refuse` says, and answers without it. */
function startRefusing(refuse: (seen: Seen) => string | undefined) {
  const seen: Seen[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json();
    const one: Seen = {
      beta: req.headers.get("anthropic-beta"),
      servers: "mcp_servers" in body,
      tools: (body.tools ?? []).map((t: { type?: string; name?: string }) => t.type ?? t.name),
      blocks: (body.messages as Array<{ content: unknown }>).flatMap((m) =>
        Array.isArray(m.content) ? m.content.map((b: { type: string }) => b.type) : []
      ),
    };
    seen.push(one);
    const message = refuse(one);
    if (message) {
      return Response.json(
        { type: "error", error: { type: "invalid_request_error", message } },
        { status: 400 },
      );
    }
    if (new URL(req.url).pathname.endsWith("/count_tokens")) {
      return Response.json({ input_tokens: UPSTREAM_COUNT });
    }
    return new Response(encodeEvents(textTurn("m", 2)), {
      headers: { "content-type": "text/event-stream" },
    });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, seen, close: () => server.shutdown() };
}

async function askTwice(
  upstreamUrl: string,
  over: { preset?: string } = {},
): Promise<Array<{ status: number; last: string | undefined }>> {
  const ccp = startCcp(testConfig({
    providers: [provider("gw", { baseUrl: upstreamUrl, ...over })],
    routes: { default: "gw/claude-opus-4-5" },
  }));
  const ask = async () => {
    const res = await fetch(`${ccp.url}/v1/messages?beta=true`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "anthropic-beta": `claude-code-20250219,${MCP}`,
      },
      body: JSON.stringify({
        model: "claude-opus-4-5",
        max_tokens: 100,
        stream: true,
        messages: MCP_TURN,
        mcp_servers: SERVERS,
        tools: [READ, TOOLSET],
      }),
    });
    return { status: res.status, last: parseSse(await res.text()).at(-1)?.event };
  };
  try {
    return [await ask(), await ask()];
  } finally {
    await ccp.close();
  }
}

const WITHOUT: Seen = {
  beta: "claude-code-20250219",
  servers: false,
  tools: ["Read"],
  blocks: ["text", "text", "text"],
};
const AS_SENT: Seen = {
  beta: `claude-code-20250219,${MCP}`,
  servers: true,
  tools: ["Read", "mcp_toolset"],
  blocks: ["mcp_tool_use", "mcp_tool_result", "text"],
};

Deno.test("a refused mcp-client-2025-11-20 takes mcp_servers and the toolsets along", async () => {
  // Anthropic's wording for a beta it does not know, as Vertex and gateways pass it on; and
  // anything of the connector sent without the beta is refused in turn.
  const upstream = startRefusing((s) =>
    s.beta?.includes(MCP)
      ? `Unexpected value(s) \`${MCP}\` for the \`anthropic-beta\` header.`
      : s.servers
      ? "mcp_servers: Extra inputs are not permitted"
      : s.tools.includes("mcp_toolset")
      ? "tools.1: Input tag 'mcp_toolset' found using 'type' does not match any of the expected tags"
      : s.blocks.some((b) => b.startsWith("mcp_"))
      ? "messages.1.content.0: Input tag 'mcp_tool_use' found using 'type' does not match"
      : undefined
  );
  try {
    const answers = await askTwice(upstream.url);
    assert.deepEqual(answers, [
      { status: 200, last: "message_stop" },
      { status: 200, last: "message_stop" },
    ]);
    // One refused request, then each goes without the connector at once.
    assert.deepEqual(upstream.seen, [AS_SENT, WITHOUT, WITHOUT]);
  } finally {
    await upstream.close();
  }
});

Deno.test("a refusal naming only mcp_servers stands for the connector's beta", async () => {
  // A strict server that knows no beta header says nothing of it: the unknown field is the clue.
  const upstream = startRefusing((s) =>
    s.servers
      ? "mcp_servers: Extra inputs are not permitted"
      : s.tools.includes("mcp_toolset")
      ? "tools.1.name: Field required"
      : undefined
  );
  try {
    const answers = await askTwice(upstream.url);
    assert.deepEqual(answers.map((a) => a.status), [200, 200]);
    assert.deepEqual(upstream.seen, [AS_SENT, WITHOUT, WITHOUT]);
  } finally {
    await upstream.close();
  }
});

Deno.test("a preset that strips the connector's beta strips what it brings", async () => {
  // Z.AI keeps only long-standing betas: the connector's is known not to pass there.
  const upstream = startRefusing((s) =>
    s.tools.includes("mcp_toolset") ? "tools.1.name: Field required" : undefined
  );
  try {
    const answers = await askTwice(upstream.url, { preset: "zai" });
    assert.deepEqual(answers.map((a) => a.status), [200, 200]);
    assert.deepEqual(upstream.seen, [WITHOUT, WITHOUT]);
  } finally {
    await upstream.close();
  }
});

/** Asks `ccpUrl` to count a turn with the connector's beta and parts. */
async function countConnector(ccpUrl: string): Promise<unknown> {
  const res = await fetch(`${ccpUrl}/v1/messages/count_tokens?beta=true`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "anthropic-beta": `claude-code-20250219,${MCP}`,
    },
    body: JSON.stringify({
      model: "claude-opus-4-5",
      messages: MCP_TURN,
      mcp_servers: SERVERS,
      tools: [READ, TOOLSET],
    }),
  });
  return await res.json();
}

Deno.test("a count through a preset that strips the connector's beta strips what it brings too", async () => {
  // As Messages are sent there: else the endpoint refuses the toolset, and ccp counts locally.
  const upstream = startRefusing((s) =>
    s.tools.includes("mcp_toolset") ? "tools.1.name: Field required" : undefined
  );
  const ccp = startCcp(testConfig({
    providers: [provider("gw", { baseUrl: upstream.url, preset: "zai", countTokens: true })],
    routes: { default: "gw/claude-opus-4-5" },
  }));
  try {
    assert.deepEqual(await countConnector(ccp.url), { input_tokens: UPSTREAM_COUNT });
    assert.deepEqual(upstream.seen, [WITHOUT]);
  } finally {
    await ccp.close();
    await upstream.close();
  }
});

Deno.test("a count after Messages learned the connector's beta refused goes without its parts", async () => {
  const upstream = startRefusing((s) =>
    s.beta?.includes(MCP)
      ? `Unexpected value(s) \`${MCP}\` for the \`anthropic-beta\` header.`
      : s.servers
      ? "mcp_servers: Extra inputs are not permitted"
      : undefined
  );
  const ccp = startCcp(testConfig({
    providers: [provider("gw", { baseUrl: upstream.url })],
    routes: { default: "gw/claude-opus-4-5" },
  }));
  try {
    const res = await fetch(`${ccp.url}/v1/messages?beta=true`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "anthropic-beta": `claude-code-20250219,${MCP}`,
      },
      body: JSON.stringify({
        model: "claude-opus-4-5",
        max_tokens: 100,
        messages: MCP_TURN,
        mcp_servers: SERVERS,
        tools: [READ, TOOLSET],
      }),
    });
    assert.equal(res.status, 200);
    await res.body?.cancel();
    assert.deepEqual(await countConnector(ccp.url), { input_tokens: UPSTREAM_COUNT });
    assert.deepEqual(upstream.seen, [AS_SENT, WITHOUT, WITHOUT]);
  } finally {
    await ccp.close();
    await upstream.close();
  }
});

Deno.test("a refused context-management beta turns the memory tool into an ordinary tool", async () => {
  const seen: Array<{ beta: string | null; tools: unknown[] }> = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json();
    const beta = req.headers.get("anthropic-beta");
    seen.push({ beta, tools: body.tools });
    const refuse = (message: string) =>
      Response.json({ type: "error", error: { type: "invalid_request_error", message } }, {
        status: 400,
      });
    if (beta?.includes(CM)) {
      return refuse(`Unexpected value(s) \`${CM}\` for the \`anthropic-beta\` header.`);
    }
    // Without its beta, Anthropic's memory tool is an unknown tool type.
    if (body.tools.some((t: { type?: string }) => t.type === "memory_20250818")) {
      return refuse("tools.1: Input tag 'memory_20250818' found using 'type' does not match");
    }
    return new Response(encodeEvents(textTurn("m", 2)), {
      headers: { "content-type": "text/event-stream" },
    });
  });
  const ccp = startCcp(testConfig({
    providers: [provider("gw", { baseUrl: `http://127.0.0.1:${server.addr.port}` })],
    routes: { default: "gw/claude-opus-4-5" },
  }));
  try {
    const res = await fetch(`${ccp.url}/v1/messages?beta=true`, {
      method: "POST",
      headers: { "content-type": "application/json", "anthropic-beta": CM },
      body: JSON.stringify({
        model: "claude-opus-4-5",
        max_tokens: 100,
        stream: true,
        messages: [{ role: "user", content: "Remember I like tea." }],
        tools: [READ, MEMORY],
      }),
    });
    assert.equal(res.status, 200);
    assert.equal(parseSse(await res.text()).at(-1)!.event, "message_stop");
    assert.equal(seen.length, 2);
    assert.equal(seen[1]!.beta, null);
    const memory = seen[1]!.tools[1] as { name: string; type?: string; input_schema: unknown };
    assert.equal(memory.name, "memory");
    assert.equal(memory.type, undefined);
    assert.ok(memory.input_schema);
  } finally {
    await ccp.close();
    await server.shutdown();
  }
});

Deno.test("betasBehindParts: a refused field or tool type of a beta sent stands for it", () => {
  const sent = {
    body: { model: "m", messages: [], mcp_servers: SERVERS, tools: [READ, TOOLSET] },
    headers: { "anthropic-beta": `claude-code-20250219,${MCP}` },
  };
  const field = "mcp_servers: Extra inputs are not permitted";
  const tool = "tools.1: Input tag 'mcp_toolset' found using 'type' does not match any tag";
  assert.deepEqual(betasBehindParts(field, field, sent), [MCP]);
  assert.deepEqual(betasBehindParts(tool, tool, sent), [MCP]);
  // The beta not sent, its tool not in the body, or nothing of it named: none.
  assert.deepEqual(betasBehindParts(tool, tool, { ...sent, headers: {} }), []);
  assert.deepEqual(
    betasBehindParts(tool, tool, { ...sent, body: { ...sent.body, tools: [READ] } }),
    [],
  );
  assert.deepEqual(betasBehindParts("max_tokens: Field required", undefined, sent), []);
});

Deno.test("outgoingRequest: with no beta dropped, the body's cleaning is the provider's own", () => {
  const up = provider("up", { preset: "anthropic" });
  const client = new Headers({ "anthropic-beta": "claude-code-20250219,mcp-client-2025-11-20" });
  // Nothing to take out of the body: no lookup of what dropped betas bring.
  assert.equal(outgoingRequest(up, client).clean, up.cleaning.body);
  // The login's beta is dropped for a provider sent ccp's key: it brings nothing into the body.
  const login = new Headers({ "anthropic-beta": "oauth-2025-04-20,claude-code-20250219" });
  assert.equal(outgoingRequest(up, login).clean, up.cleaning.body);
});
