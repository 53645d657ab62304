/** Finds the real Claude Code CLI for the end-to-end tests, which are skipped without it. */

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
