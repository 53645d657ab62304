/**
 * Every ccp configuration README shows loads: whole examples as written, fragments beside the
 * providers, routes and clients they say are defined elsewhere. A newcomer copies these first.
 */

import assert from "node:assert/strict";
import { COMMANDS } from "../src/cli/args.ts";
import { restartNotes } from "../src/cli/reload_changes.ts";
import { helpText } from "../src/cli/usage.ts";
import { configFromEnv } from "../src/config/env/mode.ts";
import { configFromYaml } from "../src/config/from_yaml.ts";
import { configFileSchema } from "../src/config/schema/config.ts";
import { missingEndpointAdvice } from "../src/upstream/http/missing_endpoint.ts";
import { START_OLLAMA } from "../src/upstream/ollama/context.ts";

const README = await Deno.readTextFile(new URL("../README.md", import.meta.url));

/** The README's ```yaml blocks with the line each starts on. */
function yamlBlocks(text: string): { line: number; body: string }[] {
  const blocks: { line: number; body: string }[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== "```yaml") continue;
    const end = lines.indexOf("```", i + 1);
    blocks.push({ line: i + 1, body: lines.slice(i + 1, end).join("\n") });
    i = end;
  }
  return blocks;
}

// What fragments name without defining: the providers of the scenario, transform and budget
// examples, a default route, and the client a budget names.
const CONTEXT: Record<string, string> = {
  providers: `providers:
  nim: { preset: nvidia_nim, api_key: nvapi-0000000000000000 }
  groq: { preset: groq, api_key: gsk-00000000000000000000 }
  gemini: { preset: gemini, api_key: AIza0000000000000000 }
  deepseek: { preset: deepseek, api_key: sk-0000000000000000000 }
  anthropic: { preset: anthropic, api_key: sk-ant-000000000000000 }`,
  routes: "routes: { default: nim/z-ai/glm4.7, haiku: nim/z-ai/glm4.7 }",
  clients: "clients: [{ name: ci, token: ci-token-0000000000000 }]",
};

const topLevel = (body: string, key: string) => new RegExp(`^${key}:`, "m").test(body);

Deno.test("every configuration example in README loads", async (t) => {
  const blocks = yamlBlocks(README).filter((b) => !topLevel(b.body, "scrape_configs"));
  assert.ok(blocks.length >= 12, `found ${blocks.length} yaml blocks`);
  for (const block of blocks) {
    await t.step(`README.md:${block.line}`, () => {
      const parts = [block.body];
      // A fragment (no routes of its own) is shown beside a config that defines the rest.
      const whole = topLevel(block.body, "routes") && topLevel(block.body, "providers");
      const selfContained = topLevel(block.body, "routes") && !/defined under providers/.test(
        block.body,
      );
      if (!whole && !selfContained) {
        for (const key of ["providers", "routes"] as const) {
          if (!topLevel(block.body, key)) parts.push(CONTEXT[key]!);
        }
      }
      if (/client: /.test(block.body) && !topLevel(block.body, "clients")) {
        parts.push(CONTEXT.clients!);
      }
      const config = configFromYaml({
        text: parts.join("\n"),
        file: `README.md:${block.line}`,
        env: { ALICE_TOKEN: "alice-token-000000000", CI_TOKEN: "ci-token-00000000000000" },
      });
      assert.ok(config.routes.default !== undefined);
    });
  }
});

/** The README's fenced blocks of one language (```json, or ``` alone), as written. */
function fencedBlocks(text: string, fence: string): { line: number; body: string }[] {
  const blocks: { line: number; body: string }[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith("```")) continue;
    const end = lines.indexOf("```", i + 1);
    if (lines[i] === fence) blocks.push({ line: i + 1, body: lines.slice(i + 1, end).join("\n") });
    i = end;
  }
  return blocks;
}

Deno.test("every JSON example in README parses", () => {
  const blocks = fencedBlocks(README, "```json");
  assert.ok(blocks.length >= 2, `found ${blocks.length} json blocks`);
  for (const block of blocks) {
    assert.doesNotThrow(() => JSON.parse(block.body), `README.md:${block.line}`);
  }
});

Deno.test("README's config error is the one ccp prints for that mistake", () => {
  const shown = fencedBlocks(README, "```").map((b) => b.body).find((b) =>
    b.startsWith("config.yaml: ")
  );
  assert.ok(shown, "the example error block");
  assert.throws(
    () =>
      configFromYaml({
        file: "config.yaml",
        env: {},
        text: `providers:
  nim: { preset: nvidia_nim, api_key: nvapi-0000000000000000 }
  local: { type: openai, base_url: http://127.0.0.1:9999/v1, api_key: test }
routes:
  default: nim/z-ai/glm4.7
  sonnet: [local/qwen3-coder, nmi/z-ai/glm4.7]`,
      }),
    (err: unknown) => err instanceof Error && err.message.includes(shown),
  );
});

Deno.test("the configs README writes inline load as it says", () => {
  // A local preset a route names needs no providers entry.
  const local = configFromYaml({
    file: "inline",
    env: {},
    text: "routes: {default: ollama/llama3.2}",
  });
  assert.equal(local.routes.default?.[0]?.provider, "ollama");
  // The Gemini example under "How each protocol is handled".
  const gemini = configFromYaml({
    file: "inline",
    env: { GEMINI_API_KEY: "AIza0000000000000000" },
    text: `providers: {gemini: {preset: gemini, api_key: "\${GEMINI_API_KEY}"}}
routes: {default: gemini/gemini-2.5-pro}`,
  });
  assert.equal(gemini.routes.default?.[0]?.model, "gemini-2.5-pro");
  assert.match(README, /`routes: \{default: ollama\/llama3\.2\}` works as is/);
  assert.match(README, /`routes: \{default: gemini\/gemini-2\.5-pro\}`/);
});

Deno.test("every ccp command line README and docs/ write names a command and flags it has", async () => {
  const texts = [
    README,
    await Deno.readTextFile(new URL("../docs/claude-code.md", import.meta.url)),
  ];
  const spans = texts.flatMap((text) => [...text.matchAll(/`(?:ccp|deno task start) ([^`]*)`/g)]);
  assert.ok(spans.length >= 50, `found ${spans.length} command lines`);
  const wrong: string[] = [];
  for (const [span, rest] of spans) {
    const words = rest!.split(/\s+/);
    const command = COMMANDS.find((name) => name === words[0]);
    if (command === undefined && /^[a-z]/.test(words[0]!)) {
      wrong.push(`${span}: no command "${words[0]}"`);
      continue;
    }
    const help = helpText(command);
    // Past a lone `--` the flags are serve's or claude's, not this command's.
    const end = words.findIndex((word) => word === "--" || word === "[--]");
    for (const word of end === -1 ? words : words.slice(0, end)) {
      const flag = /^\[?(--[a-z][a-z-]*)/.exec(word)?.[1];
      if (flag && !new RegExp(`(^|[\\s\\[|,])${flag}([\\s\\]|,=]|$)`, "m").test(help)) {
        wrong.push(`${span}: ${flag} is not in "ccp ${command ?? ""} --help"`);
      }
    }
  }
  assert.deepEqual(wrong, []);
});

Deno.test("every deno task README and docs/ name is one deno.json defines", async () => {
  const root = new URL("../", import.meta.url);
  const { tasks } = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
  const texts = [README];
  for await (const entry of Deno.readDir(new URL("docs/", root))) {
    if (entry.name.endsWith(".md")) {
      texts.push(await Deno.readTextFile(new URL(`docs/${entry.name}`, root)));
    }
  }
  const named = texts.flatMap((text) =>
    [...text.matchAll(/`deno task ([a-z][\w:-]*)/g)].map((m) => m[1]!)
  );
  assert.ok(named.length >= 20, `found ${named.length} tasks named`);
  assert.deepEqual([...new Set(named)].filter((task) => !(task in tasks)), []);
});

Deno.test("every server, routing, shared and web_tools key README and docs/ name exists", async () => {
  const texts = [
    README,
    await Deno.readTextFile(new URL("../docs/claude-code.md", import.meta.url)),
  ];
  const keys = new Set(
    texts.flatMap((text) =>
      [...text.matchAll(/`((?:server|routing|shared|web_tools)(?:\.[a-z_]+)+)(?=[`: ])/g)].map((
        m,
      ) => m[1]!)
    ),
  );
  assert.ok(keys.size >= 12, `found ${keys.size} keys`);
  const unknown = [...keys].filter((key) => {
    // The key with a value of no type: a wrong type is reported, an unknown key is reported as one.
    const tree = key.split(".").reduceRight<unknown>((inner, part) => ({ [part]: inner }), null);
    const issues: { path: readonly (string | number)[]; message: string }[] = [];
    configFileSchema.read(tree, [], issues);
    return issues.some((issue) => issue.message.startsWith("unknown key"));
  });
  assert.deepEqual(unknown, []);
});

Deno.test("the settings README says a reload leaves for a restart are those ccp names so", () => {
  const listed = /nor apply ([^:]+): those need a restart/.exec(README.replaceAll("\n", " "))?.[1];
  assert.ok(listed, "README's Signals paragraph lists the settings a reload cannot apply");
  const names = [...listed.matchAll(/`([a-z_.]+)`/g)].map((m) => m[1]!);
  // A value for each that differs from the defaults, as the config file writes it.
  const changed: Record<string, string> = {
    "server.timeouts": "server: {timeouts: {headers: 5s}}",
    max_connections: "server: {max_connections: 10}",
    max_body_size: "server: {max_body_size: 1MiB}",
    connection_guard: "server: {connection_guard: false}",
    log_file: "server: {log_file: /tmp/ccp-readme.log}",
    log_format: "server: {log_format: json}",
    data_dir: "server: {data_dir: /tmp/ccp-readme}",
    watch_config: "server: {watch_config: false}",
    "usage.enabled": "usage: {enabled: false}",
    shared: "shared: {redis: redis://127.0.0.1:1}",
  };
  assert.deepEqual(names.toSorted(), Object.keys(changed).toSorted());
  const load = (extra: string) =>
    configFromYaml({ file: "inline", env: {}, text: `routes: {default: ollama/m}\n${extra}` });
  const started = load("");
  const listening = { host: started.server.host, port: started.server.port, url: "http://x" };
  for (const [name, yaml] of Object.entries(changed)) {
    const notes = restartNotes(started, load(yaml), listening).join(" ");
    assert.ok(notes.includes(name), `${name}: ${notes}`);
  }
});

Deno.test("README starts Ollama the way ccp's 'not running' advice does", () => {
  // The quick start's command, which gives Claude Code's prompt the context it needs.
  const quick = README.slice(README.indexOf("## Quick start"), README.indexOf("## Contents"));
  const start = /`(OLLAMA_CONTEXT_LENGTH=\d+ ollama serve)`/.exec(quick)?.[1];
  assert.ok(start, "the quick start's command to start Ollama");
  // What ccp check and the built-in default's 502 say when nothing listens: the same command.
  assert.equal(START_OLLAMA, start);
  // And the Troubleshooting entry for that 502 and that line.
  const entry = README.slice(README.indexOf('- **`Cannot reach provider "ollama"'));
  const first = entry.slice(0, entry.indexOf("\n  - ")).replace(/\s+/g, " ");
  assert.ok(first.includes(`\`${start}\``), first);
  assert.ok(first.includes(`Start it (\`${START_OLLAMA}\`, or the Ollama app`), first);
});

Deno.test("README's 404 advice names where the address is written, as ccp's does", () => {
  const text = README.replace(/\s+/g, " ");
  assert.ok(text.includes("`nothing answers POST …: check NVIDIA_NIM_BASE_URL`"), "README");
  const advice = missingEndpointAdvice(
    configFromEnv({
      env: { MODEL: "nvidia_nim/moonshotai/kimi-k2.5", NVIDIA_NIM_BASE_URL: "http://127.0.0.1:9" },
    }).providers.nvidia_nim!,
    "http://127.0.0.1:9/chat/completions",
    404,
    "404 page not found",
  );
  assert.ok(advice?.includes(": check NVIDIA_NIM_BASE_URL"), advice);
});
