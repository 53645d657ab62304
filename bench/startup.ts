/**
 * Start-up: wall time from spawn to listening, for ccp's runner, for `src/main.ts serve` when
 * the CLI exists and takes those flags, and for the mock runner (a bare Deno.serve script) as
 * the baseline every Deno program pays.
 */

import { Child, denoCommand } from "./child.ts";
import { PERMISSION_FLAGS, RUNTIME_FLAGS } from "../src/cli/permissions.ts";
import { FLAGS, startRunner } from "./rig.ts";
import { median } from "./stats.ts";
import { childPids, type ProcSample, sampleProc } from "./proc.ts";

/** Spawn-to-ready times of one program. */
export interface StartupResult {
  program: string;
  runs: number[];
  medianMs: number;
  /** Spawn to the end of the first answer (a small non-streaming request), when measured. */
  firstAnswerMs?: number[];
  /** Why it was not measured, when it was not. */
  skipped?: string;
  /** The server process's memory a second after its first answer (the CLI, once). */
  idleAfterAnswer?: ProcSample;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The flags `deno task start` runs the CLI with (its V8 flag, then its permissions). */
export const CLI_FLAGS = [...RUNTIME_FLAGS, ...PERMISSION_FLAGS];

async function timesOf(runs: number, once: () => Promise<number>): Promise<number[]> {
  await once(); // the first spawn fills caches; it is not counted
  const out: number[] = [];
  for (let i = 0; i < runs; i++) out.push(await once());
  return out;
}

/** Spawn-to-"ready" of a runner script. */
export async function runnerStartup(
  root: string,
  program: string,
  script: string,
  flags: string[],
  args: string[],
  runs: number,
): Promise<StartupResult> {
  const times = await timesOf(runs, async () => {
    const { child, readyMs } = await startRunner(root, program, flags, script, args);
    await child.stop();
    return readyMs;
  });
  return { program, runs: times, medianMs: median(times) };
}

export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Polls `port` until it accepts a connection or the child exits; ms from spawn, or throws. */
export async function untilListening(child: Child, port: number, limitMs: number): Promise<number> {
  let exited = false;
  child.status.then(() => (exited = true));
  while (performance.now() - child.spawnedAt < limitMs) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      const at = performance.now() - child.spawnedAt;
      conn.close();
      return at;
    } catch {
      if (exited) {
        const status = await child.status;
        throw new Error(`exited with code ${status.code}: ${child.stderrTail().slice(-300)}`);
      }
      await sleep(2);
    }
  }
  throw new Error(`not listening after ${limitMs} ms`);
}

/** One small non-streaming request, read to its end. */
export async function askOnce(port: number, model = "anth/f20-d0"): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${port}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": "bench" },
    body: JSON.stringify({
      model,
      max_tokens: 16,
      messages: [{ role: "user", content: "Say hello." }],
    }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`first answer: HTTP ${response.status} ${text.slice(0, 200)}`);
}

/** Spawn-to-listening of `src/main.ts serve --config F --port N`, if the CLI exists. */
export async function cliStartup(
  root: string,
  configPath: string,
  runs: number,
): Promise<StartupResult> {
  const program = "src/main.ts serve";
  try {
    await Deno.stat(`${root}/src/main.ts`);
  } catch {
    return { program, runs: [], medianMs: NaN, skipped: "src/main.ts does not exist yet" };
  }
  try {
    const answered: number[] = [];
    let idleAfterAnswer: ProcSample | undefined;
    let spawns = 0;
    const times = await timesOf(runs, async () => {
      const port = freePort();
      const args = ["serve", "--config", configPath, "--port", String(port)];
      const command = denoCommand(root, CLI_FLAGS, "src/main.ts", args, 20);
      const child = new Child(program, command);
      try {
        const listening = await untilListening(child, port, 10_000);
        await askOnce(port);
        answered.push(performance.now() - child.spawnedAt);
        // The last spawn also shows what the real server process holds once idle (it runs under
        // `timeout`, so it is that process's child).
        if (++spawns === runs + 1) {
          await sleep(1000);
          const [server] = await childPids(child.pid);
          if (server !== undefined) idleAfterAnswer = await sampleProc(server);
        }
        return listening;
      } finally {
        await child.stop();
      }
    });
    // The uncounted first spawn answered too: drop it.
    const firstAnswerMs = answered.slice(1);
    return {
      program,
      runs: times,
      medianMs: median(times),
      firstAnswerMs,
      ...(idleAfterAnswer ? { idleAfterAnswer } : {}),
    };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { program, runs: [], medianMs: NaN, skipped: reason.split("\n")[0] };
  }
}

/** Start-up of each program measured. */
export interface StartupResults {
  /** The mock runner: a bare Deno.serve script. */
  baseline: StartupResult;
  runner: StartupResult;
  cli: StartupResult;
}

/** Start-up of ccp's runner and the bare mock runner (the baseline), and of the CLI. */
export async function startup(
  root: string,
  configPath: string,
  runs: number,
): Promise<StartupResults> {
  const port = ["--port", "0"];
  return {
    baseline: await runnerStartup(
      root,
      "mock_runner",
      "bench/mock_runner.ts",
      FLAGS.mock,
      port,
      runs,
    ),
    runner: await runnerStartup(root, "ccp_runner", "bench/ccp_runner.ts", FLAGS.ccp, [
      "--config",
      configPath,
      ...port,
    ], runs),
    cli: await cliStartup(root, configPath, runs),
  };
}
