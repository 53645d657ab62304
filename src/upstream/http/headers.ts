/** Which client headers reach an upstream, and how the provider's key is attached. */

import type { AuthHeader, ProviderConfig } from "../../config/types.ts";
import type { HeaderReader } from "../../core/headers.ts";
import { parseBetas } from "../cleaning/betas.ts";
import { hasParts, withoutBetaParts } from "../cleaning/beta_parts.ts";
import type { BetaRule, Body } from "../cleaning/types.ts";
import { providerSecrets, redactKey } from "../../core/secrets.ts";
import type { CredentialRef } from "../../resilience/credential_holds.ts";

// Client headers worth forwarding to an Anthropic-compatible upstream. Everything else --
// hop-by-hop headers, the client's own credentials, host, content-length, accept-encoding --
// stays behind (an allow-list cannot leak a header nobody thought of).
const FORWARDED = new Set([
  "anthropic-version",
  "anthropic-beta",
  "user-agent",
  "x-app",
  "x-claude-code-session-id",
  "x-claude-code-agent-id",
  "anthropic-dangerous-direct-browser-access",
]);

/**
 * The headers of one upstream request, by lower-case name: built as a plain record and handed
 * to fetch as it is (a Headers object validates every header as it is set, and fetch validates
 * them again).
 */
export type OutgoingHeaders = Record<string, string>;

/** Client headers an Anthropic-type upstream should see (`x-stainless-*` included). */
export function forwardedAnthropicHeaders(client: HeaderReader): OutgoingHeaders {
  const out: OutgoingHeaders = {};
  client.forEach((value, name) => {
    if (FORWARDED.has(name) || name.startsWith("x-stainless-")) out[name] = value;
  });
  out["anthropic-version"] ??= "2023-06-01";
  return out;
}

/** The `anthropic-beta` rule of `provider`: a provider sent ccp's key loses the login's betas. */
function betaRuleOf(provider: Pick<ProviderConfig, "auth" | "cleaning">): BetaRule {
  return provider.auth === "passthrough" ? provider.cleaning.betas : provider.cleaning.keyedBetas;
}

/**
 * The client's headers with `anthropic-beta` filtered by `rule` (the header is removed when no
 * value survives). Returns the same headers when the rule keeps every value; otherwise a view of
 * them with the one header changed (a copy validated each of a Claude Code request's ~25 headers
 * again). A client sends the same list on every request, so what a rule made of it is kept.
 */
export function filterBetaHeader(client: HeaderReader, rule: BetaRule): HeaderReader {
  const value = client.get("anthropic-beta");
  if (!value) return client;
  const kept = filteredBetas(rule, value);
  return kept === value ? client : headersWithBeta(client, kept);
}

// Per rule, the header values seen and what the rule left of each (the value itself when it kept
// every beta, null when none). Bounded: a client inventing lists is filtered each time.
const FILTERED = new WeakMap<BetaRule, Map<string, string | null>>();
const MAX_FILTERED = 64;

function filteredBetas(rule: BetaRule, value: string): string | null {
  let seen = FILTERED.get(rule);
  if (!seen) FILTERED.set(rule, seen = new Map());
  let kept = seen.get(value);
  if (kept !== undefined) return kept;
  const betas = parseBetas(value);
  const left = rule(betas);
  kept = left === betas || left.length === betas.length
    ? value
    : left.length > 0
    ? left.join(",")
    : null;
  if (seen.size < MAX_FILTERED) seen.set(value, kept);
  return kept;
}

/**
 * What an Anthropic-compatible provider is sent of a client's request, for Messages and
 * count_tokens alike (a strict endpoint counts what it would be sent): the client's headers with
 * the betas the provider's rule keeps, and `clean`, the provider's body cleaning followed by the
 * removal of what the dropped betas bring into the body.
 */
export function outgoingRequest(
  provider: Pick<ProviderConfig, "auth" | "cleaning">,
  client: HeaderReader,
): { headers: HeaderReader; clean: (body: Body, model: string) => Body } {
  const headers = filterBetaHeader(client, betaRuleOf(provider));
  const dropped = droppedBetasWithParts(client, headers);
  const cleaning = provider.cleaning;
  // Usually none was dropped: the lookup of what they bring (its sets and lists) is skipped.
  if (dropped.length === 0) return { headers, clean: cleaning.body };
  return { headers, clean: (body, model) => withoutBetaParts(cleaning.body(body, model), dropped) };
}

/**
 * The betas a provider's rule took out of `client`'s header (`filtered` is what
 * {@link filterBetaHeader} made of it) that bring something into the body: an endpoint known not
 * to take the beta would refuse those parts too (beta_parts.ts).
 */
function droppedBetasWithParts(client: HeaderReader, filtered: HeaderReader): string[] {
  if (filtered === client) return [];
  const kept = new Set(parseBetas(filtered.get("anthropic-beta") ?? null));
  return parseBetas(client.get("anthropic-beta") ?? null).filter((beta) =>
    !kept.has(beta) && hasParts(beta)
  );
}

/** `client` as if its `anthropic-beta` header were `value` (null: absent), without a copy. */
function headersWithBeta(client: HeaderReader, value: string | null): HeaderReader {
  const isBeta = (name: string) => name.toLowerCase() === "anthropic-beta";
  return {
    get: (name) => isBeta(name) ? value : client.get(name),
    has: (name) => isBeta(name) ? value !== null : client.has(name),
    forEach: (visit) =>
      client.forEach((v, name) => {
        if (name !== "anthropic-beta") visit(v, name);
        else if (value !== null) visit(value, name);
      }),
  };
}

/** Sets the provider's credential on `headers` the way the provider expects it. */
export function applyAuth(
  headers: OutgoingHeaders,
  scheme: AuthHeader,
  key: string | undefined,
): void {
  if (!key) return;
  switch (scheme) {
    case "x-api-key":
      headers["x-api-key"] = key;
      break;
    case "bearer":
      headers.authorization = `Bearer ${key}`;
      break;
    case "x-goog-api-key":
      headers["x-goog-api-key"] = key;
      break;
    case "none":
      break;
  }
}

/** Adds the provider's configured extra headers (they win over forwarded ones). */
export function applyProviderHeaders(headers: OutgoingHeaders, provider: ProviderConfig): void {
  for (const [name, value] of Object.entries(provider.headers)) headers[name.toLowerCase()] = value;
}

// The client's own credentials, as an `auth: passthrough` provider is sent them.
const CREDENTIALS = ["x-api-key", "authorization"] as const;

/**
 * What an error text must not quote: the provider's keys and the credentials in its URL and
 * headers (`providerSecrets`), and with `auth: passthrough` the
 * client's own credential as it is sent, which no config lists and which need not look like any
 * known key. `headers` are those sent or those received: the credential values are the same.
 */
export function secretsSent(
  provider: Pick<ProviderConfig, "auth" | "apiKeys" | "baseUrl" | "proxy" | "headers">,
  headers: { get(name: string): string | null | undefined },
): readonly string[] {
  if (provider.auth !== "passthrough") return providerSecrets(provider);
  const secrets = [...providerSecrets(provider)];
  for (const name of CREDENTIALS) {
    const value = headers.get(name);
    if (!value) continue;
    secrets.push(value);
    const bare = value.replace(/^bearer\s+/i, "");
    if (bare !== value) secrets.push(bare);
  }
  return secrets;
}

/** Copies the client's own credential headers (for `auth: passthrough` providers). */
export function passthroughCredentials(client: HeaderReader, headers: OutgoingHeaders): void {
  for (const name of CREDENTIALS) {
    const value = client.get(name);
    if (value) headers[name] = value;
  }
}

/**
 * The credential a passthrough provider would be sent, as the guards key it: a SHA-256 hash (the
 * credential itself is never kept) and a label with its last 4 characters at most. Undefined
 * when the client sent none.
 */
export async function credentialRef(client: HeaderReader): Promise<CredentialRef | undefined> {
  const values = CREDENTIALS.map((name) => client.get(name) ?? "");
  if (values.every((v) => v === "")) return undefined;
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(values.join("\n")));
  // 128 bits tell credentials apart as well as 256 do, in half the memory per entry.
  const id = Array.from(new Uint8Array(digest, 0, 16), (b) => b.toString(16).padStart(2, "0"))
    .join("");
  const shown = values.find((v) => v !== "")!.replace(/^bearer\s+/i, "");
  return { id, label: `client credential (${redactKey(shown)})` };
}

const encoder = new TextEncoder();
