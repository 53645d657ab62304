/** Writes a converted claude-code-router config (convert.ts) as commented config.yaml and .env text. */

import type { Draft, DraftPeer, DraftRoute, Fields } from "./convert.ts";
import { oneLine } from "./text.ts";

/** claude-code-router's wording, for drafts that name no other peer. */
const CCR: DraftPeer = {
  name: "claude-code-router",
  command: "ccp init --from ccr",
  intro: [
    '# In Claude Code, /model takes "provider/model" (CCR\'s "provider,model" works too), and',
    "# agents' <CCR-SUBAGENT-MODEL> tags keep choosing their model.",
  ],
  defaultsComment: "CCR's API_TIMEOUT_MS (which ccr code also gave Claude Code as its request " +
    "timeout): how long ccp waits for an upstream answer to begin",
};

/** YAML keys that would not read back as strings, or that need quoting. */
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const RESERVED = /^(true|false|null|yes|no|on|off|y|n)$/i;

/** A mapping key, quoted unless plain YAML reads it back as the same string. */
function yamlKey(key: string): string {
  return PLAIN_KEY.test(key) && !RESERVED.test(key) ? key : JSON.stringify(key);
}

/**
 * A value in YAML flow style. Strings are double-quoted as JSON writes them, which YAML reads
 * back unchanged (and keeps `#`, `:` and leading `*` from meaning anything).
 */
function yamlValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return `[${value.map(yamlValue).join(", ")}]`;
  const entries = Object.entries(value as Record<string, unknown>);
  return `{ ${entries.map(([k, v]) => `${yamlKey(k)}: ${yamlValue(v)}`).join(", ")} }`;
}

function fieldLines(fields: Fields, indent: string): string[] {
  return fields.map(([k, v]) => `${indent}${yamlKey(k)}: ${yamlValue(v)}`);
}

/** Wraps `text` into comment lines of at most ~100 characters. */
function comment(text: string, indent = "", first = "# ", rest = "#   "): string[] {
  const words = oneLine(text).split(" ");
  const lines: string[] = [];
  let line = "";
  for (const word of words) {
    if (line !== "" && indent.length + first.length + line.length + word.length + 1 > 100) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  lines.push(line);
  return lines.map((l, i) => `${indent}${i === 0 ? first : rest}${l}`);
}

/** The config.yaml text for `draft`, converted from `source`. */
export function renderConfigYaml(draft: Draft, source: string): string {
  const peer = draft.peer ?? CCR;
  const out: string[] = [
    `# ccp configuration converted from ${peer.name}'s ${oneLine(source)}`,
    `# by "${peer.command}". Validate it with "ccp check"; the full reference is in README.md.`,
    "# Literal API keys were moved to the .env file beside this one and are read as ${VAR}.",
    ...peer.intro,
  ];
  if (draft.notCarried.length > 0) {
    out.push("#", "# Not carried over:");
    for (const note of draft.notCarried) out.push(...comment(note, "", "#  - ", "#    "));
  }
  if (draft.server.length > 0) out.push("", "server:", ...fieldLines(draft.server, "  "));
  out.push("", "providers:");
  for (const p of draft.providers) {
    for (const c of p.comments) out.push(...comment(c, "  "));
    out.push(`  ${yamlKey(p.id)}:`, ...fieldLines(p.fields, "    "));
    const settings = Object.entries(p.modelSettings);
    if (settings.length > 0) {
      out.push("    model_settings:");
      for (const [model, s] of settings) out.push(`      ${yamlKey(model)}: ${yamlValue(s)}`);
    }
  }
  if (draft.providerDefaults.length > 0) {
    out.push(
      "",
      ...comment(peer.defaultsComment),
      "provider_defaults:",
      ...fieldLines(draft.providerDefaults, "  "),
    );
  }
  out.push("", "routes:");
  for (const r of draft.routes) {
    if (r.comment) out.push(...comment(r.comment, "  "));
    out.push(`  ${yamlKey(r.name)}: ${yamlValue(routeValue(r))}`);
  }
  if (draft.aliases && draft.aliases.length > 0) {
    out.push("", "aliases:");
    for (const a of draft.aliases) out.push(`  ${yamlKey(a.name)}: ${yamlValue(routeValue(a))}`);
  }
  if (draft.routing.length > 0) out.push("", "routing:", ...fieldLines(draft.routing, "  "));
  return `${out.join("\n")}\n`;
}

/** A route's value: its target or list, as a variant with settings, or one item per weighted target. */
function routeValue(r: DraftRoute): unknown {
  if (r.weights) {
    return r.targets.map((target, i) => ({ target, weight: r.weights![i] ?? 1, ...r.variant }));
  }
  const target = r.targets.length === 1 ? r.targets[0] : r.targets;
  return r.variant ? { target, ...r.variant } : target;
}

/**
 * A .env value, quoted when it holds anything a .env reader would take apart, or undefined when no
 * quoting reads back as written. The reader (npm dotenv) turns every CR into a line end before it
 * parses, reads a backslash before n or r in double quotes as a line end, and ends a value at the
 * first quote mark of the kind it opened with: a value with all three marks and a line break would
 * otherwise go on as lines of its own (`HTTPS_PROXY=...`, which ccp applies).
 */
function envValue(value: string): string | undefined {
  if (/^[A-Za-z0-9_./:@+=-]*$/.test(value)) return value;
  if (value.includes("\r")) return undefined;
  // Single quotes and backquotes keep everything as it is; double quotes only without escapes.
  const quote = ["'", "`", '"'].find((q) =>
    !value.includes(q) && (q !== '"' || !/\\[nr]/.test(value))
  );
  if (quote !== undefined) return `${quote}${value}${quote}`;
  // Unquoted, the reader keeps one line up to a `#`, trims it, and unquotes a value in like marks.
  const bare = !/[#\n]/.test(value) && value.trim() === value && !/^(['"`]).*\1$/.test(value);
  return bare ? value : undefined;
}

/** The .env line for one moved key, or a comment asking for it when no .env line can hold it. */
function secretLine(name: string, value: string, source: string): string {
  const written = envValue(value);
  if (written !== undefined) return `${name}=${written}`;
  return `# ${name}=  <- its value in ${oneLine(source)} has a CR, or quote marks and escapes no ` +
    ".env value can hold as written: set it here yourself";
}

/** The .env text: the literal keys, and the variables the config still reads from the environment. */
export function renderDotenv(draft: Draft, source: string): string {
  const peer = draft.peer ?? CCR;
  const out = [
    `# Keys moved out of ${oneLine(source)} by "${peer.command}". Keep this file private.`,
  ];
  for (const s of draft.secrets) out.push(secretLine(s.name, s.value, source));
  if (draft.envRefs.length > 0) {
    out.push(
      "",
      `# Read from your environment, as ${
        peer.name === CCR.name ? "CCR" : peer.name
      } read them; or set them here:`,
      ...draft.envRefs.map((name) => `# ${name}=`),
    );
  }
  return `${out.join("\n")}\n`;
}
