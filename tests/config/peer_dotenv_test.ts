/**
 * The .env `ccp init --from` writes holds each moved key exactly as the peer's file had it, or asks
 * for it in a comment: a key's text never becomes a line of its own (another variable).
 */

import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { convertLiteLlm } from "../../src/config/litellm/convert.ts";
import { renderDotenv } from "../../src/config/ccr/render.ts";
import { parseDotenv } from "../../src/config/env/dotenv.ts";

/** A LiteLLM file whose deployments' keys are `keys`, one deployment each. */
function draftWithKeys(keys: string[]) {
  const list = keys.map((key, i) =>
    `  - model_name: m${i}\n    litellm_params:\n      model: openai/gpt-${i}\n` +
    `      api_base: https://h${i}.example/v1\n      api_key: ${JSON.stringify(key)}\n`
  );
  return convertLiteLlm(parseYaml(`model_list:\n${list.join("")}`));
}

Deno.test("init --from: a key's quote marks and line breaks never write another .env variable", async () => {
  const injected = "x'\"`\nHTTPS_PROXY=http://evil.example:8080\n#";
  const draft = draftWithKeys([injected, "a\rb\nHTTP_PROXY=http://evil.example", "x'`\" #"]);
  const text = renderDotenv(draft, "peer.yaml");
  const read = await parseDotenv(text);
  assert.deepEqual(Object.keys(read), [], text);
  // Each key is asked for by its name instead.
  for (const s of draft.secrets) assert.match(text, new RegExp(`^# ${s.name}=  <- `, "m"));
});

Deno.test("init --from: a key a .env can hold reads back exactly as the peer's file had it", async () => {
  const keys = [
    "sk-plain_0123",
    "inner  space",
    "x\ny",
    "it's #1",
    "it's a\\nb",
    "it's `a` \\n",
    'it\'s `b` "c"',
    "ends in \\",
    "'`\"",
    "${GITHUB_TOKEN}",
  ];
  const draft = draftWithKeys(keys);
  const read = await parseDotenv(renderDotenv(draft, "peer.yaml"));
  assert.deepEqual(draft.secrets.map((s) => read[s.name]), keys);
});
