/**
 * `ccp init --from ccr [--from-file PATH]`: reads claude-code-router's config.json and writes the
 * equivalent config.yaml, and a .env holding its literal keys; like `ccp init`, never overwrites.
 */

import { CcrError, convertCcr, type Draft } from "../config/ccr/convert.ts";
import { parseJsonc } from "../config/ccr/jsonc.ts";
import { renderConfigYaml, renderDotenv } from "../config/ccr/render.ts";
import { oneLine } from "../config/ccr/text.ts";
import { joinPath, resolvePath } from "../config/paths.ts";
import type { CliFlags } from "./args.ts";
import { ccpCommand, type CliContext, CliError } from "./context.ts";
import { shellWord } from "./shell_word.ts";
import { initTarget, makeTargetDir, reportWritten, writeNew } from "./init.ts";

/** CCR's config file, relative to the home directory. */
const CCR_CONFIG = ".claude-code-router/config.json";

/** The CCR file to read: `--from-file`, else CCR's own place. */
function sourcePath(ctx: CliContext, file: string | undefined): string {
  if (file !== undefined) return resolvePath(ctx.cwd, file);
  const home = ctx.home ?? ctx.env.HOME ?? ctx.env.USERPROFILE;
  if (home === undefined) {
    throw new CliError("No home directory is known (HOME is unset): pass --from-file PATH.");
  }
  return joinPath(home, CCR_CONFIG);
}

/** Reads and converts the CCR file; every failure names the file. */
async function readDraft(path: string): Promise<Draft> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new CliError(`${path}: no such file (pass --from-file PATH to read another)`);
    }
    throw new CliError(`Cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  let json: unknown;
  try {
    json = parseJsonc(text);
  } catch (err) {
    throw new CliError(`${path}: not valid JSON: ${(err as Error).message}`);
  }
  try {
    return convertCcr(json);
  } catch (err) {
    if (err instanceof CcrError) throw new CliError(`${path}: ${err.message}`);
    throw err;
  }
}

/** Runs `ccp init --from ccr`; returns the exit code. */
export async function runInitFromCcr(
  ctx: CliContext,
  flags: CliFlags,
  file: string | undefined,
): Promise<number> {
  const source = sourcePath(ctx, file);
  const draft = await readDraft(source);
  const target = initTarget(ctx, flags);
  await makeTargetDir(target);
  if (!await writeNew(target.configFile, renderConfigYaml(draft, source), 0o644)) {
    ctx.io.out(`${target.configFile} exists, left alone`);
    ctx.io.err(
      `ccp: nothing converted: move ${target.configFile} aside, or pass --config FILE to ` +
        "write the converted config elsewhere",
    );
    return 1;
  }
  await reportWritten(ctx, target.configFile, false);
  if (await writeNew(target.envFile, renderDotenv(draft, source), 0o600)) {
    await reportWritten(ctx, target.envFile, true);
    if (draft.secrets.length > 0) {
      ctx.io.out(`  holding the literal keys as ${draft.secrets.map((s) => s.name).join(", ")}`);
    }
  } else {
    ctx.io.out(`${target.envFile} exists, left alone`);
    if (draft.secrets.length > 0) {
      // Never printed: the values stay in the CCR file until the user copies them.
      ctx.io.out(
        `  add ${draft.secrets.map((s) => s.name).join(", ")} to it (the values are the ` +
          `literal keys in ${source})`,
      );
    }
  }
  if (draft.envRefs.length > 0) {
    ctx.io.out(`Read from the environment, as CCR did: ${draft.envRefs.join(", ")}`);
  }
  if (draft.notCarried.length > 0) {
    ctx.io.out(["", "Not carried over (also listed at the top of the config):"].join("\n"));
    for (const note of draft.notCarried) ctx.io.out(`  - ${oneLine(note)}`);
  }
  const flag = target.needsFlag ? ` --config ${shellWord(flags.config ?? "")}` : "";
  const ccp = ccpCommand(ctx);
  ctx.io.out(
    [
      "",
      "Next steps:",
      `  1. ${ccp} check${flag}     validate it and see the routes`,
      `  2. ${ccp} code${flag}      run Claude Code through it (or: ${ccp} serve${flag})`,
    ].join("\n"),
  );
  return 0;
}
