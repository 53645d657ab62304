// deno-lint-ignore-file no-console -- a runner reports "ready <port>" on stdout
/**
 * ccp's production app (createServerApp) in its own process, for the benchmark, bound as `ccp
 * serve` binds it (behind the connection guard unless the config turns it off). Reads a YAML (or
 * JSON) config file, serves on the given port and prints "ready <port>".
 *
 *   deno run --allow-net --allow-read --allow-write --allow-env bench/ccp_runner.ts --config F --port 0
 */

import { configFromYaml } from "../src/config/from_yaml.ts";
import { endsByExit } from "../src/core/deadlines.ts";
import { silentLogger } from "../src/core/log.ts";
import { createServerApp } from "../src/server/compose.ts";
import { DepartureWatcher } from "../src/server/departures.ts";
import { listen } from "../src/server/listen.ts";
import { flag, serveControl } from "./control.ts";

if (import.meta.main) {
  // As src/main.ts: this process ends by Deno.exit, so deadlines wake only when one is due.
  endsByExit();
  const file = flag(Deno.args, "config");
  const port = Number(flag(Deno.args, "port", "0"));
  // An empty environment: the benchmark's config must not depend on the caller's CCP_* variables.
  const config = configFromYaml({ text: await Deno.readTextFile(file), file, env: {} });
  const departures = new DepartureWatcher();
  const app = createServerApp({ config: () => config, log: silentLogger, departures });
  const bound = await listen(config.server.host, port, config.server, app.fetch, departures);
  console.log(`ready ${bound.port}`);
  void serveControl(() => {
    bound.stopAccepting();
    void bound.server.shutdown().finally(async () => {
      await bound.cleanUp();
      Deno.exit(0);
    });
  });
}
