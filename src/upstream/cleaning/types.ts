/** Shapes shared by the cleaning rules: a request body in, a request body out. */

import { setOwn } from "../../core/json.ts";

/** A Messages request body as ccp forwards it (fields beyond the schema stay as they came). */
export type Body = Record<string, unknown>;

/** A JSON object inside the body (a content block, a tool, a message). */
export type Obj = Record<string, unknown>;

/**
 * One cleaning step over a body. Rules never mutate their input and return the very same object
 * when there is nothing to remove, so the common path allocates nothing.
 */
export type BodyRule = (body: Body) => Body;

/** A body rule that may depend on the upstream model the body is bound for. */
export type ModelBodyRule = (body: Body, model: string) => Body;

/** One cleaning step over the `anthropic-beta` values; returns the same array when it keeps all. */
export type BetaRule = (betas: readonly string[]) => readonly string[];

/** What ccp does to a request for one provider before sending it: body rules, then betas. */
export interface Cleaning {
  readonly body: ModelBodyRule;
  /** For a provider sent the client's own credentials (`auth: passthrough`). */
  readonly betas: BetaRule;
  /** For a provider sent ccp's key: `betas`, less the betas of the client's own login. */
  readonly keyedBetas: BetaRule;
}

/** A body without `keys`, or the body itself when it has none of them. */
export function without(body: Body, keys: readonly string[]): Body {
  if (!keys.some((key) => key in body)) return body;
  const out: Body = {};
  for (const [key, value] of Object.entries(body)) if (!keys.includes(key)) setOwn(out, key, value);
  return out;
}

/** Chains rules left to right. */
export function chain(rules: readonly ModelBodyRule[]): ModelBodyRule {
  if (rules.length === 0) return (body) => body;
  return (body, model) => rules.reduce((current, rule) => rule(current, model), body);
}

/** `rule`, except for models whose name starts with one of `prefixes`. */
export function exceptFor(prefixes: readonly string[], rule: ModelBodyRule): ModelBodyRule {
  return (body, model) => prefixes.some((p) => model.startsWith(p)) ? body : rule(body, model);
}

/** Chains beta rules left to right. */
export function chainBetas(rules: readonly BetaRule[]): BetaRule {
  if (rules.length === 0) return (betas) => betas;
  return (betas) => rules.reduce((current, rule) => rule(current), betas);
}
