/** `--log-file`: log lines appended to a file (its directory is created when missing). */

import { dirnamePath } from "../config/paths.ts";
import { CliError } from "./context.ts";
import { messageOf } from "../core/errors.ts";
import { notAsRoot, otherOwner } from "../core/other_owner.ts";

/** A writer that appends each line to `path`; throws CliError when the file cannot be opened. */
export async function fileSink(path: string): Promise<(line: string) => void> {
  let file: Deno.FsFile;
  const other = await otherOwner(path);
  if (other) throw new CliError(`Cannot write the log file ${path}: ${notAsRoot(other)}`);
  try {
    await Deno.mkdir(dirnamePath(path), { recursive: true });
    // What ccp logs is its user's business: a new file is readable by that user alone.
    file = await Deno.open(path, { append: true, create: true, mode: 0o600 });
  } catch (err) {
    const why = messageOf(err);
    throw new CliError(`Cannot write the log file ${path}: ${why}`);
  }
  const encoder = new TextEncoder();
  // Synchronous: what a write is given is on disk before the next write, and at exit.
  return (line) => {
    file.writeSync(encoder.encode(line.endsWith("\n") ? line : `${line}\n`));
  };
}
