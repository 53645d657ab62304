import assert from "node:assert/strict";
import { swappableLogger } from "../../src/cli/swap_log.ts";
import { createLogger } from "../../src/core/log.ts";
import { formatRecord, logObserver } from "../../src/pipeline/log_observer.ts";
import type { RequestObserver, RequestRecord } from "../../src/pipeline/record.ts";
import { Recorder } from "../../src/pipeline/recorder.ts";

function quietLog(lines: string[] = []) {
  return createLogger({ level: "debug", write: (l) => lines.push(l), colour: false });
}

Deno.test("Recorder", async (t) => {
  await t.step("fills the record, times it, and hands it to each observer once", () => {
    let clock = 100;
    const seen: Array<[string, RequestRecord]> = [];
    const observer: RequestObserver = {
      started: (r) => seen.push(["started", structuredClone(r)]),
      ended: (r) => seen.push(["ended", structuredClone(r)]),
    };
    const headers = new Headers({ "x-claude-code-session-id": "sess-1" });
    const rec = new Recorder(
      { method: "POST", path: "/v1/messages", headers },
      [observer],
      quietLog(),
      () => clock,
    );
    assert.match(rec.record.id, /^req_[0-9A-Za-z]{24}$/);
    assert.equal(rec.record.session, "sess-1");
    assert.equal(rec.record.client, "default");
    rec.attempt({
      provider: "a",
      model: "m1",
      keyLabel: "key 1 (…abcd)",
      status: 429,
      outcome: "failed",
      reason: "upstream answered 429",
      startedAt: 0,
      durationMs: 3,
    });
    rec.attempt({
      provider: "b",
      model: "m2",
      keyLabel: "no key",
      status: 200,
      outcome: "answered",
      startedAt: 0,
      durationMs: 4,
    });
    clock = 130;
    rec.firstToken();
    clock = 180;
    rec.firstToken(); // only the first counts
    rec.end({ status: 200, outcome: "ok", usage: { inputTokens: 10, outputTokens: undefined } });
    rec.end({ status: 500, outcome: "error" }); // ignored
    assert.deepEqual(seen.map(([phase]) => phase), ["started", "ended"]);
    const done = seen[1]![1];
    assert.equal(done.status, 200);
    assert.equal(done.ttftMs, 30);
    assert.equal(done.durationMs, 80);
    assert.deepEqual(done.usage, { inputTokens: 10 });
    assert.equal(done.provider, "b", "the last attempt names who served");
    assert.equal(done.attempts.length, 2);
  });

  await t.step("an observer that throws is logged; the others still run", () => {
    const lines: string[] = [];
    let reached = false;
    const rec = new Recorder(
      { method: "POST", path: "/v1/messages", headers: new Headers() },
      [{
        ended: () => {
          throw new Error("disk full");
        },
      }, { ended: () => (reached = true) }],
      quietLog(lines),
    );
    rec.end({ status: 200, outcome: "ok" });
    assert.ok(reached);
    assert.ok(lines.some((l) => l.includes("request observer failed: disk full")));
  });
});

Deno.test("log observer", async (t) => {
  const base = (over: Partial<RequestRecord>): RequestRecord => ({
    id: "req_x",
    startedAt: 0,
    method: "POST",
    path: "/v1/messages",
    attempts: [],
    status: 200,
    outcome: "ok",
    usage: {},
    durationMs: 12.4,
    ...over,
  });
  await t.step("one line: model → target, status, timings, tokens, route", () => {
    assert.equal(
      formatRecord(base({
        clientModel: "claude-opus-5-5",
        provider: "nim",
        model: "glm4.7",
        stream: true,
        ttftMs: 5,
        usage: { inputTokens: 1200, outputTokens: 45, cacheReadInputTokens: 1000 },
        route: "opus",
      })),
      "POST /v1/messages claude-opus-5-5 → nim/glm4.7 200 12ms ttft=5ms in=1200 out=45 cache_read=1000 stream [opus]",
    );
  });
  await t.step("a named client of clients: is on the line; the lone token's default is not", () => {
    const line = (client: string | undefined) =>
      formatRecord(base({
        clientModel: "claude-opus-5-5",
        provider: "nim",
        model: "glm4.7",
        stream: true,
        route: "opus",
        ...(client ? { client } : {}),
      }));
    assert.equal(
      line("alice"),
      "POST /v1/messages claude-opus-5-5 → nim/glm4.7 200 12ms stream [opus] client=alice",
    );
    assert.equal(
      line("default"),
      "POST /v1/messages claude-opus-5-5 → nim/glm4.7 200 12ms stream [opus]",
    );
    assert.equal(line(undefined), line("default"));
    // A name with a space, `=` or a quote is quoted as the attempt lines quote model names, so
    // `client=a b` cannot read as client `a` and a word `b`.
    assert.match(line("carol smith"), / client="carol smith"$/);
    assert.match(line("team=red"), / client="team=red"$/);
    assert.match(line('say "hi"'), / client="say \\"hi\\""$/);
  });
  await t.step("a failover names the tries that failed; cache writes are shown", () => {
    const attempt = (
      provider: string,
      status: number | undefined,
      outcome: "answered" | "failed",
    ) => ({
      provider,
      model: "m",
      keyLabel: "key 1",
      ...(status !== undefined ? { status } : {}),
      outcome,
      startedAt: 0,
      durationMs: 1,
    });
    assert.equal(
      formatRecord(base({
        clientModel: "sonnet",
        provider: "b",
        model: "m",
        stream: false,
        usage: { inputTokens: 10, outputTokens: 2, cacheCreationInputTokens: 500 },
        route: "sonnet",
        attempts: [
          attempt("a", 429, "failed"),
          attempt("c", undefined, "failed"),
          attempt("b", 200, "answered"),
        ],
      })),
      "POST /v1/messages sonnet → b/m 200 12ms in=10 out=2 cache_write=500 json [sonnet] " +
        "attempts=3 (failed: a/m 429, c/m no answer)",
    );
    // Identical tries in a row are one entry with a count; each distinct try is still named.
    const long = "x".repeat(90);
    const line = formatRecord(base({
      provider: "b",
      model: "m",
      attempts: [
        ...Array.from(
          { length: 4 },
          () => ({ ...attempt("down", undefined, "failed"), model: long }),
        ),
        attempt("a", 429, "failed"),
        attempt("a", 500, "failed"),
        attempt("b", 200, "answered"),
      ],
    }));
    assert.ok(
      line.endsWith(`attempts=7 (failed: down/${long} no answer ×4, a/m 429, a/m 500)`),
      line,
    );
    // Six distinct failures: five are named, the rest counted.
    const many = formatRecord(base({
      attempts: [..."cdefgh"].map((p) => attempt(p, 500, "failed")),
    }));
    assert.ok(
      many.endsWith("(failed: c/m 500, d/m 500, e/m 500, f/m 500, g/m 500, 1 more)"),
      many,
    );
  });
  await t.step("warn for errors and cancelled answers, info otherwise", () => {
    const lines: string[] = [];
    const observer = logObserver(quietLog(lines));
    observer.ended(base({}));
    observer.ended(base({ status: 503, outcome: "error", error: "no target" }));
    observer.ended(base({ outcome: "cancelled", error: "client disconnected" }));
    assert.deepEqual(lines.map((l) => l.split(" ")[1]), ["INFO", "WARN", "WARN"]);
    assert.ok(lines[2]!.includes("(client disconnected)"));
  });
});

Deno.test("a JSON log line tells sessions apart by a hash, never the session id", () => {
  const lines: string[] = [];
  const log = createLogger({ level: "info", format: "json", write: (l) => lines.push(l) });
  for (const session of ["3f1c9a4e-1111-4a2b-9c3d-abcdefabcdef", "another-session"]) {
    const rec = new Recorder(
      {
        method: "POST",
        path: "/v1/messages",
        headers: new Headers({ "x-claude-code-session-id": session }),
      },
      [logObserver(log)],
      log,
    );
    rec.end({ status: 200, outcome: "ok", usage: {} });
  }
  assert.equal(lines.length, 2);
  const [first, second] = lines.map((l) => JSON.parse(l));
  assert.ok(!lines[0]!.includes("3f1c9a4e") && !lines[1]!.includes("another-session"), lines[0]);
  assert.equal(first.session, undefined);
  assert.match(first.session_hash, /^[0-9a-f]{16}$/);
  assert.notEqual(first.session_hash, second.session_hash);
});

Deno.test("a text log line builds none of the record's JSON fields; a JSON line, and a swapped logger's, do", () => {
  // Read only by the JSON fields (hashed into session_hash): the line itself never shows it.
  const reads = { session: 0 };
  const record = (): RequestRecord => {
    const r: RequestRecord = {
      id: "req_x",
      startedAt: 0,
      method: "POST",
      path: "/v1/messages",
      attempts: [],
      status: 200,
      outcome: "ok",
      usage: { inputTokens: 3, outputTokens: 4 },
      durationMs: 2,
    };
    Object.defineProperty(r, "session", {
      get: () => (reads.session++, "sess-1"),
      enumerable: true,
    });
    return r;
  };
  const lines: string[] = [];
  const write = (l: string) => lines.push(l);
  logObserver(createLogger({ level: "info", write, colour: false })).ended(record());
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /INFO {2}POST \/v1\/messages 200 2ms in=3 out=4\n$/);
  assert.equal(reads.session, 0);

  logObserver(createLogger({ level: "info", format: "json", write })).ended(record());
  const afterJson = reads.session;
  assert.ok(afterJson > 0);
  assert.match(JSON.parse(lines[1]!).session_hash, /^[0-9a-f]{16}$/);

  // `ccp serve`'s logger: a reload may swap text lines for JSON ones, and the fields follow.
  let format: "text" | "json" = "text";
  const swapped = swappableLogger(
    (level) => createLogger({ level, format, write, colour: false }),
    "info",
  );
  const observer = logObserver(swapped);
  observer.ended(record());
  assert.equal(reads.session, afterJson);
  format = "json";
  swapped.setLevel("debug");
  observer.ended(record());
  assert.ok(reads.session > afterJson);
  assert.equal(JSON.parse(lines[3]!).request_id, "req_x");
});
