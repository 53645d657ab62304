/** `ccp serve` on a config file that a test saves anew, waiting for each reload's own line. */

import { startServer } from "../../src/cli/serve.ts";
import { inTempDir, testContext } from "./helpers.ts";

export type Server = Awaited<ReturnType<typeof startServer>>;

/** Saves `c.yaml` anew and resolves with the line its reload said. */
export type Save = (text: string) => Promise<string>;

/** ccp serving `c.yaml` written as `first` (with `options`); stopped after `run` on every path. */
export async function withServed(
  first: string,
  run: (server: Server, save: Save) => Promise<void>,
  options: { readonly onContextWarning?: (line: string) => void } = {},
): Promise<void> {
  await inTempDir("ccp_reload_state_", async (dir) => {
    await Deno.writeTextFile(`${dir}/c.yaml`, first);
    let told: ((line: string) => void) | undefined;
    const server = await startServer({
      ctx: testContext(dir),
      flags: { config: "c.yaml", port: 0 },
      // With a log file, the reload's line is also handed here, as `ccp code` shows it.
      logFile: `${dir}/ccp.log`,
      onSaveReload: (line) => told?.(line),
      ...options,
    });
    const save = async (text: string) => {
      const line = new Promise<string>((resolve) => told = resolve);
      await Deno.writeTextFile(`${dir}/c.yaml`, text);
      return await line;
    };
    try {
      await run(server, save);
    } finally {
      await server.stop();
    }
  });
}
