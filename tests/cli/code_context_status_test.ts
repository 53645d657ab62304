/**
 * An Ollama model on too little context is named in Claude Code's status line and on the status
 * page while claude runs: an interactive session holds ccp's terminal warning until claude exits.
 */

import assert from "node:assert/strict";
import { runCodeOnSmallOllama } from "./helpers.ts";

const POSIX = Deno.build.os !== "windows";

/**
 * A claude that sends one turn of session s1, then runs its status line command as Claude Code
 * does (the session's JSON on standard input) and reads the status page's state.
 */
const STATUS_CLAUDE_TS = `
const settings = JSON.parse(Deno.args[Deno.args.indexOf("--settings") + 1]);
const base = Deno.env.get("ANTHROPIC_BASE_URL");
const headers = { "content-type": "application/json", "x-api-key": "ccp", "x-claude-code-session-id": "s1" };
const body = JSON.stringify({ model: "claude-opus-5-5", max_tokens: 5, messages: [{ role: "user", content: "edit notes.txt" }] });
await (await fetch(base + "/v1/messages", { method: "POST", headers, body })).body?.cancel();
// What ccp learns of the model comes after the turn, off its way.
await new Promise((ok) => setTimeout(ok, 1500));
const child = new Deno.Command("sh", { args: ["-c", settings.statusLine.command], stdin: "piped", stdout: "piped" }).spawn();
const writer = child.stdin.getWriter();
await writer.write(new TextEncoder().encode(JSON.stringify({ session_id: "s1" })));
await writer.close();
console.log("STATUS=" + new TextDecoder().decode((await child.output()).stdout).trim());
const state = await (await fetch(base + "/ui/state", { headers: { authorization: "Bearer ccp" } })).json();
console.log("UI=" + JSON.stringify(state.contextWarnings ?? []));
`;

Deno.test({
  name:
    "while claude runs, the status line and the status page name an Ollama model on too little context",
  ignore: !POSIX,
  fn: async () => {
    const result = await runCodeOnSmallOllama(
      "ccp_code_ctx_status_",
      '#!/bin/sh\nexec "$DENO_BIN" run --quiet -A "$DIR/claude.ts" "$@"\n',
      { "claude.ts": STATUS_CLAUDE_TS },
    );
    assert.equal(result.code, 0, result.stderr);
    const note = "ollama/qwen3-coder: context 4096, too small (see ccp check)";
    const [, status] = /^STATUS=(.*)$/m.exec(result.stdout) ?? [];
    // The totals first, whole; the note last.
    assert.match(status ?? "", /^ccp ▸ ollama\/qwen3-coder · 4\.1k in \/ 14 out · 1 req/);
    assert.ok(status?.endsWith(` · ${note}`), result.stdout);
    assert.match(
      result.stdout,
      new RegExp(`^UI=${JSON.stringify([note]).replace(/[()[\]]/g, "\\$&")}$`, "m"),
    );
  },
});
