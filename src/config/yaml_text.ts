/** Turns config file text into a plain tree, with YAML syntax errors as "file:line:col: ...". */

// The package's ES-module build, vendored (scripts/vendor_npm.ts): Deno would load its CommonJS
// build, and with it the Node-compatibility layer, on every start. Types from the npm package.
// @ts-types="yaml"
import YAML from "./vendor/yaml.js";
import { ConfigError } from "../core/errors.ts";
import { literalSecrets, redactUrlCredentials, scrubSecrets } from "../core/secrets.ts";
import { describeValue } from "./issues.ts";

function parseDocument(text: string) {
  return YAML.parseDocument(text, { prettyErrors: false, uniqueKeys: true });
}

// `${VAR}` (or `$${...}`) written unquoted in a flow collection, `{ token: ${T} }`, is not YAML:
// there `{` and `}` are syntax. A file that does not parse is parsed again with each reference
// stood in for by a plain word, which the values then get back for expansion.
// A default may hold a reference of its own (`${A:-${B}}`).
const REFERENCE_TEXT = /\$?\$\{(?:\$?\$\{[^}\n]*\}|[^}\n])*\}/g;
const STAND_IN = /\$ccp_reference_(\d+)_/g;

/** The text with its references stood in for, and where each stand-in sits in both texts. */
interface Masked {
  text: string;
  references: string[];
  /** Offset of each stand-in in the masked text (`at`) and of its reference in the user's. */
  spots: { at: number; word: number; from: number; reference: number }[];
}

function mask(text: string): Masked {
  const references: string[] = [];
  const spots: Masked["spots"] = [];
  let shift = 0;
  const masked = text.replace(REFERENCE_TEXT, (reference: string, from: number) => {
    // The same reference gets the same word, so `{ ${K}: 1, ${K}: 2 }` is still a duplicate key.
    const known = references.indexOf(reference);
    const word = `$ccp_reference_${known < 0 ? references.push(reference) - 1 : known}_`;
    spots.push({ at: from + shift, word: word.length, from, reference: reference.length });
    shift += word.length - reference.length;
    return word;
  });
  return { text: masked, references, spots };
}

/** The user's offset for an offset in the masked text (within a stand-in: its reference's start). */
function userOffset(spots: Masked["spots"], offset: number): number {
  let delta = 0;
  for (const spot of spots) {
    if (offset < spot.at) break;
    if (offset < spot.at + spot.word) return spot.from;
    delta = spot.from + spot.reference - (spot.at + spot.word);
  }
  return offset + delta;
}

const restore = (text: string, references: readonly string[]) =>
  text.replace(STAND_IN, (word, n) => references[Number(n)] ?? word);

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

/** A YAML error as found in the user's text: offsets into it and the library's message. */
interface SyntaxProblem {
  start: number;
  end: number;
  message: string;
}

const WIDTH = 80;
const cutAt = (line: string) => line.length > WIDTH ? `${line.slice(0, WIDTH - 1)}\u2026` : line;

/**
 * The user's line at `start` (and the one before when `start` is at its indentation), secrets
 * scrubbed, then a caret under the spot: placed after scrubbing, so it stays under it.
 */
function excerpt(text: string, start: number, end: number, clean: (s: string) => string) {
  const lineStart = text.lastIndexOf("\n", start - 1) + 1;
  const lineEnd = text.indexOf("\n", start);
  const raw = text.slice(lineStart, lineEnd < 0 ? text.length : lineEnd).replace(/\r$/, "");
  const before = raw.slice(0, start - lineStart);
  let shown = clean(raw);
  let caret = Math.min(clean(before).length, shown.length);
  // A long line is shown from a little before the spot.
  if (caret >= 60 && shown.length > WIDTH) {
    const cut = Math.min(caret - 39, shown.length - (WIDTH - 1));
    shown = `\u2026${shown.slice(cut)}`;
    caret -= cut - 1;
  }
  const lines = [cutAt(shown)];
  if (lineStart > 0 && /^ *$/.test(before)) {
    const previous = text.slice(text.lastIndexOf("\n", lineStart - 2) + 1, lineStart - 1);
    lines.unshift(cutAt(clean(previous.replace(/\r$/, ""))));
  }
  if (lines.every((line) => line.trim() === "")) return [];
  const span = end <= lineStart + raw.length ? end - start : 1;
  lines.push(" ".repeat(caret) + "^".repeat(Math.max(1, Math.min(span, WIDTH - caret))));
  return lines;
}

/** "file:line:col: invalid YAML: ..." and the excerpt, indented. */
function describeProblem(
  { start, end, message }: SyntaxProblem,
  text: string,
  file: string,
  clean: (s: string) => string,
): string {
  const summary = `invalid YAML: ${clean(message)}`;
  if (start < 0) return `${file}: ${summary}`;
  const lineStart = text.lastIndexOf("\n", start - 1) + 1;
  const where = `${file}:${text.slice(0, lineStart).split("\n").length}:${start - lineStart + 1}`;
  const lines = excerpt(text, start, end, clean).map((line) => line && `    ${line}`);
  return [`${where}: ${summary}`, ...lines].join("\n");
}

// What the YAML parser says when a line is indented by a space too many or too few: about the
// line before it, or a blank line, not the line to fix.
const INDENT_ERRORS =
  /Nested mappings are not allowed|Implicit keys need to be on a single line|must start at the same column|bad indentation/i;

/**
 * The line whose indentation is likely wrong: the first content line after the problem, when
 * it starts at a column no line above it starts at and the line before it opens no block (a
 * commented-out line of the template uncommented by removing only its `#`).
 */
function indentHint(problem: SyntaxProblem, text: string): string | undefined {
  if (problem.start < 0 || !INDENT_ERRORS.test(problem.message)) return undefined;
  const lines = text.split("\n").map((line) => line.replace(/\r$/, ""));
  const content = (line: string) => line.trim() !== "" && !line.trimStart().startsWith("#");
  const indent = (line: string) => line.length - line.trimStart().length;
  const at = text.slice(0, problem.start).split("\n").length - 1;
  const next = lines.findIndex((line, i) => i > at && content(line));
  if (next < 0) return undefined;
  const above = lines.slice(0, next).filter(content);
  const before = above.at(-1);
  const column = indent(lines[next]!);
  if (before === undefined || above.some((line) => indent(line) === column)) return undefined;
  if (/:\s*(#.*)?$/.test(before) && column > indent(before)) return undefined;
  return `  (line ${next + 1} starts at column ${column + 1}, which no line above it does: ` +
    "keys of one mapping start at the same column)";
}

/**
 * Parses YAML text into a plain mapping (an empty file is an empty mapping). Starts keep its trees
 * (tree_cache.ts): a change to what it returns for some text must raise TREE_FORMAT there.
 */
export function parseYamlTree(text: string, file: string): Record<string, unknown> {
  let doc = parseDocument(text);
  let problems: SyntaxProblem[] = doc.errors.map(({ pos: [start, end], message }) => ({
    start,
    end,
    message,
  }));
  if (problems.length > 0 && text.includes("${")) {
    const masked = mask(text);
    const again = parseDocument(masked.text);
    if (again.errors.length === 0) {
      putBack(again, masked.references);
      doc = again;
      problems = [];
    } else {
      // The masked text's errors are the user's real mistakes: the unmasked parse reports each
      // unquoted reference in a flow collection first, and the cascade after it hides the rest.
      // They are told at the user's own offsets, with the references back in their messages.
      problems = again.errors.map(({ pos: [start, end], message }) => ({
        start: start < 0 ? start : userOffset(masked.spots, start),
        end: end < 0 ? end : userOffset(masked.spots, end),
        message: restore(message, masked.references),
      }));
    }
  }
  if (problems.length > 0) {
    // The excerpt quotes the user's line: a key written there must not be printed.
    const secrets = literalSecrets(text);
    const clean = (line: string) => redactUrlCredentials(scrubSecrets(line, secrets));
    const hints = new Set(problems.map((problem) => indentHint(problem, text)));
    hints.delete(undefined);
    throw new ConfigError(
      [...problems.map((problem) => describeProblem(problem, text, file, clean)), ...hints]
        .join("\n"),
    );
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
