/**
 * Route and alias values: `"provider/model"`, a failover list, or a variant
 * `{target: "p/m" | [list], weight?, ...model settings}`; lists may mix strings and variants.
 */

import { describeValue } from "../issues.ts";
import { anything, custom, isMapping, type Issue, parse, type Schema, section } from "./kit.ts";
import { type ModelSettingsSection, modelSettingsShape } from "./model.ts";
import { wholeNumber } from "./fields.ts";

/** One target of a route as written, with its variant settings and where it sits in the value. */
export interface RouteItem {
  readonly target: string;
  readonly settings?: ModelSettingsSection;
  /** Its share of new requests when the route spreads by weight (any item with one makes it so). */
  readonly weight?: number;
  /** Key path inside the route's value (empty for a plain string). */
  readonly path: readonly (string | number)[];
}

const variantSchema = section({
  target: anything().optional(),
  weight: wholeNumber(0, 1000).optional(),
  ...modelSettingsShape,
});

/** A variant mapping: its settings apply to every target it names. */
function variantItems(
  value: Record<string, unknown>,
  prefix: readonly (string | number)[],
  issues: Issue[],
): RouteItem[] {
  const parsed = parse(variantSchema, value);
  if (!parsed.ok) {
    for (const issue of parsed.issues) issues.push({ ...issue, path: [...prefix, ...issue.path] });
    return [];
  }
  const { target, weight, ...rest } = parsed.value;
  const settings = {
    ...(Object.keys(rest).length > 0 ? { settings: rest } : {}),
    ...(weight !== undefined ? { weight } : {}),
  };
  const at = [...prefix, "target"];
  if (typeof target === "string") return [{ target, ...settings, path: at }];
  if (Array.isArray(target) && target.length > 0) {
    const bad = target.findIndex((t) => typeof t !== "string");
    if (bad < 0) {
      return (target as string[]).map((t, i) => ({ target: t, ...settings, path: [...at, i] }));
    }
    issues.push({
      message: `expected "provider/model", got ${describeValue(target[bad])}`,
      path: [...at, bad],
    });
    return [];
  }
  const message = target === undefined
    ? 'missing: a variant needs target: "provider/model" (or a list of them)'
    : `expected "provider/model" or a list of them, got ${
      Array.isArray(target) ? "an empty list" : describeValue(target)
    }`;
  issues.push({ message, path: at });
  return [];
}

/** Reads one route value into its items, collecting issues instead of stopping at the first. */
function routeItems(value: unknown, issues: Issue[]): RouteItem[] {
  if (typeof value === "string") return [{ target: value, path: [] }];
  if (isMapping(value)) return variantItems(value, [], issues);
  if (!Array.isArray(value) || value.length === 0) {
    const shapes = 'expected "provider/model", a list of them or {target: \u2026}';
    const message = Array.isArray(value)
      ? 'expected "provider/model" or a list of them, got an empty list'
      : `${shapes}, got ${describeValue(value)}`;
    issues.push({ message, path: [] });
    return [];
  }
  return value.flatMap((item, index): RouteItem[] => {
    if (typeof item === "string") return [{ target: item, path: [index] }];
    if (isMapping(item)) return variantItems(item, [index], issues);
    issues.push({
      message: `expected "provider/model", got ${describeValue(item)}`,
      path: [index],
    });
    return [];
  });
}

/** The schema of a route or alias value. */
export function routeValue(): Schema<RouteItem[]> {
  return custom(routeItems);
}
