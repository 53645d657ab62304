/**
 * A config file or `.env` is read with a size limit: a link pointed at a device that never ends
 * (`/dev/zero`) would otherwise fill memory until the system stopped ccp, at start or on the
 * reload a save of the link makes.
 */

import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/load.ts";
import { readDotenvFile } from "../../src/config/env/dotenv.ts";
import { MAX_CONFIG_BYTES, readTextCapped } from "../../src/config/read_capped.ts";
import { inTempDir } from "../cli/helpers.ts";

Deno.test("a config file or .env past the limit is refused with its reason, not read whole", async () => {
  await inTempDir("ccp_capped_", async (dir) => {
    const big = `${dir}/big`;
    await Deno.writeTextFile(big, `# ${"x".repeat(MAX_CONFIG_BYTES)}\n`);
    await Deno.mkdir(`${dir}/conf`);
    await Deno.symlink(big, `${dir}/.env`);
    await Deno.symlink(big, `${dir}/conf/c.yaml`);
    await assert.rejects(
      readDotenvFile(`${dir}/.env`),
      /cannot read this \.env file: .*more than 16 MiB/,
    );
    await assert.rejects(
      loadConfig({
        flags: { config: `${dir}/conf/c.yaml` },
        env: {},
        cwd: `${dir}/conf`,
        home: `${dir}/conf`,
      }),
      /cannot read the config file: .*more than 16 MiB/,
    );
  });
});

Deno.test("a link to /dev/zero is refused once the limit is read, in bounded time", async () => {
  const started = performance.now();
  await assert.rejects(readTextCapped("/dev/zero"), /more than 16 MiB \(is it a device\?\)/);
  assert.ok(performance.now() - started < 5_000);
});

Deno.test("a file under the limit reads as Deno.readTextFile reads it (a leading BOM kept)", async () => {
  await inTempDir("ccp_capped_", async (dir) => {
    const text = `\uFEFFa: "é ${"y".repeat(200_000)}"\n`;
    await Deno.writeTextFile(`${dir}/f`, text);
    assert.equal(await readTextCapped(`${dir}/f`), await Deno.readTextFile(`${dir}/f`));
    await assert.rejects(readTextCapped(`${dir}/missing`), Deno.errors.NotFound);
  });
});
