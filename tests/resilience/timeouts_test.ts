import assert from "node:assert/strict";
import type { Timeouts } from "../../src/config/types.ts";
import { tcpConnectProbe } from "../../src/resilience/connect_probe.ts";
import { UpstreamTimeoutError } from "../../src/resilience/timeout_error.ts";
import { withTimeouts } from "../../src/resilience/timeouts.ts";
import { FakeClock } from "./fake_clock.ts";

const NONE: Timeouts = { connectMs: 0, firstByteMs: 0, idleMs: 0, totalMs: 0 };
const encoder = new TextEncoder();

/** A fetch that never answers but rejects like fetch does when its signal aborts. */
function hangingFetch(signal: AbortSignal): Promise<Response> {
  return new Promise((_, reject) => {
    signal.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
  });
}

/** A body whose chunks the test pushes by hand. */
function manualBody() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  return {
    body,
    push: (text: string) => controller.enqueue(encoder.encode(text)),
    end: () => controller.close(),
  };
}

function isTimeout(kind: string, message: string) {
  return (error: unknown) => {
    assert.ok(error instanceof UpstreamTimeoutError, String(error));
    assert.equal(error.kind, kind);
    assert.equal(error.message, message);
    return true;
  };
}

Deno.test("withTimeouts", async (t) => {
  await t.step("first_byte fires when no answer comes, naming itself and its value", async () => {
    const clock = new FakeClock();
    const pending = withTimeouts(hangingFetch, { ...NONE, firstByteMs: 600_000 }, {
      provider: "groq",
      clock,
    });
    const checked = assert.rejects(
      pending,
      isTimeout("first_byte", 'no response from provider "groq" within 600s (first_byte timeout)'),
    );
    await clock.advance(600_000);
    await checked;
    assert.equal(clock.pending, 0);
  });

  await t.step(
    "first_byte covers the wait for the first body chunk after early headers (so it can fail over)",
    async () => {
      const clock = new FakeClock();
      const upstream = manualBody();
      const pending = withTimeouts(
        () => Promise.resolve(new Response(upstream.body)),
        { ...NONE, firstByteMs: 1000, idleMs: 100 },
        { provider: "groq", clock },
      );
      const checked = assert.rejects(
        pending,
        isTimeout("first_byte", 'no response from provider "groq" within 1s (first_byte timeout)'),
      );
      await clock.advance(999);
      await clock.advance(1);
      await checked;
    },
  );

  await t.step("idle fires between chunks", async () => {
    const clock = new FakeClock();
    const upstream = manualBody();
    const pending = withTimeouts(
      () => Promise.resolve(new Response(upstream.body)),
      { ...NONE, firstByteMs: 600_000, idleMs: 120_000 },
      { provider: "groq", clock },
    );
    // withTimeouts resolves once the first chunk is in.
    upstream.push("data: 1\n\n");
    const response = await pending;
    const reader = response.body!.getReader();
    assert.equal(new TextDecoder().decode((await reader.read()).value), "data: 1\n\n");
    // A chunk just in time satisfies the pending read and re-arms the idle timer.
    const second = reader.read();
    await clock.advance(119_999);
    upstream.push("data: 2\n\n");
    assert.equal(new TextDecoder().decode((await second).value), "data: 2\n\n");
    const third = reader.read();
    const checked = assert.rejects(
      third,
      isTimeout("idle", 'no data from provider "groq" for 120s (idle timeout)'),
    );
    await clock.advance(119_999);
    await clock.advance(1);
    await checked;
    assert.equal(clock.pending, 0);
  });

  await t.step("total fires mid-body", async () => {
    const clock = new FakeClock();
    const upstream = manualBody();
    const pending = withTimeouts(
      () => Promise.resolve(new Response(upstream.body)),
      { ...NONE, totalMs: 5000 },
      { provider: "nim", clock },
    );
    upstream.push("x");
    const reader = (await pending).body!.getReader();
    await reader.read();
    const read = reader.read();
    const checked = assert.rejects(
      read,
      isTimeout("total", 'provider "nim" did not finish within 5s (total timeout)'),
    );
    await clock.advance(5000);
    await checked;
  });

  await t.step("connect fires when the probe cannot connect in time", async () => {
    const clock = new FakeClock();
    const pending = withTimeouts(hangingFetch, { ...NONE, connectMs: 10_000 }, {
      provider: "groq",
      clock,
      connectProbe: (signal) => hangingFetch(signal).then(() => {}),
    });
    const checked = assert.rejects(
      pending,
      isTimeout("connect", 'could not connect to provider "groq" within 10s (connect timeout)'),
    );
    await clock.advance(10_000);
    await checked;
  });

  await t.step("a probe that connects ends the connect phase", async () => {
    const clock = new FakeClock();
    let answer!: (response: Response) => void;
    const pending = withTimeouts(
      () => new Promise<Response>((resolve) => answer = resolve),
      { ...NONE, connectMs: 10_000 },
      { provider: "groq", clock, connectProbe: () => Promise.resolve() },
    );
    await clock.advance(60_000);
    answer(new Response("late but fine"));
    assert.equal(await (await pending).text(), "late but fine");
  });

  await t.step("the probe is stopped once fetch has answered", async () => {
    // A probe that cannot connect although fetch did (fetch tries the host's other addresses).
    let probeSignal: AbortSignal | undefined;
    const response = await withTimeouts(
      () => Promise.resolve(new Response("ok")),
      { ...NONE, connectMs: 10_000 },
      {
        provider: "groq",
        clock: new FakeClock(),
        connectProbe: (signal) => {
          probeSignal = signal;
          return hangingFetch(signal).then(() => {});
        },
      },
    );
    assert.equal(await response.text(), "ok");
    assert.equal(probeSignal?.aborted, true, "the probe's connection attempt is given up");
  });

  await t.step("connect 0: no probe is made", async () => {
    let probed = false;
    const response = await withTimeouts(() => Promise.resolve(new Response("ok")), NONE, {
      provider: "p",
      clock: new FakeClock(),
      connectProbe: () => {
        probed = true;
        return Promise.resolve();
      },
    });
    assert.equal(await response.text(), "ok");
    assert.equal(probed, false, "a connection the upstream sees for a timeout that is off");
  });

  await t.step("0 means none: no timer is even scheduled", async () => {
    const clock = new FakeClock();
    const response = await withTimeouts(() => Promise.resolve(new Response("ok")), NONE, {
      provider: "p",
      clock,
    });
    assert.equal(await response.text(), "ok");
    assert.equal(clock.scheduled, 0);
  });

  await t.step("timers are cleared once the body ends", async () => {
    const clock = new FakeClock();
    const response = await withTimeouts(
      () => Promise.resolve(new Response("done")),
      { connectMs: 1, firstByteMs: 1000, idleMs: 1000, totalMs: 1000 },
      { provider: "p", clock },
    );
    assert.equal(await response.text(), "done");
    assert.equal(clock.pending, 0);
  });

  await t.step("the client's abort rejects with its reason and clears timers", async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const pending = withTimeouts(hangingFetch, { ...NONE, firstByteMs: 1000, totalMs: 5000 }, {
      provider: "p",
      clock,
      signal: controller.signal,
    });
    const reason = new Error("client disconnected");
    controller.abort(reason);
    await assert.rejects(pending, (error) => error === reason);
    assert.equal(clock.pending, 0);
  });

  await t.step("the client's abort errors a body in flight", async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const upstream = manualBody();
    const pending = withTimeouts(
      () => Promise.resolve(new Response(upstream.body)),
      { ...NONE, idleMs: 1000 },
      { provider: "p", clock, signal: controller.signal },
    );
    upstream.push("data: 1\n\n");
    const reader = (await pending).body!.getReader();
    await reader.read();
    const read = reader.read();
    controller.abort(new Error("bye"));
    await assert.rejects(read, /bye/);
    assert.equal(clock.pending, 0);
  });
});

Deno.test("tcpConnectProbe", async (t) => {
  await t.step("resolves against a listening port", async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const accepted = listener.accept().then((conn) => conn.close());
    await tcpConnectProbe(`http://127.0.0.1:${listener.addr.port}/v1`)(
      new AbortController().signal,
    );
    await accepted;
    listener.close();
  });
  await t.step("rejects when nothing listens", async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = listener.addr.port;
    listener.close();
    await assert.rejects(tcpConnectProbe(`http://127.0.0.1:${port}`)(new AbortController().signal));
  });
});

Deno.test("withTimeouts: inspect looks ahead under the idle timeout and hands on every chunk", async (t) => {
  await t.step("chunks read ahead come out first, in order, then the rest", async () => {
    const upstream = manualBody();
    const pending = withTimeouts(
      () => Promise.resolve(new Response(upstream.body)),
      NONE,
      {
        provider: "p",
        inspect: async (_response, start) => {
          assert.equal(new TextDecoder().decode(start.first), "a");
          assert.equal(new TextDecoder().decode(await start.readAhead()), "b");
          return undefined;
        },
      },
    );
    upstream.push("a");
    upstream.push("b");
    upstream.push("c");
    const response = await pending;
    upstream.end();
    assert.equal(await response.text(), "abc");
  });

  await t.step(
    "a read ahead still under way when inspect gives up is the body's next chunk",
    async () => {
      const upstream = manualBody();
      const pending = withTimeouts(
        () => Promise.resolve(new Response(upstream.body)),
        NONE,
        {
          provider: "p",
          inspect: (_response, start) => {
            void start.readAhead();
            return Promise.resolve(undefined);
          },
        },
      );
      upstream.push("a");
      const response = await pending;
      upstream.push("b");
      upstream.end();
      assert.equal(await response.text(), "ab");
    },
  );

  await t.step("a replacement answer cancels the upstream body", async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start: (c) => c.enqueue(encoder.encode("data: x\n\n")),
      cancel: () => void (cancelled = true),
    });
    const response = await withTimeouts(() => Promise.resolve(new Response(body)), NONE, {
      provider: "p",
      inspect: () => Promise.resolve(new Response("replaced", { status: 429 })),
    });
    assert.equal(response.status, 429);
    assert.equal(await response.text(), "replaced");
    assert.ok(cancelled);
  });

  await t.step("an inspector that throws cancels the upstream body", async () => {
    let cancelled: unknown;
    const body = new ReadableStream<Uint8Array>({
      start: (c) => c.enqueue(encoder.encode("data: x\n\n")),
      cancel: (reason) => void (cancelled = reason),
    });
    await assert.rejects(
      withTimeouts(() => Promise.resolve(new Response(body)), NONE, {
        provider: "p",
        inspect: () => Promise.reject(new Error("inspector failed")),
      }),
      /inspector failed/,
    );
    assert.match(String(cancelled), /inspector failed/);
  });

  await t.step("an upstream silent while inspected fails with the idle timeout", async () => {
    const clock = new FakeClock();
    const upstream = manualBody();
    const pending = withTimeouts(
      () => Promise.resolve(new Response(upstream.body)),
      { ...NONE, idleMs: 1000 },
      { provider: "p", clock, inspect: (_r, start) => start.readAhead().then(() => undefined) },
    );
    const checked = assert.rejects(
      pending,
      isTimeout("idle", 'no data from provider "p" for 1s (idle timeout)'),
    );
    upstream.push(": keep-alive\n\n");
    await new Promise((r) => setTimeout(r, 0));
    await clock.advance(1000);
    await checked;
  });
});

Deno.test("withTimeouts: the guarded response keeps the upstream's status, headers and body", async () => {
  const upstream = new Response('{"ok":true}', {
    status: 201,
    statusText: "Created",
    headers: { "content-type": "application/json", "request-id": "req_1", "retry-after": "3" },
  });
  const response = await withTimeouts(() => Promise.resolve(upstream), NONE, { provider: "p" });
  assert.notEqual(response, upstream);
  assert.equal(response.status, 201);
  assert.equal(response.statusText, "Created");
  assert.equal(response.ok, true);
  assert.equal(response.headers.get("request-id"), "req_1");
  assert.equal(response.headers.get("content-type"), "application/json");
  assert.deepEqual(await response.json(), { ok: true });
});

Deno.test("a timeout names the setting that raises it, under its provider", () => {
  assert.equal(
    new UpstreamTimeoutError("first_byte", 600_000, "groq").advice,
    "raise providers.groq.timeouts.first_byte in the config",
  );
  assert.equal(
    new UpstreamTimeoutError("idle", 1_000, "my.vllm").advice,
    'raise providers["my.vllm"].timeouts.idle in the config',
  );
  assert.equal(
    new UpstreamTimeoutError("total", 5_000, "nim").advice,
    "raise providers.nim.timeouts.total in the config (0 for none)",
  );
});
