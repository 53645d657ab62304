/**
 * `deno task compile [--target T]`: builds dist/ccp-<target> for every release target with exactly
 * the permission flags of `deno task start` and deno.json's unstable features. A build cannot
 * lie: the binary for this machine is run with --version and must print ccp's version (a build
 * against the wrong Deno runtime, e.g. a DENORT_BIN that is plain Deno, prints Deno's) — else it
 * is deleted and the task fails, saying why. Binaries for other machines cannot be run here:
 * their size and embedded files (ccp's code, the tokenizer data) are checked, and the task says
 * what it could not check.
 */

import { parseArgs } from "node:util";
import { VERSION } from "../src/version.ts";
import { LAZY_MODULES } from "../src/core/lazy_modules.ts";

/** Every target a release ships. */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;

const ROOT = new URL("../", import.meta.url);
const TABLE = new URL("src/tokens/o200k_ranks.bin", ROOT);
const encoder = new TextEncoder();
const say = (text: string) => Deno.stderr.writeSync(encoder.encode(`${text}\n`));

/**
 * The compile flags derived from deno.json: the start task's permissions and V8 flags (a binary
 * embeds both) and deno.json's unstable features.
 */
export function compileFlags(
  denoJson: { tasks: { start: string }; unstable?: string[] },
): string[] {
  const words = denoJson.tasks.start.split(/\s+/);
  if (words[0] !== "deno" || words[1] !== "run" || words[words.length - 1] !== "src/main.ts") {
    throw new Error(`deno.json's start task is not "deno run <flags> src/main.ts": ${words}`);
  }
  const flags = words.slice(2, -1);
  const permissions = flags.filter((w) => w.startsWith("--allow-"));
  const v8 = flags.filter((w) => w.startsWith("--v8-flags="));
  const other = flags.filter((w) => !permissions.includes(w) && !v8.includes(w));
  if (other.length > 0) throw new Error(`unexpected flags in the start task: ${other.join(" ")}`);
  return [
    ...permissions,
    ...v8,
    ...(denoJson.unstable ?? []).map((name) => `--unstable-${name}`),
  ];
}

/**
 * Why a compile's embedded files or size show a broken binary, or undefined when they look right.
 * The listing folds directories, so the tokenizer table is looked for in the binary itself.
 */
export function checkEmbedded(
  listing: string,
  binary: Uint8Array,
  table: Uint8Array,
): string | undefined {
  // deno compile's listing colours its tree; the names are what matter.
  const plain = listing.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g"), "");
  if (!/main\.ts/.test(plain)) return "its embedded files do not include src/main.ts";
  // The table's head (its magic line, counts and pattern) is in no source file, only in the table.
  if (!contains(binary, table.subarray(0, 64))) return "the tokenizer data is not embedded";
  const size = binary.byteLength;
  if (size < 20 * 1_048_576) {
    return `only ${(size / 1_048_576).toFixed(1)} MiB, too small to hold ccp`;
  }
  return undefined;
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  const first = needle[0];
  for (let at = haystack.indexOf(first!); at >= 0; at = haystack.indexOf(first!, at + 1)) {
    if (at + needle.length > haystack.length) return false;
    let i = 1;
    while (i < needle.length && haystack[at + i] === needle[i]) i++;
    if (i === needle.length) return true;
  }
  return false;
}

/**
 * Runs a binary with --version, ok when it prints exactly `version`, then with `check`, ok when
 * it accepts the built-in default config.
 */
export async function verifyBinary(
  path: string | URL,
  version: string,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  let run: Deno.CommandOutput;
  try {
    run = await new Deno.Command(path, {
      args: ["--version"],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(30_000),
    }).output();
  } catch (error) {
    return {
      ok: false,
      reason: `it cannot be run (${error instanceof Error ? error.message : error})`,
    };
  }
  const printed = new TextDecoder().decode(run.stdout).trim();
  if (!run.success || printed !== version) {
    const first = printed.split("\n")[0] ?? "";
    const hint = /^deno /.test(first)
      ? " — it is plain Deno: it was built with a Deno runtime (DENORT_BIN) that is not ccp's"
      : "";
    return {
      ok: false,
      reason: `--version printed "${first}" (exit ${run.code}), expected ${version}${hint}`,
    };
  }
  return await checksDefaultConfig(path);
}

/**
 * Runs `ccp check` in an empty home: it must load its command module (imported lazily, so only
 * there if the compile embedded the lazily loaded modules) and accept the built-in default.
 */
async function checksDefaultConfig(
  path: string | URL,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const home = await Deno.makeTempDir({ prefix: "ccp_verify_" });
  try {
    const run = await new Deno.Command(path, {
      args: ["check"],
      cwd: home,
      clearEnv: true,
      env: {
        ...systemEnv(),
        HOME: home,
        USERPROFILE: home,
        APPDATA: `${home}/AppData/Roaming`,
        LOCALAPPDATA: `${home}/AppData/Local`,
        XDG_CONFIG_HOME: `${home}/.config`,
        NO_COLOR: "1",
      },
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(30_000),
    }).output();
    const printed = new TextDecoder().decode(run.stdout) + new TextDecoder().decode(run.stderr);
    if (run.success && /Config OK/.test(printed)) return { ok: true };
    const last = printed.trim().split("\n").at(-1) ?? "";
    return { ok: false, reason: `\`check\` failed (exit ${run.code}): ${last}` };
  } finally {
    await Deno.remove(home, { recursive: true }).catch(() => {});
  }
}

/**
 * What a Windows program needs from its environment whatever it does (without SystemRoot its
 * sockets and system libraries fail to start); nothing on other systems.
 */
export function systemEnv(
  get: (name: string) => string | undefined = (name) => Deno.env.get(name),
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ["SystemRoot", "windir", "SystemDrive"]) {
    const value = get(name);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** `--include` for every file the compiled ccp loads that no static import names (paths relative to ROOT). */
export function includes(): string[] {
  const files = ["src/tokens/o200k_ranks.bin", ...LAZY_MODULES.map((path) => `src/${path}`)];
  return files.flatMap((file) => ["--include", file]);
}

/** The output file for a target. */
export function outputFor(target: string): string {
  return `dist/ccp-${target}${target.includes("windows") ? ".exe" : ""}`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    // `--verify` is accepted for old scripts: the host binary is always verified now.
    options: { target: { type: "string", multiple: true }, verify: { type: "boolean" } },
    strict: true,
  });
  const targets = values.target ?? [...TARGETS];
  const unknown = targets.filter((t) => !(TARGETS as readonly string[]).includes(t));
  if (unknown.length > 0) {
    say(`Unknown target ${unknown.join(", ")}; known: ${TARGETS.join(", ")}`);
    return 2;
  }
  const denoJson = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  const flags = compileFlags(denoJson);
  await Deno.mkdir(new URL("dist", ROOT), { recursive: true });

  for (const target of targets) {
    const output = outputFor(target);
    // Only the packages src/ reaches are embedded: the modules ccp loads lazily (whose imports
    // deno compile cannot see) are named, with the tokenizer table, a data file ccp reads.
    const args = [
      "compile",
      ...flags,
      "--exclude-unused-npm",
      ...includes(),
      "--target",
      target,
      "--output",
      output,
      "src/main.ts",
    ];
    say(`$ deno ${args.join(" ")}`);
    const built = await new Deno.Command(Deno.execPath(), {
      args,
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    // The embedded-file listing goes to stderr.
    const listing = new TextDecoder().decode(built.stdout) + new TextDecoder().decode(built.stderr);
    if (!built.success) {
      say(listing);
      say(`Compiling for ${target} failed (exit ${built.code})`);
      return 1;
    }
    const path = new URL(output, ROOT);
    const binary = await Deno.readFile(path);
    const size = binary.byteLength;
    const problem = checkEmbedded(listing, binary, await Deno.readFile(TABLE));
    if (problem) {
      await Deno.remove(path).catch(() => {});
      say(`${output}: ${problem}; deleted`);
      return 1;
    }
    say(
      `${output}: ${(size / 1_048_576).toFixed(1)} MiB, ccp's code and the tokenizer data embedded`,
    );
    if (target !== Deno.build.target) {
      say(
        `  not run here (built for ${target}): the release workflow runs it on a ${target} runner`,
      );
      continue;
    }
    const verdict = await verifyBinary(path, VERSION);
    if (!verdict.ok) {
      await Deno.remove(path).catch(() => {});
      say(`${output} is not a working ccp: ${verdict.reason}; deleted`);
      return 1;
    }
    say(`${output} --version: ${VERSION}`);
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main());
