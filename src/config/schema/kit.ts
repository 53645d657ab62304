/**
 * A small schema kit for the parsed YAML config: converts the tree to typed sections and collects
 * every problem at its key path. It stands in for a general validation library, whose import was
 * the largest single cost of starting ccp; the config needs only what is here.
 */

import { describeValue, type KeyPath } from "../issues.ts";
import { didYouMean } from "../suggest.ts";

/** One problem: where in the tree, and what is wrong. */
export interface Issue {
  readonly path: KeyPath;
  readonly message: string;
}

/** Marks a value that could not be read; its issues are already recorded. */
const INVALID: unique symbol = Symbol("invalid");
type Invalid = typeof INVALID;

/** Reads `value` (found at `path`) into a T, or records issues and returns INVALID. */
type Reader<T> = (value: unknown, path: KeyPath, issues: Issue[]) => T | Invalid;

/** A schema: reads one node of the tree. */
export class Schema<T> {
  constructor(readonly read: Reader<T>) {}

  /** The same schema, for a key that may be left out (then it stays out of the output). */
  optional(): Optional<T> {
    return new Optional(this.read);
  }
}

/** A schema whose key may be absent. */
class Optional<T> extends Schema<T | undefined> {
  // A member of its own, so that the types can tell an Optional from a Schema: without it every
  // Schema would match Optional<unknown> and every key of a section would be typed optional.
  readonly mayBeAbsent = true;
}

/** The output type of a schema. */
export type Output<S> = S extends Schema<infer T> ? T : never;

/** The keys of a section and their schemas. */
export type Shape = Readonly<Record<string, Schema<unknown>>>;

type OptionalKeys<S extends Shape> = {
  [K in keyof S]: S[K] extends Optional<unknown> ? K : never;
}[keyof S];

/** A section's output: required keys as they are, optional ones with `?`. */
export type SectionOutput<S extends Shape> = Flat<
  & { -readonly [K in Exclude<keyof S, OptionalKeys<S>>]: Output<S[K]> }
  & { -readonly [K in OptionalKeys<S>]?: Output<S[K]> }
>;

type Flat<T> = { [K in keyof T]: T[K] };

/** Returned by a converter to reject a value; `path` points inside the value (a list's index). */
export class Rejection {
  constructor(readonly message: string, readonly path: KeyPath = []) {}
}

/** A schema from a converter that returns the value or a Rejection. */
export function field<T>(convert: (value: unknown) => T | Rejection): Schema<T> {
  return new Schema((value, path, issues) => {
    const out = convert(value);
    if (!(out instanceof Rejection)) return out;
    issues.push({ path: [...path, ...out.path], message: out.message });
    return INVALID;
  });
}

/** A schema from a reader that records its own issues, at paths inside the value. */
export function custom<T>(read: (value: unknown, issues: Issue[]) => T): Schema<T> {
  return new Schema((value, path, issues) => {
    const found: Issue[] = [];
    const out = read(value, found);
    for (const issue of found) issues.push({ ...issue, path: [...path, ...issue.path] });
    return found.length > 0 ? INVALID : out;
  });
}

/** Any value, unchecked (`extra_body` fields are whatever the upstream API takes). */
export function anything(): Schema<unknown> {
  return new Schema((value) => value);
}

/** A YAML mapping (any object but a list). */
export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A mapping built by the YAML reader, not a Date, Map or other object a tag may produce. */
function isPlainMapping(value: unknown): value is Record<string, unknown> {
  if (!isMapping(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function notA(kind: string, value: unknown): string {
  return `expected ${kind}, got ${describeValue(value)}`;
}

/**
 * A mapping with fixed keys. Every key's problems are reported, then each unknown key at its own
 * path with the closest known key suggested (a typo must not pass silently as "not set").
 */
export function section<const S extends Shape>(shape: S): Schema<SectionOutput<S>> {
  const known = Object.keys(shape);
  const knownSet = new Set(known);
  return new Schema((value, path, issues) => {
    if (!isMapping(value)) {
      issues.push({ path, message: notA("a mapping", value) });
      return INVALID;
    }
    const out: Record<string, unknown> = {};
    let ok = true;
    for (const [key, schema] of Object.entries(shape)) {
      const item = value[key];
      if (item === undefined && schema instanceof Optional) continue;
      const read = schema.read(item, [...path, key], issues);
      if (read === INVALID) ok = false;
      else out[key] = read;
    }
    for (const key in value) {
      if (knownSet.has(key)) continue;
      const hint = didYouMean(key, known) ?? `known keys: ${known.join(", ")}`;
      issues.push({ path: [...path, key], message: `unknown key (${hint})` });
      ok = false;
    }
    return ok ? out as SectionOutput<S> : INVALID;
  });
}

/** A mapping from any key to values of one schema (`providers:`, `routes:`). */
export function record<T>(item: Schema<T>): Schema<Record<string, T>> {
  return new Schema((value, path, issues) => {
    if (!isPlainMapping(value)) {
      issues.push({ path, message: notA("a mapping", value) });
      return INVALID;
    }
    const out: Record<string, T> = {};
    let ok = true;
    for (const [key, element] of Object.entries(value)) {
      const read = item.read(element, [...path, key], issues);
      if (read === INVALID) ok = false;
      else out[key] = read;
    }
    return ok ? out : INVALID;
  });
}

/** A list of values of one schema. */
export function list<T>(item: Schema<T>): Schema<T[]> {
  return new Schema((value, path, issues) => {
    if (!Array.isArray(value)) {
      issues.push({ path, message: notA("a list", value) });
      return INVALID;
    }
    const out: T[] = [];
    let ok = true;
    for (const [index, element] of value.entries()) {
      const read = item.read(element, [...path, index], issues);
      if (read === INVALID) ok = false;
      else out.push(read);
    }
    return ok ? out : INVALID;
  });
}

/** Reads a whole tree: the value, or every issue found. */
export function parse<T>(
  schema: Schema<T>,
  value: unknown,
): { ok: true; value: T } | { ok: false; issues: Issue[] } {
  const issues: Issue[] = [];
  const read = schema.read(value, [], issues);
  return read === INVALID || issues.length > 0 ? { ok: false, issues } : { ok: true, value: read };
}
