const t0 = performance.now();
const { loadCliConfig } = await import("./src/cli/load.ts");
const t1 = performance.now();
const { parseCli } = await import("./src/cli/args.ts");
const cmd = parseCli(["serve", "--config", "/tmp/b2.yaml", "--port", "18122"]) as { flags: unknown };
const ctx = { io: { out() {}, err() {} }, env: Deno.env.toObject(), cwd: Deno.cwd(), os: Deno.build.os, colour: false, execPath: Deno.execPath(), mainModule: Deno.mainModule, standalone: false };
const t2 = performance.now();
// deno-lint-ignore no-explicit-any
await loadCliConfig(ctx as any, cmd.flags as any);
const t3 = performance.now();
// deno-lint-ignore no-explicit-any
await loadCliConfig(ctx as any, cmd.flags as any);
const t4 = performance.now();
console.log("import", (t1 - t0).toFixed(1), "first load", (t3 - t2).toFixed(1), "second load", (t4 - t3).toFixed(1));
