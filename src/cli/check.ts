/** `ccp check`: loads and validates the config, then prints it with keys redacted. */

import { describeConfig } from "../config/describe.ts";
import type { CliFlags } from "./args.ts";
import type { CliContext } from "./context.ts";
import { loadCliConfig } from "./load.ts";
import { assertSafeExposure } from "./startup.ts";
import { budgetLines } from "./check_budgets.ts";
import { openCheckEngines, sharedLines } from "./check_shared.ts";
import { autoModeLine } from "./auto_mode.ts";
import { proxyLines } from "./check_proxy.ts";
import { ollamaContextLines } from "./check_ollama.ts";

/** Runs `ccp check`; a ConfigError propagates to the caller, which prints it and exits 1. */
export async function runCheck(ctx: CliContext, flags: CliFlags): Promise<number> {
  const config = await loadCliConfig(ctx, flags);
  const warnings = assertSafeExposure(config.server);
  ctx.io.out(describeConfig(config));
  for (const warning of warnings) ctx.io.out(`Warning: ${warning}`);
  const engines = await openCheckEngines(config);
  try {
    for (const line of await sharedLines(config, engines)) ctx.io.out(line);
    for (const line of await budgetLines(config, engines)) ctx.io.out(line);
  } finally {
    engines.close();
  }
  for (const line of proxyLines(config, ctx.env)) ctx.io.out(line);
  for (const line of await ollamaContextLines(config)) ctx.io.out(line);
  ctx.io.out(autoModeLine(config));
  ctx.io.out("Config OK");
  return 0;
}
