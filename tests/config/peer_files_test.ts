import assert from "node:assert/strict";
import { peerFileWarnings } from "../../src/config/peer_files.ts";

Deno.test("peer config files found in the home are named, each with what to do", async () => {
  const home = await Deno.makeTempDir();
  try {
    assert.deepEqual(await peerFileWarnings(home), [], "nothing found: nothing said");
    assert.deepEqual(await peerFileWarnings(undefined), []);
    await Deno.mkdir(`${home}/.claude-code-router`);
    await Deno.writeTextFile(`${home}/.claude-code-router/config.json`, "{}");
    await Deno.mkdir(`${home}/.config/free-claude-code`, { recursive: true });
    await Deno.writeTextFile(`${home}/.config/free-claude-code/.env`, "MODEL=x/y\n");
    // A directory where a file is looked for is not a config file.
    await Deno.mkdir(`${home}/.config/claude-code-proxy/.env`, { recursive: true });
    const warnings = await peerFileWarnings(home);
    assert.equal(warnings.length, 2, warnings.join("\n"));
    assert.match(warnings[0]!, /\.claude-code-router\/config\.json, which ccp has not read/);
    assert.match(warnings[0]!, /ccp init --from ccr converts it/);
    assert.match(warnings[1]!, /free-claude-code\/\.env.*copy it to ~\/\.config\/ccp\/\.env/);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
