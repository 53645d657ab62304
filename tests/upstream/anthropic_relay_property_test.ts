/**
 * Properties of the Anthropic passthrough relay, read by a client that parses SSE as the
 * standard says (eventsource-parser): however the upstream's bytes are split, and whichever
 * framing the upstream uses (LF, CRLF, bare CR, comments, several data lines), the client sees
 * the same events, in valid UTF-8; and whatever a hostile upstream sends, every event the client gets carries
 * JSON, and the stream ends in exactly one `message_stop` or one `error`.
 */

import assert from "node:assert/strict";
import { createParser } from "eventsource-parser";
import { relayAnthropicStream } from "../../src/upstream/anthropic/relay.ts";
import { type SseEvent, thinkingTextToolTurn } from "../mocks/anthropic_fixtures.ts";
import type { RelayOutcome } from "../../src/upstream/relay_stream.ts";
import { seeded } from "../helpers/random.ts";
import { everyPointSpaced, splitAt } from "../helpers/bytes.ts";
import { assertAnthropicGrammar, type GrammarEvent } from "../helpers/anthropic_grammar.ts";

const enc = new TextEncoder();

/** What a standard SSE client makes of ccp's output: each event's name and parsed data. */
interface Seen {
  events: { event: string; data: unknown }[];
  outcome: RelayOutcome;
}

async function relay(chunks: Uint8Array[]): Promise<Seen> {
  let outcome: RelayOutcome | undefined;
  const out = relayAnthropicStream(ReadableStream.from(chunks), {
    clientModel: "claude-x",
    describeUpstream: "Up",
    keys: ["sk-secret-key-123456"],
    pingIntervalMs: 0,
    onEnd: (o) => (outcome = o),
  });
  const bytes = new Uint8Array(await new Response(out).arrayBuffer());
  // What comes out is UTF-8, never a character's bytes cut or sent twice.
  const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  const events: Seen["events"] = [];
  const parser = createParser({
    onEvent: (e) => {
      let data: unknown;
      try {
        data = JSON.parse(e.data);
      } catch {
        assert.fail(`the client got an event whose data is not JSON: ${JSON.stringify(e)}`);
      }
      events.push({ event: e.event ?? "message", data });
    },
  });
  parser.feed(text);
  assert.ok(outcome, "the relay reported its end");
  return { events, outcome };
}

/**
 * One stream keeps Anthropic's grammar (an upstream's cut tool input stays cut), so it ends in
 * exactly one message_stop or one error, nothing after, and carries no key.
 */
function assertEnds(seen: Seen, text: string): void {
  assertAnthropicGrammar(seen.events as GrammarEvent[], { toolJson: false, ccp: false });
  const names = seen.events.map((e) => e.event);
  const ends = names.filter((n) => n === "message_stop" || n === "error");
  assert.equal(ends.length, 1, `one end in ${names.join(",")} (upstream ${JSON.stringify(text)})`);
  assert.ok(names.at(-1) === "message_stop" || names.at(-1) === "error", names.join(","));
  assert.ok(!JSON.stringify(seen.events).includes("sk-secret-key-123456"), "no key");
  assert.equal(names.at(-1) === "error", seen.outcome.error !== undefined, "outcome agrees");
}

const EVENTS = thinkingTextToolTurn("upstream-model");
const WANT = EVENTS.map((e) => structuredClone(e));
(WANT[0]!.data.message as Record<string, unknown>).model = "claude-x";

type Framing = (events: readonly SseEvent[]) => string;

const FRAMINGS: Record<string, Framing> = {
  lf: (events) =>
    events.map((e) => `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`).join(""),
  crlf: (events) =>
    events.map((e) => `event: ${e.event}\r\ndata: ${JSON.stringify(e.data)}\r\n\r\n`).join(""),
  "bare cr": (events) =>
    events.map((e) => `event: ${e.event}\rdata: ${JSON.stringify(e.data)}\r\r`).join(""),
  "no space, comments, id and retry": (events) =>
    events.map((e, i) =>
      `: keep-alive ${i}\nid: ${i}\nevent:${e.event}\nretry: 1000\ndata:${
        JSON.stringify(e.data)
      }\n\n`
    ).join(""),
  "data over several lines": (events) =>
    events.map((e) => {
      const lines = JSON.stringify(e.data, null, 1).split("\n");
      return `event: ${e.event}\n${lines.map((l) => `data: ${l}`).join("\n")}\n\n`;
    }).join(""),
  "mixed line ends": (events) =>
    events.map((e, i) => {
      const eol = ["\n", "\r\n", "\r"][i % 3]!;
      return `event: ${e.event}${eol}data: ${JSON.stringify(e.data)}${eol}${eol}`;
    }).join(""),
  "a field unknown to SSE, not ASCII, first in each event": (events) =>
    events.map((e, i) => `ünknown: ${i}\nevent: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`)
      .join(""),
  "last event without its blank line": (events) =>
    events.map((e) => `event: ${e.event}\ndata: ${JSON.stringify(e.data)}`).join("\n\n"),
};

Deno.test("property: every framing, split any way, reaches the client as the same events", async (t) => {
  for (const [name, frame] of Object.entries(FRAMINGS)) {
    await t.step(name, async () => {
      const text = frame(EVENTS);
      const bytes = enc.encode(text);
      const whole = await relay([bytes]);
      assert.deepEqual(whole.events, WANT, "the events, the model rewritten");
      assertEnds(whole, text);
      const random = seeded(bytes.length);
      // Every byte alone, every split point (points an event apart in one pass: everyPointSpaced
      // says why that checks each as alone), each event's first byte apart from the rest, and
      // random many-way splits.
      const starts = [...text.matchAll(/\n\n|\r\n\r\n|\r\r/g)].map((m) =>
        enc.encode(text.slice(0, m.index + m[0].length)).length
      );
      const splits = [
        Array.from(bytes, (_, i) => i),
        ...everyPointSpaced(bytes),
        starts.flatMap((at) => [at, at + 1]),
      ];
      for (let run = 0; run < 60; run++) {
        const n = 1 + Math.floor(random() * 20);
        splits.push(Array.from({ length: n }, () => Math.floor(random() * bytes.length)));
      }
      for (const cuts of splits) {
        const seen = await relay(splitAt(bytes, cuts));
        assert.deepEqual(seen.events, WANT, `cuts ${cuts}`);
        assert.deepEqual(seen.outcome, whole.outcome, `cuts ${cuts}`);
      }
    });
  }
});

const lf = FRAMINGS.lf!;
const HEAD = lf(EVENTS.slice(0, 4)); // message_start … a thinking delta
const STOP = lf(EVENTS.slice(-1));
const KEY_ERROR =
  'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"key sk-secret-key-123456 busy"}}\n\n';

const HOSTILE: Record<string, string> = {
  "an error event mid-stream": HEAD + KEY_ERROR,
  "two error events": HEAD + KEY_ERROR + KEY_ERROR,
  "an error after message_stop": lf(EVENTS) + KEY_ERROR,
  "events after message_stop": lf(EVENTS) + HEAD,
  "two message_stops": lf(EVENTS) + STOP,
  "malformed JSON mid-stream": HEAD + 'event: content_block_delta\ndata: {"type":"content_b\n\n' +
    STOP,
  "data that is not an object": HEAD + "event: content_block_delta\ndata: [1,2]\n\n" + STOP,
  "raw text instead of an event": HEAD + "<html>502 Bad Gateway</html>\n\n" + STOP,
  "a data field without a colon": HEAD + "event: content_block_delta\ndata\n\n" + STOP,
  "a stop hidden behind bare CRs": HEAD + 'event: message_stop\rdata: {"type":"message_stop"}\r\r' +
    HEAD,
  "malformed JSON behind a bare CR": HEAD + "event: content_block_delta\rdata: {oops}\r\r" + STOP,
  "an end without message_stop": HEAD,
  "nothing at all": "",
  "only comments": ": a\n\n: b\n\n",
  "an error with no message": HEAD + 'event: error\ndata: {"type":"error"}\n\n',
  "an error event whose data is not JSON": HEAD + "event: error\ndata: upstream exploded\n\n",
};

Deno.test("property: a hostile upstream, split any way, ends the client's stream once, in JSON", async (t) => {
  for (const [name, text] of Object.entries(HOSTILE)) {
    await t.step(name, async () => {
      const bytes = enc.encode(text);
      const whole = await relay([bytes]);
      assertEnds(whole, text);
      const random = seeded(bytes.length + 1);
      for (let run = 0; run < 30; run++) {
        const n = 1 + Math.floor(random() * 12);
        const cuts = Array.from({ length: n }, () => Math.floor(random() * bytes.length));
        const seen = await relay(splitAt(bytes, cuts));
        assertEnds(seen, text);
        assert.deepEqual(seen.events, whole.events, `cuts ${cuts}`);
      }
    });
  }
});
