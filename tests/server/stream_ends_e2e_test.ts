/**
 * An answer ends for the client as soon as its upstream has said it is finished, on every wire
 * protocol, streamed or not: an upstream (on 127.0.0.1) that sends its last event and then holds
 * the connection open must not leave the client waiting for an idle timeout, and must have its
 * connection released. And the converse: an upstream that closes without saying it finished
 * gives the client an Anthropic error, never a silently truncated success.
 */

import assert from "node:assert/strict";
import { encodeEvents, textMessage, textTurn } from "../mocks/anthropic_fixtures.ts";
import { responseObject, responsesSse } from "../mocks/responses_wire.ts";
import { parseSse, postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { errorFields } from "../helpers/anthropic_error.ts";
import { FINISH_GRACE_MS } from "../../src/upstream/finish_grace.ts";
import { type HeldScript, heldUpstream } from "../mocks/held_upstream.ts";
import { within } from "../helpers/within.ts";

const PROTOCOLS = ["openai", "openai_responses", "gemini", "anthropic"] as const;
type Protocol = typeof PROTOCOLS[number];

// An idle timeout short enough to bound every test, long enough that an answer ended by it is
// told apart from one ended by its upstream's last event.
const IDLE_MS = 1_500;

/** ccp with one provider of `protocol` whose upstream is `url`. */
function ccpFor(protocol: Protocol, url: string) {
  const base = protocol === "gemini"
    ? `${url}/v1beta`
    : protocol === "anthropic"
    ? url
    : `${url}/v1`;
  return startCcp(testConfig({
    providers: [provider("up", {
      type: protocol,
      baseUrl: base,
      apiKeys: ["k"],
      maxRetries: 0,
      timeouts: { connectMs: 1_000, firstByteMs: IDLE_MS, idleMs: IDLE_MS, totalMs: 0 },
    })],
    routes: { default: "up/m" },
  }));
}

async function ask(ccp: { url: string }, stream: boolean) {
  const began = performance.now();
  const res = await postMessages(ccp.url, {
    model: "claude-test",
    max_tokens: 64,
    stream,
    messages: [{ role: "user", content: "hi" }],
  });
  const text = await res.text();
  return { status: res.status, text, ms: performance.now() - began };
}

const sse = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;

/** Each protocol's answer "Hello" (5 output tokens), up to and including its finish signal. */
const FINISHED: Record<Protocol, string[]> = {
  openai: [
    sse({ id: "c", choices: [{ index: 0, delta: { role: "assistant", content: "Hello" } }] }),
    sse({ id: "c", choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }),
    sse({ id: "c", choices: [], usage: { prompt_tokens: 11, completion_tokens: 5 } }),
  ],
  openai_responses: [
    responsesSse(
      { items: [{ kind: "text", text: "Hello" }], usage: { input: 11, output: 5 } },
      "m",
    ),
  ],
  gemini: [
    sse({
      candidates: [{
        content: { role: "model", parts: [{ text: "Hello" }] },
        finishReason: "STOP",
      }],
      usageMetadata: { promptTokenCount: 11, candidatesTokenCount: 5, totalTokenCount: 16 },
    }),
  ],
  anthropic: [encodeEvents(textTurn("m", 5))],
};

/** Each protocol's answer cut off before its finish signal. */
const UNFINISHED: Record<Protocol, string[]> = {
  openai: [FINISHED.openai[0]!],
  openai_responses: [
    FINISHED.openai_responses[0]!.split("\n\n").filter((e) => !e.includes("response.completed"))
      .join("\n\n"),
  ],
  gemini: [
    sse({ candidates: [{ content: { role: "model", parts: [{ text: "Hello" }] } }] }),
  ],
  anthropic: [
    encodeEvents(
      textTurn("m", 5).filter((e) => !["message_delta", "message_stop"].includes(e.event)),
    ),
  ],
};

/** Each protocol's whole answer "Hello" as one JSON body. */
const JSON_ANSWER: Record<Protocol, unknown> = {
  openai: {
    id: "c",
    object: "chat.completion",
    choices: [{
      index: 0,
      message: { role: "assistant", content: "Hello" },
      finish_reason: "stop",
    }],
    usage: { prompt_tokens: 11, completion_tokens: 5 },
  },
  openai_responses: responseObject(
    { items: [{ kind: "text", text: "Hello" }], usage: { input: 11, output: 5 } },
    "m",
  ),
  gemini: {
    candidates: [{ content: { role: "model", parts: [{ text: "Hello" }] }, finishReason: "STOP" }],
    usageMetadata: { promptTokenCount: 11, candidatesTokenCount: 5, totalTokenCount: 16 },
  },
  anthropic: textMessage("m", { input_tokens: 11, output_tokens: 5 }, "Hello"),
};

/** An answer that ended well: end_turn, the output count, and (streamed) message_stop last. */
function assertFinished(answer: { status: number; text: string }, stream: boolean, output = 5) {
  assert.equal(answer.status, 200, answer.text);
  if (!stream) {
    const message = JSON.parse(answer.text);
    assert.equal(message.stop_reason, "end_turn", answer.text);
    assert.equal(message.usage.output_tokens, output, answer.text);
    return;
  }
  const events = parseSse(answer.text);
  assert.equal(events.at(-1)?.event, "message_stop", answer.text);
  const delta = events.find((e) => e.event === "message_delta")!;
  assert.equal((delta.data.delta as { stop_reason: string }).stop_reason, "end_turn");
  assert.equal((delta.data.usage as { output_tokens: number }).output_tokens, output, answer.text);
}

/** A streamed answer that ended with one Anthropic error event and no message_stop. */
function assertCut(text: string) {
  const events = parseSse(text);
  assert.ok(!events.some((e) => e.event === "message_stop"), text);
  assert.equal(events.at(-1)?.event, "error", text);
  const fields = errorFields(events.at(-1)!.data);
  assert.equal(typeof fields, "object", String(fields));
  assert.equal((fields as { type: string }).type, "api_error");
}

// What a finished answer may still cost when its upstream holds the connection: the grace for
// what may follow its finish, and the time to run through a loaded machine; under the idle timeout.
const PROMPT_MS = FINISH_GRACE_MS + 700;

/** Runs `test` against ccp and a mock upstream of `protocol` answering with `script`. */
async function withUpstream(
  protocol: Protocol,
  script: HeldScript,
  test: (ccp: { url: string }, mock: ReturnType<typeof heldUpstream>) => Promise<void>,
) {
  const mock = heldUpstream(script);
  const ccp = ccpFor(protocol, mock.url);
  try {
    await test(ccp, mock);
  } finally {
    await ccp.close();
    await mock.close();
  }
}

for (const protocol of PROTOCOLS) {
  for (const stream of [true, false]) {
    const how = stream ? "streamed" : "collected";
    Deno.test(`${protocol}, ${how}: a finished answer whose upstream holds the connection ends at once`, async () => {
      await withUpstream(
        protocol,
        { parts: FINISHED[protocol], after: "hold" },
        async (ccp, mock) => {
          const answer = await ask(ccp, stream);
          assertFinished(answer, stream);
          assert.ok(answer.ms < PROMPT_MS, `took ${answer.ms} ms`);
          await within(mock.release, 500, "the upstream's release");
        },
      );
    });

    Deno.test(`${protocol}, ${how}: a JSON answer whose upstream keeps the connection is not waited on`, async () => {
      await withUpstream(protocol, { json: JSON_ANSWER[protocol], after: "hold" }, async (ccp) => {
        const answer = await ask(ccp, stream);
        assertFinished(answer, stream);
        assert.ok(answer.ms < PROMPT_MS, `took ${answer.ms} ms`);
      });
    });
  }

  Deno.test(`${protocol}: an upstream that closes before its finish signal is an error`, async () => {
    await withUpstream(protocol, { parts: UNFINISHED[protocol], after: "close" }, async (ccp) => {
      assertCut((await ask(ccp, true)).text);
      const json = await ask(ccp, false);
      assert.ok(json.status >= 500, json.text);
      assert.equal(typeof errorFields(JSON.parse(json.text)), "object", json.text);
    });
  });

  Deno.test(`${protocol}: an upstream whose connection breaks before its finish signal is an error`, async () => {
    await withUpstream(protocol, { parts: UNFINISHED[protocol], after: "reset" }, async (ccp) => {
      assertCut((await ask(ccp, true)).text);
    });
  });
}

Deno.test("openai: the usage chunk after the finish ends the answer without waiting for [DONE]", async () => {
  await withUpstream("openai", { parts: FINISHED.openai, after: "hold" }, async (ccp, mock) => {
    const answer = await ask(ccp, true);
    assertFinished(answer, true);
    assert.ok(answer.ms < FINISH_GRACE_MS, `took ${answer.ms} ms`);
    await within(mock.release, 500, "the upstream's release");
  });
});

Deno.test("openai: a finish with no usage chunk after it ends after the grace, usage estimated", async () => {
  const parts = FINISHED.openai.slice(0, 2);
  await withUpstream("openai", { parts, after: "hold" }, async (ccp, mock) => {
    const answer = await ask(ccp, true);
    assertFinished(answer, true, 2); // "Hello": 5 characters, about 2 tokens
    assert.ok(answer.ms >= FINISH_GRACE_MS - 50, `took ${answer.ms} ms`);
    assert.ok(answer.ms < PROMPT_MS, `took ${answer.ms} ms`);
    await within(mock.release, 500, "the upstream's release");
  });
});

// An Anthropic answer is finished once message_delta has said how it stopped: only message_stop,
// which carries nothing, may follow.
const WITHOUT_MESSAGE_STOP = [
  encodeEvents(textTurn("m", 5).filter((e) => e.event !== "message_stop")),
];

for (const protocol of ["openai", "gemini", "anthropic"] as const) {
  Deno.test(`${protocol}: a connection that breaks after the finish loses nothing the answer needs`, async () => {
    const parts = protocol === "openai"
      ? FINISHED.openai.slice(0, 2)
      : protocol === "gemini"
      ? FINISHED.gemini
      : WITHOUT_MESSAGE_STOP;
    await withUpstream(protocol, { parts, after: "reset" }, async (ccp) => {
      assertFinished(await ask(ccp, true), true, protocol === "openai" ? 2 : 5);
    });
  });
}

Deno.test("anthropic: message_delta, then neither message_stop nor a close, ends after the grace", async () => {
  const script = { parts: WITHOUT_MESSAGE_STOP, after: "hold" } as const;
  await withUpstream("anthropic", script, async (ccp, mock) => {
    const answer = await ask(ccp, true);
    assertFinished(answer, true);
    assert.ok(answer.ms >= FINISH_GRACE_MS - 50, `took ${answer.ms} ms`);
    assert.ok(answer.ms < PROMPT_MS, `took ${answer.ms} ms`);
    await within(mock.release, 500, "the upstream's release");
  });
});

Deno.test("anthropic: pings after message_delta do not hold the answer open", async () => {
  // A keep-alive every 0.2 s for 1.6 s: the grace counts from the last output, not from pings.
  const ping = 'event: ping\ndata: {"type":"ping"}\n\n';
  const parts = [...WITHOUT_MESSAGE_STOP, ...Array(8).fill(ping)];
  await withUpstream("anthropic", { parts, after: "hold", gapMs: 200 }, async (ccp) => {
    const answer = await ask(ccp, true);
    assertFinished(answer, true);
    assert.ok(answer.ms < PROMPT_MS, `took ${answer.ms} ms`);
  });
});

Deno.test("anthropic: message_delta, then a close without message_stop, is a whole answer", async () => {
  await withUpstream("anthropic", { parts: WITHOUT_MESSAGE_STOP, after: "close" }, async (ccp) => {
    const answer = await ask(ccp, true);
    assertFinished(answer, true);
    assert.equal(parseSse(answer.text).filter((e) => e.event === "message_stop").length, 1);
  });
});

Deno.test("openai_responses: response.incomplete and response.failed end the answer at once too", async (t) => {
  const ends = [
    { end: { status: "incomplete", reason: "max_output_tokens" }, last: "message_stop" },
    { end: { status: "failed", code: "server_error", message: "boom" }, last: "error" },
  ] as const;
  for (const { end, last } of ends) {
    await t.step(end.status, async () => {
      const parts = [responsesSse({ items: [{ kind: "text", text: "Hello" }], end }, "m")];
      await withUpstream("openai_responses", { parts, after: "hold" }, async (ccp, mock) => {
        const answer = await ask(ccp, true);
        assert.equal(parseSse(answer.text).at(-1)?.event, last, answer.text);
        assert.ok(answer.ms < FINISH_GRACE_MS, `took ${answer.ms} ms`);
        await within(mock.release, 500, "the upstream's release");
      });
    });
  }
});

Deno.test("gemini: a blocked prompt whose upstream holds the connection ends after the grace", async () => {
  const parts = [sse({ promptFeedback: { blockReason: "PROHIBITED_CONTENT" } })];
  await withUpstream("gemini", { parts, after: "hold" }, async (ccp, mock) => {
    const answer = await ask(ccp, true);
    const events = parseSse(answer.text);
    assert.equal(events.at(-1)?.event, "message_stop", answer.text);
    const delta = events.find((e) => e.event === "message_delta")!;
    assert.equal((delta.data.delta as { stop_reason: string }).stop_reason, "refusal");
    assert.ok(answer.ms < PROMPT_MS, `took ${answer.ms} ms`);
    await within(mock.release, 500, "the upstream's release");
  });
});

Deno.test("openai: an upstream still answering after its finish_reason is not cut short", async () => {
  // A finish said too early, then more text: each piece comes within the grace of the last.
  const parts = [
    sse({ id: "c", choices: [{ index: 0, delta: { content: "Hel" }, finish_reason: "stop" }] }),
    sse({ id: "c", choices: [{ index: 0, delta: { content: "lo" } }] }),
    sse({ id: "c", choices: [{ index: 0, delta: { content: "!" } }] }),
    FINISHED.openai[2]!,
  ];
  const gapMs = FINISH_GRACE_MS * 0.7;
  await withUpstream("openai", { parts, after: "hold", gapMs }, async (ccp) => {
    const answer = await ask(ccp, true);
    assertFinished(answer, true);
    const text = parseSse(answer.text).filter((e) => e.event === "content_block_delta")
      .map((e) => (e.data.delta as { text: string }).text).join("");
    assert.equal(text, "Hello!");
  });
});

for (const protocol of ["openai", "gemini", "anthropic"] as const) {
  Deno.test(`${protocol}: a connection that breaks inside what follows the finish loses nothing either`, async () => {
    // Half of an event after the finish (OpenAI's usage chunk, Gemini's later count, Anthropic's
    // message_stop): it can only have said what the answer already has.
    const parts = protocol === "openai"
      ? [...FINISHED.openai.slice(0, 2), FINISHED.openai[2]!.slice(0, 24)]
      : protocol === "gemini"
      ? [...FINISHED.gemini, 'data: {"usageMetadata": {"promptTok']
      : [...WITHOUT_MESSAGE_STOP, 'event: message_stop\ndata: {"type":"mess'];
    for (const after of ["reset", "hold"] as const) {
      await withUpstream(protocol, { parts, after }, async (ccp) => {
        const answer = await ask(ccp, true);
        assertFinished(answer, true, protocol === "openai" ? 2 : 5);
        assert.ok(answer.ms < PROMPT_MS, `${after}: took ${answer.ms} ms`);
      });
    }
  });
}
