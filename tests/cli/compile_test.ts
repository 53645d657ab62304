import assert from "node:assert/strict";
import {
  checkEmbedded,
  compileFlags,
  outputFor,
  systemEnv,
  TARGETS,
  verifyBinary,
} from "../../scripts/compile.ts";
import { PERMISSION_FLAGS, RUNTIME_FLAGS } from "../../src/cli/permissions.ts";
import { ROOT } from "./helpers.ts";

Deno.test("compile uses the start task's permissions and deno.json's unstable features", async () => {
  const denoJson = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  const flags = compileFlags(denoJson);
  assert.deepEqual(flags.slice(0, PERMISSION_FLAGS.length), [...PERMISSION_FLAGS]);
  for (const runtime of RUNTIME_FLAGS) assert.ok(flags.includes(runtime), flags.join(" "));
  assert.ok(flags.includes("--unstable-no-legacy-abort"), flags.join(" "));
  assert.ok(!flags.includes("--allow-all") && !flags.includes("-A"));
  assert.throws(
    () => compileFlags({ tasks: { start: "deno run -A --inspect src/main.ts" } }),
    /unexpected flags/,
  );
});

Deno.test("compile builds one dist/ccp-<target> per release target, .exe on Windows", () => {
  assert.equal(TARGETS.length, 5);
  assert.equal(outputFor("aarch64-apple-darwin"), "dist/ccp-aarch64-apple-darwin");
  assert.equal(outputFor("x86_64-pc-windows-msvc"), "dist/ccp-x86_64-pc-windows-msvc.exe");
});

Deno.test("a built binary that is not ccp is caught: plain Deno, or one missing its lazy modules", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_compile_" });
  try {
    const fake = `${dir}/fake`;
    await Deno.writeTextFile(
      fake,
      "#!/bin/sh\necho 'deno 2.9.6 (stable, release, x86_64-unknown-linux-gnu)'\n",
    );
    await Deno.chmod(fake, 0o755);
    const verdict = await verifyBinary(fake, "0.1.0");
    assert.ok(!verdict.ok);
    assert.match(verdict.reason, /printed "deno 2\.9\.6.*expected 0\.1\.0 — it is plain Deno/);
    const script = async (name: string, onCheck: string) => {
      await Deno.writeTextFile(
        `${dir}/${name}`,
        `#!/bin/sh\nif [ "$1" = check ]; then ${onCheck}; fi\necho 0.1.0\n`,
      );
      await Deno.chmod(`${dir}/${name}`, 0o755);
      return `${dir}/${name}`;
    };
    const real = await script("real", `echo "Routes:"; echo "Config OK"; exit 0`);
    assert.deepEqual(await verifyBinary(real, "0.1.0"), { ok: true });
    // A compile that left out the lazily loaded modules prints its version but cannot run a command.
    const partial = await script(
      "partial",
      `echo 'error: Module not found "file:///x/src/cli/check.ts".' >&2; exit 1`,
    );
    const broken = await verifyBinary(partial, "0.1.0");
    assert.ok(!broken.ok);
    assert.match(broken.reason, /`check` failed \(exit 1\): error: Module not found/);
    const missing = await verifyBinary(`${dir}/none`, "0.1.0");
    assert.ok(!missing.ok && /cannot be run/.test(missing.reason));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the embedded files must hold ccp's code and the tokenizer data", () => {
  const table = new TextEncoder().encode(`o200k-packed-1\n${"\u0001".repeat(80)}`);
  const big = (withTable: boolean) => {
    // Zeros, with a run of the table's first byte (every byte of it a candidate the search must
    // look past, its worst case) up to where the table goes: 1.3 MiB of them, not all 30 MiB,
    // which took ~1.5 s of CPU for nothing more.
    const binary = new Uint8Array(30 * 1_048_576).fill(table[0]!, 11_000_000, 12_345_678);
    if (withTable) binary.set(table, 12_345_678);
    return binary;
  };
  const listing = "src/main.ts (1KB)\n src/tokens/* (1.6MB)\n";
  assert.equal(checkEmbedded(listing, big(true), table), undefined);
  assert.match(checkEmbedded(listing, big(false), table)!, /tokenizer/);
  // The table's first bytes alone (as a source file quoting them would hold) are not the table.
  const quoted = big(false);
  quoted.set(table.subarray(0, 20), 1000);
  assert.match(checkEmbedded(listing, quoted, table)!, /tokenizer/);
  assert.match(checkEmbedded(listing, table, table)!, /too small/);
  const colouredOther = "\x1b[38;5;245m├──\x1b[0m other.ts";
  assert.match(checkEmbedded(colouredOther, big(true), table)!, /main\.ts/);
});

Deno.test("the build check keeps what a Windows program needs from its environment, nothing else", () => {
  const windows: Record<string, string> = {
    SystemRoot: "C:\\Windows",
    windir: "C:\\Windows",
    SystemDrive: "C:",
    PATH: "C:\\bin",
    ANTHROPIC_API_KEY: "sk-ant-secret",
  };
  assert.deepEqual(systemEnv((name) => windows[name]), {
    SystemRoot: "C:\\Windows",
    windir: "C:\\Windows",
    SystemDrive: "C:",
  });
  assert.deepEqual(systemEnv(() => undefined), {});
});
