/**
 * Declared request changes (`transforms:`), per route and per provider, applied in one place: to
 * the body each upstream attempt sends. Route transforms come first, then the target provider's.
 */

import type { Config, Transform } from "../config/types.ts";
import { isRecord } from "../core/json.ts";
import type { MessagesRequest } from "../protocols/anthropic.ts";

/** The transforms a request on `route` to `provider` gets, in order (often none). */
export function transformsFor(
  config: Config,
  route: string | undefined,
  provider: string,
): Transform[] {
  const all = config.transforms;
  if (!all) return [];
  const out: Transform[] = [];
  if (route !== undefined && Object.hasOwn(all, route)) out.push(all[route]!);
  if (Object.hasOwn(all, provider) && provider !== route) out.push(all[provider]!);
  return out;
}

/** The body with the transforms applied (a copy; the input is untouched). */
export function applyTransforms(
  body: MessagesRequest,
  transforms: readonly Transform[],
): MessagesRequest {
  if (transforms.length === 0) return body;
  // `set` may add any field the upstream takes, beside the ones ccp knows.
  const out: MessagesRequest & Record<string, unknown> = { ...body };
  for (const t of transforms) {
    if (t.dropTools && out.tools) {
      const drop = new Set(t.dropTools);
      out.tools = out.tools.filter((tool) => !drop.has(String(tool.name)));
      const choice = out.tool_choice;
      if (isRecord(choice) && choice.type === "tool" && drop.has(String(choice.name))) {
        delete out.tool_choice;
      }
      if (out.tools.length === 0) {
        delete out.tools;
        delete out.tool_choice;
      }
    }
    if (t.systemAppend !== undefined) out.system = appendSystem(out.system, t.systemAppend);
    for (const [field, value] of Object.entries(t.set ?? {})) {
      if (value === null) delete out[field];
      else out[field] = value;
    }
  }
  return out;
}

function appendSystem(system: MessagesRequest["system"], text: string): MessagesRequest["system"] {
  if (system === undefined || system === "") return text;
  if (typeof system === "string") return `${system}\n\n${text}`;
  return [...system, { type: "text", text }];
}
