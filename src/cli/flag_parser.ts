/**
 * A strict command-line flag parser: `--name value`, `--name=value`, boolean `--name`, one-letter
 * aliases for switches (`-h`, also grouped: `-hV`), and `--` before plain arguments. ccp's own rather than
 * node:util's parseArgs, whose Node-compatibility layer cost every start ~13 ms and ~2.5 MB.
 */

import { closest } from "../config/suggest.ts";

/** One flag: takes a value (`string`) or is a switch (`boolean`, with an optional one-letter alias). */
export type FlagSpec =
  | { readonly type: "string" }
  | { readonly type: "boolean"; readonly short?: string };

/** What was parsed: flag values by name (the last one given wins) and the plain arguments. */
export interface ParsedFlags {
  readonly values: Record<string, string | boolean | undefined>;
  readonly positionals: string[];
}

/** A command line ccp does not accept; the message is for the user as it stands. */
export class UsageError extends Error {}

/** Parses `args` against `specs`; throws a {@link UsageError} naming the first problem. */
export function parseFlags(
  args: readonly string[],
  specs: Readonly<Record<string, FlagSpec>>,
): ParsedFlags {
  const values: Record<string, string | boolean | undefined> = {};
  const positionals: string[] = [];
  const byShort = new Map(
    Object.entries(specs).flatMap(([name, spec]) =>
      spec.type === "boolean" && spec.short ? [[spec.short, name]] : []
    ),
  );
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
      if (!spec) {
        const near = closest(name, Object.keys(specs));
        throw new UsageError(
          `unknown option --${name}${near === undefined ? "" : `; did you mean --${near}?`}`,
        );
      }
      if (spec.type === "boolean") {
        if (eq >= 0) throw new UsageError(`--${name} does not take a value`);
        values[name] = true;
      } else if (eq >= 0) values[name] = arg.slice(eq + 1);
      else values[name] = valueAfter(args, i++, `--${name}`);
    } else if (arg.length > 1 && arg.startsWith("-")) {
      // One switch letter, or several grouped (`-hV`).
      for (const letter of arg.slice(1)) {
        const name = byShort.get(letter);
        if (name === undefined) throw new UsageError(`unknown option -${letter}`);
        values[name] = true;
      }
    } else positionals.push(arg);
  }
  return { values, positionals };
}

/** The value following the flag at `at`: present and not itself flag-like. */
function valueAfter(args: readonly string[], at: number, flag: string): string {
  const value = args[at + 1];
  if (value === undefined) throw new UsageError(`${flag} needs a value`);
  // `--port -1` is more likely a forgotten value than a port: the `=` form says it is meant.
  if (value.length > 1 && value.startsWith("-")) {
    throw new UsageError(
      `${flag} needs a value (write ${flag}=VALUE for a value starting with "-")`,
    );
  }
  return value;
}
