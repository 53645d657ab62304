/** What `ccp serve` says when it cannot listen: each failed bind with what to do about it. */

import { messageOf } from "../core/errors.ts";
import { CliError } from "./context.ts";
import { probeHealth } from "./probe.ts";
import { clientHost, httpUrl } from "./startup.ts";

/**
 * Turns a failed bind into a message that says what to do. A port in use is asked who holds it,
 * as `ccp code` does: a ccp there is one to use, anything else needs another port.
 */
export async function listenError(err: unknown, host: string, port: number): Promise<CliError> {
  const where = `${host}:${port}`;
  if (err instanceof Deno.errors.AddrInUse) {
    const probe = await probeHealth(httpUrl(clientHost(host), port));
    const another = "choose another port with --port N or CCP_PORT";
    if (probe.found !== "ccp") {
      return new CliError(`something else is using ${where} (not a ccp): ${another}.`);
    }
    const version = probe.version === undefined ? "" : ` (version ${probe.version})`;
    return new CliError(`a ccp${version} is already running on ${where}: use it, or ${another}.`);
  }
  if (err instanceof Deno.errors.AddrNotAvailable) {
    return new CliError(`Cannot listen on ${where}: this machine has no such address.`);
  }
  if (err instanceof Deno.errors.PermissionDenied && port < 1024) {
    // A system service runs as a user of its own: the capability is the unit's to give.
    return new CliError(
      `Cannot listen on ${where}: a port below 1024 needs a privilege this user lacks. Choose ` +
        "one from 1024 up with --port N or CCP_PORT, or, for the --system service, give it the " +
        "privilege: AmbientCapabilities=CAP_NET_BIND_SERVICE under [Service] in " +
        "`sudo systemctl edit ccp`.",
    );
  }
  const reason = messageOf(err);
  return new CliError(`Cannot listen on ${where}: ${reason}`);
}
