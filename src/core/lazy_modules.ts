/**
 * ccp's modules that load only when something needs them: the CLI's other commands, the
 * translating transports, the web tools, the shared stores' clients, request validation's schemas,
 * the tokenizer, the status page.
 *
 * Deno reads and analyses every module that a dynamic import with a literal specifier names, and
 * all that module imports, before ccp runs its first line, even when the import never runs: that was ~28 ms of
 * CPU in every start of `ccp serve` (measured in alternation, spawn to first answer). A specifier
 * it cannot read ahead is prepared only when imported. `deno compile` cannot see such imports
 * either, so scripts/compile.ts embeds every module listed here (with all it imports), and the
 * type of {@link lazyImport} keeps a call from naming a module that is not listed.
 */

/** The lazily loaded modules, relative to src/. */
export const LAZY_MODULES = [
  "cli/serve.ts",
  "cli/init.ts",
  "cli/check.ts",
  "cli/models.ts",
  "cli/health.ts",
  "cli/usage_report.ts",
  "cli/statusline.ts",
  "cli/code.ts",
  "cli/service.ts",
  "upstream/openai_chat/transport.ts",
  "upstream/openai_responses/transport.ts",
  "upstream/gemini/transport.ts",
  "webtools/mod.ts",
  "usage/pg_store.ts",
  "shared/redis_guards.ts",
  "protocols/anthropic_request.ts",
  "tokens/o200k.ts",
  "observe/ui/page.ts",
  "observe/ui/vendor/uplot.ts",
] as const;

/** One of {@link LAZY_MODULES}. */
export type LazyModule = typeof LAZY_MODULES[number];

const SRC = new URL("../", import.meta.url);

/**
 * Imports `path` (relative to src/) on first call; `T` is its module type, written
 * `typeof import("…")`, which Deno does not load to run ccp.
 */
export function lazyImport<T>(path: LazyModule): Promise<T> {
  return import(new URL(path, SRC).href);
}
