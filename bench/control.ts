// deno-lint-ignore-file no-console -- runners answer the benchmark on stdout
/**
 * The runner side of the benchmark's control channel: one command per stdin line, one answer
 * per stdout line. EOF on stdin means the benchmark went away, so the runner exits.
 */

/**
 * What a runner reports about itself: its memory as Deno sees it. CPU and page faults are read
 * from /proc by the benchmark (see usageOf): asking `node:process` here loaded Node's
 * compatibility layer into every runner, ~4 MB of RSS and start-up time that `ccp serve` and a
 * bare Deno.serve do not have.
 */
export interface RunnerMemory {
  rssBytes: number;
  heapUsedBytes: number;
  /** V8 heap reserved: what GC keeps committed after a burst, often most of the RSS growth. */
  heapTotalBytes: number;
  externalBytes: number;
}

/** A runner's memory and, from /proc, its CPU and page faults so far. */
export interface Usage extends RunnerMemory {
  /** CPU time of all its threads, µs. */
  cpuUs: number;
  /**
   * Minor page faults so far: each is a first touch of freshly mapped memory (~13 µs on the
   * development VM), the cost that makes the same large request cheap one turn and dear the next.
   */
  minorFaults: number;
}

/** Reads own memory. */
export function usage(): RunnerMemory {
  const memory = Deno.memoryUsage();
  return {
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    heapTotalBytes: memory.heapTotal,
    externalBytes: memory.external,
  };
}

/** Answers `usage` lines until stdin closes, then calls `onEnd` (default: exit). */
export async function serveControl(onEnd: () => void = () => Deno.exit(0)): Promise<void> {
  let rest = "";
  try {
    for await (const text of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
      const lines = (rest + text).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) {
        if (line.trim() === "usage") console.log(`usage ${JSON.stringify(usage())}`);
      }
    }
  } finally {
    onEnd();
  }
}

/** `--name value` from argv, or `fallback`. */
export function flag(args: readonly string[], name: string, fallback?: string): string {
  const i = args.indexOf(`--${name}`);
  const value = i >= 0 ? args[i + 1] : fallback;
  if (value === undefined) throw new TypeError(`Missing --${name}`);
  return value;
}
