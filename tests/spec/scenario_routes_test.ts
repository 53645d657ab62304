/**
 * The external contract's scenario routes, from outside: each one's match, their order, their
 * defaults (60k input tokens, a 32000 thinking budget), that each applies only when configured,
 * and the subagent model tag that beats them all.
 */

import assert from "node:assert/strict";
import { routeOf, TOKEN, withWorld, type World } from "./_world.ts";

const IMAGE = {
  type: "image",
  source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" },
};
const SUBAGENT_BLOCK = {
  type: "text",
  text: "x-anthropic-billing-header: cc_version=2.1.3; cc_entrypoint=cli; cc_is_subagent=true;",
};
const WEB_SEARCH = { type: "web_search_20250305", name: "web_search", max_uses: 2 };

const providers = (url: string, settings = "") =>
  `server: { auth_token: "${TOKEN}" }
providers:
  up:
    type: openai
    base_url: "${url}/v1"
    api_key: sk-up-0123456789
${settings}`;
const allScenarios = (url: string, routing = "") =>
  `${providers(url)}routes:
  default: up/default-model
  sonnet: up/sonnet-model
  subagent: up/subagent-model
  web_search: up/web-model
  image: up/image-model
  long_context: up/long-model
  think: up/think-model
${routing}`;

/** One user turn: a word, `n` times " hi", `dots` full stops. */
const words = (n: number, dots = 0) => [{
  role: "user",
  content: `start${" hi".repeat(n)}${".".repeat(dots)}`,
}];

async function tokensOf(w: World, body: Record<string, unknown>): Promise<number> {
  const { res, json } = await w.ask(body, { path: "/v1/messages/count_tokens" });
  assert.equal(res.status, 200, JSON.stringify(json));
  assert.deepEqual(Object.keys(json), ["input_tokens"]);
  return json.input_tokens as number;
}

/**
 * A body whose input tokens, as count_tokens reports them, are exactly `target`: the count grows
 * with the text by one or two tokens a word, so the word count is found near the estimate and
 * full stops fill a gap the words step over.
 */
async function bodyOf(w: World, target: number): Promise<Record<string, unknown>> {
  const count = (n: number, dots = 0) => tokensOf(w, { messages: words(n, dots) });
  const base = await count(0);
  const slope = ((await count(1000)) - base) / 1000;
  let n = Math.round((target - base) / slope);
  for (let step = 0; step < 40; step++) {
    const at = await count(n);
    if (at === target) return { messages: words(n) };
    if (at > target) {
      n--;
      continue;
    }
    if ((await count(n + 1)) <= target) {
      n++;
      continue;
    }
    for (let dots = 1; dots <= 3; dots++) {
      if ((await count(n, dots)) === target) return { messages: words(n, dots) };
    }
    break;
  }
  throw new Error(`no body of exactly ${target} tokens found near ${n} words`);
}

Deno.test("scenario routes: checked in the order subagent, web_search, image, long_context, think", async (t) => {
  await withWorld(allScenarios, async (w) => {
    const big = await bodyOf(w, 60_001);
    const every = {
      system: [SUBAGENT_BLOCK],
      tools: [WEB_SEARCH],
      thinking: { type: "enabled", budget_tokens: 40_000 },
      max_tokens: 50_000,
      messages: [{
        role: "user",
        content: [
          { type: "text", text: (big.messages as Array<{ content: string }>)[0]!.content },
          IMAGE,
        ],
      }],
    };
    const steps: Array<[string, Record<string, unknown>, string]> = [
      ["a request matching all five goes to subagent", every, "subagent"],
      ["then web_search", { ...every, system: "You are Claude Code." }, "web_search"],
      ["then image", { ...every, system: undefined, tools: undefined }, "image"],
      [
        "then long_context",
        { ...every, system: undefined, tools: undefined, ...big },
        "long_context",
      ],
      ["then think", { thinking: every.thinking, max_tokens: 50_000 }, "think"],
      ["then the tier", {}, "sonnet"],
    ];
    for (const [promise, body, route] of steps) {
      await t.step(promise, async () => {
        const { res, json } = await w.ask(body);
        assert.equal(res.status, 200, JSON.stringify(json).slice(0, 400));
        assert.equal(res.headers.get("x-ccp-route"), route);
        assert.equal(
          res.headers.get("x-ccp-model"),
          `${route.replace("_search", "").replace("_context", "")}-model`,
        );
      });
    }
  });
});

Deno.test("subagent: cc_is_subagent=true in a role: system message also matches", async () => {
  await withWorld(allScenarios, async (w) => {
    for (const content of [SUBAGENT_BLOCK.text, [SUBAGENT_BLOCK]]) {
      const { res } = await w.ask({
        messages: [{ role: "system", content }, { role: "user", content: "hi" }],
      });
      assert.equal(res.status, 200);
      assert.deepEqual(routeOf(res), ["subagent", "up", "subagent-model"]);
    }
  });
});

Deno.test("image: an image inside the last user turn's tool_result matches; an older one does not", async () => {
  await withWorld(allScenarios, async (w) => {
    const inResult = [
      { role: "user", content: "screenshot" },
      {
        role: "assistant",
        content: [{ type: "tool_use", id: "toolu_1", name: "Shot", input: {} }],
      },
      {
        role: "user",
        content: [{ type: "tool_result", tool_use_id: "toolu_1", content: [IMAGE] }],
      },
    ];
    assert.equal((await w.ask({ messages: inResult })).res.headers.get("x-ccp-route"), "image");
    const older = [
      { role: "user", content: [IMAGE, { type: "text", text: "what is it?" }] },
      { role: "assistant", content: "a cat" },
      { role: "user", content: "thanks" },
    ];
    assert.equal((await w.ask({ messages: older })).res.headers.get("x-ccp-route"), "sonnet");
  });
});

Deno.test("long_context: default threshold 60k, taken only when the local count exceeds it", async () => {
  await withWorld(allScenarios, async (w) => {
    const at = await bodyOf(w, 60_000);
    assert.equal((await w.ask(at)).res.headers.get("x-ccp-route"), "sonnet");
    const over = await bodyOf(w, 60_001);
    assert.equal((await w.ask(over)).res.headers.get("x-ccp-route"), "long_context");
  });
});

Deno.test("long_context: routing.long_context_threshold takes a token size such as 2k", async () => {
  await withWorld(
    (url) => allScenarios(url, "routing: { long_context_threshold: 2k }\n"),
    async (w) => {
      assert.equal((await w.ask(await bodyOf(w, 2000))).res.headers.get("x-ccp-route"), "sonnet");
      const over = await bodyOf(w, 2001);
      assert.equal((await w.ask(over)).res.headers.get("x-ccp-route"), "long_context");
    },
  );
});

Deno.test("think: effort high or max, or budget_tokens >= 32000 by default", async (t) => {
  await withWorld(allScenarios, async (w) => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ["effort high", { output_config: { effort: "high" } }, "think"],
      ["effort max", { output_config: { effort: "max" } }, "think"],
      ["effort medium", { output_config: { effort: "medium" } }, "sonnet"],
      ["budget 32000", {
        max_tokens: 40_000,
        thinking: { type: "enabled", budget_tokens: 32_000 },
      }, "think"],
      ["budget 31999", {
        max_tokens: 40_000,
        thinking: { type: "enabled", budget_tokens: 31_999 },
      }, "sonnet"],
    ];
    for (const [name, body, route] of cases) {
      await t.step(`${name} -> ${route}`, async () => {
        const { res } = await w.ask(body);
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("x-ccp-route"), route);
      });
    }
  });
});

Deno.test("think: routing.think_budget_tokens moves the threshold (written 8k)", async () => {
  await withWorld(
    (url) => allScenarios(url, "routing: { think_budget_tokens: 8k }\n"),
    async (w) => {
      const ask = (budget: number) =>
        w.ask({ max_tokens: 20_000, thinking: { type: "enabled", budget_tokens: budget } });
      assert.equal((await ask(8000)).res.headers.get("x-ccp-route"), "think");
      assert.equal((await ask(7999)).res.headers.get("x-ccp-route"), "sonnet");
    },
  );
});

Deno.test("a scenario applies only when it is configured", async () => {
  const tiersOnly = (url: string) =>
    `${providers(url)}routes:
  default: up/default-model
  sonnet: up/sonnet-model
`;
  await withWorld(tiersOnly, async (w) => {
    const bodies = [
      { system: [SUBAGENT_BLOCK] },
      { messages: [{ role: "user", content: [IMAGE] }] },
      { output_config: { effort: "max" } },
    ];
    for (const body of bodies) {
      const { res } = await w.ask(body);
      assert.equal(res.status, 200);
      assert.deepEqual(routeOf(res), ["sonnet", "up", "sonnet-model"]);
    }
  });
});

Deno.test("subagent tag: beats every scenario, names provider/model, a route or an alias, and is removed upstream", async (t) => {
  const tagged = (url: string) =>
    `${allScenarios(url)}aliases:
  quick: up/alias-model
`;
  await withWorld(tagged, async (w) => {
    const cases: Array<[string, string, [string, string, string]]> = [
      ["provider/model", "up/tagged-model", ["subagent_tag", "up", "tagged-model"]],
      ["a route name", "think", ["subagent_tag", "up", "think-model"]],
      ["an alias", "quick", ["subagent_tag", "up", "alias-model"]],
    ];
    for (const [what, inside, expect] of cases) {
      await t.step(what, async () => {
        const tag = `<CCP-SUBAGENT-MODEL>${inside}</CCP-SUBAGENT-MODEL>`;
        const { res } = await w.ask({
          system: [SUBAGENT_BLOCK, { type: "text", text: `You are a helper. ${tag} Be brief.` }],
          messages: [{ role: "user", content: [{ type: "text", text: "look" }, IMAGE] }],
          output_config: { effort: "max" },
        });
        assert.equal(res.status, 200);
        assert.deepEqual(routeOf(res), expect);
        const sent = JSON.stringify(w.upstream.seen.at(-1)!.body);
        assert.doesNotMatch(sent, /CCP-SUBAGENT-MODEL/);
        assert.match(sent, /You are a helper\./);
      });
    }
  });
});

Deno.test("images: a target that cannot read them gets a text saying each was omitted", async () => {
  const settings = "    model_settings: { blind: { supports: { images: false } } }\n";
  const noImages = (url: string) =>
    `${providers(url, settings)}routes:
  default: up/blind
`;
  await withWorld(noImages, async (w) => {
    const { res } = await w.ask({
      messages: [{ role: "user", content: [{ type: "text", text: "what is it?" }, IMAGE] }],
    });
    assert.equal(res.status, 200);
    const sent = JSON.stringify(w.upstream.seen.at(-1)!.body);
    assert.doesNotMatch(sent, /image_url|iVBORw0KGgo/);
    assert.match(sent, /omitted/i);
  });
});

Deno.test("the system prompt is any system block, a system string or a role: system message", async (t) => {
  await withWorld(allScenarios, async (w) => {
    await t.step("cc_is_subagent=true in a system string: subagent", async () => {
      const { res } = await w.ask({ system: SUBAGENT_BLOCK.text });
      assert.equal(res.headers.get("x-ccp-route"), "subagent");
    });
    await t.step(
      "a subagent tag in a role: system message: taken, and removed upstream",
      async () => {
        const { res } = await w.ask({
          messages: [
            {
              role: "system",
              content: "Be brief. <CCP-SUBAGENT-MODEL>up/tagged</CCP-SUBAGENT-MODEL> Thanks.",
            },
            { role: "user", content: "hi" },
          ],
        });
        assert.deepEqual(routeOf(res), ["subagent_tag", "up", "tagged"]);
        const sent = JSON.stringify(w.upstream.seen.at(-1)!.body);
        assert.doesNotMatch(sent, /CCP-SUBAGENT-MODEL|up\/tagged/);
        assert.match(sent, /Be brief\./);
      },
    );
  });
});

Deno.test("web_search: any web_search_* server tool version matches", async () => {
  await withWorld(allScenarios, async (w) => {
    for (const type of ["web_search_20250305", "web_search_20260209", "web_search_20991231"]) {
      const { res } = await w.ask({ tools: [{ type, name: "web_search" }] });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("x-ccp-route"), "web_search", type);
    }
  });
});
