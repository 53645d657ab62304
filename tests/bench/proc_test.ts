import assert from "node:assert/strict";
import process from "node:process";
import { mapMemory, sampleCpu, sampleMemoryMap, sampleProc } from "../../bench/proc.ts";

Deno.test("sampleCpu: a process's CPU in µs, as precise as getrusage, with its page faults", async () => {
  const before = await sampleCpu(Deno.pid);
  // Busy for 30 ms of CPU by getrusage's count, not of wall time: on a loaded machine 30 ms of
  // wall time may hold much less CPU.
  const started = process.cpuUsage();
  let spin = 0;
  for (let used = 0; used < 30_000; spin++) {
    const { user, system } = process.cpuUsage(started);
    used = user + system;
  }
  const fresh = new Uint8Array(4 * 1024 * 1024).fill(1); // touches ~1000 new pages
  const after = await sampleCpu(Deno.pid);
  const grew = after.cpuUs - before.cpuUs;
  assert.ok(spin > 0 && fresh[0] === 1);
  assert.ok(grew >= 25_000 && grew < 2_000_000, `CPU grew ${grew} µs`);
  // Not a multiple of the 10 ms tick that /proc/PID/stat counts in.
  assert.notEqual(after.cpuUs % 10_000, 0);
  assert.ok(
    after.minorFaults - before.minorFaults >= 500,
    `${after.minorFaults - before.minorFaults}`,
  );
});

Deno.test("sampleCpu: a thread that ended keeps its CPU in the process's figure", async () => {
  // A Worker runs on a thread of its own, gone from /proc once the worker is terminated, as an
  // idle blocking-pool thread of Deno's is ~10 s after its last task.
  const source = "const end = performance.now() + 100; while (performance.now() < end);" +
    "postMessage(0);";
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  const worker = new Worker(url, { type: "module" });
  try {
    await new Promise((resolve) => worker.onmessage = resolve);
    const busy = await sampleCpu(Deno.pid);
    worker.terminate();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const after = await sampleCpu(Deno.pid);
    assert.ok(after.cpuUs >= busy.cpuUs, `CPU went from ${busy.cpuUs} to ${after.cpuUs} µs`);
  } finally {
    worker.terminate();
    URL.revokeObjectURL(url);
  }
});

Deno.test("sampleCpu and sampleProc: a process that is gone is said to be", async () => {
  const child = new Deno.Command("true").spawn();
  await child.status;
  await assert.rejects(sampleCpu(child.pid), /gone/);
  await assert.rejects(sampleProc(child.pid), /gone/);
  await assert.rejects(sampleMemoryMap(child.pid), /gone/);
});

/** One /proc/PID/smaps entry: its header line and the two fields mapMemory reads, in KiB. */
const entry = (range: string, perms: string, path: string, rssKiB: number, anonKiB: number) =>
  [
    `${range} ${perms} 00000000 00:00 0 ${path}`.trimEnd(),
    "Size:               1024 kB",
    `Rss:                ${rssKiB} kB`,
    "Pss:                   0 kB",
    `Anonymous:          ${anonKiB} kB`,
    "VmFlags: rd wr mr mw me ac",
  ].join("\n");

Deno.test("mapMemory: the RSS by kind of mapping, glibc's thread arenas told from the rest", () => {
  const smaps = [
    entry("55d0c0000000-55d0c0400000", "r-xp", "/usr/bin/deno", 3000, 0),
    // A private copy of a file's page (relocations) is anonymous memory in a file's mapping.
    entry("55d0c0400000-55d0c0500000", "rw-p", "/usr/bin/deno", 400, 100),
    entry("55d0c1000000-55d0c2000000", "rw-p", "[heap]", 8000, 8000),
    // A thread arena: a 64 MiB-aligned read-write start, the rest of its 64 MiB reserved.
    entry("7f2130000000-7f2130200000", "rw-p", "", 2000, 2000),
    entry("7f2130200000-7f2134000000", "---p", "", 0, 0),
    // A full arena, nothing reserved after it.
    entry("7f2138000000-7f213c000000", "rw-p", "", 500, 500),
    // Aligned too, but not the start of a 64 MiB reservation: a V8 page.
    entry("7f2140000000-7f2140040000", "rw-p", "", 256, 256),
    entry("7f2140040000-7f2150000000", "---p", "", 0, 0),
    // A large malloc mapped on its own, and a thread's stack.
    entry("7f2160001000-7f2160101000", "rw-p", "", 1024, 1024),
    entry("7ffd00000000-7ffd00021000", "rw-p", "[stack]", 60, 60),
  ].join("\n") + "\n";
  const mb = (kib: number) => (kib * 1024) / 1e6;
  assert.deepEqual(mapMemory(smaps), {
    anonMB: mb(100 + 8000 + 2000 + 500 + 256 + 1024 + 60),
    fileMB: mb(3000 + 300),
    brkHeapMB: mb(8000),
    arenasMB: mb(2000 + 500),
    arenas: 2,
    otherAnonMB: mb(100 + 256 + 1024 + 60),
  });
});

Deno.test("sampleMemoryMap: a live process's private memory, with a worker thread's arena", async () => {
  // A child that holds still once ready: the test runner's own memory moves with the other tests
  // running beside it, so the two reads below would disagree. A Worker's thread allocates from an
  // arena of its own once it runs.
  const source = "const a = []; for (let i = 0; i < 200; i++) a.push(new Uint8Array(1000));" +
    "postMessage(a.length);";
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `const w = new Worker(URL.createObjectURL(new Blob([${JSON.stringify(source)}], ` +
      `{ type: "text/javascript" })), { type: "module" });` +
      `w.onmessage = () => console.log("ready"); await Deno.stdin.readable.pipeTo(new WritableStream()); Deno.exit(0);`,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let out = "";
    while (!out.includes("ready")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the child ended before it was ready: ${out}`);
      out += value;
    }
    const [map, proc] = [await sampleMemoryMap(child.pid), await sampleProc(child.pid)];
    assert.ok(map.arenas >= 1 && map.arenasMB > 0, JSON.stringify(map));
    assert.ok(map.brkHeapMB > 0 && map.fileMB > 0 && map.otherAnonMB > 0, JSON.stringify(map));
    // smaps and status are read a moment apart: they agree within a few MB.
    assert.ok(Math.abs(map.anonMB - proc.anonMB) < 8, `${map.anonMB} vs ${proc.anonMB}`);
    reader.releaseLock();
  } finally {
    await child.stdin.close().catch(() => {});
    await child.stdout.cancel().catch(() => {});
    await child.status;
  }
});
