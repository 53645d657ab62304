/** The Dockerfile read as text: what the image gives the user it runs as. */

import assert from "node:assert/strict";
import { ROOT } from "./helpers.ts";

const dockerfile = await Deno.readTextFile(`${ROOT}/Dockerfile`);
const final = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));

Deno.test("Dockerfile: the non-root user owns the data dir the /data volume starts from", () => {
  // Docker creates a VOLUME's directory that the image lacks as root's, 755, and a new volume
  // copies it: the nonroot user could not create /data/ccp, and ccp ran without its ledger.
  assert.match(final, /^ENV [^]*XDG_DATA_HOME=\/data\b/m);
  assert.match(final, /^VOLUME \[[^\]]*"\/data"/m);
  // The directory's contents are copied with their owner; the directory named is not.
  const copied = /^COPY --from=build --chown=65532:65532 (\S+)\/ \/data\/$/m.exec(final);
  assert.ok(
    copied,
    `the final stage copies, owned by nonroot (65532), a ccp dir into /data:\n${final}`,
  );
  assert.ok(final.indexOf(copied[0]) < final.indexOf("VOLUME"), "before VOLUME");
  assert.ok(dockerfile.includes(`mkdir -p ${copied[1]}/ccp`), "the build stage makes it");
});
