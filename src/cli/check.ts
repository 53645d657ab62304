/** `ccp check`: loads and validates the config, then prints it with keys redacted. */

import { describeConfig } from "../config/describe.ts";
import type { CliFlags } from "./args.ts";
import type { CliContext } from "./context.ts";
import { loadCliConfig } from "./load.ts";
import { assertSafeExposure } from "./startup.ts";
import { budgetLines } from "./check_budgets.ts";
import { priceLines } from "./check_prices.ts";
import { openCheckEngines, sharedLines } from "./check_shared.ts";
import { autoModeLine } from "./auto_mode.ts";
import { proxyLines } from "./check_proxy.ts";
import { tracingLines } from "./check_tracing.ts";
import { ollamaContextLines } from "./check_ollama.ts";
import { localWindowLines } from "./check_local_windows.ts";
import { missingKeyProblems } from "../config/needed_keys.ts";
import { ConfigError } from "../core/errors.ts";

/**
 * Runs `ccp check`; a ConfigError propagates to the caller, which prints it and exits 1. So does
 * a route or alias whose provider lacks the key it needs, after the config is printed: a server
 * starts with it (another target may serve), but a check in CI or before a demo must fail.
 */
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
  for (const line of priceLines(config)) ctx.io.out(line);
  for (const line of proxyLines(config, ctx.env)) ctx.io.out(line);
  for (const line of tracingLines(config)) ctx.io.out(line);
  for (const line of await ollamaContextLines(config)) ctx.io.out(line);
  for (const line of await localWindowLines(config)) ctx.io.out(line);
  ctx.io.out(autoModeLine(config));
  const missing = missingKeyProblems(config);
  if (missing.length > 0) throw new ConfigError(missing.join("\n"));
  ctx.io.out("Config OK");
  return 0;
}
