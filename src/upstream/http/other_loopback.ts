/**
 * A local server listening on one loopback family only: `llama-server --host ::1`, or a server on
 * 127.0.0.1 where `localhost` is ::1 alone. Connecting to the other family is refused, and
 * "nothing listens there" sends the user to start a server that is running. On a refused loopback
 * connection, ccp tries the same port on the other family once and, when that one answers, names
 * the address to write instead. Only failures pay for this, and the try is short.
 */

const TRY_MS = 300;

/** The other loopback address for `hostname`, or undefined when it is not a loopback name. */
function otherLoopback(hostname: string): { host: string; shown: string } | undefined {
  const h = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "::1") return { host: "127.0.0.1", shown: "127.0.0.1" };
  if (h === "localhost" || /^127(\.\d{1,3}){3}$/.test(h)) return { host: "::1", shown: "[::1]" };
  return undefined;
}

async function answers(hostname: string, port: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), TRY_MS);
  });
  const connecting = Deno.connect({ hostname, port }).catch(() => undefined);
  try {
    const conn = await Promise.race([connecting, timeout]);
    if (conn) {
      conn.close();
      return true;
    }
    // A connect still pending after the try is closed whenever it completes.
    connecting.then((late) => late?.close()).catch(() => {});
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * What to write instead, in `at` (where the address is written), when the loopback address of
 * `baseUrl` (the provider's) refused and the other family answers: that base URL with the other
 * address, its path kept (a server under `/v1` answers nothing at its bare root), its query named
 * but not shown (a key may sit there).
 */
export async function otherLoopbackHint(
  baseUrl: string,
  at = "its base_url",
): Promise<string | undefined> {
  let parsed: URL;
  try {
    parsed = new URL(baseUrl);
  } catch {
    return undefined;
  }
  const other = otherLoopback(parsed.hostname);
  if (!other) return undefined;
  const port = Number(parsed.port || (parsed.protocol === "https:" ? 443 : 80));
  if (!(await answers(other.host, port))) return undefined;
  const root = `${parsed.protocol}//${other.shown}:${port}${parsed.pathname.replace(/\/+$/, "")}`;
  const query = parsed.search === "" ? "" : " (its query kept)";
  const family = other.host === "::1" ? "IPv6 (::1)" : "IPv4 (127.0.0.1)";
  return `A server listens on this port over ${family} only, which ${parsed.hostname} did not ` +
    `reach: write ${root}${query} in ${at}, or start the server on both`;
}
