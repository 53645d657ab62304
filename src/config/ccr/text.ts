/** Values from a claude-code-router config as ccp writes them, and the state a conversion keeps. */

export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const WHOLE_REF = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$/;

/** CCR's `$VAR` / `${VAR}` as ccp's `${VAR}`; any other `${` is escaped so ccp reads it literally. */
export function ccpText(value: string): string {
  const whole = WHOLE_REF.exec(value);
  if (whole) return `\${${whole[1] ?? whole[2]}}`;
  return value.replace(/\$\{(?![A-Za-z_][A-Za-z0-9_]*\})/g, () => "$${");
}

/** ccpText over every string in a JSON value. */
export function ccpData(value: unknown): unknown {
  if (typeof value === "string") return ccpText(value);
  if (Array.isArray(value)) return value.map(ccpData);
  if (isObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, ccpData(v)]));
  }
  return value;
}

/**
 * Text from a peer that reads its file as written (LiteLLM but for `os.environ/`, CLIProxyAPI,
 * anthropic-proxy): every `${` is escaped, so ccp reads it as written too. As a reference it would
 * have ccp send an environment variable's value wherever the file says.
 */
export function literalText(value: string): string {
  // A function: in a replacement string, `$$` would stand for one `$`.
  return value.replaceAll("${", () => "$${");
}

/** literalText over every string value in a JSON value (ccp expands no mapping key). */
export function literalData(value: unknown, text = literalText): unknown {
  if (typeof value === "string") return text(value);
  if (Array.isArray(value)) return value.map((item) => literalData(item, text));
  if (isObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, literalData(v, text)]));
  }
  return value;
}

/** False, "", null, [] or {}: a key that asks for nothing. */
export function isEmptyValue(value: unknown): boolean {
  return value === false || value === "" || value === null ||
    (Array.isArray(value) && value.length === 0) ||
    (isObject(value) && Object.keys(value).length === 0);
}

/** The variable a whole-value reference names, if the value is one. */
export function refName(value: string): string | undefined {
  const whole = WHOLE_REF.exec(value);
  return whole ? whole[1] ?? whole[2] : undefined;
}

/** Mutable state threaded through the conversion. */
export interface State {
  readonly notCarried: string[];
  readonly secrets: Array<{ name: string; value: string }>;
  readonly envRefs: Set<string>;
  readonly ids: Set<string>;
}

/** A provider id ccp accepts, unique in this file. */
export function providerId(name: string, state: State): string {
  const base = name.replace(/[^A-Za-z0-9_.-]/g, "_") || "provider";
  let id = base;
  for (let n = 2; state.ids.has(id.toLowerCase()); n++) id = `${base}_${n}`;
  state.ids.add(id.toLowerCase());
  return id;
}

/** A .env variable name for a literal secret, unique among those written. */
function secretName(stem: string, state: State): string {
  const base = stem.toUpperCase().replace(/[^A-Z0-9]/g, "_").replace(/^(?=[0-9])/, "CCR_");
  let name = base;
  for (let n = 2; state.secrets.some((s) => s.name === name); n++) name = `${base}_${n}`;
  return name;
}

/** A value that is a secret: a reference stays one, a literal moves to .env under `stem`. */
export function secretRef(value: string, stem: string, state: State): string {
  const ref = refName(value);
  if (ref !== undefined) {
    state.envRefs.add(ref);
    return `\${${ref}}`;
  }
  if (value.includes("${")) return value;
  return literalSecret(value, stem, state);
}

/**
 * A secret the peer read as written, `${` and `$` included: moved to .env under `stem` (ccp never
 * expands a value read from a .env).
 */
export function literalSecret(value: string, stem: string, state: State): string {
  const name = secretName(stem, state);
  state.secrets.push({ name, value });
  return `\${${name}}`;
}

/** Text from the CCR file on one line, for comments and terminal output (no control characters). */
export function oneLine(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, " ");
}
