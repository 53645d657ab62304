/** Drives an interactive program (the real Claude Code) in a detached tmux session. */

import { CLAUDE_QUIET } from "./claude.ts";
import { hangBound } from "./within.ts";

/** True when `tmux` and `claude` can both be started here. */
export async function tmuxAndClaude(): Promise<boolean> {
  for (const [command, flag] of [["tmux", "-V"], ["claude", "--version"]]) {
    try {
      const out = await new Deno.Command(command!, {
        args: [flag!],
        stdout: "null",
        stderr: "null",
      })
        .output();
      if (!out.success) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** Runs one tmux command. */
export function tmux(...args: string[]): Promise<Deno.CommandOutput> {
  return new Deno.Command("tmux", { args, stdout: "piped", stderr: "piped" }).output();
}

/**
 * Starts `command` in a detached 150×40 session named `session`, in `cwd`, with exactly the
 * environment `env` (nothing of the test runner's own leaks in).
 */
export async function startSession(
  session: string,
  cwd: string,
  env: Record<string, string>,
  command: readonly string[],
): Promise<void> {
  const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const size = ["-x", "150", "-y", "40"];
  await tmux(
    "new-session",
    "-d",
    "-s",
    session,
    ...size,
    "-c",
    cwd,
    "env",
    "-i",
    ...envArgs,
    ...command,
  );
}

/** One line of `ps`: a process, its parent, and whether it is still running (not a zombie). */
type Proc = { pid: number; ppid: number; running: boolean };

/** Every process on the machine, from `ps` (Linux and macOS alike). */
async function processes(): Promise<Proc[]> {
  const out = await new Deno.Command("ps", {
    args: ["-A", "-o", "pid=,ppid=,stat="],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout).split("\n").flatMap((line) => {
    const [pid, ppid, stat] = line.trim().split(/\s+/);
    if (!pid || !ppid || !stat) return [];
    return [{ pid: Number(pid), ppid: Number(ppid), running: !stat.startsWith("Z") }];
  });
}

/** Those of `pids` still running, and every running process they started, from `all`. */
function tree(pids: Iterable<number>, all: readonly Proc[]): Set<number> {
  const running = all.filter((p) => p.running);
  const live = new Set(running.map((p) => p.pid));
  const found = new Set([...pids].filter((pid) => live.has(pid)));
  let size = -1;
  while (found.size !== size) {
    size = found.size;
    for (const p of running) if (found.has(p.ppid)) found.add(p.pid);
  }
  return found;
}

/** Waits `ms` milliseconds. */
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Ends tmux `session` and returns once every process of its panes (the pane's program and all it
 * started) has exited, so that a directory removed next stays removed: `kill-session` returns at
 * once, while Claude Code goes on writing into its HOME as it exits. Those still running after
 * `ms` are killed (and waited for, up to 2 s more).
 */
export async function endSession(session: string, ms = 5_000): Promise<void> {
  const panes = new TextDecoder().decode(
    (await tmux("list-panes", "-s", "-t", session, "-F", "#{pane_pid}")).stdout,
  );
  let mine = tree(panes.split("\n").filter(Boolean).map(Number), await processes());
  await tmux("kill-session", "-t", session);
  const deadline = Date.now() + ms;
  let killed = false;
  for (;;) {
    // Each pass looks again below them: what they start while exiting is theirs too.
    mine = tree(mine, await processes());
    if (mine.size === 0) return;
    if (Date.now() > deadline + (killed ? 2_000 : 0)) {
      if (killed) throw new Error(`tmux session ${session}: ${[...mine]} outlived SIGKILL`);
      for (const pid of mine) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch {
          // It exited in between.
        }
      }
      killed = true;
    }
    await pause(50);
  }
}

/**
 * A temp directory that `await using` removes on every path out of the test (after the
 * `finally` blocks inside its scope, which end the sessions writing into it).
 */
export async function tempDir(prefix: string): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix });
  return {
    path,
    [Symbol.asyncDispose]: () =>
      Deno.remove(path, { recursive: true }).catch((e) => {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }),
  };
}

/** What the session's pane shows now. */
export async function screen(session: string): Promise<string> {
  return new TextDecoder().decode((await tmux("capture-pane", "-p", "-t", session)).stdout);
}

/**
 * Polls the pane until it matches `pattern`; throws with the last screen after `ms` (at least
 * {@link hangBound}: the Claude Code it shows may be slow on a loaded machine).
 */
export async function waitForScreen(
  session: string,
  pattern: RegExp,
  ms: number,
): Promise<string> {
  const deadline = Date.now() + hangBound(ms);
  let text = "";
  while (Date.now() < deadline) {
    text = await screen(session);
    if (pattern.test(text)) return text;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the screen never matched ${pattern}:\n${text}`);
}

/** Types `text` into the session and presses Enter. */
export async function typeLine(session: string, text: string): Promise<void> {
  await tmux("send-keys", "-t", session, "-l", text);
  // Claude Code's input box takes a moment to settle pasted text before Enter submits it.
  await new Promise((r) => setTimeout(r, 200));
  await tmux("send-keys", "-t", session, "Enter");
}

/** A fresh HOME in which Claude Code starts without onboarding or trust dialogs for `work`. */
export async function claudeHome(home: string, work: string): Promise<void> {
  await Deno.writeTextFile(
    `${home}/.claude.json`,
    JSON.stringify({
      hasCompletedOnboarding: true,
      theme: "dark",
      projects: {
        [work]: { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true },
      },
    }),
  );
}

/** `home` and `work` made under `dir`, with {@link claudeHome} written for them. */
export async function claudeDirs(dir: string): Promise<{ home: string; work: string }> {
  const home = `${dir}/home`;
  const work = `${dir}/work`;
  await Deno.mkdir(home);
  await Deno.mkdir(work);
  await claudeHome(home, work);
  return { home, work };
}

/**
 * The whole environment of the interactive Claude Code in its own `home` against ccp at `url`
 * with the token "e2e": a terminal, and quiet.
 */
export function tuiEnv(home: string, url: string): Record<string, string> {
  return {
    PATH: Deno.env.get("PATH") ?? "",
    HOME: home,
    // Claude Code's own temp files (a folder per project, under /tmp/claude-<uid> by default)
    // go with the test's directory.
    CLAUDE_CODE_TMPDIR: home,
    TERM: "xterm-256color",
    ANTHROPIC_BASE_URL: url,
    ANTHROPIC_AUTH_TOKEN: "e2e",
    ...CLAUDE_QUIET,
  };
}

/** Polls `check` every `every` ms until it holds; throws after `ms`. */
export async function until(
  check: () => boolean,
  ms: number,
  what: string,
  every = 10,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

/** Where one interactive Claude Code runs: a temp dir with its `home` and `work`, and a session. */
export interface TuiPlace {
  readonly home: string;
  readonly work: string;
  /** The tmux session's name, not started yet. */
  readonly session: string;
  /** Kills the session and removes the dir. */
  close(): Promise<void>;
}

/** Makes a {@link TuiPlace} (as {@link claudeDirs} does) whose names start with `name`. */
export async function tuiPlace(name: string): Promise<TuiPlace> {
  const dir = await Deno.makeTempDir({ prefix: `${name}-` });
  const { home, work } = await claudeDirs(dir);
  const session = `${name}-${Date.now()}`;
  return {
    home,
    work,
    session,
    // Claude Code writes into its home while it exits: the directory goes once it has.
    close: async () => {
      await endSession(session);
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/**
 * Starts the interactive `claude` (with `args`) in `place`, on ccp at `url` with `env` beside
 * {@link tuiEnv}'s, and waits for its prompt.
 */
export async function startClaudeTui(
  place: TuiPlace,
  url: string,
  env: Record<string, string> = {},
  args: string[] = [],
): Promise<void> {
  const { home, work, session } = place;
  await startSession(session, work, { ...tuiEnv(home, url), ...env }, ["claude", ...args]);
  await waitForScreen(session, /❯/, 15_000);
}

/** How {@link slowSse} paces its answer and what it tells. */
export interface SlowSse {
  /** The pause before each piece but the first. */
  gapMs: number;
  /** Told the moment the reader stops reading (Esc, for ccp's upstream). */
  onCancel(): void;
  /** Told how many pieces have gone out, after each. */
  onSent?(count: number): void;
}

/** An event stream of `pieces`, slow enough for a test to press Esc in while it runs. */
export function slowSse(pieces: readonly string[], pace: SlowSse): Response {
  const encoder = new TextEncoder();
  let i = 0;
  return new Response(
    new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (i > 0) await new Promise((r) => setTimeout(r, pace.gapMs));
        if (i >= pieces.length) return controller.close();
        controller.enqueue(encoder.encode(pieces[i++]));
        pace.onSent?.(i);
      },
      cancel: () => pace.onCancel(),
    }),
    { headers: { "content-type": "text/event-stream" } },
  );
}
