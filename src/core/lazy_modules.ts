/**
 * ccp's modules that load only when something needs them: the CLI's other commands and its help,
 * the translating transports with the translated relay, the web tools, the shared stores' clients
 * and watcher, request validation's schemas, the YAML parser (when the config's tree is not
 * cached), the config modes used without a file, the token counter and its tokenizer, the wording
 * of a request that failed everywhere, the status page, the request traces' exporter, a reload's
 * wording. Each is code a passthrough config's first answer does not run, and Deno's loading costs
 * every start per byte.
 *
 * Deno reads and analyses every module that a dynamic import with a literal specifier names, and
 * all that module imports, before ccp runs its first line, even when the import never runs: that was ~28 ms of
 * CPU in every start of `ccp serve` (measured in alternation, spawn to first answer). A specifier
 * it cannot read ahead is prepared only when imported. `deno compile` cannot see such imports
 * either, so scripts/compile.ts embeds every module listed here (with all it imports), and the
 * type of {@link lazyImport} keeps a call from naming a module that is not listed.
 */

/**
 * Each lazily loaded module (relative to src/) with its type. `typeof import("...")` only names a
 * type: Deno does not load it to run ccp. A call names the path alone, and its type follows from
 * it, so no call can load one module while typed as another.
 */
interface LazyModuleTypes {
  "cli/usage.ts": typeof import("../cli/usage.ts");
  "cli/serve.ts": typeof import("../cli/serve.ts");
  "cli/init.ts": typeof import("../cli/init.ts");
  "cli/init_from.ts": typeof import("../cli/init_from.ts");
  "cli/check.ts": typeof import("../cli/check.ts");
  "cli/models.ts": typeof import("../cli/models.ts");
  "cli/health.ts": typeof import("../cli/health.ts");
  "cli/usage_report.ts": typeof import("../cli/usage_report.ts");
  "cli/statusline.ts": typeof import("../cli/statusline.ts");
  "cli/code.ts": typeof import("../cli/code.ts");
  "cli/service.ts": typeof import("../cli/service.ts");
  "cli/settings.ts": typeof import("../cli/settings.ts");
  "upstream/openai_chat/transport.ts": typeof import("../upstream/openai_chat/transport.ts");
  "upstream/openai_responses/transport.ts":
    typeof import("../upstream/openai_responses/transport.ts");
  "upstream/gemini/transport.ts": typeof import("../upstream/gemini/transport.ts");
  "upstream/translated_frames.ts": typeof import("../upstream/translated_frames.ts");
  "upstream/collect_stream.ts": typeof import("../upstream/collect_stream.ts");
  "upstream/anthropic/text_blocks.ts": typeof import("../upstream/anthropic/text_blocks.ts");
  "webtools/mod.ts": typeof import("../webtools/mod.ts");
  "resilience/exhausted.ts": typeof import("../resilience/exhausted.ts");
  "usage/pg_store.ts": typeof import("../usage/pg_store.ts");
  "shared/redis_guards.ts": typeof import("../shared/redis_guards.ts");
  "shared/monitor.ts": typeof import("../shared/monitor.ts");
  "pipeline/count_upstream.ts": typeof import("../pipeline/count_upstream.ts");
  "protocols/anthropic_request.ts": typeof import("../protocols/anthropic_request.ts");
  "config/yaml_text.ts": typeof import("../config/yaml_text.ts");
  "config/without_file.ts": typeof import("../config/without_file.ts");
  "tokens/mod.ts": typeof import("../tokens/mod.ts");
  "translate/pdf_text/extract.ts": typeof import("../translate/pdf_text/extract.ts");
  "tokens/o200k.ts": typeof import("../tokens/o200k.ts");
  "observe/ui/page.ts": typeof import("../observe/ui/page.ts");
  "observe/ui/state.ts": typeof import("../observe/ui/state.ts");
  "observe/ui/vendor/uplot.ts": typeof import("../observe/ui/vendor/uplot.ts");
  "observe/tracing/exporter.ts": typeof import("../observe/tracing/exporter.ts");
  "cli/reload_changes.ts": typeof import("../cli/reload_changes.ts");
}

/** The lazily loaded modules, relative to src/: what scripts/compile.ts embeds. */
export const LAZY_MODULES = [
  "cli/usage.ts",
  "cli/serve.ts",
  "cli/init.ts",
  "cli/init_from.ts",
  "cli/check.ts",
  "cli/models.ts",
  "cli/health.ts",
  "cli/usage_report.ts",
  "cli/statusline.ts",
  "cli/code.ts",
  "cli/service.ts",
  "cli/settings.ts",
  "upstream/openai_chat/transport.ts",
  "upstream/openai_responses/transport.ts",
  "upstream/gemini/transport.ts",
  "upstream/translated_frames.ts",
  "upstream/collect_stream.ts",
  "upstream/anthropic/text_blocks.ts",
  "webtools/mod.ts",
  "resilience/exhausted.ts",
  "usage/pg_store.ts",
  "shared/redis_guards.ts",
  "shared/monitor.ts",
  "pipeline/count_upstream.ts",
  "protocols/anthropic_request.ts",
  "config/yaml_text.ts",
  "config/without_file.ts",
  "tokens/mod.ts",
  "translate/pdf_text/extract.ts",
  "tokens/o200k.ts",
  "observe/ui/page.ts",
  "observe/ui/state.ts",
  "observe/ui/vendor/uplot.ts",
  "observe/tracing/exporter.ts",
  "cli/reload_changes.ts",
] as const;

/** One of {@link LAZY_MODULES}. */
export type LazyModule = typeof LAZY_MODULES[number];

// The list and the types name the same modules: a module typed here but not listed would not be
// embedded by deno compile, and one listed but not typed could not be imported.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Expect<T extends true> = T;
type _ListedAreTyped = Expect<Same<LazyModule, keyof LazyModuleTypes>>;

const SRC = new URL("../", import.meta.url);

/** Where a lazily loaded module is (for messages about it). */
export function lazyModuleUrl(path: LazyModule): URL {
  return new URL(path, SRC);
}

// Each module's import, once: an `import()` of a module already loaded still resolves its URL
// and goes through the module map (~4-7 µs), and some modules are asked for on every request (the
// translated relay, the stream collector, the token counter).
const imports = new Map<LazyModule, Promise<unknown>>();

/** Imports `path` (relative to src/) on first call, typed as that module. */
export function lazyImport<P extends LazyModule>(path: P): Promise<LazyModuleTypes[P]> {
  let loading = imports.get(path);
  if (loading === undefined) {
    loading = import(lazyModuleUrl(path).href);
    imports.set(path, loading);
    // One that failed to load is tried again by the next call, as without this map.
    loading.catch(() => imports.delete(path));
  }
  return loading as Promise<LazyModuleTypes[P]>;
}
