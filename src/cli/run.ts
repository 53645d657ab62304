/** Dispatches a parsed command line to its command and maps errors to exit codes. */

import { ConfigError } from "../core/errors.ts";
import { VERSION } from "../version.ts";
import { parseCli } from "./args.ts";
import { type CliContext, CliError } from "./context.ts";
import { lazyImport } from "../core/lazy_modules.ts";

/** Exit code for a usage error (unknown flag or command, bad flag value). */
const EXIT_USAGE = 2;

/**
 * Runs the command `argv` names. Commands and the help text are imported lazily: --version and
 * `ccp serve` load neither the other commands nor the help.
 */
export async function runCli(argv: readonly string[], ctx: CliContext): Promise<number> {
  const command = parseCli(argv);
  try {
    switch (command.cmd) {
      case "usage_error":
        ctx.io.err(
          (await lazyImport("cli/usage.ts")).usageErrorText(command.message, command.topic),
        );
        return EXIT_USAGE;
      case "help":
        ctx.io.out((await lazyImport("cli/usage.ts")).helpText(command.topic));
        return 0;
      case "version":
        ctx.io.out(VERSION);
        return 0;
      case "serve":
        return await (await lazyImport("cli/serve.ts")).runServe(ctx, command.flags);
      case "init":
        if (command.from) {
          return await (await lazyImport("cli/init_from.ts")).runInitFrom(
            ctx,
            command.flags,
            command.from.peer,
            command.from.file,
          );
        }
        return await (await lazyImport("cli/init.ts")).runInit(ctx, command.flags);
      case "check":
        return await (await lazyImport("cli/check.ts")).runCheck(ctx, command.flags);
      case "models":
        return await (await lazyImport("cli/models.ts")).runModels(ctx, command.flags);
      case "health":
        return await (await lazyImport("cli/health.ts")).runHealth(ctx, command.flags);
      case "usage":
        return await (await lazyImport("cli/usage_report.ts")).runUsage(ctx, command);
      case "statusline":
        return await (await lazyImport("cli/statusline.ts")).runStatusline(ctx, command.flags);
      case "code":
        return await (await lazyImport("cli/code.ts")).runCode(
          ctx,
          command.flags,
          command.claudeArgs,
        );
      case "settings":
        return await (await lazyImport("cli/settings.ts")).runSettings(
          ctx,
          command.action,
          command.flags,
          { project: command.project, dryRun: command.dryRun },
        );
      case "service":
        return await (await lazyImport("cli/service.ts")).runService(
          ctx,
          command.action,
          command.flags,
          { system: command.system, dryRun: command.dryRun },
        );
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      ctx.io.err(`ccp: configuration error:\n${indent(err.message)}`);
      return 1;
    }
    if (err instanceof CliError) {
      ctx.io.err(`ccp: ${err.message}`);
      return err.exitCode;
    }
    throw err;
  }
}

function indent(text: string): string {
  return text.split("\n").map((line) => `  ${line}`).join("\n");
}
