/**
 * LM Studio as the README sets it up (`MODEL=lmstudio/<model>`, `LM_STUDIO_BASE_URL` at the
 * server's `/v1`), real `claude -p` through `ccp serve` to LM Studio's Anthropic-compatible
 * endpoint (the mock in tests/mocks/local_servers.ts with LM Studio's habits). Claude Code reads
 * a PNG: a model loaded with vision gets the picture as Claude Code sent it; a model without it
 * refuses it ("Model does not support images"), and ccp sends the turn again with a note in its
 * place, and the note from then on. With no model loaded, Claude Code prints LM Studio's words
 * and what to load. Skipped when `claude` is not installed.
 */

import assert from "node:assert/strict";
import { startServer } from "../../src/cli/serve.ts";
import { IMAGE_PLACEHOLDER } from "../../src/upstream/model_settings.ts";
import { testContext } from "../cli/helpers.ts";
import { findClaude } from "../helpers/claude.ts";
import { claudeWorkspace, PNG_1X1, printJson } from "../helpers/claude_print.ts";
import { DIALECTS, type Script, startLocalServer, type Turn } from "../mocks/local_servers.ts";

const claude = await findClaude();
const lmstudio = DIALECTS.find((d) => d.id === "lmstudio")!;

type Obj = Record<string, unknown>;

const turn = (t: Omit<Turn, "inputTokens" | "outputTokens">): Script => ({
  kind: "turn",
  turn: { inputTokens: 15_000, outputTokens: 40, ...t },
});

/** The image blocks anywhere in a request's messages (a tool result's too). */
function images(body: Obj): Obj[] {
  const found: Obj[] = [];
  const walk = (value: unknown) => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === "object") {
      const obj = value as Obj;
      if (obj.type === "image") found.push(obj);
      Object.values(obj).forEach(walk);
    }
  };
  walk(body.messages);
  return found;
}

/** One session against a mock LM Studio serving `model`, with or without vision. */
async function session(model: string, vision: boolean, answer: string) {
  const ws = await claudeWorkspace("ccp-lmstudio-");
  await Deno.writeFile(
    `${ws.work}/shot.png`,
    Uint8Array.from(atob(PNG_1X1), (c) => c.charCodeAt(0)),
  );
  const mock = startLocalServer(lmstudio, [
    turn({ tools: [{ name: "Read", args: [`{"file_path": "${ws.work}/shot.png"}`] }] }),
    turn({ text: [answer] }),
    turn({ text: ["Still one pixel."] }),
  ], { vision });
  const ctx = testContext(ws.home, {
    env: {
      XDG_CONFIG_HOME: `${ws.home}/.config`,
      MODEL: `lmstudio/${model}`,
      LM_STUDIO_BASE_URL: `${mock.url}/v1`,
    },
    cwd: ws.work,
  });
  let server;
  try {
    server = await startServer({ ctx, flags: { port: 0 } });
    const first = await printJson(ws, server.url, ["-p", "what is in shot.png?"]);
    const next = await printJson(ws, server.url, ["--continue", "-p", "and now?"]);
    return { first, next, bodies: mock.bodies, paths: mock.paths, log: ctx.io.stderr.join("") };
  } finally {
    await server?.stop();
    await mock.close();
    await ws.remove();
  }
}

Deno.test({
  name: "real Claude Code on LM Studio: a vision model sees the PNG Claude Code read",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const got = await session("google/gemma-3-12b", true, "A single white pixel.");
    assert.equal(got.first.result, "A single white pixel.", JSON.stringify(got.first));
    assert.equal(got.next.result, "Still one pixel.", JSON.stringify(got.next));
    assert.equal(got.bodies.length, 3);
    for (const body of got.bodies) assert.equal(body.model, "google/gemma-3-12b");
    // Went upstream at LM Studio's Anthropic endpoint, the picture as Claude Code read it.
    assert.ok(got.paths.every((p) => p !== "/v1/v1/messages"), got.paths.join());
    assert.equal(images(got.bodies[0]!).length, 0);
    for (const body of got.bodies.slice(1)) {
      const [image, ...more] = images(body);
      assert.equal(more.length, 0);
      const source = image?.source as Obj;
      assert.equal(source.type, "base64");
      assert.equal(source.media_type, "image/png");
      assert.equal(source.data, PNG_1X1);
    }
  },
});

Deno.test({
  name: "real Claude Code on LM Studio: a model without vision gets a note for the PNG, " +
    "learned for the rest of the session",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const got = await session("qwen/qwen3-coder-30b", false, "I was not shown the picture.");
    assert.equal(got.first.result, "I was not shown the picture.", JSON.stringify(got.first));
    assert.equal(got.next.result, "Still one pixel.", JSON.stringify(got.next));
    // Read, the picture refused, the same turn with the note, then --continue with the note.
    assert.equal(got.bodies.length, 4, got.bodies.map((b) => images(b).length).join());
    assert.equal(images(got.bodies[1]!).length, 1);
    assert.equal(images(got.bodies[2]!).length, 0);
    assert.ok(JSON.stringify(got.bodies[2]!.messages).includes(IMAGE_PLACEHOLDER));
    assert.equal(images(got.bodies[3]!).length, 0, "learned: not sent again");
    assert.match(
      got.log,
      /provider "lmstudio" model "qwen\/qwen3-coder-30b" does not accept images/,
    );
  },
});

Deno.test({
  name: "real Claude Code on LM Studio with no model loaded: it prints what to load",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const ws = await claudeWorkspace("ccp-lmstudio-none-");
    const mock = startLocalServer(lmstudio, [{
      kind: "refuse",
      status: 404,
      message: "No models loaded. Please load a model in the developer page or use the " +
        "`lms load` command.",
    }]);
    const ctx = testContext(ws.home, {
      env: {
        XDG_CONFIG_HOME: `${ws.home}/.config`,
        MODEL: "lmstudio/qwen/qwen3-coder-30b",
        LM_STUDIO_BASE_URL: `${mock.url}/v1`,
      },
      cwd: ws.work,
    });
    let server;
    try {
      server = await startServer({ ctx, flags: { port: 0 } });
      const out = await printJson(ws, server.url, ["-p", "hi"]);
      assert.equal(out.is_error, true);
      const said = String(out.result);
      // Not Claude Code's "There's an issue with the selected model (claude-...)".
      assert.match(said, /^API Error: 400 .*No models loaded/, said);
      assert.match(said, /load it \(`lms load qwen\/qwen3-coder-30b`\)/, said);
    } finally {
      await server?.stop();
      await mock.close();
      await ws.remove();
    }
  },
});
