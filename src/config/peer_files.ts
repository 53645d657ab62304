/**
 * Config files of the peers a newcomer may come from: ccp reads none of them, so when ccp runs on
 * its built-in default it names the ones it finds and says what to do with each.
 */

import { joinPath } from "./paths.ts";

const PEER_FILES: ReadonlyArray<{ readonly path: string; readonly advice: string }> = [
  {
    path: ".claude-code-router/config.json",
    advice: "ccp init --from ccr converts it into a config.yaml (providers, keys, routes)",
  },
  {
    path: ".config/free-claude-code/.env",
    advice: "copy it to ~/.config/ccp/.env or the working directory's .env, where ccp reads " +
      "its MODEL* and key variables as they are",
  },
  {
    path: ".config/claude-code-proxy/.env",
    advice: "copy it to ~/.config/ccp/.env or the working directory's .env, where ccp reads " +
      "its MODEL* and key variables as they are",
  },
];

/** One warning per peer config file found under `home`. */
export async function peerFileWarnings(home: string | undefined): Promise<string[]> {
  if (!home) return [];
  const warnings: string[] = [];
  for (const peer of PEER_FILES) {
    const path = joinPath(home, peer.path);
    try {
      if (!(await Deno.stat(path)).isFile) continue;
    } catch {
      continue; // absent or unreadable: nothing to say
    }
    warnings.push(`Found ${path}, which ccp has not read: ${peer.advice}`);
  }
  return warnings;
}
