/**
 * A 404 about the path, not the model: nothing answers ccp's request there. The usual causes are
 * a base_url with a wrong path and a local server older than the API ccp speaks to it (an Ollama
 * before 0.14 has no Anthropic endpoint). Such a 404 says only "404 page not found" or "Not
 * Found", and Claude Code shows every 404 as "an issue with the selected model": the message
 * (in ccp's log and in the answer) says where ccp sent the request and what to change.
 */

import type { ProviderConfig } from "../../config/types.ts";
import { findPreset } from "../../providers/catalog.ts";
import { addressOf } from "../errors.ts";
import { namesMissingModel } from "./missing_model.ts";

/** What to change when `status` and `bodyText` say nothing answers at `url`; else undefined. */
export function missingEndpointAdvice(
  provider: ProviderConfig,
  url: string,
  status: number,
  bodyText: string,
): string | undefined {
  // A server that knows the path and not the model says so, naming the model; OpenRouter says
  // that none of its providers serves this request ("No endpoints found that support tool use").
  if (status !== 404 || /model|no endpoints found/i.test(bodyText)) return undefined;
  if (namesMissingModel(bodyText)) return undefined;
  // Where the address is written: a setup from MODEL alone has no base_url, only the preset's
  // variable (NVIDIA_NIM_BASE_URL), and a config file's may read one.
  const where = `nothing answers POST ${addressOf(url)}: check ${provider.addressAt ?? "base_url"}`;
  const preset = provider.preset ? findPreset(provider.preset) : undefined;
  if (!preset?.local || provider.type !== "anthropic") {
    const root = expectedRoot(provider, preset?.type === provider.type ? preset.baseUrl : "");
    return root ? `${where}; ${root}` : where;
  }
  const older = preset.since ? `a version before ${preset.since}` : "an older version";
  return `${where}; ${older} has no Anthropic Messages endpoint: update it, or reach it ` +
    `with \`type: openai\` at ${openAiRoot(provider.baseUrl)}`;
}

/** The server's OpenAI-compatible root: its base URL, ending in `/v1`. */
function openAiRoot(baseUrl: string): string {
  const root = addressOf(baseUrl).replace(/\/+$/, "");
  return /\/v1$/.test(root) ? root : `${root}/v1`;
}

/**
 * What the API root usually looks like, when the configured one differs: the preset's own path
 * (DeepSeek's `.../anthropic`), or `/v1` for an OpenAI-compatible server whose root has no version.
 */
function expectedRoot(provider: ProviderConfig, presetRoot: string): string | undefined {
  const path = (text: string) => {
    try {
      return new URL(text).pathname.replace(/\/+$/, "");
    } catch {
      return "";
    }
  };
  if (presetRoot && path(presetRoot) !== path(provider.baseUrl)) {
    return `the ${provider.preset} preset's is ${presetRoot}`;
  }
  const openai = provider.type === "openai" || provider.type === "openai_responses";
  if (!presetRoot && openai && !/\/v\d/.test(path(provider.baseUrl))) {
    return `an OpenAI-compatible root usually ends in /v1: ${openAiRoot(provider.baseUrl)}`;
  }
  return undefined;
}
