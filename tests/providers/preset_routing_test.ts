import assert from "node:assert/strict";
import { configFromSources } from "../helpers/config.ts";
import { PRESETS } from "../../src/providers/catalog.ts";
import { TRANSPORTS } from "../../src/server/compose.ts";
import { encodeCcpSignature } from "../../src/translate/reasoning/provenance.ts";
import { parseBetas } from "../../src/upstream/cleaning/betas.ts";
import { withoutBetaParts } from "../../src/upstream/cleaning/beta_parts.ts";
import { filterBetaHeader } from "../../src/upstream/http/headers.ts";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { type RecordedRequest, startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { startOpenAIMock } from "../mocks/openai_mock.ts";
import { startResponsesMock } from "../mocks/responses_mock.ts";
import { textMessage } from "../mocks/anthropic_fixtures.ts";

/** Where each preset's request must land, relative to its (overridden) API root. */
const EXPECTED_PATH: Record<string, string> = {
  nvidia_nim: "/v1/chat/completions",
  groq: "/openai/v1/chat/completions",
  cerebras: "/v1/chat/completions",
  together: "/v1/chat/completions",
  kimi: "/v1/chat/completions",
  openai: "/v1/chat/completions",
  mistral: "/v1/chat/completions",
  xai: "/v1/chat/completions",
  openai_compatible: "/v1/chat/completions",
  anthropic: "/v1/messages",
  open_router: "/api/v1/messages",
  deepseek: "/anthropic/v1/messages",
  friendliai: "/serverless/v1/messages",
  fireworks: "/inference/v1/messages",
  zai: "/api/anthropic/v1/messages",
  zhipu: "/api/anthropic/v1/messages",
  minimax: "/anthropic/v1/messages",
  moonshot_anthropic: "/anthropic/v1/messages",
  lmstudio: "/v1/messages",
  llamacpp: "/v1/messages",
  ollama: "/v1/messages",
  vllm: "/v1/messages",
  cliproxyapi: "/v1/messages",
  gemini: "/v1beta/models/up-gemini:generateContent",
};

const BETAS =
  "claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27,effort-2025-11-24";
const BILLING = "x-anthropic-billing-header: cc_version=2.1.330.f73; cc_entrypoint=sdk-cli;";
const CCP_SIG = encodeCcpSignature({
  provider: "nim",
  protocol: "openai_chat",
  model: "glm-4.7",
  fields: ["reasoning_content"],
});

/** Claude Code's newest request shape, plus history other providers served. */
function claudeCodeBody(model: string): Record<string, unknown> {
  return {
    model,
    max_tokens: 32000,
    stream: false,
    system: [
      { type: "text", text: BILLING },
      { type: "text", text: "You are a Claude agent.", cache_control: { type: "ephemeral" } },
    ],
    messages: [
      { role: "user", content: [{ type: "text", text: "write a.txt" }] },
      { role: "system", content: [{ type: "text", text: "# Environment" }] },
      // A turn GLM served through ccp's OpenAI path: ccp-signed thinking, a `call_` id.
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "from glm", signature: CCP_SIG },
          { type: "tool_use", id: "call_abc", name: "Write", input: { file_path: "/a.txt" } },
        ],
      },
      {
        role: "user",
        content: [{ type: "tool_result", tool_use_id: "call_abc", content: "done" }],
      },
      // Then a turn Anthropic served: redacted thinking only Anthropic can read.
      {
        role: "assistant",
        content: [
          { type: "redacted_thinking", data: "EnCrYpTeD" },
          { type: "tool_use", id: "toolu_01B", name: "Write", input: { file_path: "/b.txt" } },
        ],
      },
      {
        role: "user",
        content: [{
          type: "tool_result",
          tool_use_id: "toolu_01B",
          content: "done",
          cache_control: { type: "ephemeral" },
        }],
      },
    ],
    tools: [
      { name: "Write", description: "Write a file", input_schema: { type: "object" } },
      // A server tool ccp does not run itself (web tools are taken over by ccp; see tests/webtools).
      { type: "code_execution_20250522", name: "code_execution" },
    ],
    metadata: { user_id: "{}" },
    thinking: { type: "adaptive" },
    context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] },
    output_config: { effort: "medium" },
    future_field: { anything: true },
  };
}

const ANTHROPIC_ANSWER = textMessage("upstream", { input_tokens: 3, output_tokens: 1 });

const OPENAI_ANSWER = {
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1,
  model: "upstream",
  choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
};

/** The preset's documented root moved onto the mock, keeping its path (`/anthropic`, `/v1`, …). */
function rootOn(origin: string, baseUrl: string): string {
  const path = baseUrl ? new URL(baseUrl).pathname.replace(/\/+$/, "") : "/v1";
  return origin + path;
}

function yamlFor(roots: Record<string, string>): string {
  const lines = ["server:", "  auth_token: secret-token", "providers:"];
  for (const [id, root] of Object.entries(roots)) {
    lines.push(
      `  p_${id}:`,
      `    preset: ${id}`,
      `    base_url: ${root}`,
      `    api_key: key-${id}`,
      "    max_retries: 0",
    );
  }
  lines.push("routes:", "  default: p_anthropic/up-anthropic");
  return lines.join("\n") + "\n";
}

function authOf(request: { headers: Headers }): Record<string, string | null> {
  return {
    "x-api-key": request.headers.get("x-api-key"),
    authorization: request.headers.get("authorization"),
    "x-goog-api-key": request.headers.get("x-goog-api-key"),
  };
}

function expectedAuth(id: string, scheme: string): Record<string, string | null> {
  return {
    "x-api-key": scheme === "x-api-key" ? `key-${id}` : null,
    authorization: scheme === "bearer" ? `Bearer key-${id}` : null,
    "x-goog-api-key": scheme === "x-goog-api-key" ? `key-${id}` : null,
  };
}

type Msg = { role: string; content: unknown };

/** Spot checks that say in plain words what each endpoint must never see. */
function checkCleaning(id: string, got: RecordedRequest): void {
  const body = got.body!;
  const text = JSON.stringify(body);
  const roles = (body.messages as Msg[]).map((m) => m.role);
  const betas = parseBetas(got.headers.get("anthropic-beta"));
  if (id === "anthropic") {
    assert.ok("context_management" in body && "output_config" in body && "future_field" in body);
    assert.ok(roles.includes("system"), "Anthropic takes system messages");
    assert.ok(text.includes(BILLING), "Anthropic reads the attribution block");
    assert.deepEqual(betas, parseBetas(BETAS), "every beta reaches Anthropic");
    assert.equal(text.includes(`"call_abc"`), false, "foreign tool ids rewritten");
    assert.equal(text.includes(CCP_SIG), false, "ccp-made signatures removed");
    return;
  }
  assert.equal(roles.includes("system"), false, `${id}: system message folded`);
  assert.ok(text.includes("# Environment"), `${id}: folded text kept`);
  // OpenRouter and CLIProxyAPI may relay to Anthropic, which reads redacted thinking.
  const relays = id === "open_router" || id === "cliproxyapi";
  assert.equal(text.includes("redacted_thinking"), relays, `${id}: redacted thinking`);
  assert.equal(text.includes(CCP_SIG), !relays, `${id}: ccp thinking only where unverified`);
  assert.equal(
    text.includes(`"call_abc"`),
    !relays,
    `${id}: tool ids only rewritten for Anthropic`,
  );
  assert.equal(text.includes(BILLING), id === "cliproxyapi", `${id}: attribution block`);
  if (id === "deepseek") assert.equal("context_management" in body, false);
  // MiniMax would ignore it, but a beta stripped takes its field along everywhere.
  if (id === "minimax") assert.equal("context_management" in body, false, "minimax: with its beta");
  if (id === "open_router") {
    assert.equal("context_management" in body, false);
    assert.equal(betas.includes("context-management-2025-06-27"), false);
    assert.ok(betas.includes("effort-2025-11-24"), "other betas still reach Anthropic models");
  }
  if (id === "fireworks" || ["lmstudio", "llamacpp", "ollama", "vllm"].includes(id)) {
    assert.equal(text.includes("code_execution"), false, `${id}: no server tools`);
  }
}

Deno.test("every preset: right URL, auth header, upstream model and cleaning", async (t) => {
  const anthropicMock = startAnthropicMock([{ kind: "json", body: ANTHROPIC_ANSWER }]);
  const openAIMock = startOpenAIMock({ json: OPENAI_ANSWER });
  const openAIOrigin = new URL(openAIMock.url).origin;
  const responsesMock = startResponsesMock(() => ({ items: [{ kind: "text", text: "ok" }] }), {
    key: "key-openai_responses",
  });
  const responsesOrigin = new URL(responsesMock.url).origin;
  const roots = Object.fromEntries(PRESETS.map((p) => [
    p.id,
    rootOn(
      p.type === "openai"
        ? openAIOrigin
        : p.type === "openai_responses"
        ? responsesOrigin
        : anthropicMock.url,
      p.baseUrl,
    ),
  ]));
  const config = configFromSources({
    flags: {},
    env: {},
    yaml: { text: yamlFor(roots), file: "config.yaml" },
  });
  const ccp = startCcp(config);
  try {
    for (const preset of PRESETS) {
      await t.step(preset.id, async () => {
        const provider = config.providers[`p_${preset.id}`]!;
        assert.equal(provider.preset, preset.id);
        const model = `p_${preset.id}/up-${preset.id}`;
        const sent = claudeCodeBody(model);
        const before = {
          anthropic: anthropicMock.requests.length,
          openai: openAIMock.requests.length,
        };
        const res = await postMessages(ccp.url, sent, {
          authorization: "Bearer secret-token",
          "anthropic-version": "2023-06-01",
          "anthropic-beta": BETAS,
        });
        const answer = await res.json();

        if (preset.type === "gemini" && !TRANSPORTS.gemini) {
          assert.equal(res.status, 501, "no Gemini transport in this build yet");
          assert.equal(anthropicMock.requests.length, before.anthropic, "nothing sent");
          return;
        }
        if (preset.type === "openai_responses") {
          assert.equal(res.status, 200, JSON.stringify(answer));
          const got = responsesMock.requests.at(-1)!;
          assert.equal(got.body.model, `up-${preset.id}`);
          assert.equal(got.headers.get("authorization"), `Bearer key-${preset.id}`);
          assert.equal(got.body.store, false);
          return;
        }
        if (preset.type === "openai") {
          assert.equal(res.status, 200, JSON.stringify(answer));
          const got = openAIMock.requests.at(-1)!;
          assert.equal(openAIMock.requests.length, before.openai + 1);
          assert.equal(got.path, EXPECTED_PATH[preset.id]);
          assert.deepEqual(authOf(got), expectedAuth(preset.id, preset.authHeader));
          assert.equal(got.body.model, `up-${preset.id}`);
          return;
        }
        const got = anthropicMock.requests.at(-1)!;
        assert.equal(anthropicMock.requests.length, before.anthropic + 1);
        assert.equal(got.path, EXPECTED_PATH[preset.id]);
        assert.deepEqual(authOf(got), expectedAuth(preset.id, preset.authHeader));
        if (preset.type === "gemini") return; // only the request is checked for Gemini
        assert.equal(res.status, 200, JSON.stringify(answer));
        assert.equal(answer.model, model, "the client's model name comes back");
        assert.equal(got.body!.model, `up-${preset.id}`);

        // The wire carries exactly the preset's cleaning of what the client sent, without what
        // the betas it removes bring into the body.
        const cleaning = provider.cleaning;
        const betas = filterBetaHeader(new Headers({ "anthropic-beta": BETAS }), cleaning.betas);
        const kept = parseBetas(betas.get("anthropic-beta"));
        const dropped = parseBetas(BETAS).filter((beta) => !kept.includes(beta));
        assert.deepEqual(got.body, {
          ...withoutBetaParts(cleaning.body(sent, `up-${preset.id}`), dropped),
          model: `up-${preset.id}`,
        });
        assert.equal(got.headers.get("anthropic-beta"), betas.get("anthropic-beta"));
        checkCleaning(preset.id, got);
      });
    }
  } finally {
    await ccp.close();
    await anthropicMock.close();
    await openAIMock.close();
    await responsesMock.close();
  }
});
