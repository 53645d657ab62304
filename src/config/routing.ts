/** Builds `routing:` (scenario thresholds) and `transforms:` from their parsed YAML sections. */

import type { Problems } from "./issues.ts";
import type { TransformSection } from "./schema/config.ts";
import type { RoutingConfig, Transform } from "./types.ts";

/** Input tokens above which the `long_context` route takes a request. */
const DEFAULT_LONG_CONTEXT_THRESHOLD = 60_000;
/** Thinking budget from which the `think` route takes a request. */
const DEFAULT_THINK_BUDGET_TOKENS = 32_000;

/** The scenario thresholds with their defaults. */
export function buildRouting(
  section: { long_context_threshold?: number; think_budget_tokens?: number } | undefined,
): RoutingConfig {
  return {
    longContextThreshold: section?.long_context_threshold ?? DEFAULT_LONG_CONTEXT_THRESHOLD,
    thinkBudgetTokens: section?.think_budget_tokens ?? DEFAULT_THINK_BUDGET_TOKENS,
  };
}

// Fields a transform may not set: they decide what the request is, not how it is tuned.
const UNSETTABLE = new Set(["model", "messages", "stream", "system", "tools"]);

/** Transforms keyed by route name or provider id; each key must name one of them. */
export function buildTransforms(
  sections: Readonly<Record<string, TransformSection>> | undefined,
  names: { routes: ReadonlySet<string>; providers: ReadonlySet<string> },
  problems: Problems,
): Record<string, Transform> {
  const out: Record<string, Transform> = {};
  for (const [name, t] of Object.entries(sections ?? {})) {
    const path = ["transforms", name];
    if (!names.routes.has(name) && !names.providers.has(name)) {
      problems.add(path, "names no route and no provider (a transform applies to one of them)");
      continue;
    }
    for (const field of Object.keys(t.set ?? {})) {
      if (UNSETTABLE.has(field)) {
        problems.add([...path, "set", field], `cannot be set (use drop_tools or system_append)`);
      }
    }
    out[name] = {
      ...(t.drop_tools ? { dropTools: t.drop_tools } : {}),
      ...(t.system_append !== undefined ? { systemAppend: t.system_append } : {}),
      ...(t.set ? { set: t.set } : {}),
    };
  }
  return out;
}
