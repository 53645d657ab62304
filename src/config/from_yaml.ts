/** YAML mode from the text: parses it, then builds the Config from the tree (from_tree.ts). */

import type { Config } from "./types.ts";
import { configFromTree, type YamlConfigInput } from "./from_tree.ts";
import { parseYamlTree } from "./yaml_text.ts";

/** Validates YAML text and builds the Config; throws ConfigError listing every problem. */
export function configFromYaml(input: YamlConfigInput): Config {
  return configFromTree({ ...input, tree: parseYamlTree(input.text, input.file) });
}
