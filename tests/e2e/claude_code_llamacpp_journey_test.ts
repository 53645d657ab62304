/**
 * An air-gapped machine with llama.cpp, set up as the README says: `MODEL=llamacpp/qwen3-coder
 * ccp init` (no key asked for), the server's address in the `.env` by `LLAMACPP_BASE_URL`, and
 * the real `claude -p` through ccp to llama-server's Anthropic endpoint (tests/mocks/local_servers.ts,
 * with llama.cpp's habits: blocks closed only at the end, a tool call without `input`, thinking
 * with an empty signature, usage split by its prompt cache). The model, loaded without its
 * projector (`--mmproj`), cannot see: it thinks, writes a file, reads a picture, and llama-server
 * refuses the picture with its 500; ccp sends the turn again with a note in its place and keeps
 * doing so. Then `/compact` and a turn after it. Skipped when `claude` is not installed.
 */

import assert from "node:assert/strict";
import { runCli } from "../../src/cli/run.ts";
import { loadConfig } from "../../src/config/load.ts";
import { IMAGE_PLACEHOLDER } from "../../src/upstream/model_settings.ts";
import { testContext } from "../cli/helpers.ts";
import { startGuardedCcp } from "../helpers/ccp.ts";
import { findClaude } from "../helpers/claude.ts";
import { claudeWorkspace, PNG_1X1, printJson } from "../helpers/claude_print.ts";
import { DIALECTS, type Script, startLocalServer, type Turn } from "../mocks/local_servers.ts";

const claude = await findClaude();

type Obj = Record<string, unknown>;

const turn = (t: Omit<Turn, "inputTokens" | "outputTokens">): Script => ({
  kind: "turn",
  turn: { inputTokens: 15_000, cachedTokens: 12_000, outputTokens: 40, ...t },
});

function scripts(work: string): Script[] {
  return [
    turn({
      thinking: ["The user wants ", "a file first."],
      tools: [{
        name: "Write",
        args: [`{"file_path": "${work}/hello.py", `, `"content": "print('hi')\\n"}`],
      }],
    }),
    turn({
      thinking: ["Now the ", "picture."],
      tools: [{ name: "Read", args: [`{"file_path": "${work}/shot.png"}`] }],
    }),
    turn({ thinking: ["I was not shown it."], text: ["hello.py is written; ", "no picture."] }),
    turn({ text: ["<summary>Wrote hello.py; the picture could not be seen.</summary>"] }),
    turn({ thinking: ["Go on."], text: ["Next: run python3 hello.py."] }),
  ];
}

/** Each Messages request's message shapes: `assistant:thinking,tool_use`. */
function shapes(body: Obj): string[] {
  return (body.messages as Obj[]).map((m) =>
    `${m.role}:${
      typeof m.content === "string"
        ? "text"
        : (m.content as Obj[]).map((b) => String(b.type)).join(",")
    }`
  );
}

const holdsImage = (body: Obj) => JSON.stringify(body.messages).includes('"type":"image"');

Deno.test({
  name: "real Claude Code on llama.cpp set up by ccp init: thinking, tools, a picture the " +
    "model cannot see, /compact",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const ws = await claudeWorkspace("ccp-llamacpp-");
    await Deno.writeFile(
      `${ws.work}/shot.png`,
      Uint8Array.from(atob(PNG_1X1), (c) => c.charCodeAt(0)),
    );
    const llamacpp = DIALECTS.find((d) => d.id === "llamacpp")!;
    const server = startLocalServer(llamacpp, scripts(ws.work), { vision: false });
    let ccp;
    try {
      // `ccp init` as the README has it, then the server's address in the .env it wrote.
      const env = { XDG_CONFIG_HOME: `${ws.home}/.config` };
      const init = testContext(ws.home, { env: { ...env, MODEL: "llamacpp/qwen3-coder" } });
      assert.equal(await runCli(["init"], init), 0);
      assert.match(init.io.stdout.join("\n"), /No key is needed for llamacpp/);
      await Deno.writeTextFile(
        `${ws.home}/.config/ccp/.env`,
        `LLAMACPP_BASE_URL=${server.url}/v1\n`,
        { append: true },
      );
      const config = await loadConfig({ flags: {}, env, cwd: ws.work, home: ws.home });
      ccp = await startGuardedCcp(config);

      const first = await printJson(ws, ccp.url, ["-p", "write hello.py, then look at shot.png"]);
      assert.equal(first.result, "hello.py is written; no picture.", JSON.stringify(first));
      assert.equal(await Deno.readTextFile(`${ws.work}/hello.py`), "print('hi')\n");
      const bodies = server.bodies;
      // Write, Read, the picture refused, the same turn with a note: four requests.
      assert.equal(bodies.length, 4, bodies.map((b) => shapes(b).join(" ")).join("\n"));
      assert.ok(holdsImage(bodies[2]!));
      assert.ok(!holdsImage(bodies[3]!));
      assert.ok(JSON.stringify(bodies[3]!.messages).includes(IMAGE_PLACEHOLDER));
      // The model's thinking went back as it came (llama.cpp signs it with nothing).
      const back = (bodies[1]!.messages as Obj[]).find((m) => m.role === "assistant")!;
      const thinking = (back.content as Obj[]).find((b) => b.type === "thinking")!;
      assert.equal(thinking.thinking, "The user wants a file first.");
      // Its calls' ids are llama.cpp's own: Claude Code runs each (none seen twice).
      const ids = JSON.stringify(bodies[3]!.messages).match(/"tool_use_id":"[^"]+"/g) ?? [];
      assert.equal(new Set(ids).size, 2, ids.join());
      const logs = ccp.logs.join("");
      assert.match(logs, /provider "llamacpp" model "qwen3-coder" does not accept images/);

      // /compact: the summary request carries the note at once (learned), no picture.
      const compact = await printJson(ws, ccp.url, ["--continue", "-p", "/compact"]);
      assert.equal(compact.is_error, false, JSON.stringify(compact));
      assert.equal(bodies.length, 5);
      assert.ok(!holdsImage(bodies[4]!));
      const next = await printJson(ws, ccp.url, ["--continue", "-p", "what next?"]);
      assert.equal(next.result, "Next: run python3 hello.py.", JSON.stringify(next));
      assert.ok(JSON.stringify(bodies[5]!.messages).includes("Wrote hello.py"), "the summary");
      assert.equal(bodies.length, 6);
    } finally {
      await ccp?.close();
      await server.close();
      await ws.remove();
    }
  },
});
