/**
 * Real PostgreSQL and Redis servers for the tests: Debian's binaries started on 127.0.0.1 and a
 * free port, in a temp dir, stopped (and removed) at the end. PostgreSQL refuses to run as root,
 * so as root it runs as the `postgres` user.
 */

import { closedPort } from "../helpers/ports.ts";

const PG_BIN = await (async () => {
  try {
    for await (const e of Deno.readDir("/usr/lib/postgresql")) {
      const bin = `/usr/lib/postgresql/${e.name}/bin`;
      if (await exists(`${bin}/pg_ctl`)) return bin;
    }
  } catch {
    // Not installed.
  }
  return undefined;
})();

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Why the PostgreSQL tests cannot run here, or undefined when they can. */
export const PG_MISSING: string | undefined = PG_BIN === undefined
  ? "PostgreSQL is not installed (apt-get install postgresql)"
  : undefined;

/** Why the Redis tests cannot run here, or undefined when they can. */
const REDIS_MISSING: string | undefined = await exists("/usr/bin/redis-server")
  ? undefined
  : "redis-server is not installed (apt-get install redis-server)";

async function run(args: string[], asPostgres: boolean): Promise<Deno.CommandOutput> {
  const [command, ...rest] = asPostgres ? ["runuser", "-u", "postgres", "--", ...args] : args;
  const out = await new Deno.Command(command!, { args: rest, stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return out;
}

/** A running PostgreSQL cluster. */
export interface Postgres {
  readonly url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  remove(): Promise<void>;
}

/** Starts a throwaway PostgreSQL cluster (user `ccp`, trust auth, database `postgres`). */
export async function startPostgres(): Promise<Postgres> {
  const asPostgres = Deno.uid() === 0;
  const dir = await Deno.makeTempDir({ prefix: "ccp_pg_" });
  if (asPostgres) await run(["chown", "postgres", dir], false);
  const port = closedPort();
  await run(
    [`${PG_BIN}/initdb`, "-D", `${dir}/data`, "-A", "trust", "-U", "ccp", "--no-sync"],
    asPostgres,
  );
  const ctl = (action: string) =>
    run([
      `${PG_BIN}/pg_ctl`,
      "-D",
      `${dir}/data`,
      "-l",
      `${dir}/log`,
      "-w",
      "-o",
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      ...(action === "stop" ? ["-m", "immediate"] : []),
      action,
    ], asPostgres);
  await ctl("start");
  return {
    url: `postgres://ccp@127.0.0.1:${port}/postgres`,
    stop: async () => void await ctl("stop"),
    start: async () => void await ctl("start"),
    remove: async () => {
      await ctl("stop").catch(() => {});
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** A running Redis server. */
export interface Redis {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  remove(): Promise<void>;
}

/** Starts a throwaway Redis server with no persistence. */
export async function startRedis(): Promise<Redis> {
  const dir = await Deno.makeTempDir({ prefix: "ccp_redis_" });
  const port = closedPort();
  let child: Deno.ChildProcess | undefined;
  const start = async () => {
    child = new Deno.Command("redis-server", {
      args: [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        dir,
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    for (let i = 0; i < 100; i++) {
      try {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        conn.close();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    throw new Error("redis-server did not start");
  };
  const stop = async () => {
    if (!child) return;
    child.kill("SIGKILL");
    await child.status;
    child = undefined;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    start,
    remove: async () => {
      await stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/**
 * A test against a throwaway Redis, skipped where redis-server is not installed: the server is
 * removed once `fn` ends, however it ends. The guards' clients keep timers and sockets past a
 * test (reconnects, writes that go on without waiting), hence no sanitizers.
 */
export function redisTest(name: string, fn: (redis: Redis) => Promise<void>): void {
  Deno.test({
    name,
    ignore: REDIS_MISSING !== undefined,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      const redis = await startRedis();
      try {
        await fn(redis);
      } finally {
        await redis.remove();
      }
    },
  });
}

/** The raw reply of the Redis at `port` to one inline command, sent on a connection of its own. */
export async function redisReply(port: number, line: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(`${line}\r\n`));
    const buf = new Uint8Array(65536);
    const n = await conn.read(buf);
    return new TextDecoder().decode(buf.subarray(0, n ?? 0));
  } finally {
    conn.close();
  }
}

/** The first line of the reply: a status, a number, or the length of what follows. */
export async function redisStatus(port: number, line: string): Promise<string> {
  return (await redisReply(port, line)).split("\r\n")[0]!;
}

/** The values a listing command (KEYS, HKEYS) answers, without the reply's counts and lengths. */
export async function redisValues(port: number, line: string): Promise<string[]> {
  const lines = (await redisReply(port, line)).split("\r\n");
  return lines.filter((text, i) => i > 0 && text !== "" && !text.startsWith("$"));
}

/** Polls `check` every 100 ms until it holds; returns how long that took, or throws after `ms`. */
export async function until(
  check: () => Promise<boolean>,
  ms: number,
  what: string,
): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < ms) {
    if (await check()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not happen within ${ms} ms`);
}

/**
 * Waits until `store` reaches its server: its first call connects, and a loaded machine may take
 * longer than the 500 ms ccp waits for a call (a ping that fails so says nothing of the server).
 */
export async function answering(store: { ping(): Promise<boolean> }, ms = 20_000): Promise<void> {
  await until(() => store.ping(), ms, "the server answering a ping");
}

/** How many times the Redis at `port` has run EVAL (a script held by a pause is not counted). */
export async function evalCalls(port: number): Promise<number> {
  const stats = await redisReply(port, "INFO commandstats");
  return Number(/cmdstat_eval:calls=(\d+)/.exec(stats)?.[1] ?? 0);
}
