/** `ccp check`: loads and validates the config, then prints it with keys redacted. */

import { describeConfig } from "../config/describe.ts";
import type { CliFlags } from "./args.ts";
import type { CliContext } from "./context.ts";
import { loadCliConfig } from "./load.ts";
import { assertSafeExposure } from "./startup.ts";
import { budgetLines } from "./check_budgets.ts";
import { sharedLines } from "./check_shared.ts";

/** Runs `ccp check`; a ConfigError propagates to the caller, which prints it and exits 1. */
export async function runCheck(ctx: CliContext, flags: CliFlags): Promise<number> {
  const config = await loadCliConfig(ctx, flags);
  assertSafeExposure(config.server);
  ctx.io.out(describeConfig(config));
  for (const line of await sharedLines(config)) ctx.io.out(line);
  for (const line of await budgetLines(config)) ctx.io.out(line);
  ctx.io.out("Config OK");
  return 0;
}
