/** `${VAR}` / `${VAR:-default}` expansion of the string values of a parsed YAML tree. */

import type { EnvMap } from "./env/map.ts";
import type { KeyPath } from "./issues.ts";
import { messageOf } from "../core/errors.ts";

/** A `${VAR}` reference (without default) whose variable was unset, so it became "". */
export interface UnsetReference {
  readonly path: KeyPath;
  readonly name: string;
}

/** The expanded tree plus what the loader reports about it. */
export interface Expansion {
  readonly value: unknown;
  readonly unset: readonly UnsetReference[];
  /**
   * `${VAR}` references (without default) to a variable that is set but blank (`KEY=` in a .env).
   */
  readonly blank: readonly UnsetReference[];
  readonly problems: readonly { readonly path: KeyPath; readonly message: string }[];
}

const PROTO_KEY = "\"__proto__\" cannot be a key in ccp's config (it names an object's " +
  "prototype in JavaScript): rename or remove it";

const REFERENCE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/;

/**
 * Where the `}` that closes the reference opening at `open` is, or -1. A default may hold
 * references of its own (`${A:-${B}}`), so inner `${` ... `}` pairs are skipped.
 */
function closingBrace(text: string, open: number): number {
  let depth = 0;
  for (let j = open + 2; j < text.length; j++) {
    if (text.startsWith("${", j)) {
      depth++;
      j++;
    } else if (text[j] === "}") {
      if (depth === 0) return j;
      depth--;
    }
  }
  return -1;
}

/**
 * Expands one string. `$${` is a literal `${`; an unset variable without default becomes "";
 * `${VAR:-x}` uses x when VAR is unset or empty (shell semantics), and x is expanded in turn, as
 * a shell does (`${A:-${B}}`); a variable's value never is. Throws RangeError on bad syntax.
 */
export function expandString(
  text: string,
  env: EnvMap,
): { value: string; unset: string[]; blank: string[] } {
  let out = "";
  const unset: string[] = [];
  const blank: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text.startsWith("$${", i)) {
      out += "${";
      i += 3;
    } else if (text.startsWith("${", i)) {
      const close = closingBrace(text, i);
      if (close < 0) {
        throw new RangeError(`"${text}" has a "\${" without "}" (write $\${ for a literal \${)`);
      }
      const inner = text.slice(i + 2, close);
      const match = REFERENCE.exec(inner);
      if (!match) {
        throw new RangeError(
          `"\${${inner}}" is not a variable reference (use \${NAME} or \${NAME:-default})`,
        );
      }
      const name = match[1] as string;
      const fallback = match[2];
      const value = env[name];
      if (fallback !== undefined) {
        if (value) out += value;
        else {
          const inner = expandString(fallback, env);
          out += inner.value;
          unset.push(...inner.unset);
          blank.push(...inner.blank);
        }
      } else if (value === undefined) unset.push(name);
      else {
        if (value.trim() === "") blank.push(name);
        out += value;
      }
      i = close + 1;
    } else {
      out += text[i];
      i += 1;
    }
  }
  return { value: out, unset, blank };
}

/**
 * Returns a copy of `tree` with every string value expanded; mapping keys are left alone. A key
 * `__proto__` is a problem, and not copied: assigned, it would replace the mapping's prototype
 * under the language's own setter (its entries then read through every key the mapping lacks, and
 * the key itself gone), and no setting of ccp's is named so.
 */
export function expandTree(tree: unknown, env: EnvMap): Expansion {
  const unset: UnsetReference[] = [];
  const blank: UnsetReference[] = [];
  const problems: { path: KeyPath; message: string }[] = [];
  const walk = (node: unknown, path: KeyPath): unknown => {
    if (typeof node === "string") {
      try {
        const result = expandString(node, env);
        for (const name of result.unset) unset.push({ path, name });
        for (const name of result.blank) blank.push({ path, name });
        return result.value;
      } catch (err) {
        problems.push({ path, message: messageOf(err) });
        return node;
      }
    }
    if (Array.isArray(node)) return node.map((item, index) => walk(item, [...path, index]));
    if (node !== null && typeof node === "object") {
      const copy: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(node)) {
        if (key === "__proto__") {
          problems.push({ path: [...path, key], message: PROTO_KEY });
        } else copy[key] = walk(child, [...path, key]);
      }
      return copy;
    }
    return node;
  };
  return { value: walk(tree, []), unset, blank, problems };
}
