import assert from "node:assert/strict";
import { claudeDraws, KEPT_LINES, ReloadLines } from "../../src/cli/code_reloads.ts";

const TERMINAL = { stdout: true, stderr: true };

Deno.test("claudeDraws: interactive claude on a terminal draws; -p, --print, a pipe or a file do not", () => {
  assert.equal(claudeDraws([], TERMINAL), true);
  assert.equal(claudeDraws(["--model", "sonnet", "--continue"], TERMINAL), true);
  assert.equal(claudeDraws(["-p", "hi"], TERMINAL), false);
  assert.equal(claudeDraws(["--model", "sonnet", "--print", "hi"], TERMINAL), false);
  // Claude Code's output piped: it runs as with -p.
  assert.equal(claudeDraws([], { stdout: false, stderr: true }), false);
  // ccp's stderr in a file: the lines cannot reach claude's screen.
  assert.equal(claudeDraws([], { stdout: true, stderr: false }), false);
  // After `--`, "-p" is a word of the prompt.
  assert.equal(claudeDraws(["--", "-p"], TERMINAL), true);
});

Deno.test("claudeDraws: -p inside a bundle of claude's short switches prints too", () => {
  // Claude Code reads `-pc` and `-cp` as `-p -c`.
  assert.equal(claudeDraws(["-pc", "fix it"], TERMINAL), false);
  assert.equal(claudeDraws(["-cp", "fix it"], TERMINAL), false);
  assert.equal(claudeDraws(["--model", "sonnet", "-cpd"], TERMINAL), false);
  assert.equal(claudeDraws(["-c"], TERMINAL), true);
  // A switch that takes a value (`-r [session]`, `-d [filter]`) takes the rest of the bundle.
  assert.equal(claudeDraws(["-rp"], TERMINAL), true);
  assert.equal(claudeDraws(["-dp"], TERMINAL), true);
  assert.equal(claudeDraws(["-cdp"], TERMINAL), true);
  // Not a bundle: a long flag, or the prompt's words after `--`.
  assert.equal(claudeDraws(["--permission-mode", "plan"], TERMINAL), true);
  assert.equal(claudeDraws(["--", "-pc"], TERMINAL), true);
});

Deno.test("ReloadLines: said at once when claude draws nothing", () => {
  const said: string[] = [];
  const lines = new ReloadLines((line) => said.push(line), false);
  lines.tell("Config file saved, reloaded. Changed: route default changed");
  assert.deepEqual(said, ["ccp: Config file saved, reloaded. Changed: route default changed"]);
  lines.flush("/x/ccp.log");
  assert.equal(said.length, 1);
});

Deno.test("ReloadLines: held while claude draws, said in order once, after it exits", () => {
  const said: string[] = [];
  const lines = new ReloadLines((line) => said.push(line), true);
  lines.tell("Config file saved, reloaded. Changed: route default changed");
  lines.tell("Config reload failed; keeping the previous config. routes.default: unknown");
  assert.deepEqual(said, []);
  lines.flush("/x/ccp.log");
  assert.deepEqual(said, [
    "ccp: while claude ran: Config file saved, reloaded. Changed: route default changed",
    "ccp: while claude ran: Config reload failed; keeping the previous config. " +
    "routes.default: unknown",
  ]);
  lines.flush("/x/ccp.log");
  assert.equal(said.length, 2);
});

Deno.test("ReloadLines: a long session of saves keeps the latest lines and points at the log", () => {
  const said: string[] = [];
  const lines = new ReloadLines((line) => said.push(line), true);
  for (let i = 1; i <= KEPT_LINES + 3; i++) lines.tell(`save ${i}`);
  lines.flush("/x/ccp.log");
  assert.equal(said.length, KEPT_LINES + 1);
  assert.match(said[0]!, /3 earlier lines about saves of the config \(in \/x\/ccp\.log\)/);
  assert.equal(said[1], "ccp: while claude ran: save 4");
  assert.equal(said.at(-1), `ccp: while claude ran: save ${KEPT_LINES + 3}`);
});
