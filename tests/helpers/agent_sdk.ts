/**
 * The Claude Agent SDK (`@anthropic-ai/claude-agent-sdk`) for its end-to-end test, which is
 * skipped without it. It is not an `npm:` import locked in dev.lock like the Anthropic SDK: its
 * optional dependencies are Claude Code's native binaries, one per platform, and Deno (which
 * ignores npm's `libc` field) installs both Linux ones, glibc and musl, about 800 MB, for every
 * test run, since it installs every package of the lockfile in use before running anything. The
 * SDK itself is one file that imports only Node's built-in modules, and the test runs it with the
 * Claude Code already installed (`pathToClaudeCodeExecutable`), so `deno task fetch:agent-sdk`
 * unpacks the package alone, its checksum checked, into a cache directory the test imports from.
 * Loaded, it sets two variables in the environment of the process (CLAUDE_AGENT_SDK_VERSION, and
 * NoDefaultCurrentDirectoryInExePath for Windows); every test that starts `claude` gives it an
 * environment of its own, so they reach no other test's child.
 */

import assert from "node:assert/strict";
import { claudeEnv } from "./claude.ts";
import { within } from "./within.ts";

/** The version the test runs, and the checksum of its npm tarball (npm's `integrity`). */
export const AGENT_SDK_VERSION = "0.3.337";
export const AGENT_SDK_INTEGRITY =
  "sha512-hYyN5haRBmiYwIoGeOfpZ7NiboSXBk7rK1rUwzIMagiLXqJEiCjIw5ifZzg1OwhFwdSEcPnDJbX5vTuUq7QIyQ==";

/** Where the unpacked package lives: `$CCP_AGENT_SDK_DIR`, else under the user's cache. */
export function agentSdkDir(): string {
  const set = Deno.env.get("CCP_AGENT_SDK_DIR");
  if (set) return set;
  const cache = Deno.env.get("XDG_CACHE_HOME") || `${Deno.env.get("HOME") ?? "/tmp"}/.cache`;
  return `${cache}/ccp-tests/claude-agent-sdk-${AGENT_SDK_VERSION}`;
}

type Obj = Record<string, unknown>;

/** A message `query()` yields (the fields the test reads; see the SDK's sdk.d.ts for the rest). */
export interface SdkMessage extends Obj {
  type: string;
  subtype?: string;
}

/** What `query()` returns: the messages, and the controls the test uses. */
export interface Query extends AsyncIterable<SdkMessage> {
  interrupt(): Promise<unknown>;
  close(): void;
}

/** The parts of the SDK the test uses. */
export interface AgentSdk {
  query(params: { prompt: string | AsyncIterable<Obj>; options?: Obj }): Query;
  tool(
    name: string,
    description: string,
    shape: Obj,
    handler: (args: Obj, extra: unknown) => Promise<Obj>,
  ): unknown;
  createSdkMcpServer(options: { name: string; version?: string; tools?: unknown[] }): Obj;
}

/** Whether the package is unpacked in `agentSdkDir()` at the pinned version. */
export async function hasAgentSdk(): Promise<boolean> {
  try {
    const pkg = JSON.parse(await Deno.readTextFile(`${agentSdkDir()}/package.json`));
    return pkg.version === AGENT_SDK_VERSION;
  } catch {
    return false;
  }
}

/** The SDK when its package is unpacked in `agentSdkDir()` at the pinned version, else undefined. */
export async function loadAgentSdk(): Promise<AgentSdk | undefined> {
  if (!await hasAgentSdk()) return undefined;
  // A computed specifier: deno check does not look for the module, which may be absent.
  const url = new URL(`file://${agentSdkDir()}/sdk.mjs`).href;
  return await import(url) as AgentSdk;
}

/** The absolute path of the `claude` found on PATH (the SDK spawns it by path), or undefined. */
export async function claudePath(): Promise<string | undefined> {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (!dir) continue;
    try {
      const info = await Deno.stat(`${dir}/claude`);
      if (info.isFile) return `${dir}/claude`;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Runs one query to its end, bounded by `ms`, and returns its messages. */
export async function collectQuery(
  query: AsyncIterable<SdkMessage>,
  what: string,
  ms: number,
): Promise<SdkMessage[]> {
  const messages: SdkMessage[] = [];
  await within(
    (async () => {
      for await (const m of query) messages.push(m);
    })(),
    ms,
    what,
  );
  return messages;
}

/** The query's `result` message. */
export function resultOf(messages: SdkMessage[]): Obj {
  const result = messages.find((m) => m.type === "result");
  assert.ok(result, `no result message: ${JSON.stringify(messages.map((m) => m.type))}`);
  return result;
}

/**
 * The `claude` on PATH and the SDK, when both are there; else why the tests that need them are
 * skipped (said on stderr once, naming `what`).
 */
export async function agentSdkOrSkip(
  what: string,
): Promise<{ claude?: string; sdk?: AgentSdk; skip?: string }> {
  const claude = await claudePath();
  const sdk = claude === undefined ? undefined : await loadAgentSdk();
  const skip = claude === undefined
    ? "`claude` is not on PATH (npm i -g @anthropic-ai/claude-code)"
    : sdk === undefined
    ? `the Claude Agent SDK is not in ${agentSdkDir()} (deno task fetch:agent-sdk)`
    : undefined;
  // deno-lint-ignore no-console -- say why the tests are skipped
  if (skip) console.error(`${what} skipped: ${skip}`);
  return { ...(claude ? { claude } : {}), ...(sdk ? { sdk } : {}), ...(skip ? { skip } : {}) };
}

/** One Claude Code's place to run through ccp: the query options every query gives. */
export interface AgentRun {
  /** The directory Claude Code works in. */
  readonly work: string;
  /**
   * The `claude` given, in `work`, with a home of its own and ccp as its API, no settings from
   * the machine's files (the run is the same everywhere), its stderr kept; `extra` over them.
   */
  options(extra?: Obj): Obj;
}

/**
 * Runs `body` with a fresh home and work directory for `claude` in front of `ccp`: a failure names
 * `what`, with Claude Code's stderr and ccp's log; ccp and the upstream are closed (`close`) and
 * the directories removed after, however it ends.
 */
export async function withAgentRun(
  what: string,
  setup: {
    readonly claude: string;
    readonly ccp: { readonly url: string; readonly logs: string[]; close(): Promise<void> };
    close(): Promise<void>;
  },
  body: (run: AgentRun) => Promise<void>,
): Promise<void> {
  const { claude, ccp } = setup;
  const home = await Deno.makeTempDir({ prefix: "ccp-agent-home-" });
  const work = await Deno.makeTempDir({ prefix: "ccp-agent-work-" });
  const stderr: string[] = [];
  const options = (extra: Obj = {}): Obj => ({
    pathToClaudeCodeExecutable: claude,
    cwd: work,
    env: claudeEnv(home, ccp.url),
    settingSources: [],
    stderr: (text: string) => void stderr.push(text),
    ...extra,
  });
  try {
    await body({ work, options });
  } catch (err) {
    throw new Error(
      `${what}: ${err instanceof Error ? err.stack : err}\nclaude stderr:\n${
        stderr.join("")
      }\nccp:\n${ccp.logs.join("")}`,
    );
  } finally {
    await ccp.close();
    await setup.close();
    await Deno.remove(home, { recursive: true }).catch(() => {});
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}
