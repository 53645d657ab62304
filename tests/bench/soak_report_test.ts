import assert from "node:assert/strict";
import { grewLine, type Memory, memoryTable } from "../../bench/soak.ts";

const memory = (rssMB: number, brkHeapMB: number, freeMB: number | null): Memory => ({
  loadedRssMB: rssMB + 30,
  rssMB,
  heapUsedMB: 10,
  heapTotalMB: 11,
  externalMB: 0.9,
  map: {
    anonMB: rssMB - 44,
    fileMB: 44,
    brkHeapMB,
    arenasMB: 2,
    arenas: 6,
    otherAnonMB: rssMB - 44 - brkHeapMB - 2,
  },
  malloc: freeMB === null ? null : { inUseMB: 7.8, freeMB },
});

Deno.test("grewLine: the growth by mapping, and the C allocator's in use against freed and kept", () => {
  const line = grewLine(memory(70, 11, 6), memory(79, 17, 12.2));
  assert.match(line, /^RSS \+9\.0 MB = anonymous \+9\.0 \(C heap \[heap\] \+6\.0 and 6 thread/);
  assert.match(line, /file-backed \+0\.0;/);
  assert.match(line, /JS heap used \+0\.0, reserved \+0\.0, external \+0\.0/);
  assert.match(line, /C allocator: in use \+0\.0, freed and kept \+6\.2$/);
  // Without the allocator's count (not glibc), the line says nothing about it.
  assert.doesNotMatch(grewLine(memory(70, 11, null), memory(79, 17, null)), /allocator/);
});

Deno.test("memoryTable: a header, one row per checkpoint, and a legend", () => {
  const rows = memoryTable([memory(70, 11, 6), memory(79, 17, null)]);
  assert.equal(rows.length, 4);
  assert.match(
    rows[1]!,
    /^ {4}warm-up +100\.0 +70\.0 +26\.0 +11\.0 +2\.0 +13\.0 +44\.0 +10\.0\/11\.0 +0\.9 +7\.8\/6\.0$/,
  );
  assert.match(rows[2]!, /^ {4}round 1 .* -$/);
});
