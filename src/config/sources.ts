/** The Config from text already read, for callers that hold it (tests, benches, `ccp check`). */

import type { Config } from "./types.ts";
import type { EnvMap } from "./env/map.ts";
import { configFromYaml } from "./from_yaml.ts";
import type { LoadFlags } from "./load.ts";
import { configWithoutFile } from "./without_file.ts";

/**
 * YAML mode when `yaml` is given, else what {@link configWithoutFile} picks. Pure: no file or
 * env access.
 */
export function configFromSources(input: {
  flags: LoadFlags;
  env: EnvMap;
  yaml?: { text: string; file: string; path?: string };
}): Config {
  const { flags, env, yaml } = input;
  return yaml ? configFromYaml({ ...yaml, env, flags }) : configWithoutFile({ flags, env });
}
