/**
 * Finds the real Claude Code CLI for the end-to-end tests, which are skipped without it, and
 * gives it the environment those tests run it in.
 */

import { hangBound } from "./within.ts";

/** `"claude"` when `claude --version` runs here, else undefined. */
export async function findClaude(): Promise<string | undefined> {
  try {
    const out = await new Deno.Command("claude", {
      args: ["--version"],
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.success ? "claude" : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Claude Code's telemetry, updates, error reports and other calls home, all switched off, and the
 * interactive session's title request too: up to 2.1.332 the nonessential-traffic switch stopped
 * it, from 2.1.337 only CLAUDE_CODE_DISABLE_TERMINAL_TITLE does, and a test's scripted upstream
 * would otherwise spend its first answer on it.
 */
export const CLAUDE_QUIET: Readonly<Record<string, string>> = {
  DISABLE_TELEMETRY: "1",
  DISABLE_AUTOUPDATER: "1",
  DISABLE_ERROR_REPORTING: "1",
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
  CLAUDE_CODE_DISABLE_TERMINAL_TITLE: "1",
};

/**
 * The whole environment of a `claude -p` run in its own `home` against ccp at `url` with the
 * token "e2e-token", quiet, and without retries of its own, so that an error shows at once.
 */
export function claudeEnv(home: string, url: string): Record<string, string> {
  return {
    PATH: Deno.env.get("PATH") ?? "",
    HOME: home,
    // Claude Code's own temp files (a folder per project, under /tmp/claude-<uid> by default)
    // go with the test's home.
    CLAUDE_CODE_TMPDIR: home,
    ANTHROPIC_BASE_URL: url,
    ANTHROPIC_AUTH_TOKEN: "e2e-token",
    ...CLAUDE_QUIET,
    CLAUDE_CODE_MAX_RETRIES: "0",
  };
}

/** The flags of a `claude -p` run that prints every event as one JSON line. */
export const STREAM_JSON: readonly string[] = ["--output-format", "stream-json", "--verbose"];

/**
 * Runs `claude` with `args` in `cwd` with exactly the environment `env` (nothing of the test
 * runner's own), no stdin, and its output collected; it is killed after `ms` (at least
 * {@link hangBound}).
 */
export function runClaude(
  args: readonly string[],
  cwd: string,
  env: Record<string, string>,
  ms: number,
): Promise<Deno.CommandOutput> {
  return new Deno.Command("claude", {
    args: [...args],
    cwd,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(hangBound(ms)),
  }).output();
}
