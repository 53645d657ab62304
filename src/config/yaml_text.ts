/** Turns config file text into a plain tree, with YAML syntax errors as "file:line:col: …". */

// The package's ES-module build, vendored (scripts/vendor_yaml.ts): Deno would load its CommonJS
// build, and with it the Node-compatibility layer, on every start. Types from the npm package.
// @ts-types="yaml"
import YAML from "./vendor/yaml.js";
import { ConfigError } from "../core/errors.ts";
import { literalSecrets, redactUrlCredentials, scrubSecrets } from "../core/secrets.ts";
import { describeValue } from "./issues.ts";

function parseDocument(text: string) {
  return YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
}

// `${VAR}` (or `$${…}`) written unquoted in a flow collection, `{ token: ${T} }`, is not YAML:
// there `{` and `}` are syntax. A file that does not parse is parsed again with each reference
// stood in for by a plain word, which the values then get back for expansion.
const REFERENCE_TEXT = /\$?\$\{[^}\n]*\}/g;
const STAND_IN = /\$ccp_reference_(\d+)_/g;

// A reference inside a quoted scalar is read with that scalar's escapes (`"${X:-\u00e9}"`,
// `'${X:-it''s}'`), as it would have been without the stand-in; elsewhere it reads as written.
function readAs(reference: string, type: unknown): string {
  const quote = type === "QUOTE_DOUBLE" ? '"' : type === "QUOTE_SINGLE" ? "'" : undefined;
  if (quote === undefined) return reference;
  const quoted = YAML.parseDocument(`${quote}${reference}${quote}`);
  const value: unknown = quoted.errors.length === 0 ? quoted.toJS() : undefined;
  return typeof value === "string" ? value : reference;
}

/** Gives each scalar of `doc` (keys too) the references its stand-ins took the place of. */
function putBack(doc: ReturnType<typeof parseDocument>, references: readonly string[]): void {
  YAML.visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value !== "string") return;
      node.value = node.value.replace(
        STAND_IN,
        (word, n) => {
          const reference = references[Number(n)];
          return reference === undefined ? word : readAs(reference, node.type);
        },
      );
    },
  });
}

/** Parses YAML text into a plain mapping (an empty file is an empty mapping). */
export function parseYamlTree(text: string, file: string): Record<string, unknown> {
  let doc = parseDocument(text);
  if (doc.errors.length > 0 && text.includes("${")) {
    const stood: string[] = [];
    const again = parseDocument(
      text.replace(REFERENCE_TEXT, (ref) => `$ccp_reference_${stood.push(ref) - 1}_`),
    );
    if (again.errors.length === 0) {
      putBack(again, stood);
      doc = again;
    }
  }
  if (doc.errors.length > 0) {
    // The library quotes the lines around the error: a key written there must not be printed.
    const secrets = literalSecrets(text);
    const clean = (line: string) => redactUrlCredentials(scrubSecrets(line, secrets));
    const lines = doc.errors.map((error) => {
      const pos = error.linePos?.[0];
      const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
      // The library's message is "text at line L, column C:\n\n<excerpt>"; keep text and excerpt.
      const [first = "", ...rest] = error.message.split("\n");
      const summary = first.replace(/ at line \d+, column \d+:?$/, "");
      const excerpt = rest.filter((line) => line.trim() !== "").map((line) => `    ${clean(line)}`);
      return [`${where}: invalid YAML: ${clean(summary)}`, ...excerpt].join("\n");
    });
    throw new ConfigError(lines.join("\n"));
  }
  const tree: unknown = doc.toJS({ maxAliasCount: 1000 });
  if (tree === null || tree === undefined) return {};
  if (typeof tree !== "object" || Array.isArray(tree)) {
    throw new ConfigError(
      `${file}: expected a mapping at the top level, got ${describeValue(tree)}`,
    );
  }
  return tree as Record<string, unknown>;
}

// Inside these (a model's `extra_body`, a transform's `set`) null means "remove this field from
// the request", so it is kept.
const KEEPS_NULLS = new Set(["extra_body", "set"]);

/**
 * Removes mapping entries whose value is null: `api_key:` left blank means "not set" (except
 * under the keys above).
 */
export function dropNullEntries(tree: unknown): unknown {
  if (Array.isArray(tree)) return tree.map(dropNullEntries);
  if (tree === null || typeof tree !== "object") return tree;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(tree)) {
    if (value !== null) out[key] = KEEPS_NULLS.has(key) ? value : dropNullEntries(value);
  }
  return out;
}
