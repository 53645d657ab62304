/** `ccp init`: writes the commented config.yaml and .env templates; never overwrites a file. */

import { envValue } from "../config/env/map.ts";
import { dirnamePath, joinPath, resolvePath } from "../config/paths.ts";
import { defaultConfigDir } from "../config/search.ts";
import { CONFIG_YAML_TEMPLATE, DOTENV_TEMPLATE } from "../config/template.ts";
import type { CliFlags } from "./args.ts";
import { ccpCommand, type CliContext, CliError } from "./context.ts";
import { shellWord } from "./shell_word.ts";
import { modelTemplate, ollamaServer } from "./init_model.ts";
import { messageOf } from "../core/errors.ts";
import { notAsRoot, otherOwner } from "../core/other_owner.ts";

/** Where init writes: the config file and the .env beside it. */
export interface InitTarget {
  readonly dir: string;
  readonly configFile: string;
  readonly envFile: string;
  /** True when `ccp check` needs `--config` to find the file. */
  readonly needsFlag: boolean;
}

/** The files init writes: `--config FILE` (or $CCP_CONFIG) and its dir, else the config dir. */
export function initTarget(ctx: CliContext, flags: CliFlags): InitTarget {
  const named = flags.config ?? envValue(ctx.env, "CCP_CONFIG");
  if (named !== undefined) {
    const configFile = resolvePath(ctx.cwd, named);
    const dir = dirnamePath(configFile);
    return {
      dir,
      configFile,
      envFile: joinPath(dir, ".env"),
      needsFlag: flags.config !== undefined,
    };
  }
  const dir = defaultConfigDir(ctx.env, ctx.home);
  if (dir === undefined) {
    throw new CliError("No home directory is known (HOME is unset): pass --config FILE.");
  }
  return {
    dir,
    configFile: joinPath(dir, "config.yaml"),
    envFile: joinPath(dir, ".env"),
    needsFlag: false,
  };
}

/** Creates `path` with `text` unless it exists; returns whether it was written. */
export async function writeNew(path: string, text: string, mode: number): Promise<boolean> {
  try {
    await Deno.writeTextFile(path, text, { createNew: true, mode });
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) return false;
    const reason = messageOf(err);
    throw new CliError(`Cannot write ${path}: ${reason}`);
  }
}

/** Creates the directory init writes into. */
export async function makeTargetDir(target: InitTarget): Promise<void> {
  const other = await otherOwner(target.dir);
  if (other) throw new CliError(`${notAsRoot(other)}; ccp wrote nothing`);
  try {
    await Deno.mkdir(target.dir, { recursive: true });
  } catch (err) {
    const reason = messageOf(err);
    throw new CliError(`Cannot create ${target.dir}: ${reason}`);
  }
}

/** Reports a written file; a secret one is made private first. */
export async function reportWritten(ctx: CliContext, path: string, secret: boolean): Promise<void> {
  const private600 = secret && ctx.os !== "windows";
  // Explicitly, because a mode given at creation is only as good as the umask allows.
  if (private600) await Deno.chmod(path, 0o600);
  ctx.io.out(`Wrote ${path}${private600 ? " (mode 600)" : ""}`);
}

/** Runs `ccp init`; returns the exit code. */
export async function runInit(ctx: CliContext, flags: CliFlags): Promise<number> {
  const target = initTarget(ctx, flags);
  await makeTargetDir(target);
  const fromModel = modelTemplate(ctx.env);
  const files = [
    { path: target.configFile, text: fromModel?.text ?? CONFIG_YAML_TEMPLATE, mode: 0o644 },
    { path: target.envFile, text: DOTENV_TEMPLATE, mode: 0o600 },
  ];
  let wroteConfig = false;
  for (const file of files) {
    if (await writeNew(file.path, file.text, file.mode)) {
      await reportWritten(ctx, file.path, file.mode === 0o600);
      wroteConfig ||= file.path === target.configFile;
    } else ctx.io.out(`${file.path} exists, left alone`);
  }
  const carried = wroteConfig && fromModel !== undefined;
  if (carried) {
    ctx.io.out(`Its routes are the ones MODEL gives: ${fromModel.routes.join("; ")}`);
    // Given again (the Quick start's `MODEL=... ccp code`), MODEL is named at every start as set
    // but not read.
    const names = fromModel.modelVariables.join(", ");
    ctx.io.out(
      `The file is read instead of ${names} from now on: leave ${names} out of ccp's commands`,
    );
  }
  const keyExample = carried && fromModel.keyVariables.length > 0
    ? fromModel.keyVariables.map((name) => `${name}=...`).join(", ")
    : "e.g. NVIDIA_NIM_API_KEY=...";
  // Routes to local servers alone need no key: step 1 says where the server is looked for. The
  // template's own route is such a one; the key example stays for the providers it comments.
  const keyStep = carried && fromModel.keyVariables.length === 0 &&
      fromModel.localServers.length > 0
    ? `No key is needed for ${fromModel.localServers.join(", ")}: ` +
      `set that variable in ${target.envFile} if yours listens elsewhere`
    : wroteConfig && fromModel === undefined
    ? `No key is needed for its route to ${ollamaServer(ctx.env)}: set that variable in ` +
      `${target.envFile} if yours listens elsewhere. For a hosted provider, put its key there ` +
      `(${keyExample})`
    : `Put provider keys in ${target.envFile} (${keyExample})`;
  // What the file starts with is known only when this run wrote it: one left alone is the user's.
  const startsWith = !wroteConfig
    ? ""
    : ` (${carried ? "it starts with MODEL's routes" : "it starts with local Ollama"})`;
  const flag = target.needsFlag ? ` --config ${shellWord(flags.config ?? "")}` : "";
  const ccp = ccpCommand(ctx);
  ctx.io.out(
    [
      "",
      "Next steps:",
      `  1. ${keyStep}`,
      `  2. Edit ${target.configFile}: providers and routes${startsWith}`,
      `  3. ${ccp} check${flag}     validate it`,
      `  4. ${ccp} serve${flag}     or: ${ccp} code${flag}   to run Claude Code through it`,
    ].join("\n"),
  );
  return 0;
}
