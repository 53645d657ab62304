/** Builds `clients:` (named client tokens) from its parsed YAML section. */

import type { Problems } from "./issues.ts";
import type { ClientSection } from "./schema/config.ts";
import type { ClientConfig } from "./types.ts";

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
