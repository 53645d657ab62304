/**
 * ccp's default path as a new user meets it: no `MODEL`, no config file, `ccp serve` sending
 * everything to a local Ollama's qwen3-coder (the mock in tests/mocks/local_servers.ts, with
 * Ollama's stream habits and its own `/api/ps`, `/api/show`, `/api/generate`), reached through
 * `OLLAMA_BASE_URL`. Real `claude -p`: a session calling tools over several turns, then
 * `--continue`; the model not pulled (Claude Code must print `ollama pull qwen3-coder`); Ollama
 * not running; a thinking model (qwen3) with tools; a PNG read for qwen3-coder, which has no
 * vision part. Skipped when `claude` is not installed.
 */

import assert from "node:assert/strict";
import { startServer } from "../../src/cli/serve.ts";
import { IMAGE_PLACEHOLDER } from "../../src/upstream/model_settings.ts";
import { testContext } from "../cli/helpers.ts";
import { findClaude } from "../helpers/claude.ts";
import {
  type ClaudeWorkspace,
  claudeWorkspace,
  PNG_1X1,
  printJson,
} from "../helpers/claude_print.ts";
import { closedPort } from "../helpers/ports.ts";
import {
  DIALECTS,
  type OllamaModels,
  type Script,
  startLocalServer,
  type Turn,
} from "../mocks/local_servers.ts";

const claude = await findClaude();
const ollama = DIALECTS.find((d) => d.id === "ollama")!;

type Obj = Record<string, unknown>;

const turn = (t: Omit<Turn, "inputTokens" | "outputTokens">): Script => ({
  kind: "turn",
  turn: { inputTokens: 15_000, outputTokens: 40, ...t },
});

/** `ccp serve` in-process with no config file, as a first run has it; `env` its environment. */
async function serveDefault(ws: ClaudeWorkspace, env: Record<string, string>) {
  const ctx = testContext(ws.home, {
    env: { XDG_CONFIG_HOME: `${ws.home}/.config`, ...env },
    cwd: ws.work,
  });
  return { server: await startServer({ ctx, flags: { port: 0 } }) };
}

/** The role and block types of each message: `assistant:thinking,tool_use`. */
const shapes = (body: Obj) =>
  (body.messages as Obj[]).map((m) =>
    `${m.role}:${
      typeof m.content === "string"
        ? "text"
        : (m.content as Obj[]).map((b) => String(b.type)).join(",")
    }`
  );

Deno.test({
  name: "real Claude Code on ccp's default (no MODEL, no config): Ollama's qwen3-coder with " +
    "tools, --continue, then the model not pulled",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const ws = await claudeWorkspace("ccp-ollama-");
    const scripts: Script[] = [
      turn({
        tools: [{
          name: "Write",
          args: [`{"file_path": "${ws.work}/a.py", "content": "print(6 * 7)\\n"}`],
        }],
      }),
      turn({
        tools: [{
          name: "Bash",
          args: [`{"command": "python3 -c 'print(6 * 7)'", "description": "Run it"}`],
        }],
      }),
      turn({ text: ["a.py prints ", "42."] }),
      turn({ text: ["It multiplies 6 by 7."] }),
    ];
    // Pulled, not loaded yet: ccp has Ollama load it first, and reads its context.
    const models: OllamaModels = { pulled: ["qwen3-coder"], context: 65536, loaded: [] };
    const mock = startLocalServer(ollama, scripts, { ollama: models });
    let served;
    try {
      served = await serveDefault(ws, { OLLAMA_BASE_URL: mock.url });
      const { server } = served;

      const first = await printJson(ws, server.url, ["-p", "write a.py and run it"]);
      assert.equal(first.result, "a.py prints 42.", JSON.stringify(first));
      assert.equal(await Deno.readTextFile(`${ws.work}/a.py`), "print(6 * 7)\n");
      const bodies = mock.bodies;
      assert.equal(bodies.length, 3, bodies.map((b) => shapes(b).join(" ")).join("\n"));
      for (const body of bodies) assert.equal(body.model, "qwen3-coder");
      // Loaded first (its context read before the prompt went), then the three turns.
      const firstMessages = mock.paths.indexOf("/v1/messages");
      assert.ok(mock.paths.slice(0, firstMessages).includes("/api/generate"), mock.paths.join());
      assert.deepEqual(models.loaded, ["qwen3-coder:latest"]);
      // Ollama's call ids went back as it gave them, each answered.
      const sent = JSON.stringify(bodies[2]!.messages);
      assert.ok(sent.includes('"tool_use_id":"call_00000001"'), sent.slice(-600));
      assert.ok(sent.includes('"tool_use_id":"call_00000002"'));
      assert.ok(sent.includes("42"), "the Bash output went back");

      const next = await printJson(ws, server.url, ["--continue", "-p", "what does it do?"]);
      assert.equal(next.result, "It multiplies 6 by 7.", JSON.stringify(next));
      assert.equal(bodies.length, 4);
      assert.deepEqual(shapes(bodies[3]!).slice(-3), [
        "user:tool_result",
        "assistant:text",
        "user:text",
      ]);

      // `ollama rm qwen3-coder`: Ollama's 404 "model 'qwen3-coder' not found". Claude Code
      // prints the message of a 400 (it hides a 404's): it says what to pull.
      models.pulled.splice(0);
      models.loaded.splice(0);
      const missing = await printJson(ws, server.url, ["-p", "hi"]);
      assert.equal(missing.is_error, true);
      assert.match(String(missing.result), /^API Error: 400 /, String(missing.result));
      assert.match(String(missing.result), /run `ollama pull qwen3-coder`/);
    } finally {
      await served?.server.stop();
      await mock.close();
      await ws.remove();
    }
  },
});

Deno.test({
  name: "real Claude Code on ccp's default with no Ollama running: at once, a message that " +
    "says to start it",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const ws = await claudeWorkspace("ccp-ollama-down-");
    let served;
    try {
      // A port nothing listens on, found free and left so.
      const port = closedPort();
      served = await serveDefault(ws, { OLLAMA_BASE_URL: `http://127.0.0.1:${port}` });
      const started = Date.now();
      const out = await printJson(ws, served.server.url, ["-p", "hi"], { ms: 30_000 });
      assert.equal(out.is_error, true);
      const said = String(out.result);
      assert.match(said, /Cannot reach provider "ollama"/, said);
      assert.match(said, /connection refused/, said);
      assert.match(said, /start it \(`OLLAMA_CONTEXT_LENGTH=65536 ollama serve`\)/, said);
      // Shown at once, not after Claude Code's retries.
      assert.ok(Date.now() - started < 15_000, `${Date.now() - started} ms`);
    } finally {
      await served?.server.stop();
      await ws.remove();
    }
  },
});

Deno.test({
  name: "real Claude Code on Ollama's qwen3 thinking with tools over several turns",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const ws = await claudeWorkspace("ccp-ollama-think-");
    const scripts: Script[] = [
      turn({
        thinking: ["First ", "a file."],
        tools: [{ name: "Write", args: [`{"file_path": "${ws.work}/n.txt", "content": "7\\n"}`] }],
      }),
      turn({
        thinking: ["Now read ", "it back."],
        tools: [{ name: "Read", args: [`{"file_path": "${ws.work}/n.txt"}`] }],
      }),
      turn({ thinking: ["It holds 7."], text: ["n.txt holds 7."] }),
      turn({ thinking: ["Double it."], text: ["14."] }),
    ];
    const models: OllamaModels = {
      pulled: ["qwen3:8b"],
      context: 65536,
      loaded: ["qwen3:8b"],
    };
    const mock = startLocalServer(ollama, scripts, { ollama: models });
    let served;
    try {
      served = await serveDefault(ws, { OLLAMA_BASE_URL: mock.url, MODEL: "ollama/qwen3:8b" });
      const { server } = served;
      const first = await printJson(ws, server.url, ["-p", "write 7 to n.txt and read it"]);
      assert.equal(first.result, "n.txt holds 7.", JSON.stringify(first));
      const next = await printJson(ws, server.url, ["--continue", "-p", "double it"]);
      assert.equal(next.result, "14.", JSON.stringify(next));
      const bodies = mock.bodies;
      assert.equal(bodies.length, 4, bodies.map((b) => shapes(b).join(" ")).join("\n"));
      // Each turn's thinking went back with its tool call, as Ollama wrote it (no signature).
      const last = bodies[3]!.messages as Obj[];
      const thought = last.filter((m) => m.role === "assistant").flatMap((m) =>
        (m.content as Obj[]).filter((b) => b.type === "thinking").map((b) => b.thinking)
      );
      assert.deepEqual(thought, ["First a file.", "Now read it back.", "It holds 7."]);
      for (const body of bodies) assert.equal(body.model, "qwen3:8b");
    } finally {
      await served?.server.stop();
      await mock.close();
      await ws.remove();
    }
  },
});

Deno.test({
  name: "real Claude Code on ccp's default: qwen3-coder, which cannot see, reads a PNG and the " +
    "session goes on",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const ws = await claudeWorkspace("ccp-ollama-png-");
    await Deno.writeFile(
      `${ws.work}/shot.png`,
      Uint8Array.from(atob(PNG_1X1), (c) => c.charCodeAt(0)),
    );
    const scripts: Script[] = [
      turn({ tools: [{ name: "Read", args: [`{"file_path": "${ws.work}/shot.png"}`] }] }),
      turn({ text: ["I cannot see pictures."] }),
      turn({ text: ["Still no picture."] }),
    ];
    const models: OllamaModels = {
      pulled: ["qwen3-coder"],
      context: 65536,
      loaded: ["qwen3-coder:latest"],
    };
    const mock = startLocalServer(ollama, scripts, { ollama: models, vision: false });
    let served;
    try {
      served = await serveDefault(ws, { OLLAMA_BASE_URL: mock.url });
      const { server } = served;
      const first = await printJson(ws, server.url, ["-p", "what is in shot.png?"]);
      assert.equal(first.result, "I cannot see pictures.", JSON.stringify(first));
      const next = await printJson(ws, server.url, ["--continue", "-p", "and now?"]);
      assert.equal(next.result, "Still no picture.", JSON.stringify(next));
      const bodies = mock.bodies;
      // Read, the picture refused with Ollama's 500, the turn again with a note, then the next
      // turn with the note at once.
      assert.equal(bodies.length, 4, bodies.map((b) => shapes(b).join(" ")).join("\n"));
      const hasImage = (b: Obj) => JSON.stringify(b.messages).includes('"type":"image"');
      assert.deepEqual(bodies.map(hasImage), [false, true, false, false]);
      assert.ok(JSON.stringify(bodies[3]!.messages).includes(IMAGE_PLACEHOLDER));
    } finally {
      await served?.server.stop();
      await mock.close();
      await ws.remove();
    }
  },
});
