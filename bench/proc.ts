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

/** Samples `pid`; throws when the process is gone. */
export async function sampleProc(pid: number): Promise<ProcSample> {
  const out = await new Deno.Command("cat", {
    args: [`/proc/${pid}/status`, `/proc/${pid}/stat`],
    stdout: "piped",
    stderr: "null",
  }).output();
  if (!out.success) throw new Error(`cannot read /proc/${pid}: the process is gone`);
  const text = new TextDecoder().decode(out.stdout);
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

/**
 * CPU and minor faults of `pid`, µs-precise: the sum of its threads' run time from
 * /proc/PID/task/TID/schedstat (nanoseconds; equal to getrusage's user + system, checked on the
 * development machine), where /stat counts 10 ms ticks. A thread that ended takes its time with
 * it; Deno's threads (the event loop, V8's and tokio's workers) live as long as the process.
 * Without schedstat (a kernel built without it) the ticks are used.
 */
export async function sampleCpu(pid: number): Promise<CpuSample> {
  const out = await new Deno.Command("sh", {
    args: ["-c", `cat /proc/${pid}/stat && cat /proc/${pid}/task/*/schedstat 2>/dev/null; true`],
    stdout: "piped",
    stderr: "null",
  }).output();
  const lines = new TextDecoder().decode(out.stdout).trimEnd().split("\n");
  const statLine = lines[0] ?? "";
  if (!statLine.includes(")")) throw new Error(`cannot read /proc/${pid}: the process is gone`);
  // Fields after "(comm) " start at field 3: minflt is field 10, utime/stime are 14/15.
  const fields = statLine.slice(statLine.lastIndexOf(")") + 2).split(" ");
  const minorFaults = Number(fields[7]);
  const threads = lines.slice(1).filter((line) => /^\d+ /.test(line));
  const cpuUs = threads.length > 0
    ? threads.reduce((sum, line) => sum + Number(line.split(" ")[0]), 0) / 1000
    : (Number(fields[11]) + Number(fields[12])) * TICK_MS * 1000;
  return { cpuUs, minorFaults };
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
