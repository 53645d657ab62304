/**
 * What a `--system` service's own user cannot read in its config dir. systemd runs it as a user
 * allocated at each start (DynamicUser=), or as a system user named ccp when there is one: a file
 * only root may read (`ccp init` writes `.env` with mode 600) stops it at every start.
 */

import { joinPath } from "../config/paths.ts";

/** The system user and group named ccp, from /etc/passwd's text; undefined when there is none. */
export function ccpSystemUser(passwd: string): { uid: number; gid: number } | undefined {
  const line = passwd.split("\n").find((l) => l.startsWith("ccp:"));
  const [, , uid, gid] = line?.split(":") ?? [];
  if (uid === undefined || gid === undefined) return undefined;
  return { uid: Number(uid), gid: Number(gid) };
}

/** True when the user `who` (or, without one, any other user) may read a file of this stat. */
function readable(info: Deno.FileInfo, who: { uid: number; gid: number } | undefined): boolean {
  const mode = info.mode ?? 0o644;
  if (mode & 0o004) return true;
  if (who === undefined) return false;
  return (info.uid === who.uid && (mode & 0o400) !== 0) ||
    (info.gid === who.gid && (mode & 0o040) !== 0);
}

/** What the system service could not read in its config dir, and whether a ccp user exists. */
export interface Unreadable {
  readonly paths: readonly string[];
  readonly ccpUser: boolean;
}

/**
 * The files of `configDir` (`.env`, `config.yaml`) that the system service could not read, for a
 * note with the commands that let it. `passwdFile` is /etc/passwd.
 */
export async function unreadableByService(
  configDir: string,
  passwdFile: string,
): Promise<Unreadable> {
  const who = ccpSystemUser(await Deno.readTextFile(passwdFile).catch(() => ""));
  const paths: string[] = [];
  for (const name of [".env", "config.yaml"]) {
    const path = joinPath(configDir, name);
    const info = await Deno.stat(path).catch(() => undefined);
    if (info?.isFile && !readable(info, who)) paths.push(path);
  }
  return { paths, ccpUser: who !== undefined };
}

/** The note that names them, and how to let the service read them without opening them to all. */
export function unreadableNote({ paths, ccpUser }: Unreadable): string {
  const files = paths.join(" ");
  const one = paths.length === 1;
  const them = one ? "it" : "them";
  const grant = `chgrp ccp ${files} && chmod 640 ${files}`;
  return `Note: the service cannot read ${paths.join(" and ")} (${
    ccpUser ? "it runs as the system user ccp" : "it runs as a user of its own"
  }), so every start would fail with "Permission denied". ` +
    (ccpUser
      ? `Let the group ccp read ${them}: ${grant}`
      : `Give it a system user named ccp, which it then runs as, and let that user's group read ` +
        `${them} (root alone still writes ${them}): useradd --system --user-group --home-dir ` +
        `/var/lib/ccp --shell /usr/sbin/nologin ccp && ${grant}`);
}
