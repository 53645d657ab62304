/** What `ccp settings` prints of the values it writes: ccp's token never, as it stands. */

import { type CcpSettings, type SettingsJson, WROTE_VARIABLE } from "./claude_settings_merge.ts";

/** How ccp's token is written on the terminal. */
export const SHOWN_TOKEN = "<token>";

/**
 * `json` for the terminal: where the file holds a value as ccp writes it, the value is shown as
 * ccp's with `<token>` (the token's own length aside); the token elsewhere is masked.
 */
export function shownJson(
  json: SettingsJson,
  plan: { readonly settings: CcpSettings; readonly shown: CcpSettings },
  own: string | undefined,
): string {
  const env = json.env;
  const shown = typeof env === "object" && env !== null && !Array.isArray(env)
    ? {
      ...json,
      env: Object.fromEntries(
        Object.entries(env).map(([name, value]) => {
          const ours = plan.settings.env[name];
          if (name === WROTE_VARIABLE && typeof value === "string") {
            return [name, withoutMaskedSums(value, plan)];
          }
          return [name, ours !== undefined && value === ours ? plan.shown.env[name] : value];
        }),
      ),
    }
    : json;
  return masked(JSON.stringify(shown, null, 2), own);
}

/**
 * `CCP_WROTE` with the checksum of each value shown masked (holding the token) as `<token>` too: a
 * short, fast checksum of a short token would let one who sees it find the token by trying.
 */
function withoutMaskedSums(
  wrote: string,
  plan: { readonly settings: CcpSettings; readonly shown: CcpSettings },
): string {
  return wrote.replace(
    /(^|\s)([^\s:]+):([0-9a-f]+)/g,
    (word, space: string, name: string) =>
      plan.shown.env[name] !== plan.settings.env[name] ? `${space}${name}:${SHOWN_TOKEN}` : word,
  );
}

/**
 * `text` with ccp's token masked wherever else it stands, as it is and as JSON escapes it: only a
 * token long enough not to be found in ccp's own words (a token `ccp` would be, in every line).
 */
export function masked(text: string, token: string | undefined): string {
  if (token === undefined || token.length < MASKED_TOKEN) return text;
  return text.replaceAll(token, SHOWN_TOKEN).replaceAll(
    JSON.stringify(token).slice(1, -1),
    SHOWN_TOKEN,
  );
}

const MASKED_TOKEN = 8;
