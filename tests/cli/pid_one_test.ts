/**
 * ccp as a container's entrypoint: PID 1 of a PID namespace of its own (`unshare --pid --fork
 * --mount-proc`, as `docker run` starts it), signalled from outside as `docker stop` and Ctrl-C
 * do. The kernel gives PID 1 no default action for a signal, so only ccp's own handling stops it.
 * Needs root and unshare: skipped, saying so, where the namespace cannot be made.
 */

import assert from "node:assert/strict";
import { canUnshare } from "../helpers/namespace.ts";
import { childEnv, inTempDir, NOWHERE_YAML, spawnCcp, type SpawnedCcp } from "./helpers.ts";
import { postMessages } from "../helpers/ccp.ts";

const UNSHARE = ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"];
const CAN = await canUnshare([...UNSHARE.slice(1), "true"]);
/** What `docker stop` (and `podman stop`) wait after SIGTERM before they kill the process. */
const DOCKER_STOP_MS = 10_000;

/** The name of a test, or why it is skipped. */
function named(name: string): string {
  return CAN ? name : `${name}: skipped, cannot unshare a PID namespace here (needs root)`;
}

/** The text of /proc files, read by `cat`: Deno reads /proc only with --allow-all. */
async function proc(...paths: string[]): Promise<string> {
  const out = await new Deno.Command("cat", { args: paths, stdout: "piped", stderr: "null" })
    .output();
  return new TextDecoder().decode(out.stdout);
}

/** The pid, seen from here, of the process `unshare` started: PID 1 of its namespace. */
async function initPid(ccp: SpawnedCcp): Promise<number> {
  const outer = ccp.process.pid;
  for (const started = Date.now(); Date.now() - started < 15_000;) {
    const pid = Number(
      (await proc(`/proc/${outer}/task/${outer}/children`)).trim().split(/\s+/)[0],
    );
    if (pid > 0) {
      assert.match(await proc(`/proc/${pid}/status`), /^NSpid:\s+\d+\s+1$/m, "PID 1 inside");
      return pid;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`unshare started no process:\n${ccp.stderr()}`);
}

/** Starts `ccp args` as PID 1 of a new PID namespace; returns it and its pid seen from here. */
async function spawnAsInit(
  dir: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ ccp: SpawnedCcp; pid: number }> {
  const ccp = await spawnCcp(args, { cwd: dir, env: childEnv(dir, env), wrapper: UNSHARE });
  return { ccp, pid: await initPid(ccp) };
}

/** The children of `pid` with their states (`S`, `Z`, ...). */
async function children(pid: number): Promise<string[]> {
  const list = (await proc(`/proc/${pid}/task/${pid}/children`)).trim();
  const states: string[] = [];
  for (const child of list.split(/\s+/).filter((p) => p !== "")) {
    const stat = await proc(`/proc/${child}/stat`);
    states.push(`${child} ${/\) (\S)/.exec(stat)?.[1] ?? "?"}`);
  }
  return states;
}

/**
 * The children of `pid` that stay unreaped: zombies still there after up to 2 s. A child seen
 * running is an `ss` in flight (on a loaded machine one often is), and one that just exited is
 * reaped a moment later; only a zombie that stays is one ccp never waited for.
 */
async function lingeringZombies(pid: number): Promise<string[]> {
  const zombies = async () =>
    (await children(pid)).filter((state) => state.endsWith(" Z")).map((s) => s.split(" ")[0]!);
  let left = await zombies();
  for (let waited = 0; left.length > 0 && waited < 2000; waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = await zombies();
    left = left.filter((child) => now.includes(child));
  }
  return left;
}

/** Where `program` is on PATH, or undefined. */
async function which(program: string): Promise<string | undefined> {
  const out = await new Deno.Command("sh", {
    args: ["-c", 'command -v "$1"', "sh", program],
    stdout: "piped",
    stderr: "null",
  }).output();
  const path = new TextDecoder().decode(out.stdout).trim();
  return out.success && path.startsWith("/") ? path : undefined;
}

/** A slow OpenAI upstream: its stream sends `chunks` words, `gapMs` apart, after `delayMs`. */
function slowUpstream(
  chunks: number,
  gapMs: number,
  delayMs = 0,
): Deno.HttpServer<Deno.NetAddr> {
  const encoder = new TextEncoder();
  const frame = (delta: unknown, finish: string | null = null) =>
    encoder.encode(
      `data: ${
        JSON.stringify({
          id: "c1",
          object: "chat.completion.chunk",
          created: 1,
          model: "m",
          choices: [{ index: 0, delta, finish_reason: finish }],
        })
      }\n\n`,
    );
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.text();
    let stopped = false;
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        await sleep(delayMs);
        controller.enqueue(frame({ role: "assistant", content: "" }));
        for (let i = 0; i < chunks && !stopped; i++) {
          await sleep(gapMs);
          if (!stopped) controller.enqueue(frame({ content: `w${i} ` }));
        }
        if (stopped) return;
        controller.enqueue(frame({}, "stop"));
        controller.enqueue(encoder.encode("data: [DONE]\n\n"));
        controller.close();
      },
      cancel() {
        stopped = true;
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  });
}

/** The config of an OpenAI-compatible route to `upstream`, with `server` settings. */
function config(upstream: Deno.HttpServer<Deno.NetAddr>, server = ""): string {
  return `${server}providers:
  up:
    type: openai
    base_url: http://127.0.0.1:${upstream.addr.port}/v1
    api_key: sk-test-1234567890abcdef
routes:
  default: up/model-a
`;
}

/** Starts a streaming request; resolves the response once its first text arrived. */
async function openStream(url: string): Promise<{ text: () => Promise<string> }> {
  const res = await postMessages(url, {
    model: "claude-sonnet-4-5",
    max_tokens: 100,
    stream: true,
    messages: [{ role: "user", content: "hi" }],
  });
  assert.equal(res.status, 200);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("text_delta")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  return {
    text: async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: "", done: true }));
        if (done) return text;
        text += value;
      }
    },
  };
}

Deno.test({
  name: named("PID 1: SIGTERM with a stream outliving the grace ends it in time for docker stop"),
  ignore: !CAN,
  fn: async () => {
    const upstream = slowUpstream(300, 200);
    await inTempDir("ccp_pid1_", async (dir) => {
      await Deno.writeTextFile(`${dir}/c.yaml`, config(upstream));
      const { ccp, pid } = await spawnAsInit(dir, ["serve", "--config", "c.yaml", "--port", "0"]);
      try {
        const [, url] = await ccp.waitForStderr(/listening on (http:\/\/127\.0\.0\.1:\d+) /);
        const stream = await openStream(url!);
        const sent = Date.now();
        Deno.kill(pid, "SIGTERM");
        const text = await stream.text();
        const status = await ccp.exit(15_000);
        const took = Date.now() - sent;
        assert.equal(status.code, 0, ccp.stderr());
        // The stop ends before docker's SIGKILL would, with room to spare for a slow machine.
        assert.ok(took < DOCKER_STOP_MS - 500, `took ${took} ms:\n${ccp.stderr()}`);
        assert.match(
          text,
          /event: error\ndata: \{"type":"error","error":\{"type":"overloaded_error","message":"ccp is shutting down"\}\}\n\n$/,
        );
        const log = ccp.stderr();
        assert.match(log, /Grace period over: ending the requests still in flight/);
        // The request was recorded (its log line) before the process went.
        assert.match(log, /POST \/v1\/messages .* \(ccp is shutting down\)/);
      } finally {
        await ccp.kill();
      }
    });
    await upstream.shutdown();
  },
});

Deno.test({
  name: named("PID 1: SIGINT lets a stream finish, exits 0 and leaves no child (ss) behind"),
  ignore: !CAN,
  fn: async () => {
    // Without the connection guard, ccp asks `ss` every 300 ms whether the waiting client left.
    const upstream = slowUpstream(5, 100, 900);
    await inTempDir("ccp_pid1_", async (dir) => {
      await Deno.writeTextFile(
        `${dir}/c.yaml`,
        config(upstream, "server:\n  connection_guard: false\n"),
      );
      // The machine's ss, behind a script that counts its runs.
      const ss = await which("ss");
      const env: Record<string, string> = {};
      if (ss !== undefined) {
        await Deno.mkdir(`${dir}/bin`);
        await Deno.writeTextFile(
          `${dir}/bin/ss`,
          `#!/bin/sh\necho run >> "${dir}/ss.runs"\nexec "${ss}" "$@"\n`,
          { mode: 0o755 },
        );
        env.PATH = `${dir}/bin:${Deno.env.get("PATH")}`;
      }
      const { ccp, pid } = await spawnAsInit(
        dir,
        ["serve", "--config", "c.yaml", "--port", "0"],
        env,
      );
      try {
        const [, url] = await ccp.waitForStderr(/listening on (http:\/\/127\.0\.0\.1:\d+) /);
        const stream = await openStream(url!);
        if (ss !== undefined) {
          const runs = await Deno.readTextFile(`${dir}/ss.runs`).catch(() => "");
          assert.ok(runs.length > 0, "ss ran while the request waited for its first byte");
        }
        assert.deepEqual(await lingeringZombies(pid), [], "every ss it ran was reaped");
        const sent = Date.now();
        Deno.kill(pid, "SIGINT");
        const text = await stream.text();
        const status = await ccp.exit(15_000);
        assert.equal(status.code, 0, ccp.stderr());
        assert.ok(Date.now() - sent < 5_000, ccp.stderr());
        assert.match(text, /event: message_stop\n/);
        assert.doesNotMatch(text, /event: error/);
        assert.match(ccp.stderr(), /Stopped\n/);
      } finally {
        await ccp.kill();
      }
    });
    await upstream.shutdown();
  },
});

Deno.test({
  name: named("PID 1: SIGTERM, SIGINT or SIGHUP before ccp listens ends it (128 + n), no crash"),
  ignore: !CAN,
  fn: async () => {
    await inTempDir("ccp_pid1_", async (dir) => {
      // Reading a config from a FIFO no one writes holds the start-up where it is.
      const fifo = await new Deno.Command("mkfifo", { args: [`${dir}/c.yaml`] }).output();
      assert.ok(fifo.success);
      for (const [signal, code] of [["SIGTERM", 143], ["SIGINT", 130], ["SIGHUP", 129]] as const) {
        const { ccp, pid } = await spawnAsInit(dir, ["serve", "--config", "c.yaml"]);
        try {
          await waitForFifoOpen(pid);
          const sent = Date.now();
          Deno.kill(pid, signal);
          const status = await ccp.exit(10_000);
          // Deno alone, with no listener, crashes as PID 1 (139, a segmentation fault).
          assert.equal(status.code, code, `${signal}: ${ccp.stderr()}`);
          assert.ok(Date.now() - sent < 3_000);
        } finally {
          await ccp.kill();
        }
      }
    });
  },
});

Deno.test({
  name: named("PID 1: ccp code passes SIGTERM to claude, exits with its code, and names --init"),
  ignore: !CAN,
  fn: async () => {
    await inTempDir("ccp_pid1_", async (dir) => {
      await Deno.mkdir(`${dir}/bin`);
      await Deno.writeTextFile(
        `${dir}/bin/claude`,
        `#!/bin/sh
trap 'echo "claude: SIGTERM" >&2; exit 143' TERM
echo "claude: started" >&2
while :; do sleep 0.05; done
`,
        { mode: 0o755 },
      );
      await Deno.writeTextFile(`${dir}/c.yaml`, NOWHERE_YAML);
      const path = `${dir}/bin:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`;
      const { ccp, pid } = await spawnAsInit(
        dir,
        ["code", "--config", "c.yaml", "--port", "0"],
        { PATH: path },
      );
      try {
        await ccp.waitForStderr(/claude: started/);
        const sent = Date.now();
        Deno.kill(pid, "SIGTERM");
        const status = await ccp.exit(15_000);
        assert.equal(status.code, 143, ccp.stderr());
        assert.match(ccp.stderr(), /claude: SIGTERM/);
        // Its orphans would be ccp's to reap, which Deno cannot: the user is told of --init.
        assert.match(ccp.stderr(), /ccp: running as PID 1 .* `docker run --init`\n/);
        assert.ok(Date.now() - sent < 5_000, ccp.stderr());
      } finally {
        await ccp.kill();
      }
    });
  },
});

/** Waits until a thread of `pid` blocks opening a FIFO (the config) for reading. */
async function waitForFifoOpen(pid: number): Promise<void> {
  for (const started = Date.now(); Date.now() - started < 15_000;) {
    const tasks = await new Deno.Command("sh", {
      args: ["-c", 'cat /proc/"$1"/task/*/wchan; echo', "sh", String(pid)],
      stdout: "piped",
      stderr: "null",
    }).output();
    if (new TextDecoder().decode(tasks.stdout).includes("wait_for_partner")) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`ccp (pid ${pid}) never opened its config`);
}
