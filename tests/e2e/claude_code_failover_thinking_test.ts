/**
 * A long Claude Code session with thinking (claude-sonnet-4-5 thinks on a budget) on a route whose
 * first target is Anthropic (a mock as strict as the real API: a signature it did not make, or a
 * tool step that lost its leading thinking, is a 400) and whose second is a thinking Chat model
 * (DeepSeek's words). Anthropic answers 429 with `retry-after`, then 529 until its breaker opens,
 * then cuts the stream of the breaker's trial in the middle of its thinking; the Chat model carries
 * the session meanwhile, and Anthropic takes it back while the history holds the Chat model's
 * thinking. Every `claude -p --continue` run ends well; Anthropic never sees ccp's signatures nor
 * refuses anything (no re-send), gets its own thinking back and thinks again once it is back; the
 * Chat model never sees Anthropic's signatures and always gets a history it accepts. Skipped
 * when `claude` is not installed.
 */

import assert from "node:assert/strict";
import { findClaude } from "../helpers/claude.ts";
import { claudeStage, claudeWorkspace, printJson } from "../helpers/claude_print.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { type Fault, startAnthropicAgent, startChatAgent } from "../mocks/failover_agent.ts";
import { ResilienceRegistry } from "../../src/resilience/registry.ts";

const claude = await findClaude();

type Obj = Record<string, unknown>;

/**
 * What Claude Code got back for each Messages request: the status, `x-ccp-passed`, and whether an
 * error event ended the stream. A recorder in front of ccp, as Claude Code sees it.
 */
function startRecorder(target: () => string) {
  const seen: Array<{ status: number; passed: string | null; error?: string }> = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    const res = await fetch(`${target()}${url.pathname}${url.search}`, {
      method: req.method,
      headers: req.headers,
      body: req.method === "POST" ? await req.arrayBuffer() : undefined,
    });
    if (url.pathname !== "/v1/messages") return res;
    const text = await res.text();
    const error = /^event: error\ndata: (.*)$/m.exec(text)?.[1];
    seen.push({
      status: res.status,
      passed: res.headers.get("x-ccp-passed"),
      ...(error ? { error } : {}),
    });
    return new Response(text, { status: res.status, headers: res.headers });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    seen,
    close: () => server.shutdown(),
  };
}

Deno.test({
  name: "real Claude Code with thinking through a failover (429, 529, a cut stream) to a Chat " +
    "model and back to Anthropic: every run ends well, each upstream gets a history it accepts",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using ws = await claudeWorkspace("ccp-failover-thinking-");
    const file = `${ws.work}/app.txt`;
    await Deno.writeTextFile(file, "alpha\n");
    const faults: Fault[] = [];
    const anthropic = startAnthropicAgent(file, faults);
    const chat = startChatAgent(file);
    let ccpUrl = "";
    const recorder = startRecorder(() => ccpUrl);
    const route = ["anth/claude-sonnet-4-5", "chat/deepseek-reasoner"];
    await using stage = await claudeStage(
      ws,
      testConfig({
        providers: [
          provider("anth", {
            preset: "anthropic",
            baseUrl: anthropic.url,
            apiKeys: ["sk-ant-test"],
            maxRetries: 0,
          }),
          provider("chat", {
            preset: "deepseek",
            type: "openai",
            baseUrl: chat.url,
            authHeader: "bearer",
            apiKeys: ["sk-ds-test"],
            maxRetries: 0,
          }),
        ],
        routes: { default: route, sonnet: route, haiku: route },
        authToken: "e2e-token",
      }),
      {
        mocks: [recorder, anthropic, chat],
        guarded: true,
        // A breaker that opens for 0.3 s (0.6 s after a failed trial) keeps the test short.
        over: { registry: new ResilienceRegistry({ breaker: { baseMs: 300 } }) },
      },
    );
    const { ccp } = stage;
    ccpUrl = ccp.url;
    const run = async (args: string[], expected: string) => {
      const seenBefore = recorder.seen.length;
      const result = await printJson(ws, recorder.url, ["--model", "claude-sonnet-4-5", ...args]);
      const what = JSON.stringify({ result, seen: recorder.seen.slice(seenBefore) });
      assert.equal(result.is_error, false, what + ccp.logs.join(""));
      assert.equal(result.result, expected, what);
      return recorder.seen.slice(seenBefore);
    };

    await run(["-p", "read app.txt"], "READ-DONE");
    // A 429 with retry-after: the Chat model serves the turn, the next request passes Anthropic.
    faults.push("429");
    const limited = await run(["-p", "--continue", "bash: show app.txt"], "BASH-DONE");
    assert.match(String(limited.at(-1)?.passed), /anth\/claude-sonnet-4-5 \(not sent: key cooling/);
    await new Promise((r) => setTimeout(r, 2_100));
    // Three 529s open the breaker; the Chat model does the edit.
    faults.push("529", "529", "529");
    await run(["-p", "--continue", "edit app.txt"], "EDIT-DONE");
    assert.equal((await Deno.readTextFile(file)).trim(), "beta");
    await new Promise((r) => setTimeout(r, 400));
    // The breaker's trial breaks in the middle of Anthropic's thinking: the client is told so in
    // its stream, and Claude Code's own retry is served by the Chat model.
    faults.push("cut");
    const cut = await run(["-p", "--continue", "read app.txt"], "READ-DONE");
    assert.match(String(cut[0]?.error), /"api_error".*anth.*mid-stream/, JSON.stringify(cut));
    await new Promise((r) => setTimeout(r, 800));
    // Anthropic is back, the history full of the Chat model's thinking.
    const back = anthropic.bodies.length;
    await run(["-p", "--continue", "edit app.txt"], "EDIT-DONE");
    assert.equal((await Deno.readTextFile(file)).trim(), "gamma");

    assert.deepEqual(anthropic.problems, [], "nothing refused: no foreign signature, no re-send");
    assert.deepEqual(chat.problems, []);
    assert.equal(faults.length, 0);
    const toAnthropic = JSON.stringify(anthropic.bodies);
    assert.ok(!toAnthropic.includes("ccp:v1:"), "no ccp signature reaches Anthropic");
    assert.doesNotMatch(
      toAnthropic,
      /"(?:id|tool_use_id)":"call_/,
      "no Chat call id reaches Anthropic",
    );
    assert.ok(!JSON.stringify(chat.bodies).includes("anth-sig-"), "no signature reaches Chat");
    // Back on Anthropic, its own signed thinking from before the failover comes back, and each
    // step of the new turn thinks (the turn began after the Chat model's answer).
    const after = anthropic.bodies.slice(back);
    assert.equal(after.length, 3, JSON.stringify(after.map((b) => b.thinking)));
    assert.match(JSON.stringify(after[0]!.messages), /"signature":"anth-sig-1"/);
    for (const body of after) assert.equal((body.thinking as Obj | undefined)?.type, "enabled");
    // The log names each failed try (whether a later request found the breaker still open
    // depends on how fast claude sends it, so the pause is left to the resilience tests).
    const failed = ccp.logs.filter((l) => l.includes("(failed: anth/claude-sonnet-4-5 529)"));
    assert.ok(failed.length > 0, ccp.logs.join(""));
  },
});
