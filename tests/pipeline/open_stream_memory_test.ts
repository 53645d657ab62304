/**
 * An open stream holds what it needs to stream, not the request it answers: Claude Code resends
 * its whole history every turn, so a stream that kept its parsed request would hold a long
 * session's history (up to ~1 MB of JSON, more once parsed) for as long as it streams, times
 * every stream open at once (parallel sub-agents).
 */

import assert from "node:assert/strict";

const PROBE = new URL("./_open_stream_probe.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

interface Held {
  route: string;
  bodyBytes: number;
  perStreamBytes: number;
  /** ArrayBuffer memory (`Deno.memoryUsage().external`) each open stream keeps. */
  perStreamExternal: number;
}

/**
 * For each of `routes`, the JS heap each of four open streams keeps, with the size of the request
 * each answers: one probe process measures them one after another (a deno start each was most of
 * this file's cost).
 */
async function heldPerStream(routes: readonly string[]): Promise<Map<string, Held>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--config",
      CONFIG,
      "--lock=dev.lock",
      "--frozen",
      // gc() lets the probe read what is still held, not what is merely not yet collected.
      "--v8-flags=--expose-gc",
      // The guard's Unix socket: its file is in a temporary directory the probe writes.
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      PROBE,
      ...routes,
    ],
    cwd: new URL("../..", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.ok(out.success, `the probe failed: ${stderr}`);
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  const held = lines.map((line) => JSON.parse(line) as Held);
  return new Map(held.map((h) => [h.route, h]));
}

const ROUTES = [
  ["anth/m", "passthrough"],
  ["oai/m", "OpenAI Chat"],
  ["resp/m", "OpenAI Responses"],
  ["gem/m", "Gemini"],
] as const;

// Started by the first test that asks, shared by the four.
let measured: Promise<Map<string, Held>> | undefined;

for (const [route, path] of ROUTES) {
  Deno.test(`an open ${path} stream does not keep its 2 MB request in memory`, async () => {
    measured ??= heldPerStream(ROUTES.map(([r]) => r));
    const held = (await measured).get(route);
    assert.ok(held, `the probe measured no ${route}`);
    const { bodyBytes, perStreamBytes } = held;
    assert.ok(bodyBytes > 2_000_000, `request of ${bodyBytes} bytes`);
    // Kept, the parsed history alone is as large as the request; what a stream itself needs
    // (its buffers, its stream objects, its record) is ~0.2 MB.
    assert.ok(
      perStreamBytes < bodyBytes / 4,
      `each open stream holds ${(perStreamBytes / 1e6).toFixed(2)} MB of JS heap`,
    );
  });
}

Deno.test("an open stream holds no buffer left from the end of its request's body", async () => {
  measured ??= heldPerStream(ROUTES.map(([r]) => r));
  const held = (await measured).get("anth/m");
  assert.ok(held, "the probe measured no passthrough stream");
  // Its own reads hold ~13 KiB: the guard's two 4 KiB read buffers and the upstream body's. The
  // read that found the end of the request's body added a 64 KiB buffer, which the server's body
  // stream kept through the whole answer; so did the guard's read buffer on the client's side,
  // grown to 64 KiB by the large request, while it waited for the next request.
  assert.ok(
    held.perStreamExternal < 40 * 1024,
    `each open stream holds ${(held.perStreamExternal / 1024).toFixed(0)} KiB of ArrayBuffers`,
  );
});
