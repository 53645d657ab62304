/**
 * A scratch home and working directory for `claude -p` runs, ccp started in front of a test's
 * mocks with all of it closed on every path, and one run with JSON or stream-json output, as the
 * end-to-end journeys use them.
 */

import type { Config } from "../../src/config/types.ts";
import type { AppDeps } from "../../src/server/deps.ts";
import { type RunningCcp, startCcp, startGuardedCcp } from "./ccp.ts";
import { claudeEnv, runClaude, STREAM_JSON } from "./claude.ts";

type Obj = Record<string, unknown>;

/** A 1×1 PNG, base64. */
export const PNG_1X1 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

/** A temporary directory with `home` and `work` inside it; `await using` removes it. */
export interface ClaudeWorkspace extends AsyncDisposable {
  readonly home: string;
  readonly work: string;
  /** Removes the whole directory. */
  remove(): Promise<void>;
}

/** Makes a {@link ClaudeWorkspace} whose directory name starts with `prefix`. */
export async function claudeWorkspace(prefix: string): Promise<ClaudeWorkspace> {
  const dir = await Deno.makeTempDir({ prefix });
  const home = `${dir}/home`;
  const work = `${dir}/work`;
  // As tmux.ts's tempDir: a directory already gone is no failure, any other is.
  const remove = () =>
    Deno.remove(dir, { recursive: true }).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
  try {
    await Deno.mkdir(home);
    await Deno.mkdir(work);
  } catch (e) {
    await remove();
    throw e;
  }
  return { home, work, remove, [Symbol.asyncDispose]: remove };
}

/** A mock upstream, or anything else a test closes when it ends. */
export interface Closable {
  close(): Promise<void> | void;
}

/** What a `claude -p` test runs against: ccp, and a {@link ClaudeWorkspace} to run Claude Code in. */
export interface ClaudeStage extends AsyncDisposable {
  readonly ws: ClaudeWorkspace;
  readonly ccp: RunningCcp;
}

/**
 * Starts ccp with `config` in front of `mocks` (bound as `ccp serve` binds it when `guarded`),
 * and makes a workspace whose name starts with `where`. `await using` then closes ccp, then each
 * mock, then removes the workspace, on every path out of the test; the mocks are closed too when
 * the stage cannot be set up. A test whose mocks need the workspace's paths makes it first, with
 * its own `await using`, and passes it as `where`: the stage then leaves its removal to that.
 */
export async function claudeStage(
  where: string | ClaudeWorkspace,
  config: Config,
  { mocks = [], guarded = false, over = {} }: {
    mocks?: readonly Closable[];
    guarded?: boolean;
    over?: Partial<AppDeps>;
  } = {},
): Promise<ClaudeStage> {
  const closeMocks = async () => {
    for (const mock of mocks) await mock.close();
  };
  const owned = typeof where === "string";
  let ws: ClaudeWorkspace;
  try {
    ws = owned ? await claudeWorkspace(where) : where;
  } catch (e) {
    await closeMocks();
    throw e;
  }
  const removeOwned = () => owned ? ws.remove() : Promise.resolve();
  let ccp: RunningCcp;
  try {
    ccp = guarded ? await startGuardedCcp(config, over) : startCcp(config, over);
  } catch (e) {
    try {
      await closeMocks();
    } finally {
      await removeOwned();
    }
    throw e;
  }
  return {
    ws,
    ccp,
    [Symbol.asyncDispose]: async () => {
      try {
        try {
          await ccp.close();
        } finally {
          await closeMocks();
        }
      } finally {
        await removeOwned();
      }
    },
  };
}

/** The tools a journey lets Claude Code run without asking. */
const JOURNEY_TOOLS: readonly string[] = ["Bash", "Write", "Edit", "Read"];

/**
 * Runs `claude <args> --output-format json` against ccp at `url` with edits accepted and
 * `tools` allowed, killed after `ms`; returns its result object.
 */
export async function printJson(
  ws: ClaudeWorkspace,
  url: string,
  args: readonly string[],
  { ms = 90_000, tools = JOURNEY_TOOLS }: { ms?: number; tools?: readonly string[] } = {},
): Promise<Obj> {
  const out = await runClaude(
    [
      ...args,
      "--output-format",
      "json",
      "--permission-mode",
      "acceptEdits",
      "--allowedTools",
      ...tools,
    ],
    ws.work,
    claudeEnv(ws.home, url),
    ms,
  );
  const text = new TextDecoder().decode(out.stdout);
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(
      `not JSON (exit ${out.code}):\n${text}\n${new TextDecoder().decode(out.stderr)}`,
    );
  }
}

/** One `claude -p` run's stream-json events, the last `result` among them, and all it printed. */
export interface StreamJsonRun {
  readonly events: Obj[];
  readonly result: Obj;
  /** stdout, then stderr: for an assertion's message. */
  readonly output: string;
}

/**
 * Runs `claude <args>` with stream-json output against ccp at `url` with edits accepted and
 * `tools` allowed, killed after `ms`; throws, with what it printed, when no result came.
 */
export async function printStreamJson(
  ws: ClaudeWorkspace,
  url: string,
  args: readonly string[],
  { ms = 45_000, tools }: { ms?: number; tools: readonly string[] },
): Promise<StreamJsonRun> {
  const out = await runClaude(
    [...args, ...STREAM_JSON, "--permission-mode", "acceptEdits", "--allowedTools", ...tools],
    ws.work,
    claudeEnv(ws.home, url),
    ms,
  );
  const stdout = new TextDecoder().decode(out.stdout);
  const output = `${stdout}\n${new TextDecoder().decode(out.stderr)}`;
  const events = stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Obj);
  const result = events.findLast((e) => e.type === "result");
  if (!result) throw new Error(`no result:\n${output}`);
  return { events, result, output };
}
