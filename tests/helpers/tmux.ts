/** Drives an interactive program (the real Claude Code) in a detached tmux session. */

import { CLAUDE_QUIET } from "./claude.ts";

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

/** What the session's pane shows now. */
export async function screen(session: string): Promise<string> {
  return new TextDecoder().decode((await tmux("capture-pane", "-p", "-t", session)).stdout);
}

/** Polls the pane until it matches `pattern`; throws with the last screen after `ms`. */
export async function waitForScreen(
  session: string,
  pattern: RegExp,
  ms: number,
): Promise<string> {
  const deadline = Date.now() + ms;
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
    close: async () => {
      await tmux("kill-session", "-t", session);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
