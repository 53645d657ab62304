/**
 * Unpacks the Claude Agent SDK its end-to-end test runs (tests/e2e/agent_sdk_test.ts) into the
 * cache directory the test imports it from, once: `npm pack` fetches the package alone, without
 * the native Claude Code binaries it lists as optional dependencies, and its checksum is held
 * against the pinned one before anything is unpacked. `deno task fetch:agent-sdk`; `.ci/run` runs
 * it, and it does nothing where the package is already unpacked.
 */

import {
  AGENT_SDK_INTEGRITY,
  AGENT_SDK_VERSION,
  agentSdkDir,
  hasAgentSdk,
} from "../tests/helpers/agent_sdk.ts";

const say = (text: string) => Deno.stderr.writeSync(new TextEncoder().encode(`${text}\n`));
const dir = agentSdkDir();

async function run(cmd: string, args: string[], cwd: string): Promise<string> {
  const out = await new Deno.Command(cmd, { args, cwd, stdin: "null", stderr: "inherit" })
    .output();
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed (${out.code})`);
  return new TextDecoder().decode(out.stdout);
}

if (await hasAgentSdk()) {
  say(`Claude Agent SDK ${AGENT_SDK_VERSION} already in ${dir}`);
  Deno.exit(0);
}
const parent = dir.slice(0, dir.lastIndexOf("/")) || "/";
await Deno.mkdir(parent, { recursive: true });
// Beside its final place, so that moving it there is one rename on one filesystem.
const work = await Deno.makeTempDir({ dir: parent, prefix: ".fetch-" });
try {
  const spec = `@anthropic-ai/claude-agent-sdk@${AGENT_SDK_VERSION}`;
  const name = (await run("npm", ["pack", spec, "--silent"], work)).trim().split("\n").at(-1)!;
  const tarball = await Deno.readFile(`${work}/${name}`);
  const digest = await crypto.subtle.digest("SHA-512", tarball);
  const integrity = `sha512-${btoa(String.fromCharCode(...new Uint8Array(digest)))}`;
  if (integrity !== AGENT_SDK_INTEGRITY) {
    throw new Error(`${spec}: checksum ${integrity}, expected ${AGENT_SDK_INTEGRITY}`);
  }
  await run("tar", ["xzf", name], work);
  // Moved into place whole, so a test never imports a half-unpacked package.
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.rename(`${work}/package`, dir);
  say(`Claude Agent SDK ${AGENT_SDK_VERSION} unpacked into ${dir}`);
} finally {
  await Deno.remove(work, { recursive: true }).catch(() => {});
}
