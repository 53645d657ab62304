/**
 * Thinking made by one Anthropic-kind server and sent back to another: each gets only the thinking
 * it can verify, Anthropic's own reaches Anthropic byte for byte, and a refusal costs one round
 * trip per session. The mocks check signatures as each kind of server does.
 */

import assert from "node:assert/strict";
import { parseSse, postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import {
  signedBlocks,
  type SigningMock,
  startSigningMock,
} from "../mocks/signing_anthropic_mock.ts";

type Block = Record<string, unknown>;
type Message = { role: string; content: unknown };

/** The assistant content of an answer ccp relayed, streamed or whole. */
async function answerContent(response: Response, stream: boolean): Promise<Block[]> {
  assert.equal(response.status, 200, await response.clone().text());
  if (!stream) return (await response.json()).content;
  const blocks: Block[] = [];
  for (const { event, data } of parseSse(await response.text())) {
    if (event === "content_block_start") blocks.push({ ...(data.content_block as Block) });
    if (event !== "content_block_delta") continue;
    const block = blocks[data.index as number]!;
    const delta = data.delta as Record<string, string>;
    if (delta.type === "thinking_delta") block.thinking = `${block.thinking}${delta.thinking}`;
    if (delta.type === "signature_delta") block.signature = delta.signature;
    if (delta.type === "text_delta") block.text = `${block.text}${delta.text}`;
  }
  return blocks;
}

const ask = (url: string, model: string, messages: Message[], stream = true) =>
  postMessages(url, {
    model,
    max_tokens: 1000,
    stream,
    thinking: { type: "adaptive" },
    messages,
  });

/** Each mock's providers: `anthropic` (the real API), a gateway to Claude, and Kimi's endpoint. */
function setup() {
  const anthropic = startSigningMock({ maker: "anthropic", verifies: true });
  // OpenRouter's anthropic/* relays to Anthropic (or Bedrock, Vertex): Anthropic's key, checked.
  const gateway = startSigningMock({ maker: "anthropic", verifies: true });
  const kimi = startSigningMock({ maker: "kimi", verifies: false });
  const ccp = startCcp(testConfig({
    providers: [
      provider("claude", { baseUrl: anthropic.url, preset: "anthropic" }),
      provider("or", { baseUrl: gateway.url, preset: "open_router" }),
      provider("kimi", { baseUrl: kimi.url }),
    ],
    routes: { default: "claude/claude-sonnet-4-6" },
  }));
  const close = async () => {
    await ccp.close();
    for (const mock of [anthropic, gateway, kimi]) await mock.close();
  };
  return { anthropic, gateway, kimi, url: ccp.url, close };
}

const assistantContents = (mock: SigningMock, request: number) =>
  (mock.bodies[request]!.messages as Message[]).filter((m) => m.role === "assistant")
    .map((m) => m.content);

Deno.test("Kimi's thinking and redacted thinking never reach Anthropic; Anthropic's own arrive untouched", async (t) => {
  for (const stream of [true, false]) {
    await t.step(stream ? "streamed" : "JSON", async () => {
      const s = setup();
      try {
        const own = [...signedBlocks("anthropic", crypto.randomUUID()), {
          type: "text",
          text: "earlier",
        }];
        const history: Message[] = [
          { role: "user", content: "hi" },
          { role: "assistant", content: own },
          { role: "user", content: "go on" },
        ];
        const kimi = await answerContent(await ask(s.url, "kimi/kimi-k2", history, stream), stream);
        assert.deepEqual(kimi.map((b) => b.type), ["thinking", "redacted_thinking", "text"]);
        const back = await ask(s.url, "claude-sonnet-4-6", [
          ...history,
          { role: "assistant", content: kimi },
          { role: "user", content: "and now" },
        ]);
        await answerContent(back, true);
        assert.equal(s.anthropic.refused, 0, "no refused round trip");
        assert.equal(s.anthropic.bodies.length, 1);
        assert.deepEqual(assistantContents(s.anthropic, 0), [own, [kimi[2]]]);
      } finally {
        await s.close();
      }
    });
  }
});

Deno.test("a Claude model behind a gateway signs as Anthropic: its thinking reaches Anthropic byte for byte", async (t) => {
  for (const stream of [true, false]) {
    await t.step(stream ? "streamed" : "JSON", async () => {
      const s = setup();
      try {
        const history: Message[] = [{ role: "user", content: "hi" }];
        const served = await answerContent(
          await ask(s.url, "or/anthropic/claude-sonnet-4.6", history, stream),
          stream,
        );
        assert.equal(served.length, 3);
        await answerContent(
          await ask(s.url, "claude-sonnet-4-6", [
            ...history,
            { role: "assistant", content: served },
            { role: "user", content: "again" },
          ]),
          true,
        );
        assert.equal(s.anthropic.refused, 0);
        assert.deepEqual(assistantContents(s.anthropic, 0), [served]);
      } finally {
        await s.close();
      }
    });
  }
});

Deno.test("a gateway in front of Anthropic gets none of Kimi's thinking, and keeps Anthropic's", async () => {
  const s = setup();
  try {
    const own = [...signedBlocks("anthropic", crypto.randomUUID()), { type: "text", text: "a" }];
    const history: Message[] = [
      { role: "user", content: "hi" },
      { role: "assistant", content: own },
      { role: "user", content: "go on" },
    ];
    const kimi = await answerContent(await ask(s.url, "kimi/kimi-k2", history), true);
    await answerContent(
      await ask(s.url, "or/anthropic/claude-sonnet-4.6", [
        ...history,
        { role: "assistant", content: kimi },
        { role: "user", content: "and now" },
      ]),
      true,
    );
    assert.equal(s.gateway.refused, 0);
    assert.deepEqual(assistantContents(s.gateway, 0), [own, [kimi[2]]]);
  } finally {
    await s.close();
  }
});

Deno.test("thinking a gateway refuses that ccp never saw costs one round trip per session", async () => {
  const s = setup();
  try {
    // Made by another server before ccp started: ccp cannot tell it from Anthropic's.
    const unknown = signedBlocks("glm", crypto.randomUUID()).slice(0, 2);
    const history: Message[] = [
      { role: "user", content: "hi" },
      { role: "assistant", content: [...unknown, { type: "text", text: "ok" }] },
      { role: "user", content: "again" },
    ];
    const model = "or/anthropic/claude-sonnet-4.6";
    const served = await answerContent(await ask(s.url, model, history), true);
    assert.equal(s.gateway.refused, 1);
    assert.deepEqual(assistantContents(s.gateway, 1), [[{ type: "text", text: "ok" }]]);
    // The next turn leaves those blocks out at once, and keeps what the gateway made.
    await answerContent(
      await ask(s.url, model, [
        ...history,
        { role: "assistant", content: served },
        { role: "user", content: "more" },
      ]),
      true,
    );
    assert.equal(s.gateway.bodies.length, 3);
    assert.equal(s.gateway.refused, 1);
    assert.deepEqual(assistantContents(s.gateway, 2), [[{ type: "text", text: "ok" }], served]);
  } finally {
    await s.close();
  }
});

Deno.test("a refusal by one gateway leaves the thinking for the servers that made it", async () => {
  const s = setup();
  try {
    // Kimi's own blocks, refused by the gateway ccp never told they were Kimi's, still go to Kimi.
    const kimiMade = [...signedBlocks("kimi", crypto.randomUUID()), { type: "text", text: "k" }];
    const history: Message[] = [
      { role: "user", content: "hi" },
      { role: "assistant", content: kimiMade },
      { role: "user", content: "again" },
    ];
    await answerContent(await ask(s.url, "or/anthropic/claude-sonnet-4.6", history), true);
    assert.equal(s.gateway.refused, 1);
    await answerContent(await ask(s.url, "kimi/kimi-k2", history), true);
    assert.deepEqual(assistantContents(s.kimi, 0), [kimiMade]);
  } finally {
    await s.close();
  }
});

Deno.test("a gateway's Claude model is not sent unsigned thinking, which no retry could strip", async () => {
  const s = setup();
  try {
    // A vendor that streams thinking without a signature_delta leaves the block unsigned.
    const history: Message[] = [
      { role: "user", content: "hi" },
      {
        role: "assistant",
        content: [{ type: "thinking", thinking: "vendor thought", signature: "" }, {
          type: "text",
          text: "ok",
        }],
      },
      { role: "user", content: "again" },
      {
        role: "assistant",
        content: [{ type: "thinking", thinking: "no signature at all" }, {
          type: "text",
          text: "b",
        }],
      },
      { role: "user", content: "more" },
    ];
    const response = await ask(s.url, "or/anthropic/claude-sonnet-4.6", history);
    await answerContent(response, true);
    assert.equal(s.gateway.refused, 0);
    assert.deepEqual(assistantContents(s.gateway, 0), [[{ type: "text", text: "ok" }], [{
      type: "text",
      text: "b",
    }]]);
  } finally {
    await s.close();
  }
});
