// deno-lint-ignore-file no-console -- a runner reports "ready <port>" on stdout
/**
 * ccp as `ccp serve` runs it with its defaults, for the bench's row of what a real server pays
 * per request that bench/ccp_runner.ts (silent, no ledger) does not: `startServer` itself, its
 * log at `info` writing text lines to stderr (a pipe the benchmark reads, as a journal would), the
 * usage ledger and the guard state in a data dir, the config watch. Prints "ready <port>".
 *
 *   deno run <ccp serve's flags> bench/serve_runner.ts --config F --data-dir D
 */

import { startServer } from "../src/cli/serve.ts";
import { flag, serveControl } from "./control.ts";

if (import.meta.main) {
  const encoder = new TextEncoder();
  // As src/main.ts writes a line to stderr.
  const err = (text: string) => {
    const bytes = encoder.encode(`${text}\n`);
    let written = 0;
    while (written < bytes.length) written += Deno.stderr.writeSync(bytes.subarray(written));
  };
  const server = await startServer({
    ctx: {
      io: { out: (text) => console.log(text), err },
      // An empty environment: the benchmark's config must not depend on the caller's CCP_*.
      env: {},
      cwd: Deno.cwd(),
      os: Deno.build.os,
      colour: false,
      execPath: Deno.execPath(),
      mainModule: new URL("../src/main.ts", import.meta.url).href,
      standalone: false,
    },
    flags: {
      config: flag(Deno.args, "config"),
      port: 0,
      logLevel: "info",
      dataDir: flag(Deno.args, "data-dir"),
    },
  });
  console.log(`ready ${server.port}`);
  void serveControl(() => void server.stop().finally(() => Deno.exit(0)));
}
