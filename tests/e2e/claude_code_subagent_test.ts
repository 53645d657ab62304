/**
 * The real Claude Code CLI with a project agent whose prompt carries a subagent model tag: the
 * main loop's requests go to the default route, the subagent's to the tagged target, and no
 * upstream ever sees the tag. Skipped when `claude` is not installed.
 */

import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { claudeEnv, findClaude, runClaude, STREAM_JSON } from "../helpers/claude.ts";
import { claudeStage, claudeWorkspace } from "../helpers/claude_print.ts";

const claude = await findClaude();

type Body = Record<string, unknown> & {
  model: string;
  messages: { role: string; content: unknown }[];
};

function message(model: string, content: unknown[], stop: string) {
  return {
    id: `msg_${crypto.randomUUID().replaceAll("-", "")}`,
    type: "message",
    role: "assistant",
    model,
    content,
    stop_reason: stop,
    stop_sequence: null,
    usage: { input_tokens: 50, output_tokens: 10 },
  };
}

/** An Anthropic upstream: the main model delegates to the reviewer agent, the tagged model reviews. */
function startUpstream() {
  const seen: Body[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json() as Body;
    seen.push(body);
    if (body.model === "reviewer-model") {
      return Response.json(
        message(body.model, [{ type: "text", text: "Review: no bugs found." }], "end_turn"),
      );
    }
    // Delegates once; every later turn of the main loop (the tool's result, the agent's
    // completion notice) ends with the final answer.
    const answered = JSON.stringify(body.messages).includes("toolu_review_1");
    const tools = (body.tools as { name: string }[] | undefined) ?? [];
    const task = tools.find((t) => t.name === "Task" || t.name === "Agent");
    if (!answered && task) {
      return Response.json(message(body.model, [{
        type: "tool_use",
        id: "toolu_review_1",
        name: task.name,
        input: {
          description: "Review the code",
          prompt: "Review main.py for bugs.",
          subagent_type: "reviewer",
        },
      }], "tool_use"));
    }
    return Response.json(
      message(
        body.model,
        [{ type: "text", text: "Done: the reviewer found no bugs." }],
        "end_turn",
      ),
    );
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, seen, close: () => server.shutdown() };
}

Deno.test({
  name: "real Claude Code: a project agent with a subagent model tag is served by the tagged model",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using ws = await claudeWorkspace("ccp-e2e-agent-");
    const { work, home } = ws;
    const up = startUpstream();
    await using stage = await claudeStage(
      ws,
      configFromYaml({
        file: "c.yaml",
        env: {},
        text: `server: { auth_token: e2e-token }
providers:
  up: { type: anthropic, base_url: "${up.url}", api_key: sk-up-0123456789 }
  rev: { type: anthropic, base_url: "${up.url}", api_key: sk-rev-0123456789 }
routes:
  default: up/main-model
`,
      }),
      { mocks: [up] },
    );
    const { ccp } = stage;
    await Deno.mkdir(`${work}/.claude/agents`, { recursive: true });
    await Deno.writeTextFile(`${work}/main.py`, "print('hello')\n");
    await Deno.writeTextFile(
      `${work}/.claude/agents/reviewer.md`,
      `---
name: reviewer
description: Reviews code for bugs. Use it to review a change.
tools: Read
---
<CCP-SUBAGENT-MODEL>rev/reviewer-model</CCP-SUBAGENT-MODEL>
You are a careful code reviewer. Report bugs with file and line.
`,
    );
    const out = await runClaude(
      [
        "-p",
        "Ask the reviewer agent to review main.py.",
        ...STREAM_JSON,
        "--permission-mode",
        "acceptEdits",
        "--allowedTools",
        "Task",
        "Agent",
        "Read",
      ],
      work,
      claudeEnv(home, ccp.url),
      90_000,
    );
    const stdout = new TextDecoder().decode(out.stdout);
    const result = stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l)).find((e) =>
      e.type === "result"
    );
    const trace = `${stdout}\n${new TextDecoder().decode(out.stderr)}\n${ccp.logs.join("")}`
      .slice(-4000);
    assert.ok(result, `no result line:\n${trace}`);
    assert.equal(result.is_error, false, trace);
    assert.equal(result.result, "Done: the reviewer found no bugs.");
    const models = up.seen.map((b) => b.model);
    assert.ok(
      models.includes("reviewer-model"),
      `the subagent reached the tagged model: ${models}`,
    );
    assert.ok(models.includes("main-model"), `${models}`);
    assert.ok(
      up.seen.every((b) => !JSON.stringify(b).includes("CCP-SUBAGENT-MODEL")),
      "no upstream saw the tag",
    );
    assert.ok(
      ccp.logs.some((l) => /→ rev\/reviewer-model .*\[subagent_tag\]/.test(l)),
      ccp.logs.join(""),
    );
  },
});
