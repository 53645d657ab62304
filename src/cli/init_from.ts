/**
 * `ccp init --from <peer> [--from-file PATH]`: reads claude-code-router's config.json, a
 * LiteLLM proxy or CLIProxyAPI config.yaml, or anthropic-proxy's models.yaml and writes the equivalent config.yaml, and a .env holding its literal
 * keys; like `ccp init`, never overwrites.
 */

import { parse as parseYaml } from "yaml";
import { CcrError, convertCcr, type Draft } from "../config/ccr/convert.ts";
import { parseJsonc } from "../config/ccr/jsonc.ts";
import { convertLiteLlm, LiteLlmError } from "../config/litellm/convert.ts";
import { CliProxyApiError, convertCliProxyApi } from "../config/cliproxyapi/convert.ts";
import { convertTizee, TizeeError } from "../config/tizee/convert.ts";
import type { ImportPeer } from "./args.ts";
import { renderConfigYaml, renderDotenv } from "../config/ccr/render.ts";
import { oneLine } from "../config/ccr/text.ts";
import { joinPath, resolvePath } from "../config/paths.ts";
import type { CliFlags } from "./args.ts";
import { ccpCommand, type CliContext, CliError } from "./context.ts";
import { shellWord } from "./shell_word.ts";
import { initTarget, makeTargetDir, reportWritten, writeNew } from "./init.ts";
import { messageOf } from "../core/errors.ts";

/** How each peer's file is found, read and converted. */
const READERS: Readonly<
  Record<ImportPeer, {
    /** The file relative to the home directory; absent: --from-file is needed. */
    readonly home?: string;
    readonly name: string;
    readonly format: string;
    readonly parse: (text: string) => unknown;
    readonly convert: (tree: unknown) => Draft;
  }>
> = {
  ccr: {
    home: ".claude-code-router/config.json",
    name: "CCR",
    format: "JSON",
    parse: parseJsonc,
    convert: convertCcr,
  },
  litellm: { name: "LiteLLM", format: "YAML", parse: parseYaml, convert: convertLiteLlm },
  cliproxyapi: {
    name: "CLIProxyAPI",
    format: "YAML",
    parse: parseYaml,
    convert: convertCliProxyApi,
  },
  "anthropic-proxy": {
    name: "anthropic-proxy",
    format: "YAML",
    parse: parseYaml,
    convert: convertTizee,
  },
};

/** The file to read: `--from-file`, else the peer's own place. */
function sourcePath(ctx: CliContext, peer: ImportPeer, file: string | undefined): string {
  if (file !== undefined) return resolvePath(ctx.cwd, file);
  const place = READERS[peer].home;
  if (place === undefined) {
    throw new CliError(
      `${READERS[peer].name}'s file has no fixed place: pass --from-file PATH`,
    );
  }
  const home = ctx.home ?? ctx.env.HOME ?? ctx.env.USERPROFILE;
  if (home === undefined) {
    throw new CliError("No home directory is known (HOME is unset): pass --from-file PATH.");
  }
  return joinPath(home, place);
}

/** Reads and converts the peer's file; every failure names the file. */
async function readDraft(peer: ImportPeer, path: string): Promise<Draft> {
  const reader = READERS[peer];
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new CliError(`${path}: no such file (pass --from-file PATH to read another)`);
    }
    throw new CliError(`Cannot read ${path}: ${messageOf(err)}`);
  }
  let tree: unknown;
  try {
    tree = reader.parse(text);
  } catch (err) {
    throw new CliError(`${path}: not valid ${reader.format}: ${(err as Error).message}`);
  }
  try {
    return reader.convert(tree);
  } catch (err) {
    if (
      err instanceof CcrError || err instanceof LiteLlmError ||
      err instanceof CliProxyApiError || err instanceof TizeeError
    ) {
      throw new CliError(`${path}: ${err.message}`);
    }
    throw err;
  }
}

/** Runs `ccp init --from <peer>`; returns the exit code. */
export async function runInitFrom(
  ctx: CliContext,
  flags: CliFlags,
  peer: ImportPeer,
  file: string | undefined,
): Promise<number> {
  const source = sourcePath(ctx, peer, file);
  const draft = await readDraft(peer, source);
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
    ctx.io.out(
      `Read from the environment, as ${READERS[peer].name} did: ${draft.envRefs.join(", ")}`,
    );
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
