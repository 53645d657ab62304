// deno-lint-ignore-file no-console -- a runner answers the benchmark on stdout
/**
 * bench/ccp_runner.ts plus two control commands: ccp's production app (createServerApp) in its
 * own process, which on `gc` runs a full, memory-reducing garbage collection and answers
 * `gc done`, and on `malloc` answers `malloc <json>` with the C allocator's count of what it has
 * in use and what it keeps freed (`null` where that cannot be read). The soak compares ccp's RSS
 * after such a collection at both ends, because how much heap V8 keeps reserved after a burst
 * depends on when its idle-time memory reducer happens to run (seen: 119 MB → 83 MB after 12 s
 * idle with nothing retained): without it the growth figure would be luck, not retention.
 *
 *   deno run --allow-net --allow-read --allow-env --allow-ffi --v8-flags=--expose-gc \
 *     bench/soak_ccp_runner.ts --config F --port 0
 */

import { RUNTIME_FLAGS } from "../src/cli/permissions.ts";
import { configFromYaml } from "../src/config/from_yaml.ts";
import { silentLogger } from "../src/core/log.ts";
import { createServerApp } from "../src/server/compose.ts";
import { flag, usage } from "./control.ts";
import { mallocInfo } from "./malloc_info.ts";

/**
 * Deno flags: ccp_runner's, plus `gc()` and FFI for the allocator's count. The V8 flags are
 * `deno task start`'s (Deno adds up several `--v8-flags`), so the young generation starts as
 * `ccp serve`'s does.
 */
export const SOAK_CCP_FLAGS = [
  ...RUNTIME_FLAGS,
  "--allow-net",
  "--allow-read",
  "--allow-env",
  "--allow-ffi",
  "--v8-flags=--expose-gc",
];

type Gc = (options?: { type: "major"; execution: "sync"; flavor: "last-resort" }) => void;

/** A full, memory-reducing collection: also uncommits the heap V8 had reserved for the burst. */
async function collect(): Promise<void> {
  const gc = (globalThis as { gc?: Gc }).gc;
  if (!gc) throw new Error("run with --v8-flags=--expose-gc");
  gc();
  await new Promise((resolve) => setTimeout(resolve, 20)); // finalizers run between the passes
  // The flavour V8 uses before giving up on memory: compacts and releases unused pages, so the
  // RSS read next is what ccp retains (a plain gc() left 70 MB reserved for 14 MB of live heap).
  gc({ type: "major", execution: "sync", flavor: "last-resort" });
  await new Promise((resolve) => setTimeout(resolve, 20));
}

if (import.meta.main) {
  const file = flag(Deno.args, "config");
  const port = Number(flag(Deno.args, "port", "0"));
  // Read once before any load, so the code it runs is already in the RSS measured after warm-up.
  mallocInfo();
  const config = configFromYaml({ text: await Deno.readTextFile(file), file, env: {} });
  const app = createServerApp({ config: () => config, log: silentLogger });
  const server = Deno.serve({
    hostname: config.server.host,
    port,
    onListen: ({ port }) => console.log(`ready ${port}`),
  }, app.fetch);
  let rest = "";
  for await (const text of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
    const lines = (rest + text).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines.map((l) => l.trim())) {
      if (line === "usage") console.log(`usage ${JSON.stringify(usage())}`);
      else if (line === "gc") await collect().then(() => console.log("gc done"));
      else if (line === "malloc") console.log(`malloc ${JSON.stringify(mallocInfo() ?? null)}`);
    }
  }
  await server.shutdown();
  Deno.exit(0);
}
