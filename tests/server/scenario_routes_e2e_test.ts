/**
 * The image and long_context routes, image omission (JSON, inside tool results, per failover
 * target) and route transforms chosen by a subagent tag, through the server: the headers the
 * client gets and exactly what reached each upstream.
 */

import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { countRequestTokensAsync } from "../../src/tokens/mod.ts";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { anthropicErrorBody, textMessage, textTurn } from "../mocks/anthropic_fixtures.ts";
import { type AnthropicMock, startAnthropicMock } from "../mocks/anthropic_mock.ts";

const IMAGE = {
  type: "image",
  source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" },
};

const MESSAGE = textMessage("m", { input_tokens: 5, output_tokens: 1 }, "ok");

/** Two upstreams: `up` reads images, `textonly` (the deepseek preset) does not. */
function world(routes: string, counted: { n: number; tokens: number } = { n: 0, tokens: 7 }) {
  const up = startAnthropicMock([{ kind: "stream", events: textTurn("m", 1) }]);
  const plain = startAnthropicMock([{ kind: "json", body: MESSAGE }]);
  const config = configFromYaml({
    file: "c.yaml",
    env: {},
    text: `providers:
  up: { type: anthropic, base_url: "${up.url}", api_key: sk-up-0123456789 }
  textonly:
    preset: deepseek
    base_url: "${plain.url}"
    api_key: sk-ds-0123456789
    max_retries: 0
${routes}`,
  });
  const ccp = startCcp(config, {
    countTokens: () => (counted.n++, Promise.resolve(counted.tokens)),
  });
  return {
    up,
    plain,
    ccp,
    close: async () => (await ccp.close(), await up.close(), await plain.close()),
  };
}

async function post(url: string, body: Record<string, unknown>) {
  const res = await postMessages(url, { model: "claude-sonnet-4-5", max_tokens: 100, ...body });
  await res.body?.cancel();
  return res;
}

function lastBody(mock: AnthropicMock): Record<string, unknown> {
  return mock.requests.at(-1)!.body!;
}

Deno.test("image route: the last user turn's image (also inside a tool_result) goes there intact", async () => {
  const w = world(`routes: { default: textonly/deepseek-chat, image: up/vision }\n`);
  try {
    const direct = [{ role: "user", content: [{ type: "text", text: "what is it?" }, IMAGE] }];
    const inResult = [
      { role: "user", content: "take a screenshot" },
      {
        role: "assistant",
        content: [{ type: "tool_use", id: "toolu_1", name: "Screenshot", input: {} }],
      },
      {
        role: "user",
        content: [{ type: "tool_result", tool_use_id: "toolu_1", content: [IMAGE] }],
      },
    ];
    for (const messages of [direct, inResult]) {
      const res = await post(w.ccp.url, { stream: true, messages });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("x-ccp-route"), "image");
      assert.equal(res.headers.get("x-ccp-provider"), "up");
      assert.equal(res.headers.get("x-ccp-model"), "vision");
      assert.equal(lastBody(w.up).model, "vision");
      assert.match(JSON.stringify(lastBody(w.up).messages), /"type":"image"/);
    }
    assert.equal(w.plain.requests.length, 0);
  } finally {
    await w.close();
  }
});

Deno.test("text-only target, JSON answer: images (also in tool results) are replaced by a note", async () => {
  const w = world(`routes: { default: textonly/deepseek-chat }\n`);
  try {
    const res = await post(w.ccp.url, {
      messages: [
        { role: "user", content: [{ type: "text", text: "look" }, IMAGE] },
        {
          role: "assistant",
          content: [{ type: "tool_use", id: "toolu_1", name: "Read", input: { path: "a.png" } }],
        },
        {
          role: "user",
          content: [{ type: "tool_result", tool_use_id: "toolu_1", content: [IMAGE] }],
        },
      ],
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-ccp-route"), "default");
    assert.equal(res.headers.get("x-ccp-provider"), "textonly");
    const text = JSON.stringify(lastBody(w.plain).messages);
    assert.ok(!text.includes('"type":"image"'), "no image reached the text-only upstream");
    assert.equal(text.match(/image omitted/g)?.length, 2);
  } finally {
    await w.close();
  }
});

Deno.test("image omission is per target: after a failover the next target gets the image", async () => {
  const w = world(`routes: { default: [textonly/deepseek-chat, up/vision] }\n`);
  w.plain.replies.splice(0, 1, {
    kind: "json",
    status: 503,
    body: anthropicErrorBody("overloaded_error", "busy"),
  });
  try {
    const res = await post(w.ccp.url, {
      stream: true,
      messages: [{ role: "user", content: [{ type: "text", text: "what is it?" }, IMAGE] }],
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-ccp-provider"), "up");
    assert.ok(!JSON.stringify(lastBody(w.plain).messages).includes('"type":"image"'));
    assert.match(JSON.stringify(lastBody(w.up).messages), /"type":"image"/);
  } finally {
    await w.close();
  }
});

Deno.test("long_context route: the local count decides; a body too small to be over is not counted", async () => {
  const counted = { n: 0, tokens: 0 };
  const w = world(
    `routes: { default: up/main, long_context: up/long }\nrouting: { long_context_threshold: 20k }\n`,
    counted,
  );
  const say = (chars: number) => ({
    stream: true,
    messages: [{ role: "user", content: "word ".repeat(chars / 5) }],
  });
  try {
    // 100 characters cannot be over 20k tokens by any count: the default, with no count.
    let res = await post(w.ccp.url, say(100));
    assert.equal(res.headers.get("x-ccp-route"), "default");
    assert.equal(counted.n, 0, "a bound of the count decided");
    // Any longer body is counted, however long: characters per token vary too much to tell.
    counted.tokens = 25_000;
    res = await post(w.ccp.url, say(20_000));
    assert.equal(res.headers.get("x-ccp-route"), "long_context");
    assert.equal(lastBody(w.up).model, "long");
    counted.tokens = 600;
    res = await post(w.ccp.url, say(200_000));
    assert.equal(res.headers.get("x-ccp-route"), "default");
    counted.tokens = 20_001;
    res = await post(w.ccp.url, say(3000));
    assert.equal(res.headers.get("x-ccp-route"), "long_context");
    counted.tokens = 20_000;
    res = await post(w.ccp.url, say(3000));
    assert.equal(res.headers.get("x-ccp-route"), "default");
    assert.equal(lastBody(w.up).model, "main");
    assert.equal(counted.n, 4, "one count per request that may be over");
  } finally {
    await w.close();
  }
});

Deno.test("long_context route: routed by the number count_tokens answers for the same body", async () => {
  const up = startAnthropicMock([{ kind: "stream", events: textTurn("m", 1) }]);
  const at = (threshold: number) =>
    configFromYaml({
      file: "c.yaml",
      env: {},
      text: `providers:
  up: { type: anthropic, base_url: "${up.url}", api_key: sk-up-0123456789 }
routes: { default: up/main, long_context: up/long }
routing: { long_context_threshold: ${threshold} }
`,
    });
  // The local counter the server uses (a real one, not a stub).
  const ccp = startCcp(at(60_000), {
    countTokens: (b) =>
      countRequestTokensAsync(b, { model: typeof b.model === "string" ? b.model : undefined }),
  });
  // ~420k characters, mostly spaces: under 10k tokens.
  const body = {
    model: "claude-sonnet-4-5",
    messages: [{ role: "user", content: ("Fix the bug." + " ".repeat(1000)).repeat(416) }],
  };
  const countTokens = async () => {
    const res = await fetch(`${ccp.url}/v1/messages/count_tokens`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return ((await res.json()) as { input_tokens: number }).input_tokens;
  };
  try {
    const tokens = await countTokens();
    assert.ok(tokens < 15_000, `count_tokens says ${tokens}`);
    let res = await post(ccp.url, { ...body, stream: true });
    assert.equal(res.headers.get("x-ccp-route"), "default");
    ccp.setConfig(at(tokens - 1));
    res = await post(ccp.url, { ...body, stream: true });
    assert.equal(res.headers.get("x-ccp-route"), "long_context");
    assert.equal(await countTokens(), tokens, "the same count, routed the same way");
    assert.match(
      ccp.logs.filter((l) => l.includes("count_tokens")).at(-1) ?? "",
      /\[long_context\]/,
    );
  } finally {
    await ccp.close();
    await up.close();
  }
});

Deno.test("a route chosen by a subagent tag gets that route's transforms", async () => {
  const w = world(`routes: { default: up/main, reviewer: up/rev }
transforms:
  reviewer:
    drop_tools: [Write]
    system_append: "Only report."
    set: { temperature: 0.1, top_p: null }
`);
  try {
    const res = await post(w.ccp.url, {
      stream: true,
      system: "Review.\n<CCP-SUBAGENT-MODEL>reviewer</CCP-SUBAGENT-MODEL>",
      top_p: 0.5,
      tools: [
        { name: "Read", input_schema: { type: "object" } },
        { name: "Write", input_schema: { type: "object" } },
      ],
      messages: [{ role: "user", content: "go" }],
    });
    assert.equal(res.headers.get("x-ccp-route"), "subagent_tag");
    const sent = lastBody(w.up);
    assert.equal(sent.model, "rev");
    assert.equal(sent.system, "Review.\n\nOnly report.");
    assert.deepEqual((sent.tools as { name: string }[]).map((t) => t.name), ["Read"]);
    assert.equal(sent.temperature, 0.1);
    assert.equal("top_p" in sent, false, "null in set removes the field");
  } finally {
    await w.close();
  }
});

Deno.test("a system block that held only the tag is not sent as an empty block", async () => {
  const w = world(`routes: { default: up/main }\n`);
  try {
    const res = await post(w.ccp.url, {
      stream: true,
      system: [
        { type: "text", text: "You are Claude Code." },
        { type: "text", text: "<CCP-SUBAGENT-MODEL>up/rev</CCP-SUBAGENT-MODEL>" },
      ],
      messages: [{ role: "user", content: "go" }],
    });
    assert.equal(res.headers.get("x-ccp-route"), "subagent_tag");
    assert.deepEqual(lastBody(w.up).system, [{ type: "text", text: "You are Claude Code." }]);
  } finally {
    await w.close();
  }
});

Deno.test("count_tokens forwarded upstream never carries the subagent tag", async () => {
  const up = startAnthropicMock([{ kind: "json", body: { input_tokens: 42 } }]);
  const ccp = startCcp(configFromYaml({
    file: "c.yaml",
    env: {},
    text: `providers:
  up: { type: anthropic, base_url: "${up.url}", api_key: sk-up-0123456789, count_tokens: true }
routes: { default: up/main }
`,
  }));
  try {
    const res = await fetch(`${ccp.url}/v1/messages/count_tokens`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "claude-sonnet-4-5",
        system: "Review.\n<CCP-SUBAGENT-MODEL>up/rev</CCP-SUBAGENT-MODEL>",
        messages: [{ role: "user", content: "go" }],
      }),
    });
    assert.deepEqual(await res.json(), { input_tokens: 42 });
    const sent = up.requests.at(-1)!;
    assert.match(sent.path, /count_tokens$/);
    assert.equal(sent.body!.model, "rev");
    assert.equal(sent.body!.system, "Review.");
  } finally {
    await ccp.close();
    await up.close();
  }
});
