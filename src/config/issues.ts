/** Collects config problems as "file: key.path: what is wrong" lines and throws them together. */

import { ConfigError } from "../core/errors.ts";
import { redactUrlCredentials } from "../core/secrets.ts";

/** A location inside the YAML tree, e.g. `["routes", "sonnet", 1]`. */
export type KeyPath = readonly (string | number)[];

/** Formats a key path the way users write it: `providers.nim.timeouts.idle`, `routes.sonnet[1]`. */
export function formatKeyPath(path: KeyPath): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    // Keys with dots or spaces (provider ids may contain ".") are bracketed to stay unambiguous.
    else if (/^[A-Za-z0-9_-]+$/.test(part)) out += out === "" ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

/** Describes a rejected value briefly: strings quoted, containers by kind. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return JSON.stringify(value);
  return String(value);
}

/** Accumulates problems so a user sees every mistake in one run instead of one per start. */
export class Problems {
  readonly #lines: string[] = [];

  /** `source` prefixes every line: the config file as found, or a label such as "environment". */
  constructor(readonly source: string) {}

  /**
   * Records a problem at a key path (an empty path means the whole file). A URL it quotes (a
   * base_url that is not one) is shown without its credentials: problems are printed and logged.
   */
  add(path: KeyPath, message: string): void {
    const where = formatKeyPath(path);
    const said = redactUrlCredentials(message);
    this.#lines.push(
      where === "" ? `${this.source}: ${said}` : `${this.source}: ${where}: ${said}`,
    );
  }

  /** Records a problem whose text already says where it is. */
  addLine(line: string): void {
    this.#lines.push(redactUrlCredentials(line));
  }

  /** Number of problems so far. */
  get count(): number {
    return this.#lines.length;
  }

  /** One ConfigError listing every problem so far. */
  error(): ConfigError {
    return new ConfigError(this.#lines.join("\n"));
  }

  /** Throws one ConfigError listing every problem, if there are any. */
  throwIfAny(): void {
    if (this.#lines.length > 0) throw this.error();
  }
}
