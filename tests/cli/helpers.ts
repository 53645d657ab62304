/** Helpers for CLI tests: an in-memory context, and the real program spawned like `deno task start`. */

import type { CliContext, Io } from "../../src/cli/context.ts";
import { startSmallContextOllama } from "../mocks/ollama_api.ts";

/** The project root (where deno.json lives). */
export const ROOT: string = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
/** src/main.ts as a path. */
export const MAIN: string = `${ROOT}/src/main.ts`;

/** The permission flags of deno.json's `start` task, read from deno.json itself. */
export async function startTaskFlags(): Promise<string[]> {
  const json = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  const task: string = json.tasks.start;
  const words = task.split(/\s+/);
  assertWord(words[0] === "deno" && words[1] === "run", task);
  assertWord(words[words.length - 1] === "src/main.ts", task);
  return words.slice(2, -1);
}

function assertWord(ok: boolean, task: string): void {
  if (!ok) throw new Error(`unexpected start task: ${task}`);
}

/** An Io that collects output in memory. */
function memoryIo(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => void stdout.push(t), err: (t) => void stderr.push(t) };
}

/** A CLI context backed by memory and a temp dir; nothing from the real environment leaks in. */
export function testContext(
  dir: string,
  over: Partial<CliContext> = {},
): CliContext & { io: ReturnType<typeof memoryIo> } {
  const io = memoryIo();
  return {
    env: { XDG_CONFIG_HOME: `${dir}/xdg` },
    cwd: dir,
    home: dir,
    os: Deno.build.os,
    colour: false,
    execPath: Deno.execPath(),
    mainModule: new URL("../../src/main.ts", import.meta.url).href,
    standalone: false,
    ...over,
    io,
  };
}

/** Runs `run` in a new temporary directory named after `prefix`, removed afterwards. */
export async function inTempDir(
  prefix: string,
  run: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    await run(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

let cacheDir: Promise<string> | undefined;

/** Where deno keeps its cache (`DENO_DIR`, else as `deno info` says), for a child with another HOME. */
export function denoCacheDir(): Promise<string> {
  const set = Deno.env.get("DENO_DIR");
  if (set !== undefined) return Promise.resolve(set);
  cacheDir ??= new Deno.Command(Deno.execPath(), { args: ["info", "--json"] }).output().then(
    (out) => JSON.parse(new TextDecoder().decode(out.stdout)).denoDir as string,
  );
  return cacheDir;
}

/** How long fetching ccp's packages into a cold cache may take (~30 MB from the npm registry). */
const WARM_MS = 300_000;
const warmed = new Map<string, Promise<void>>();

/**
 * Fetches what `deno run src/main.ts` needs into `denoDir`, once per test process and within its
 * own bound: on a cold cache the first spawned ccp would download it (~30 MB) inside the seconds
 * a test gives ccp to start or exit, and fail as a hang. A real hang still meets that bound.
 */
function warmCache(denoDir: string): Promise<void> {
  let warming = warmed.get(denoDir);
  if (warming) return warming;
  warming = (async () => {
    const signal = AbortSignal.timeout(WARM_MS);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["cache", "--config", `${ROOT}/deno.json`, MAIN],
      // The test run's own environment (a registry mirror, a proxy), with the child's cache.
      env: { DENO_DIR: denoDir },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      signal,
    }).output();
    if (!out.success) {
      const why = signal.aborted
        ? `not done within ${WARM_MS / 1000} s`
        : new TextDecoder().decode(out.stderr).trim();
      throw new Error(`fetching ccp's packages into ${denoDir} failed: ${why}`);
    }
  })();
  // A failure is reported once per test that spawns ccp, and tried again by the next.
  warming.catch(() => warmed.delete(denoDir));
  warmed.set(denoDir, warming);
  return warming;
}

/** The environment spawned ccp processes get: enough for deno to find its cache, no CCP_* or MODEL. */
export function childEnv(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  // The config and the usage ledger stay inside the test's directory.
  const env: Record<string, string> = {
    XDG_CONFIG_HOME: `${dir}/xdg`,
    XDG_DATA_HOME: `${dir}/xdg-data`,
    NO_COLOR: "1",
  };
  for (
    const name of [
      "TMPDIR",
      "PATH",
      "HOME",
      "DENO_DIR",
      "XDG_CACHE_HOME",
      "SystemRoot",
      "USERPROFILE",
    ]
  ) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
}

/** A spawned ccp whose output is collected as it arrives. */
export interface SpawnedCcp {
  readonly process: Deno.ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Waits until stderr matches `pattern` (or the process ends / time runs out). */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Waits for the exit status, killing the process after `timeoutMs`. */
  exit(timeoutMs?: number): Promise<Deno.CommandStatus>;
  /** Stops the process if it still runs: SIGTERM, a second one, then SIGKILL (call in finally). */
  kill(): Promise<void>;
}

async function collect(stream: ReadableStream<Uint8Array>, into: { text: string }): Promise<void> {
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) into.text += chunk;
}

/**
 * Spawns `deno run <start-task permissions> --config deno.json src/main.ts ...args` in `cwd`;
 * `wrapper` (a program and its arguments, such as `unshare --pid --fork`) runs that command.
 */
export async function spawnCcp(
  args: readonly string[],
  options: { cwd: string; env: Record<string, string>; wrapper?: readonly string[] },
): Promise<SpawnedCcp> {
  const flags = await startTaskFlags();
  // A test that gives ccp another HOME keeps the test run's cache: one under that HOME starts
  // empty, and ccp would download its packages again on every run.
  const env = options.env.DENO_DIR !== undefined
    ? options.env
    : { ...options.env, DENO_DIR: await denoCacheDir() };
  await warmCache(env.DENO_DIR!);
  const command = [
    Deno.execPath(),
    "run",
    ...flags,
    "--config",
    `${ROOT}/deno.json`,
    MAIN,
    ...args,
  ];
  const [program, ...rest] = [...options.wrapper ?? [], ...command];
  const process = new Deno.Command(program!, {
    args: rest,
    cwd: options.cwd,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out = { text: "" };
  const err = { text: "" };
  const reading = Promise.all([collect(process.stdout, out), collect(process.stderr, err)]);
  let status: Deno.CommandStatus | undefined;
  const ended = process.status.then(async (s) => {
    await reading;
    status = s;
    return s;
  });
  const sleep = (ms: number) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const promise = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), ms)));
    return { promise, cancel: () => clearTimeout(timer) };
  };
  const spawned: SpawnedCcp = {
    process,
    stdout: () => out.text,
    stderr: () => err.text,
    // Bounds against a hang, not timings: on a loaded machine a ccp started from source took
    // over 20 s to say it listens.
    async waitForStderr(pattern, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const match = err.text.match(pattern);
        if (match) return match;
        if (status) break;
        const tick = sleep(25);
        await tick.promise;
      }
      throw new Error(`stderr never matched ${pattern}:\n${err.text}`);
    },
    async exit(timeoutMs = 60_000) {
      const limit = sleep(timeoutMs);
      const result = await Promise.race([ended, limit.promise]);
      limit.cancel();
      if (result === "timeout") {
        await spawned.kill();
        throw new Error(`ccp did not exit within ${timeoutMs} ms:\n${err.text}`);
      }
      return result;
    },
    async kill() {
      const send = (signal: Deno.Signal) => {
        try {
          process.kill(signal);
        } catch {
          // Already exited.
        }
      };
      // A stop signal first, and a second one a moment later (which skips the drain): ccp then
      // removes its socket directory, which SIGKILL would leave in the temp dir.
      for (const [signal, waitMs] of [["SIGTERM", 1000], ["SIGTERM", 2000]] as const) {
        if (status) break;
        send(signal);
        const limit = sleep(waitMs);
        await Promise.race([ended, limit.promise]);
        limit.cancel();
      }
      if (!status) send("SIGKILL");
      await ended;
    },
  };
  return spawned;
}

/**
 * Writes `yaml` to `dir`/c.yaml, runs `ccp serve` on it in `dir` with `env` (the child's whole
 * environment), hands `run` the URL it listens on (and the process, for its output), and stops
 * it after.
 */
export async function servingConfig(
  dir: string,
  yaml: string,
  env: Record<string, string>,
  run: (url: string, ccp: SpawnedCcp) => Promise<void>,
): Promise<void> {
  await Deno.writeTextFile(`${dir}/c.yaml`, yaml);
  const ccp = await spawnCcp(["serve", "--config", "c.yaml", "--port", "0"], { cwd: dir, env });
  try {
    const [, url] = await ccp.waitForStderr(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
    await run(url!, ccp);
  } finally {
    await ccp.kill();
  }
}

/** Runs ccp to completion and returns its status and output. */
export async function runCcp(
  args: readonly string[],
  options: { cwd: string; env: Record<string, string>; timeoutMs?: number },
): Promise<{ code: number; stdout: string; stderr: string }> {
  const spawned = await spawnCcp(args, options);
  try {
    const status = await spawned.exit(options.timeoutMs ?? 20_000);
    return { code: status.code, stdout: spawned.stdout(), stderr: spawned.stderr() };
  } finally {
    await spawned.kill();
  }
}

/** A config whose upstreams, its Ollama too, are not there (port 9 discards), whatever runs here. */
export const NOWHERE_YAML = `providers:
  up:
    type: openai
    base_url: http://127.0.0.1:9/v1
    api_key: sk-test-1234567890abcdef
  ollama:
    preset: ollama
    base_url: http://127.0.0.1:9
routes:
  default: up/model-a
  sonnet: [up/model-b, ollama/qwen3-coder]
`;

/**
 * Runs `ccp code -p hi` in a temp dir, routed to an Ollama that runs qwen3-coder with 4096 tokens
 * of context, with `claude` the script `claudeSh` (a shell script; `$DIR` names the temp dir,
 * `$DENO_BIN` the running Deno) and `files` written beside it first.
 */
export async function runCodeOnSmallOllama(
  prefix: string,
  claudeSh: string,
  files: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const ollama = startSmallContextOllama();
  const dir = await Deno.makeTempDir({ prefix });
  try {
    await Deno.mkdir(`${dir}/bin`);
    for (const [name, text] of Object.entries(files)) {
      await Deno.writeTextFile(`${dir}/${name}`, text);
    }
    await Deno.writeTextFile(`${dir}/bin/claude`, claudeSh.replaceAll("$DIR", dir), {
      mode: 0o755,
    });
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      `providers:\n  ollama: { preset: ollama, base_url: ${ollama.url} }\n` +
        "routes:\n  default: ollama/qwen3-coder\n",
    );
    const env = childEnv(dir, {
      PATH: `${dir}/bin:${Deno.env.get("PATH") ?? ""}`,
      DENO_BIN: Deno.execPath(),
    });
    return await runCcp(["code", "--config", "c.yaml", "--port", "0", "-p", "hi"], {
      cwd: dir,
      env,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
    await ollama.close();
  }
}
