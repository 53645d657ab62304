/**
 * The official Anthropic TypeScript SDK, used as its users use it (`new Anthropic({ baseURL })`),
 * against ccp exactly as against Anthropic: on the passthrough path (an Anthropic-compatible
 * upstream) and on a translated one (OpenAI Chat Completions), both answered by one scripted
 * upstream on 127.0.0.1, so every form of the same answer can be held against the others.
 */

import assert from "node:assert/strict";
import { Anthropic, type Message, type MessageStreamEvent } from "../helpers/anthropic_sdk.ts";
import { type RunningCcp, startGuardedCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { type Script, startTwinUpstream, type TwinUpstream } from "../mocks/twin_upstream.ts";
import { within } from "../helpers/within.ts";

const TOOLS_TURN: Script = {
  blocks: [
    { kind: "thinking", text: "Two lookups, both independent.", signature: "sig-twin-1" },
    { kind: "text", text: "Checking the weather and the time — “both” ✓." },
    { kind: "tool", id: "toolu_w", name: "get_weather", input: { city: "Paris", unit: "c" } },
    { kind: "tool", id: "toolu_t", name: "get_time", input: { tz: "Europe/Paris" } },
  ],
  stop: "tool_use",
  inputTokens: 120,
  outputTokens: 45,
};
const TEXT_TURN: Script = {
  blocks: [{ kind: "text", text: "Paris is sunny." }],
  stop: "end_turn",
  inputTokens: 30,
  outputTokens: 5,
};
const CUT_TURN: Script = {
  blocks: [{ kind: "text", text: "The list goes on and" }],
  stop: "max_tokens",
  inputTokens: 30,
  outputTokens: 8,
};
const LONG_TURN: Script = {
  blocks: [{ kind: "text", text: "word ".repeat(200) }],
  stop: "end_turn",
  inputTokens: 30,
  outputTokens: 200,
};

/** Each path: the model name a client sends to reach it. */
const PATHS = [
  { name: "passthrough", model: "claude-sonnet-5" },
  { name: "translated from OpenAI Chat Completions", model: "gpt-twin" },
] as const;

const PARAMS = {
  max_tokens: 1024,
  messages: [{ role: "user" as const, content: "Weather and time in Paris?" }],
  tools: [
    { name: "get_weather", input_schema: { type: "object" as const } },
    { name: "get_time", input_schema: { type: "object" as const } },
  ],
};

async function withCcp(
  run: (client: Anthropic, twin: TwinUpstream, ccp: RunningCcp) => Promise<void>,
): Promise<void> {
  const twin = startTwinUpstream(TOOLS_TURN);
  const config = testConfig({
    providers: [
      provider("anth", { type: "anthropic", baseUrl: twin.url, apiKeys: ["k1"] }),
      provider("oai", {
        type: "openai",
        baseUrl: twin.openaiUrl,
        apiKeys: ["k2"],
        models: ["gpt-up", "gpt-mini"],
      }),
    ],
    routes: { default: "anth/up-model", opus: "anth/big-model" },
    aliases: { "gpt-twin": "oai/gpt-up" },
  });
  // Bound as `ccp serve` binds it (behind the connection guard, which sees a client leave).
  const ccp = await startGuardedCcp(config);
  const client = new Anthropic({ baseURL: ccp.url, apiKey: "any", maxRetries: 0 });
  try {
    await run(client, twin, ccp);
  } finally {
    await ccp.close();
    await twin.close();
  }
}

/**
 * The message as its JSON says it (what a user logs or stores), without the SDK's own fields and
 * without its id: two answers have two ids.
 */
function wire(message: Message): Record<string, unknown> {
  const { id: _id, parsed_output: _parsed, ...rest } = JSON.parse(JSON.stringify(message));
  return rest;
}

/** Anthropic's event grammar, strictly: one block open at a time, indexes 0, 1, 2… in order. */
function assertEventOrder(events: readonly MessageStreamEvent[], label: string): void {
  const types = events.filter((e) => (e.type as string) !== "ping");
  assert.equal(types[0]?.type, "message_start", `${label}: first event`);
  assert.equal(types.at(-1)?.type, "message_stop", `${label}: last event`);
  assert.equal(types.at(-2)?.type, "message_delta", `${label}: message_delta before the stop`);
  let open: number | undefined;
  let next = 0;
  for (const e of types.slice(1, -2)) {
    if (e.type === "content_block_start") {
      assert.equal(open, undefined, `${label}: block ${e.index} starts while ${open} is open`);
      assert.equal(e.index, next, `${label}: block indexes count up from 0`);
      open = e.index;
    } else if (e.type === "content_block_delta") {
      assert.equal(e.index, open, `${label}: delta for block ${e.index}, open is ${open}`);
    } else if (e.type === "content_block_stop") {
      assert.equal(e.index, open, `${label}: stop for block ${e.index}, open is ${open}`);
      open = undefined;
      next++;
    } else {
      assert.fail(`${label}: unexpected ${e.type} between the message's start and its end`);
    }
  }
  assert.equal(open, undefined, `${label}: a block is left open`);
}

Deno.test("SDK client: create, create({stream}) and messages.stream() give one message, helpers and all", async () => {
  await withCcp(async (client) => {
    for (const path of PATHS) {
      const label = path.name;
      const passthrough = path.name === "passthrough";
      const created = await client.messages.create({ model: path.model, ...PARAMS });

      const events: MessageStreamEvent[] = [];
      const raw = await client.messages.create({ model: path.model, ...PARAMS, stream: true });
      for await (const event of raw) events.push(event);
      assertEventOrder(events, label);

      const stream = client.messages.stream({ model: path.model, ...PARAMS });
      let text = "";
      let textSnapshot = "";
      let thinking = "";
      let signature = "";
      const jsonSnapshots = new Map<string, unknown>();
      const blocks: string[] = [];
      stream.on("text", (delta, snapshot) => {
        text += delta;
        textSnapshot = snapshot;
      });
      stream.on("thinking", (delta) => (thinking += delta));
      stream.on("signature", (s) => (signature = s));
      stream.on("inputJson", (_partial, snapshot) => {
        const block = stream.currentMessage?.content.at(-1);
        if (block?.type === "tool_use") jsonSnapshots.set(block.id, snapshot);
      });
      stream.on("contentBlock", (block) => blocks.push(block.type));
      const final = await stream.finalMessage();
      const streamedEvents = stream.receivedMessages.length;

      // The three forms are one message.
      assert.deepEqual(wire(final), wire(created), label);
      assert.equal(streamedEvents, 1, label);
      assert.deepEqual(created.content, [
        {
          type: "thinking",
          thinking: "Two lookups, both independent.",
          // A translated answer's signature is ccp's own; it is the same streamed or not.
          signature: passthrough
            ? "sig-twin-1"
            : (created.content[0] as { signature: string }).signature,
        },
        { type: "text", text: "Checking the weather and the time — “both” ✓." },
        {
          type: "tool_use",
          id: "toolu_w",
          name: "get_weather",
          input: { city: "Paris", unit: "c" },
        },
        { type: "tool_use", id: "toolu_t", name: "get_time", input: { tz: "Europe/Paris" } },
      ], label);
      assert.match((created.content[0] as { signature: string }).signature, /\S/, label);
      assert.equal(created.stop_reason, "tool_use", label);
      assert.equal(created.stop_sequence, null, label);
      assert.equal(created.model, path.model, `${label}: the model the client sent`);
      assert.equal(created.usage.input_tokens, 120, label);
      assert.equal(created.usage.output_tokens, 45, label);
      // The upstream's own id, new to ccp, is relayed as it came; a translated answer's is ccp's.
      assert.match(created.id, passthrough ? /^msg_twin_\d+$/ : /^msg_[0-9A-Za-z]{24}$/, label);

      // The helpers saw what the message holds.
      assert.equal(text, "Checking the weather and the time — “both” ✓.", label);
      assert.equal(textSnapshot, text, label);
      assert.equal(thinking, "Two lookups, both independent.", label);
      assert.equal(signature, (final.content[0] as { signature: string }).signature, label);
      assert.deepEqual(Object.fromEntries(jsonSnapshots), {
        toolu_w: { city: "Paris", unit: "c" },
        toolu_t: { tz: "Europe/Paris" },
      }, label);
      assert.deepEqual(blocks, ["thinking", "text", "tool_use", "tool_use"], label);
      assert.equal(await stream.finalText(), text, label);
      const toolUses = final.content.filter((b) => b.type === "tool_use");
      assert.deepEqual(toolUses.map((b) => b.name), ["get_weather", "get_time"], label);
    }
  });
});

Deno.test("SDK client: stop reasons and usage agree between streamed and whole answers", async () => {
  await withCcp(async (client, twin) => {
    for (const script of [TEXT_TURN, CUT_TURN]) {
      twin.set(script);
      for (const path of PATHS) {
        const label = `${path.name}, ${script.stop}`;
        const created = await client.messages.create({ model: path.model, ...PARAMS });
        const final = await client.messages.stream({ model: path.model, ...PARAMS }).finalMessage();
        assert.deepEqual(wire(final), wire(created), label);
        assert.equal(created.stop_reason, script.stop, label);
        assert.equal(created.usage.input_tokens, script.inputTokens, label);
        assert.equal(created.usage.output_tokens, script.outputTokens, label);
        const only = script.blocks[0] as { text: string };
        assert.deepEqual(created.content, [{ type: "text", text: only.text }], label);
      }
    }
  });
});

Deno.test("SDK client: stream.abort() and an AbortController close the upstream connection at once", async () => {
  await withCcp(async (client, twin) => {
    // An answer that is still generating: the abort comes mid-stream.
    twin.set(LONG_TURN, { gapMs: 20 });
    for (const path of PATHS) {
      const stream = client.messages.stream({ model: path.model, ...PARAMS });
      let deltas = 0;
      let abortedAt = 0;
      stream.on("text", () => {
        if (++deltas === 3) {
          abortedAt = Date.now();
          stream.abort();
        }
      });
      const closed = twin.closed().then(() => Date.now());
      await assert.rejects(stream.finalMessage(), Anthropic.APIUserAbortError, path.name);
      const lag = await within(closed, 2000, `${path.name}: the upstream seeing the close`) -
        abortedAt;
      assert.ok(lag < 250, `${path.name}: upstream saw the close ${lag} ms after stream.abort()`);
      assert.ok(twin.requests.at(-1)!.closedEarly, path.name);
    }
    // An upstream still reading the prompt: the abort comes before the answer starts.
    twin.set(LONG_TURN, { headMs: 3000 });
    for (const path of PATHS) {
      for (const stream of [false, true]) {
        const label = `${path.name}, stream ${stream}`;
        const controller = new AbortController();
        const closed = twin.closed().then(() => Date.now());
        const before = twin.requests.length;
        const asked = client.messages.create(
          { model: path.model, ...PARAMS, stream },
          { signal: controller.signal },
        );
        // Aborted once the upstream holds the request: a fixed wait could abort, on a busy
        // machine, before the request got there, and then no upstream connection ever closes.
        await within(
          (async () => {
            while (twin.requests.length === before) await new Promise((r) => setTimeout(r, 5));
          })(),
          5000,
          `${label}: the request reaching the upstream`,
        );
        const abortedAt = Date.now();
        controller.abort();
        await assert.rejects(asked, Anthropic.APIUserAbortError, label);
        const lag = await within(closed, 2000, `${label}: the upstream seeing the close`) -
          abortedAt;
        assert.ok(lag < 250, `${label}: upstream saw the close ${lag} ms after abort()`);
      }
    }
  });
});

Deno.test("SDK client: countTokens, models.list() pages and models.retrieve()", async () => {
  await withCcp(async (client) => {
    const count = (model: string) =>
      client.messages.countTokens({ model, messages: PARAMS.messages, tools: PARAMS.tools });
    // Passthrough asks the upstream; a translated route counts locally (the test's counter).
    assert.deepEqual(await count("claude-sonnet-5"), { input_tokens: 120 });
    assert.deepEqual(await count("gpt-twin"), { input_tokens: 7 });

    const all = ["default", "opus", "gpt-twin", "oai/gpt-up", "oai/gpt-mini"];
    const whole = await client.models.list();
    assert.deepEqual(whole.data.map((m) => m.id), all);
    assert.equal(whole.has_more, false);
    assert.equal(whole.first_id, "default");
    assert.equal(whole.last_id, "oai/gpt-mini");
    for (const m of whole.data) {
      assert.equal(m.type, "model");
      assert.equal(typeof m.display_name, "string");
      assert.ok(!Number.isNaN(Date.parse(m.created_at)), m.created_at);
    }

    const first = await client.models.list({ limit: 2 });
    assert.deepEqual(first.data.map((m) => m.id), ["default", "opus"]);
    assert.equal(first.has_more, true);
    assert.equal(first.first_id, "default");
    assert.equal(first.last_id, "opus");
    assert.ok(first.hasNextPage());
    const second = await first.getNextPage();
    assert.deepEqual(second.data.map((m) => m.id), ["gpt-twin", "oai/gpt-up"]);
    assert.equal(second.first_id, "gpt-twin");
    assert.equal(second.last_id, "oai/gpt-up");
    const forward: string[] = [];
    for await (const m of client.models.list({ limit: 2 })) forward.push(m.id);
    assert.deepEqual(forward, all, "auto-pagination walks every page once");
    const backward: string[] = [];
    for await (const m of client.models.list({ limit: 2, before_id: "oai/gpt-mini" })) {
      backward.push(m.id);
    }
    assert.deepEqual(backward.sort(), all.slice(0, -1).sort(), "paging back with before_id");

    // retrieve: a listed id (one with a `/`, which the SDK escapes), a name ccp would route, and
    // one a request would be refused for.
    assert.deepEqual(await client.models.retrieve("oai/gpt-up"), whole.data[3]);
    assert.deepEqual(await client.models.retrieve("gpt-twin"), whole.data[2]);
    const routed = await client.models.retrieve("claude-opus-5");
    assert.equal(routed.id, "claude-opus-5");
    assert.equal(routed.type, "model");
    assert.match(routed.display_name, /anth\/big-model/);
    const missing = await client.models.retrieve("lmstudio/qwen").catch((e) => e);
    assert.ok(missing instanceof Anthropic.NotFoundError, String(missing));
    assert.equal(missing.type, "not_found_error");
    assert.match(missing.apiMessage ?? "", /lmstudio.*not configured/);
  });
});
