/**
 * `ccp check`'s lines on Ollama's context length (see upstream/ollama/context.ts): what the server
 * runs each routed model with, or, not loaded yet, what the model could take.
 */

import type { Config } from "../config/types.ts";
import { redactUrlSecrets } from "../core/secrets.ts";
import { fetchFor, type FetchLike } from "../upstream/http/clients.ts";
import { localServerUrl } from "../upstream/http/endpoints.ts";
import { networkCause } from "../upstream/errors.ts";
import {
  ask,
  CLAUDE_CODE_CONTEXT,
  loadedContexts,
  modelMaximum,
  ollamaModels,
  rootOf,
  runningContext,
  shortContextWarning,
  START_OLLAMA,
} from "../upstream/ollama/context.ts";

/** One model's line: what it runs with, or, not loaded yet, what it could take. */
async function modelLine(
  fetchFn: FetchLike,
  baseUrl: string,
  model: string,
  loaded: ReadonlyMap<string, number>,
): Promise<string> {
  const running = runningContext(loaded, model);
  if (running !== undefined && running < CLAUDE_CODE_CONTEXT) {
    return `Warning: ${shortContextWarning(model, running)}`;
  }
  if (running !== undefined) return `Ollama runs ${model} with a context of ${running} tokens`;
  const show = await ask(fetchFn, localServerUrl(baseUrl, "/api/show"), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model }),
  }).catch(() => undefined);
  const maximum = modelMaximum(show);
  const takes = maximum === undefined ? "" : ` (the model takes up to ${maximum})`;
  return `Ollama has not loaded ${model}: \`ollama ps\` shows its context once it runs${takes}; ` +
    `Claude Code needs at least ${CLAUDE_CODE_CONTEXT} tokens, and Ollama's default is 4096`;
}

/** The lines, or none when no route uses an Ollama provider. */
export async function ollamaContextLines(config: Config): Promise<string[]> {
  const lines: string[] = [];
  for (const [id, models] of ollamaModels(config)) {
    const provider = config.providers[id]!;
    // The way ccp's requests go: a local server directly, whatever HTTP_PROXY says.
    const fetchFn = fetchFor(provider, fetch);
    let refused = false;
    const ps = await ask(fetchFn, localServerUrl(provider.baseUrl, "/api/ps")).catch((err) => {
      refused = networkCause(err) === "connection refused";
      return undefined;
    });
    if (ps === undefined) {
      // Its address as written may hold a password (the root holds no query): shown without it.
      const at = redactUrlSecrets(rootOf(provider.baseUrl));
      // Nothing listening is the newcomer's usual case (the built-in default, Ollama not started):
      // said here, before the first request of Claude Code fails on it.
      lines.push(
        refused
          ? `Ollama (provider "${id}" at ${at}) is not running: nothing listens there ` +
            `(connection refused). Start it (\`${START_OLLAMA}\`, or the Ollama app with its ` +
            "context length at 64k or more), or " +
            `${config.providers[id]!.addressFix ?? "fix its base_url"}; its context was not checked`
          : `Ollama (provider "${id}" at ${at}) did not answer: its context was not checked`,
      );
      continue;
    }
    const loaded = loadedContexts(ps);
    for (const model of models) {
      lines.push(await modelLine(fetchFn, provider.baseUrl, model, loaded));
    }
  }
  return lines;
}
