/**
 * A Deno script run in a private mount namespace (and, when asked, a private network namespace)
 * where files of the test's own are bound over system files such as /etc/hosts: the machine's own
 * files are never touched. Needs `unshare` and root; tests ask {@link canUnshare} first.
 */

import { runs } from "./programs.ts";

/** What the script printed, and its exit code. */
export interface NamespaceRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface NamespaceOptions {
  /** The script's own text, run with every permission. */
  readonly script: string;
  /** System files (by absolute path) to replace for the script, with their text. */
  readonly files: Readonly<Record<string, string>>;
  /** Shell commands run first inside a private network namespace; without it, the host's. */
  readonly network?: string;
  /** Variables added to the script's environment. */
  readonly env?: Readonly<Record<string, string>>;
}

/** Runs `script` with `files` bound over the system's own; killed after 30 s. */
export async function runInNamespace(options: NamespaceOptions): Promise<NamespaceRun> {
  const dir = await Deno.makeTempDir({ prefix: "ccp_namespace_" });
  try {
    const mounts: string[] = [];
    for (const [i, [path, text]] of Object.entries(options.files).entries()) {
      await Deno.writeTextFile(`${dir}/file${i}`, text);
      mounts.push(`mount --bind "$1/file${i}" ${path}`);
    }
    await Deno.writeTextFile(`${dir}/check.ts`, options.script);
    const steps = [
      ...(options.network ? [options.network] : []),
      ...mounts,
      `exec "$2" run --quiet --no-lock -A "$1/check.ts"`,
    ];
    const out = await new Deno.Command("unshare", {
      args: [
        "-m",
        ...(options.network ? ["-n"] : []),
        "sh",
        "-c",
        steps.join(" && "),
        "sh",
        dir,
        Deno.execPath(),
      ],
      ...(options.env ? { env: { ...options.env } } : {}),
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(30_000),
    }).output();
    return {
      code: out.code,
      stdout: new TextDecoder().decode(out.stdout),
      stderr: new TextDecoder().decode(out.stderr),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Whether this machine lets a test run `args` under `unshare` (a namespace of its own). */
export async function canUnshare(args: readonly string[]): Promise<boolean> {
  return Deno.build.os === "linux" && await runs("unshare", args);
}
