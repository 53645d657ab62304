/**
 * What a `--system` service's own user cannot read in its config dir. systemd runs it as a user
 * allocated at each start (DynamicUser=), or as a system user named ccp when there is one: a file
 * only root may read (`ccp init` writes `.env` with mode 600) stops it at every start.
 */

import { joinPath } from "../config/paths.ts";

/** The system user and group named ccp, from /etc/passwd's text; undefined when there is none. */
function ccpSystemUser(passwd: string): { uid: number; gid: number } | undefined {
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
  /** The `.env` path when there is none yet: the keys are still to be written there. */
  readonly envToWrite?: string;
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
  let envToWrite: string | undefined;
  for (const name of [".env", "config.yaml"]) {
    const path = joinPath(configDir, name);
    const info = await Deno.stat(path).catch(() => undefined);
    if (info?.isFile && !readable(info, who)) paths.push(path);
    if (info === undefined && name === ".env") envToWrite = path;
  }
  return { paths, ccpUser: who !== undefined, ...(envToWrite ? { envToWrite } : {}) };
}

/** The commands that let the service's user read `files`, which stay closed to other users. */
function grant(files: string, ccpUser: boolean): string {
  const group = `chgrp ccp ${files} && chmod 640 ${files}`;
  return ccpUser
    ? group
    : `useradd --system --user-group --home-dir /var/lib/ccp --shell /usr/sbin/nologin ccp && ${group}`;
}

/**
 * The note that names what the service cannot read, or the `.env` still to write, and how to let
 * the service read it without opening it to all; undefined when there is nothing to say.
 */
export function unreadableNote(
  { paths, ccpUser, envToWrite }: Unreadable,
): string | undefined {
  const runsAs = ccpUser ? "the system user ccp" : "a user of its own";
  if (paths.length === 0) {
    if (envToWrite === undefined) return undefined;
    return `Note: the service runs as ${runsAs}, who cannot read a file only root may read: ` +
      `when you write the provider keys into ${envToWrite} (\`ccp init\` makes it mode 600), ` +
      (ccpUser ? "let the group ccp read it: " : "give it a system user named ccp, which it " +
        "then runs as, and let that user's group read the file: ") +
      grant(envToWrite, ccpUser);
  }
  const files = paths.join(" ");
  const them = paths.length === 1 ? "it" : "them";
  return `Note: the service cannot read ${paths.join(" and ")} (it runs as ${runsAs}), so ` +
    `every start would fail with "Permission denied". ` +
    (ccpUser
      ? `Let the group ccp read ${them}: `
      : `Give it a system user named ccp, which it then runs as, and let that user's group read ` +
        `${them} (root alone still writes ${them}): `) +
    grant(files, ccpUser);
}
