/**
 * Routing by what a request is, through the server: the headers the client gets and exactly what
 * reached the upstream — scenario routes, the subagent tag, local answers, omitted images and
 * declared transforms.
 */

import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { parseSse, postMessages, startCcp } from "../helpers/ccp.ts";
import { textTurn } from "../mocks/anthropic_fixtures.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";

const BILLING =
  "x-anthropic-billing-header: cc_version=2.1.330; cc_entrypoint=cli; cc_is_subagent=true;";
const IMAGE = {
  type: "image",
  source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" },
};

function world() {
  const mock = startAnthropicMock([{ kind: "stream", events: textTurn("m", 2) }]);
  const config = configFromYaml({
    file: "c.yaml",
    env: {},
    text: `providers:
  up: { type: anthropic, base_url: "${mock.url}", api_key: sk-up-0123456789 }
  textonly:
    preset: deepseek
    base_url: "${mock.url}"
    api_key: sk-ds-0123456789
routes:
  default: up/main
  haiku: textonly/deepseek-chat
  subagent: up/sub
  web_search: up/web
  think: up/think
  image: up/image
  long_context: up/long
routing: { long_context_threshold: 1000 }
transforms:
  haiku: { drop_tools: [NotebookEdit], system_append: "Answer briefly.", set: { temperature: 0.2 } }
`,
  });
  const ccp = startCcp(config);
  return { mock, ccp, close: async () => (await ccp.close(), await mock.close()) };
}

async function post(url: string, body: Record<string, unknown>) {
  const res = await postMessages(url, {
    model: "claude-sonnet-4-5",
    max_tokens: 100,
    stream: true,
    ...body,
  });
  return { res, text: await res.text() };
}

Deno.test("scenario routes through the server: headers name the rule, the upstream gets the model", async () => {
  const w = world();
  try {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ system: BILLING, messages: [{ role: "user", content: "hi" }] }, "subagent", "sub"],
      [
        {
          tools: [{ type: "web_search_20250305", name: "web_search" }],
          messages: [{ role: "user", content: "news?" }],
        },
        "web_search",
        "web",
      ],
      [
        { output_config: { effort: "max" }, messages: [{ role: "user", content: "hard" }] },
        "think",
        "think",
      ],
      [{ messages: [{ role: "user", content: "hi" }] }, "default", "main"],
    ];
    for (const [body, route, model] of cases) {
      const before = w.mock.requests.length;
      const { res } = await post(w.ccp.url, body);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("x-ccp-route"), route);
      assert.equal(res.headers.get("x-ccp-provider"), "up");
      assert.equal(res.headers.get("x-ccp-model"), model);
      assert.equal(w.mock.requests.length, before + 1);
      assert.equal(w.mock.requests.at(-1)!.body!.model, model);
    }
    assert.ok(
      w.ccp.logs.some((l) => /claude-sonnet-4-5 → up\/think .*\[think\]/.test(l)),
      "the log names the rule",
    );
  } finally {
    await w.close();
  }
});

Deno.test("subagent tag: picks the target, and the upstream never sees it", async () => {
  const w = world();
  try {
    const { res } = await post(w.ccp.url, {
      system: [{ type: "text", text: BILLING }, {
        type: "text",
        text: "Review.\n<CCP-SUBAGENT-MODEL>up/reviewer</CCP-SUBAGENT-MODEL>",
      }],
      messages: [{ role: "user", content: "go" }],
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-ccp-route"), "subagent_tag");
    assert.equal(res.headers.get("x-ccp-model"), "reviewer");
    const sent = w.mock.requests.at(-1)!.body!;
    assert.equal(sent.model, "reviewer");
    assert.ok(!JSON.stringify(sent).includes("CCP-SUBAGENT-MODEL"));
    assert.match(JSON.stringify(sent.system), /Review\./);
  } finally {
    await w.close();
  }
});

Deno.test("local answers: quota probe and Warmup, streamed and not, never reach the upstream", async () => {
  const w = world();
  try {
    const quota = await postMessages(w.ccp.url, {
      model: "claude-haiku-4-5",
      max_tokens: 1,
      messages: [{ role: "user", content: "quota" }],
    });
    assert.equal(quota.status, 200);
    assert.equal(quota.headers.get("x-ccp-route"), "local");
    assert.equal(quota.headers.get("x-ccp-provider"), null);
    const message = await quota.json();
    assert.equal(message.type, "message");
    assert.equal(message.model, "claude-haiku-4-5");
    assert.equal(message.stop_reason, "max_tokens");
    assert.equal(message.usage.output_tokens, 1);

    const { res, text } = await post(w.ccp.url, {
      system: [{ type: "text", text: "You are Claude Code." }],
      tools: [{ name: "Bash", input_schema: { type: "object" } }],
      messages: [{
        role: "user",
        content: [{ type: "text", text: "Warmup", cache_control: { type: "ephemeral" } }],
      }],
    });
    assert.equal(res.headers.get("x-ccp-route"), "local");
    const events = parseSse(text).map((e) => e.event);
    assert.deepEqual(events, [
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    assert.equal(w.mock.requests.length, 0, "nothing went upstream");
    // "quota" with room for more tokens is a real question.
    await post(w.ccp.url, { max_tokens: 50, messages: [{ role: "user", content: "quota" }] });
    assert.equal(w.mock.requests.length, 1);
  } finally {
    await w.close();
  }
});

Deno.test("images for a text-only target are replaced by a note; transforms apply per route", async () => {
  const w = world();
  try {
    const { res } = await post(w.ccp.url, {
      model: "claude-haiku-4-5",
      system: "You are helpful.",
      temperature: 1,
      tools: [
        { name: "Bash", input_schema: { type: "object" } },
        { name: "NotebookEdit", input_schema: { type: "object" } },
      ],
      // The image is in an earlier turn: the image route (last user message) does not take it.
      messages: [
        { role: "user", content: [{ type: "text", text: "what is this?" }, IMAGE] },
        { role: "assistant", content: "A picture." },
        { role: "user", content: "and what colour is it?" },
      ],
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-ccp-provider"), "textonly");
    const sent = w.mock.requests.at(-1)!.body!;
    const text = JSON.stringify(sent.messages);
    assert.ok(!text.includes('"type":"image"'), "no image reached a text-only upstream");
    assert.match(text, /image omitted/);
    assert.deepEqual((sent.tools as { name: string }[]).map((t) => t.name), ["Bash"]);
    assert.equal(sent.temperature, 0.2);
    assert.match(JSON.stringify(sent.system), /You are helpful\.\\n\\nAnswer briefly\./);
  } finally {
    await w.close();
  }
});
