/** Builds `clients:` (named client tokens) from its parsed YAML section. */

import type { Problems } from "./issues.ts";
import type { ClientSection } from "./schema/config.ts";
import type { ClientConfig } from "./types.ts";
import { didYouMean } from "./suggest.ts";

/** Validated clients: unique names and tokens, tokens usable as ccp tokens. */
export function buildClients(
  sections: readonly ClientSection[] | undefined,
  serverToken: string | undefined,
  problems: Problems,
): ClientConfig[] {
  const out: ClientConfig[] = [];
  const names = new Set<string>(["default"]);
  const tokens = new Set<string>(serverToken ? [serverToken] : []);
  (sections ?? []).forEach((c, i) => {
    const path = ["clients", i];
    const name = c.name.trim();
    const token = c.token.trim();
    if (name === "" || names.has(name)) {
      problems.add(
        [...path, "name"],
        name === ""
          ? "must not be empty"
          : `"${name}" is used twice (default is server.auth_token)`,
      );
      return;
    }
    if (token === "") {
      // An unset ${VAR} leaves the token empty: refusing is safer than a client anyone could be.
      problems.add([...path, "token"], "is empty (is its environment variable set?)");
      return;
    }
    if (token.includes(":")) {
      problems.add(
        [...path, "token"],
        "contains ':', which no client can send (the part after ':' picks a model)",
      );
      return;
    }
    if (tokens.has(token)) {
      problems.add([...path, "token"], "is the same as another client's token");
      return;
    }
    names.add(name);
    tokens.add(token);
    out.push({ name, token, ...(c.routes ? { routes: c.routes } : {}) });
  });
  return out;
}

/**
 * Names that match nothing, which the config would otherwise take in silence: a budget for a
 * client no token belongs to counts nothing, and a route a client's list names but no request can
 * resolve to allows nothing (a tier word without its own route resolves to `default`).
 */
export function clientNameWarnings(input: {
  file: string;
  clients: readonly ClientConfig[];
  budgets: readonly { readonly client?: string }[] | undefined;
  routes: readonly string[];
  aliases: readonly string[];
}): string[] {
  const warnings: string[] = [];
  const names = ["default", ...input.clients.map((c) => c.name)];
  (input.budgets ?? []).forEach((b, i) => {
    if (b.client === undefined || names.includes(b.client)) return;
    const hint = didYouMean(b.client, names);
    warnings.push(
      `${input.file}: budgets[${i}].client: no client is named "${b.client}" (${
        hint ? `${hint}; ` : ""
      }clients: ${names.join(", ")}): this budget counts nothing`,
    );
  });
  const known = [...input.routes, ...input.aliases, "explicit"];
  input.clients.forEach((c, i) => {
    for (const name of c.routes ?? []) {
      if (known.includes(name)) continue;
      const hint = didYouMean(name, known);
      warnings.push(
        `${input.file}: clients[${i}].routes: "${name}" is no route or alias${
          hint ? ` (${hint})` : ""
        }: it allows nothing (use a name under routes or aliases, or explicit)`,
      );
    }
  });
  return warnings;
}
