/**
 * Claude Code's auto mode (its default permission mode) has the API check each risky tool call:
 * requests carry a `safeguards` field and a beta, and only Anthropic answers with verdicts.
 * Through any other upstream Claude Code stops at the first risky call and asks. Told
 * `CLAUDE_CODE_AUTO_MODE_SERVER=0`, it checks the calls itself instead, with its built-in
 * classifier: a request to its sonnet model, which ccp routes like any other. `ccp code` and the
 * start-up line choose that when ccp cannot pass the server's check on.
 */

import type { Config, ProviderConfig, Target } from "../config/types.ts";
import { isLoopbackHost } from "../core/loopback.ts";
import { findPreset } from "../providers/catalog.ts";
import { resolveRoute } from "../routing/resolve.ts";

/** The variable that has Claude Code check auto mode's actions with its own classifier. */
const AUTO_MODE_VARIABLE = "CLAUDE_CODE_AUTO_MODE_SERVER";

// The beta Claude Code sends with `safeguards` (2.1.332); any later date names the same check.
const CHECK_BETA = "dangerous-tool-use-2026-09-03";

// What the classifier asks for: a sonnet model, a prompt of ~35k tokens, a 64-token answer.
const CLASSIFIER_REQUEST = {
  model: "claude-sonnet-5",
  max_tokens: 64,
  messages: [{ role: "user", content: "<transcript>" }],
};
const CLASSIFIER_TOKENS = 36_000;

/** Whether ccp sends a provider Claude Code's check as it came (an Anthropic-compatible relay). */
export function relaysServerCheck(provider: ProviderConfig): boolean {
  if (provider.type !== "anthropic") return false;
  const body = provider.cleaning.body(
    { ...CLASSIFIER_REQUEST, safeguards: [] },
    CLASSIFIER_REQUEST.model,
  );
  return "safeguards" in body && provider.cleaning.keyedBetas([CHECK_BETA]).includes(CHECK_BETA);
}

/** Whether a provider runs on this machine (a local preset, or a loopback address). */
function isLocal(provider: ProviderConfig): boolean {
  if (provider.preset !== undefined && findPreset(provider.preset)?.local) return true;
  try {
    return isLoopbackHost(new URL(provider.baseUrl).hostname);
  } catch {
    return false;
  }
}

// Providers that pass the check on for some models only: OpenRouter's Anthropic API has only its
// anthropic/* models served by Anthropic.
const CHECKED_MODEL_PREFIX: Readonly<Record<string, string>> = { open_router: "anthropic/" };

/** Whether a request sent to `target` keeps the server's check all the way to Anthropic. */
function targetRelaysCheck(config: Config, target: Target): boolean {
  const provider = config.providers[target.provider];
  if (!provider || !relaysServerCheck(provider)) return false;
  const prefix = provider.preset !== undefined ? CHECKED_MODEL_PREFIX[provider.preset] : undefined;
  return prefix === undefined || target.model.startsWith(prefix);
}

function everyTarget(config: Config): Target[] {
  return [...Object.values(config.routes), ...Object.values(config.aliases)].flat();
}

/** Where the classifier's requests go first, when the config resolves them. */
function classifierTarget(config: Config): Target | undefined {
  try {
    return resolveRoute(
      { request: CLASSIFIER_REQUEST, inputTokens: CLASSIFIER_TOKENS },
      config,
    ).chain[0];
  } catch {
    return undefined;
  }
}

/** How Claude Code's auto mode checks risky calls through this config. */
type AutoModeCheck =
  | { readonly by: "server" }
  | { readonly by: "classifier"; readonly target: Target }
  | { readonly by: "user"; readonly target?: Target };

/**
 * The server's check where every route passes it on; else Claude Code's own classifier through
 * the route its requests take, when that is a hosted model. A model on this machine is left out:
 * every checked action would cost it a ~35k-token prompt, and Claude Code asking is the better
 * deal.
 */
function autoModeCheck(config: Config): AutoModeCheck {
  if (everyTarget(config).every((target) => targetRelaysCheck(config, target))) {
    return { by: "server" };
  }
  const target = classifierTarget(config);
  const provider = target ? config.providers[target.provider] : undefined;
  if (!target || !provider || isLocal(provider)) {
    return target ? { by: "user", target } : { by: "user" };
  }
  return { by: "classifier", target };
}

/** `CLAUDE_CODE_AUTO_MODE_SERVER=0` when Claude Code's own classifier should check risky calls. */
export function autoModeEnv(config: Config): Record<string, string> {
  return autoModeCheck(config).by === "classifier" ? { [AUTO_MODE_VARIABLE]: "0" } : {};
}

/** `ccp check`'s line on how Claude Code's auto mode will check risky tool calls. */
export function autoModeLine(config: Config): string {
  const check = autoModeCheck(config);
  const where = (target: Target) => `${target.provider}/${target.model}`;
  switch (check.by) {
    case "server":
      return "Claude Code auto mode: Anthropic checks risky tool calls (every route relays its " +
        "check to Anthropic)";
    case "classifier":
      return `Claude Code auto mode: Claude Code checks risky tool calls itself through ${
        where(check.target)
      } (a route that does not relay Anthropic's check gets no verdict; \`ccp code\` sets ` +
        `${AUTO_MODE_VARIABLE}=0, set it yourself otherwise)`;
    case "user":
      // Said as what the user will see, then why: the variable is named as a choice, not a fix.
      return "Claude Code auto mode: Claude Code will ask you to approve risky tool calls (only " +
        "Anthropic answers its check; " +
        (check.target
          ? `its own check, ${AUTO_MODE_VARIABLE}=0, would send a ~35k-token prompt per call ` +
            `to ${where(check.target)} on this machine, so ccp code leaves it off)`
          : "no route takes its own check)");
  }
}
