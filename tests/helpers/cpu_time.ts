/**
 * CPU time for regression tests that bound work (a loop gone quadratic), not latency: on a busy
 * machine other processes and the suite's other test files stretch the clock many times over,
 * while the CPU time of the thread running the test stays what the work costs. (The test runner
 * runs several files at once in one process, so the process's own CPU time would count theirs.)
 */

import process from "node:process";

/** The CPU time the calling thread has used, in ms. */
export function threadCpuMs(): number {
  const { user, system } = process.threadCpuUsage();
  return (user + system) / 1000;
}

/** Runs `work` and returns what it returned and the CPU time it took on this thread, in ms. */
export async function cpuTimed<T>(work: () => T | Promise<T>): Promise<{ value: T; ms: number }> {
  const began = threadCpuMs();
  const value = await work();
  return { value, ms: threadCpuMs() - began };
}
