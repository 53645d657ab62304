/** Prometheus's own checker over a /metrics text. */

/**
 * Runs `promtool check metrics` on `text`: what it said (empty when it accepts the text with no
 * lint note), or `exit N: …` when it refused it.
 */
export async function promtool(text: string): Promise<string> {
  const child = new Deno.Command("promtool", {
    args: ["check", "metrics"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const out = await child.output();
  const said = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return out.code === 0 ? said.trim() : `exit ${out.code}: ${said}`;
}
