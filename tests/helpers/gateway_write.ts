/**
 * One `claude -p` Write task through ccp to a mock Anthropic-compatible gateway whose streams the
 * caller writes: the shared run of the gateway-quirk journeys (a block never stopped, no
 * message_delta). The first main request gets `call(target)`, every later one (and any side
 * request) `final(text)`.
 */

import assert from "node:assert/strict";
import { startGuardedCcp } from "./ccp.ts";
import { provider, testConfig } from "./config.ts";
import { countRequestTokensAsync } from "../../src/tokens/mod.ts";
import { claudeEnv, findClaude, runClaude, STREAM_JSON } from "./claude.ts";

export const claude = await findClaude();

/** One SSE event, named by its type. */
export const ev = (data: Record<string, unknown>): string =>
  `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;

/** What a run left for the test to check, before its files are removed. */
export interface GatewayRun {
  // deno-lint-ignore no-explicit-any
  readonly result: any;
  /** stdout, stderr and ccp's log, for assertion messages. */
  readonly said: string;
  readonly turns: number;
  readonly home: string;
}

const WRITTEN = "written through a gateway\n";

/** Runs the task, checks it finished with the file written in two turns, then calls `check`. */
export async function writeThroughGateway(
  answers: { call(target: string, content: string): string; final(text: string): string },
  check: (run: GatewayRun) => Promise<void> | void = () => {},
): Promise<void> {
  const work = await Deno.makeTempDir({ prefix: "ccp-e2e-" });
  const home = await Deno.makeTempDir({ prefix: "ccp-home-" });
  const target = `${work}/notes.txt`;
  let turns = 0;
  const gateway = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const text = await req.text();
      if (req.method !== "POST" || !new URL(req.url).pathname.endsWith("/v1/messages")) {
        return new Response("not here", { status: 404 });
      }
      const body = !text.includes("notes.txt")
        ? answers.final("Title")
        : turns++ === 0
        ? answers.call(target, WRITTEN)
        : answers.final("Done.");
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    },
  );
  const ccp = await startGuardedCcp(
    testConfig({
      providers: [provider("gw", {
        baseUrl: `http://127.0.0.1:${gateway.addr.port}`,
        authHeader: "bearer",
        apiKeys: ["gw-key"],
      })],
      routes: { default: "gw/gw-model" },
      authToken: "e2e-token",
    }),
    { countTokens: (body) => countRequestTokensAsync(body) },
  );
  try {
    const out = await runClaude(
      [
        "-p",
        `Write "written through a gateway" into ${target}`,
        ...STREAM_JSON,
        "--permission-mode",
        "acceptEdits",
        "--allowedTools",
        "Write",
      ],
      work,
      claudeEnv(home, ccp.url),
      90_000,
    );
    const stdout = new TextDecoder().decode(out.stdout);
    const lines = stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l));
    const result = lines.find((e) => e.type === "result");
    const said = `${stdout}\n${new TextDecoder().decode(out.stderr)}\n${ccp.logs.join("")}`;
    assert.ok(result, `no result line:\n${said}`);
    assert.equal(result.is_error, false, said);
    assert.equal(result.result, "Done.");
    assert.equal(await Deno.readTextFile(target), WRITTEN, said);
    assert.equal(turns, 2, "the tool's result went back for a second turn");
    await check({ result, said, turns, home });
  } finally {
    await ccp.close();
    await gateway.shutdown();
    await Deno.remove(work, { recursive: true });
    await Deno.remove(home, { recursive: true });
  }
}
