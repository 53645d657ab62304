import assert from "node:assert/strict";
import {
  inspectEvent,
  lastEventEnd,
  noteUsage,
  splitEvents,
} from "../../src/upstream/anthropic/stream_events.ts";
import type { UsageTotals } from "../../src/upstream/transport.ts";
import { relayAnthropicStream } from "../../src/upstream/anthropic/relay.ts";

Deno.test("stream events: boundaries, splitting and one read of each event", async (t) => {
  await t.step("the last whole event ends after a blank line", () => {
    assert.equal(lastEventEnd("data: 1\n\ndata: 2"), 9);
    assert.equal(lastEventEnd("data: 1\n"), 0);
  });
  await t.step("splitting drops blank pieces", () => {
    assert.deepEqual(splitEvents("a\n\nb\n\n"), ["a", "b"]);
  });
  await t.step("an event of one name and one data line reads as any event does", () => {
    const names = ["event:", "event: ", "event:  ", "event:ping", "event: ping", "event:  ping "];
    const datas = ["data:", "data: ", "data:  ", 'data:{"type":"ping"}', 'data: {"type":"ping"}'];
    const more = ['data:  {"type":"message_stop"}', 'data: {"type":"error","error":{}}', "data: {"];
    for (const name of names) {
      for (const data of [...datas, ...more]) {
        const event = `${name}\n${data}`;
        // A comment line takes the event off the two-line reading, through the line by line one.
        assert.deepEqual(inspectEvent(event), inspectEvent(`${event}\n: c`), JSON.stringify(event));
      }
    }
  });
  await t.step("one event alone (the usual read) splits as any text does", () => {
    const texts = [
      'event: ping\ndata: {"type":"ping"}\n\n',
      "\n\n",
      " \n\n",
      "a",
      "",
      "a\n\n\n\n",
      "\n\na\n\n",
      "a\n\nb",
      ": keep-alive\n\n",
    ];
    for (const text of texts) {
      const split = text.split("\n\n").filter((event) => event.trim() !== "");
      assert.deepEqual(splitEvents(text), split, JSON.stringify(text));
    }
  });
  const table: Array<[string, string, string]> = [
    ["simple", 'event: ping\ndata: {"type":"ping"}', "pass"],
    ["multi-line data", 'event: x\ndata: {"type":\ndata: "x"}', "pass"],
    ["comment only", ": keep-alive", "pass"],
    ["stop", 'event: message_stop\ndata: {"type":"message_stop"}', "stop"],
    ["error by name", 'event: error\ndata: {"error":{"message":"m"}}', "error"],
    [
      "error by type",
      'data: {"type":"error","error":{"type":"overloaded_error","message":"m"}}',
      "error",
    ],
    ["malformed", 'event: x\ndata: {"type":', "malformed"],
    ["not an object", "event: x\ndata: 5", "malformed"],
    ["a data field without a colon (empty data)", "event: x\ndata", "malformed"],
  ];
  for (const [name, event, kind] of table) {
    await t.step(name, () => assert.equal(inspectEvent(event).kind, kind));
  }
  await t.step("an unknown error type becomes api_error", () => {
    const data = '{"error":{"type":"weird","message":"m"}}';
    const verdict = inspectEvent(`event: error\ndata: ${data}`);
    // `said`: the data as sent, whose words the guards read.
    assert.deepEqual(verdict, { kind: "error", type: "api_error", message: "m", said: data });
  });
  await t.step("an upstream's refusal of its key is not relayed as the client's", () => {
    // The guards still read the status it stands for, as before the stream.
    for (const [type, status] of [["authentication_error", 401], ["permission_error", 403]]) {
      const data = `{"error":{"type":"${type}","message":"m"}}`;
      const verdict = inspectEvent(`event: error\ndata: ${data}`);
      assert.deepEqual(verdict, {
        kind: "error",
        type: "api_error",
        message: "m",
        refusedCredential: type,
        status,
        said: data,
      });
    }
  });
  await t.step("a rate limit that says the provider is overloaded is overloaded_error", () => {
    // As the same answer before the stream: a 429 with these words becomes a 529.
    const data = '{"error":{"type":"rate_limit_error","message":"Overloaded"}}';
    const verdict = inspectEvent(`event: error\ndata: ${data}`);
    assert.deepEqual(verdict, {
      kind: "error",
      type: "overloaded_error",
      message: "Overloaded",
      said: data,
    });
    const quota = inspectEvent(
      'event: error\ndata: {"error":{"type":"rate_limit_error","message":"Too many requests"}}',
    );
    assert.equal(quota.kind === "error" ? quota.type : undefined, "rate_limit_error");
  });
  await t.step("other error types keep their meaning", () => {
    const data = '{"error":{"type":"overloaded_error","message":"m"}}';
    const verdict = inspectEvent(`event: error\ndata: ${data}`);
    assert.deepEqual(verdict, {
      kind: "error",
      type: "overloaded_error",
      message: "m",
      said: data,
    });
  });
  await t.step("usage from message_start and message_delta", () => {
    const usage: UsageTotals = {};
    noteUsage(usage, { type: "message_start", message: { usage: { input_tokens: 9 } } });
    noteUsage(usage, { type: "message_delta", usage: { input_tokens: 0, output_tokens: 4 } });
    assert.deepEqual(usage, { inputTokens: 9, outputTokens: 4 });
  });
  await t.step("an event that never ends is cut off past 16 MiB with one error", async () => {
    const piece = new TextEncoder().encode(`data: "${"x".repeat(1024 * 1024)}`);
    const body = ReadableStream.from((function* () {
      for (let i = 0; i < 18; i++) yield piece;
    })());
    const text = await new Response(
      relayAnthropicStream(body, { clientModel: "m", describeUpstream: "Up", pingIntervalMs: 0 }),
    ).text();
    assert.match(text, /^event: error\ndata: .*larger than 16 MiB/);
  });
  await t.step(
    "a trickled event is held in linear time (one huge event in 100-byte reads)",
    async () => {
      const piece = new TextEncoder().encode("x".repeat(100));
      const body = ReadableStream.from((function* () {
        yield new TextEncoder().encode('event: x\ndata: {"type":"x","v":"');
        for (let i = 0; i < 20_000; i++) yield piece;
        yield new TextEncoder().encode(
          '"}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n',
        );
      })());
      const started = performance.now();
      const text = await new Response(
        relayAnthropicStream(body, { clientModel: "m", describeUpstream: "Up", pingIntervalMs: 0 }),
      ).text();
      // Linear is well under a second here; rescanning the held text on every read took minutes.
      assert.ok(performance.now() - started < 15_000);
      assert.ok(text.length > 2_000_000);
      assert.ok(text.endsWith('event: message_stop\ndata: {"type":"message_stop"}\n\n'));
    },
  );
});
