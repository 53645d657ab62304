/** Paths made absolute are written without `.` and `..`, as the file they name. */

import assert from "node:assert/strict";
import { normalizePath, resolvePath } from "../../src/config/paths.ts";

Deno.test("resolvePath: relative paths against the cwd, without . and .. segments", () => {
  const cases: Array<[string, string, string]> = [
    ["/dir/sub", "../x.yaml", "/dir/x.yaml"],
    ["/dir/sub", "./x.yaml", "/dir/sub/x.yaml"],
    ["/dir/sub/", "a/./b/../../c.yaml", "/dir/sub/c.yaml"],
    ["/dir", "../../../x.yaml", "/x.yaml"], // never above the root
    ["/dir", "/etc/ccp/../ccp.yaml", "/etc/ccp.yaml"],
    ["/dir", "conf/c.yaml", "/dir/conf/c.yaml"], // nothing to do: unchanged
    ["/dir", "a..b/.x/c.", "/dir/a..b/.x/c."], // dots inside names are names
    ["C:\\Users\\me\\work", "..\\ccp.yaml", "C:\\Users\\me\\ccp.yaml"],
    ["C:/Users/me", "../x/./y.yaml", "C:\\Users\\x\\y.yaml"],
    ["/dir", "\\\\server\\share\\a\\..\\b.yaml", "\\\\server\\share\\b.yaml"],
  ];
  for (const [cwd, path, want] of cases) {
    assert.equal(resolvePath(cwd, path), want, `${cwd} + ${path}`);
  }
});

Deno.test("normalizePath: a relative path keeps the .. it cannot take back", () => {
  assert.equal(normalizePath("../a/./b/.."), "../a");
  assert.equal(normalizePath("a/.."), ".");
  assert.equal(normalizePath("./"), ".");
});
