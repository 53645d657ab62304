import assert from "node:assert/strict";
import { type MallocInfo, mallocInfo } from "../../bench/malloc_info.ts";

// The tests run without --allow-ffi: there the count cannot be read, and says so.
Deno.test("mallocInfo: undefined where FFI is not allowed", () => {
  assert.equal(mallocInfo(), undefined);
});

Deno.test({
  name: "mallocInfo: memory in use, and memory freed but kept by the allocator",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    // ArrayBuffers of 1 KB are malloc'd by the runtime: 20 MB of them are in use while held, and
    // once collected glibc keeps most of their memory as free chunks rather than giving it back.
    const script = `
      import { mallocInfo } from "${new URL("../../bench/malloc_info.ts", import.meta.url).href}";
      const before = mallocInfo();
      let held = Array.from({ length: 20_000 }, () => new Uint8Array(1000));
      const holding = mallocInfo();
      held = null;
      gc();
      await new Promise((resolve) => setTimeout(resolve, 50));
      gc();
      console.log(JSON.stringify([before, holding, mallocInfo(), held]));
    `;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--v8-flags=--expose-gc", script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const [before, holding, after] = JSON.parse(text) as MallocInfo[];
    // Musl and other C libraries have no mallinfo2: nothing to compare there.
    if (!before) return;
    assert.ok(holding!.inUseMB - before.inUseMB > 18, text);
    assert.ok(holding!.inUseMB - after!.inUseMB > 18, text);
    assert.ok(after!.freeMB - before.freeMB > 10, text);
  },
});
