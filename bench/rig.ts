/**
 * The benchmark rig: the mock upstream and ccp each in their own process, the config that joins
 * them, and LoadJobs aimed either straight at the mock (the baseline) or through ccp.
 */

import { anthropicBody, type BodyKind, openAIBody } from "./bodies.ts";
import { Child, denoCommand } from "./child.ts";
import { PERMISSION_FLAGS, RUNTIME_FLAGS } from "../src/cli/permissions.ts";
import type { RunnerMemory, Usage } from "./control.ts";
import { sampleCpu } from "./proc.ts";
import { LOAD_LINES, type LoadJob, type LoadResult } from "./load_types.ts";
import type { RelayMode } from "./relay_runner.ts";
import { shapeModel, type StreamShape } from "./upstream_frames.ts";

/** The processes under test. */
export interface Rig {
  root: string;
  tmp: string;
  configPath: string;
  mock: Child;
  mockUrl: string;
  /** ccp as `ccp serve` runs it: behind its connection guard (the default). */
  ccp: Child;
  ccpUrl: string;
  /** The same ccp with `server.connection_guard: false`: what the guard costs. */
  ccpUnguarded: Child;
  ccpUnguardedUrl: string;
  /**
   * `ccp serve` itself with its defaults (bench/serve_runner.ts): the log at `info` and the usage
   * ledger, which ccp (bench/ccp_runner.ts) leaves out.
   */
  ccpServe: Child;
  ccpServeUrl: string;
  /** The bare Deno relay (bench/relay_runner.ts): the floors any Deno proxy pays. */
  relay: Child;
  relayUrl: string;
}

/** Deno flags of each runner: the least each needs. */
export const FLAGS = {
  mock: ["--allow-net"],
  // Write: the connection guard's Unix socket lives in a private temporary directory. The V8
  // flags are `deno task start`'s.
  ccp: [...RUNTIME_FLAGS, "--allow-net", "--allow-read", "--allow-write", "--allow-env"],
  // `ccp serve`'s own: the flags of `deno task start`.
  serve: [...RUNTIME_FLAGS, ...PERMISSION_FLAGS],
  load: ["--allow-net", "--allow-read"],
  relay: ["--allow-net"],
};

/** ccp's config: one Anthropic and one OpenAI provider, both the mock. */
export function configYaml(mockUrl: string, guard = true): string {
  return [
    `server: { host: 127.0.0.1, port: 0, log_level: error, connection_guard: ${guard} }`,
    "providers:",
    `  anth: { type: anthropic, base_url: "${mockUrl}", api_key: bench, max_retries: 0 }`,
    `  oai: { type: openai, base_url: "${mockUrl}/v1", api_key: bench, auth_header: bearer, ` +
    "max_retries: 0 }",
    "routes: { default: anth/f200-d0 }",
    "",
  ].join("\n");
}

/** Spawns a runner script and waits for "ready <port>"; returns it with its spawn-to-ready ms. */
export async function startRunner(
  root: string,
  name: string,
  flags: string[],
  script: string,
  args: string[],
): Promise<{ child: Child; port: number; readyMs: number }> {
  const child = new Child(name, denoCommand(root, flags, script, args));
  const port = Number(await child.expect("ready ", 15_000));
  return { child, port, readyMs: performance.now() - child.spawnedAt };
}

/** Starts the mock, ccp and the bare relay, and writes ccp's config into `tmp`. */
export async function startRig(root: string, tmp: string): Promise<Rig> {
  const mock = await startRunner(root, "mock", FLAGS.mock, "bench/mock_runner.ts", ["--port", "0"]);
  const mockUrl = `http://127.0.0.1:${mock.port}`;
  const configPath = `${tmp}/ccp.yaml`;
  await Deno.writeTextFile(configPath, configYaml(mockUrl));
  const unguardedPath = `${tmp}/ccp-unguarded.yaml`;
  await Deno.writeTextFile(unguardedPath, configYaml(mockUrl, false));
  const startCcp = (name: string, config: string) =>
    startRunner(root, name, FLAGS.ccp, "bench/ccp_runner.ts", ["--config", config, "--port", "0"]);
  const ccp = await startCcp("ccp", configPath);
  const ccpUnguarded = await startCcp("ccp-unguarded", unguardedPath);
  const ccpServe = await startRunner(root, "ccp-serve", FLAGS.serve, "bench/serve_runner.ts", [
    "--config",
    configPath,
    "--data-dir",
    `${tmp}/serve-data`,
  ]);
  const relay = await startRunner(root, "relay", FLAGS.relay, "bench/relay_runner.ts", [
    "--upstream",
    mockUrl,
    "--port",
    "0",
  ]);
  return {
    root,
    tmp,
    configPath,
    mock: mock.child,
    mockUrl,
    ccp: ccp.child,
    ccpUrl: `http://127.0.0.1:${ccp.port}`,
    ccpUnguarded: ccpUnguarded.child,
    ccpUnguardedUrl: `http://127.0.0.1:${ccpUnguarded.port}`,
    ccpServe: ccpServe.child,
    ccpServeUrl: `http://127.0.0.1:${ccpServe.port}`,
    relay: relay.child,
    relayUrl: `http://127.0.0.1:${relay.port}`,
  };
}

/** A runner's memory, over its control channel, with its CPU and page faults from /proc. */
export async function usageOf(child: Child): Promise<Usage> {
  const [cpu, memory] = await Promise.all([
    sampleCpu(child.pid),
    child.send("usage").then(() => child.expect("usage ", 5000)),
  ]);
  return { ...JSON.parse(memory) as RunnerMemory, ...cpu };
}

/** Where the client sends its request: the mock itself, ccp (guarded or not), or the bare relay. */
export type Via = "direct" | "ccp" | "ccp:unguarded" | "ccp:serve" | `relay:${RelayMode}`;

/** Which protocol the upstream speaks and what the client goes through. */
export type Path = { upstream: "anthropic" | "openai"; via: Via };

/** The ways through ccp. */
type CcpVia = "ccp" | "ccp:unguarded" | "ccp:serve";
const CCP_URL = {
  ccp: "ccpUrl",
  "ccp:unguarded": "ccpUnguardedUrl",
  "ccp:serve": "ccpServeUrl",
} as const;
const isCcp = (via: Via): via is CcpVia => via in CCP_URL;

/** The process that serves `via` (the mock for direct). */
export function serverOf(rig: Rig, via: Via): Child {
  if (via === "ccp") return rig.ccp;
  if (via === "ccp:unguarded") return rig.ccpUnguarded;
  if (via === "ccp:serve") return rig.ccpServe;
  return via === "direct" ? rig.mock : rig.relay;
}

/** The origin a `via` sends to (with the relay's mode segment). */
function originOf(rig: Rig, via: Exclude<Via, CcpVia>): string {
  return via === "direct" ? rig.mockUrl : `${rig.relayUrl}/${via.slice("relay:".length)}`;
}

/** Load parameters of a job. */
export type Load =
  & Pick<LoadJob, "requests" | "concurrency">
  & Partial<Pick<LoadJob, "gaps" | "announceOpen" | "timeoutMs">>
  & { /** false sends non-streaming requests (default true). */ stream?: boolean };

/**
 * The headers Claude Code 2.1 sends with each request, so every path
 * reads, checks and forwards what a real session's requests carry.
 */
export const CLAUDE_CODE_HEADERS: Readonly<Record<string, string>> = {
  accept: "application/json",
  "content-type": "application/json",
  "user-agent": "claude-cli/2.1.330 (external, sdk-cli)",
  "x-claude-code-session-id": "0b3c5d7e-1f2a-4b6c-8d9e-0a1b2c3d4e5f",
  "x-app": "cli",
  "anthropic-version": "2023-06-01",
  "anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14," +
    "context-management-2025-06-27,per-turn-control-2026-07-01," +
    "mid-conversation-tool-changes-2026-07-01,thinking-token-count-2026-05-13," +
    "advanced-tool-use-2025-11-20,effort-2025-11-24,thinking-display-updates-2026-08-18",
  "anthropic-dangerous-direct-browser-access": "true",
  "x-stainless-arch": "x64",
  "x-stainless-lang": "js",
  "x-stainless-os": "Linux",
  "x-stainless-package-version": "0.128.0",
  "x-stainless-retry-count": "0",
  "x-stainless-runtime": "node",
  "x-stainless-runtime-version": "v26.12.1",
  "x-stainless-timeout": "600",
};

/** A job sending the same logical request by `path`. */
export function jobFor(
  rig: Rig,
  path: Path,
  shape: StreamShape,
  body: BodyKind,
  load: Load,
): LoadJob {
  const model = shapeModel(shape);
  const headers: Record<string, string> = { ...CLAUDE_CODE_HEADERS, "x-api-key": "bench" };
  let url: string;
  let payload: unknown;
  if (isCcp(path.via)) {
    url = `${rig[CCP_URL[path.via]]}/v1/messages`;
    payload = anthropicBody(body, `${path.upstream === "anthropic" ? "anth" : "oai"}/${model}`);
  } else if (path.upstream === "anthropic") {
    url = `${originOf(rig, path.via)}/v1/messages`;
    payload = anthropicBody(body, model);
  } else {
    url = `${originOf(rig, path.via)}/v1/chat/completions`;
    payload = openAIBody(body, model);
    headers.authorization = "Bearer bench";
  }
  if (load.stream === false) payload = { ...payload as Record<string, unknown>, stream: false };
  return {
    url,
    headers,
    body: JSON.stringify(payload),
    marker: "token0",
    requests: load.requests,
    concurrency: load.concurrency,
    gaps: load.gaps ?? false,
    announceOpen: load.announceOpen,
    timeoutMs: load.timeoutMs ?? 30_000,
  };
}

/** Runs one job in a fresh load-generator process; `onOpen` hears the `open` event. */
export async function runLoad(rig: Rig, job: LoadJob, onOpen?: () => void): Promise<LoadResult> {
  let arg = JSON.stringify(job);
  // One argv string holds at most 128 KiB on Linux: larger jobs travel in a file.
  if (arg.length > 64 * 1024) {
    const file = await Deno.makeTempFile({ dir: rig.tmp, suffix: ".json" });
    await Deno.writeTextFile(file, arg);
    arg = `@${file}`;
  }
  const child = new Child(
    "load",
    denoCommand(rig.root, FLAGS.load, "bench/load_runner.ts", [arg]),
    (line) => line === LOAD_LINES.open && onOpen?.(),
  );
  try {
    const line = await child.expect(LOAD_LINES.result, job.timeoutMs + 10_000);
    const result = JSON.parse(line) as LoadResult;
    if (result.ok === 0) throw new Error(`every request failed: ${result.errors.join("; ")}`);
    return result;
  } finally {
    await child.stop();
    if (arg.startsWith("@")) await Deno.remove(arg.slice(1)).catch(() => {});
  }
}
