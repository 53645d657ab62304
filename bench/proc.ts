/**
 * Reads a process's memory and CPU from /proc. Deno refuses /proc reads without --allow-all,
 * so this asks `cat` (allowed by --allow-run) instead of Deno.readTextFile.
 */

/** Memory and CPU of one process, as /proc reports them. */
export interface ProcSample {
  /** Resident set size now, MB of 10⁶ bytes (VmRSS). */
  rssMB: number;
  /**
   * The private part of the RSS, MB (RssAnon): the rest is file-backed, mostly the deno
   * executable's code pages, which every Deno process shares and the kernel can drop.
   */
  anonMB: number;
  /** Peak resident set size over the process's life, MB (VmHWM). */
  hwmMB: number;
  /** utime + stime, ms (clock-tick resolution, 10 ms). */
  cpuMs: number;
}

// USER_HZ is 100 on every Linux ABI Deno ships for.
const TICK_MS = 10;

/** A `VmXXX:  1234 kB` field in MB; /proc's "kB" are KiB. */
function megabytes(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
  if (!match) throw new Error(`/proc status has no ${field}`);
  return (Number(match[1]) * 1024) / 1e6;
}

/** `pid`'s /proc files named, one after the other; throws when the process is gone. */
async function readProc(pid: number, ...files: string[]): Promise<string> {
  const out = await new Deno.Command("cat", {
    args: files.map((file) => `/proc/${pid}/${file}`),
    stdout: "piped",
    stderr: "null",
  }).output();
  if (!out.success) throw new Error(`cannot read /proc/${pid}: the process is gone`);
  return new TextDecoder().decode(out.stdout);
}

/** Samples `pid`; throws when the process is gone. */
export async function sampleProc(pid: number): Promise<ProcSample> {
  const text = await readProc(pid, "status", "stat");
  // stat is the last line; fields after "(comm) " start at field 3, so utime/stime are 11/12.
  const statLine = text.trimEnd().split("\n").at(-1) ?? "";
  const fields = statLine.slice(statLine.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return {
    rssMB: megabytes(text, "VmRSS"),
    anonMB: megabytes(text, "RssAnon"),
    hwmMB: megabytes(text, "VmHWM"),
    cpuMs: ticks * TICK_MS,
  };
}

/** A process's CPU time (µs) and minor page faults so far. */
export interface CpuSample {
  cpuUs: number;
  minorFaults: number;
}

// The threads of each sampled process (by pid and start time, as a pid is reused) with the run
// time each had when last seen, and the time of those that ended since.
const seen = new Map<string, { threads: Map<string, number>; endedNs: number }>();

/**
 * CPU and minor faults of `pid`, µs-precise: the sum of its threads' run time from
 * /proc/PID/task/TID/schedstat (nanoseconds; equal to getrusage's user + system, checked on the
 * development machine), where /stat counts 10 ms ticks. A thread that ended is gone from /proc
 * with its time: an idle blocking-pool thread of Deno's ends ~10 s after its last task, and a
 * Worker's thread when it is terminated. So each thread's time is remembered from the samples
 * that saw it, and a process's CPU never goes down between two samples; only a thread that both
 * started and ended between them goes uncounted. Without schedstat (a kernel built without it)
 * the ticks are used.
 */
export async function sampleCpu(pid: number): Promise<CpuSample> {
  const out = await new Deno.Command("sh", {
    args: [
      "-c",
      `cat /proc/${pid}/stat && grep -H . /proc/${pid}/task/*/schedstat 2>/dev/null; true`,
    ],
    stdout: "piped",
    stderr: "null",
  }).output();
  const lines = new TextDecoder().decode(out.stdout).trimEnd().split("\n");
  const statLine = lines[0] ?? "";
  if (!statLine.includes(")")) throw new Error(`cannot read /proc/${pid}: the process is gone`);
  // Fields after "(comm) " start at field 3: minflt is field 10, utime/stime are 14/15, the start
  // time 22.
  const fields = statLine.slice(statLine.lastIndexOf(")") + 2).split(" ");
  const minorFaults = Number(fields[7]);
  const running = lines.slice(1).flatMap((line) => {
    const match = /\/task\/(\d+)\/schedstat:(\d+) /.exec(line);
    return match ? [[match[1]!, Number(match[2])] as const] : [];
  });
  if (running.length === 0) {
    return { cpuUs: (Number(fields[11]) + Number(fields[12])) * TICK_MS * 1000, minorFaults };
  }
  const key = `${pid}@${fields[19]}`;
  const known = seen.get(key) ?? { threads: new Map<string, number>(), endedNs: 0 };
  seen.set(key, known);
  for (const [tid, ns] of running) {
    const before = known.threads.get(tid) ?? 0;
    // Less than before: that thread ended and a new one has its id.
    if (ns < before) known.endedNs += before;
    known.threads.set(tid, ns);
  }
  let ns = known.endedNs;
  for (const time of known.threads.values()) ns += time;
  return { cpuUs: ns / 1000, minorFaults };
}

/** The processes `pid` started that are still running (e.g. the program `timeout` runs). */
export async function childPids(pid: number): Promise<number[]> {
  const out = await new Deno.Command("cat", {
    args: [`/proc/${pid}/task/${pid}/children`],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout).trim().split(/\s+/).filter(Boolean).map(Number);
}

/** Where a process's resident memory lies, from /proc/PID/smaps: MB of 10⁶ bytes. */
export interface MemoryMap {
  /** Private memory (the mappings' Anonymous pages): equals RssAnon. */
  anonMB: number;
  /** Pages backed by a file (the executable's code, shared libraries): the kernel can drop them. */
  fileMB: number;
  /** The C allocator's main heap, `[heap]`: what the main thread's malloc holds. */
  brkHeapMB: number;
  /** The C allocator's heaps for other threads (glibc's 64 MiB arenas), all of them. */
  arenasMB: number;
  /** How many such arenas are mapped. */
  arenas: number;
  /** The rest of the anonymous memory: V8's heap pages, large mallocs mapped on their own, stacks. */
  otherAnonMB: number;
}

/** glibc reserves each thread arena as one aligned region of this size (64-bit builds). */
const ARENA_BYTES = 64 * 1024 * 1024;

/**
 * Sums `smaps` (the text of /proc/PID/smaps) by kind of mapping. A thread arena is an anonymous
 * read-write mapping that starts on a 64 MiB boundary and, with the inaccessible rest of its
 * reservation right after it, spans exactly 64 MiB: V8's reservations are GiB-sized, and a malloc
 * mapped on its own is not aligned so.
 */
export function mapMemory(smaps: string): MemoryMap {
  type Mapping = {
    start: number;
    end: number;
    perms: string;
    path: string;
    rss: number;
    anon: number;
  };
  const mappings: Mapping[] = [];
  for (const line of smaps.split("\n")) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \S+ *(.*)$/.exec(line);
    if (head) {
      const [, start, end, perms, path] = head;
      mappings.push({
        start: parseInt(start!, 16),
        end: parseInt(end!, 16),
        perms: perms!,
        path: path!.trim(),
        rss: 0,
        anon: 0,
      });
      continue;
    }
    const field = /^(Rss|Anonymous):\s+(\d+) kB/.exec(line);
    const last = mappings.at(-1);
    if (field && last) last[field[1] === "Rss" ? "rss" : "anon"] = Number(field[2]) * 1024;
  }
  const bytes = { anon: 0, file: 0, brk: 0, arenas: 0, arenaCount: 0 };
  mappings.forEach((m, i) => {
    bytes.anon += m.anon;
    bytes.file += m.rss - m.anon;
    if (m.path === "[heap]") bytes.brk += m.anon;
    if (m.path !== "" || m.perms !== "rw-p" || m.start % ARENA_BYTES !== 0) return;
    const next = mappings[i + 1];
    const reserved = next && next.start === m.end && next.perms === "---p" && next.path === ""
      ? next.end
      : m.end;
    if (reserved - m.start !== ARENA_BYTES) return;
    bytes.arenas += m.anon;
    bytes.arenaCount++;
  });
  const mb = (n: number) => n / 1e6;
  return {
    anonMB: mb(bytes.anon),
    fileMB: mb(bytes.file),
    brkHeapMB: mb(bytes.brk),
    arenasMB: mb(bytes.arenas),
    arenas: bytes.arenaCount,
    otherAnonMB: mb(bytes.anon - bytes.brk - bytes.arenas),
  };
}

/** `pid`'s memory by kind of mapping; throws when the process is gone. */
export async function sampleMemoryMap(pid: number): Promise<MemoryMap> {
  return mapMemory(await readProc(pid, "smaps"));
}
