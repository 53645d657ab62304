// deno-lint-ignore-file no-console -- the probe reports its measurement on stdout
/**
 * Run by large_buffers_test.ts in a fresh process: frees a 900 KB block, then allocates and fills
 * a slightly larger one (a session's next, slightly longer body) and prints the page faults
 * that took. With `reuse`, keepLargeBlocksForReuse() runs first.
 */

import { keepLargeBlocksForReuse } from "../../src/core/large_buffers.ts";

if (Deno.args[0] === "reuse") keepLargeBlocksForReuse();
// Minor faults: the 10th field of /proc/self/stat, the 8th after the command name's ") ".
const faults = () => Number(Deno.readTextFileSync("/proc/self/stat").split(") ")[1]!.split(" ")[7]);
const previous = new Uint8Array(900_000);
previous.fill(1);
previous.buffer.transfer(0);
const before = faults();
new Uint8Array(910_000).fill(1);
console.log(faults() - before);
