/**
 * Finds the real Claude Code CLI for the end-to-end tests, which are skipped without it, and
 * gives it the environment those tests run it in.
 */

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

/** Claude Code's telemetry, updates, error reports and other calls home, all switched off. */
export const CLAUDE_QUIET: Readonly<Record<string, string>> = {
  DISABLE_TELEMETRY: "1",
  DISABLE_AUTOUPDATER: "1",
  DISABLE_ERROR_REPORTING: "1",
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
};

/**
 * The whole environment of a `claude -p` run in its own `home` against ccp at `url` with the
 * token "e2e-token", quiet, and without retries of its own, so that an error shows at once.
 */
export function claudeEnv(home: string, url: string): Record<string, string> {
  return {
    PATH: Deno.env.get("PATH") ?? "",
    HOME: home,
    ANTHROPIC_BASE_URL: url,
    ANTHROPIC_AUTH_TOKEN: "e2e-token",
    ...CLAUDE_QUIET,
    CLAUDE_CODE_MAX_RETRIES: "0",
  };
}
