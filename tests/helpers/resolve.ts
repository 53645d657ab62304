/** Resolution by model name, as most routing tests need it. */

import type { Config } from "../../src/config/types.ts";
import { type Resolution, resolveRoute } from "../../src/routing/resolve.ts";

/** What a test states: the model and the optional explicit choices. */
export interface ModelInput {
  model: string;
  urlPrefix?: string;
  tokenSuffix?: string;
}

/** Resolves a request whose body holds only `model`. */
export function resolveModel(input: ModelInput, config: Config): Resolution {
  const { model, ...choices } = input;
  return resolveRoute({ request: { model }, ...choices }, config);
}
