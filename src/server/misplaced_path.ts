/** Advice for a request whose path shows that the client's base URL carries an extra path. */

const API_PATHS = ["/v1/messages/count_tokens", "/v1/messages", "/v1/models"];

/**
 * For `/v1/v1/messages` (ANTHROPIC_BASE_URL ending in `/v1`) and the like: what to set instead.
 * `origin` is ccp's address as the client reached it.
 */
export function misplacedPathAdvice(path: string, origin: string): string | undefined {
  const api = API_PATHS.find((known) => path.endsWith(known) && path !== known);
  if (api === undefined) return undefined;
  return `the client's base URL has an extra path: set ANTHROPIC_BASE_URL to ccp's address ` +
    `without /v1 or any other path, ANTHROPIC_BASE_URL=${origin} (Claude Code adds ${api} itself)`;
}
