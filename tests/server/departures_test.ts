import assert from "node:assert/strict";
import { DepartureWatcher, procAddress } from "../../src/server/departures.ts";

const HEADER = "  sl  local_address rem_address   st tx_queue rx_queue\n";
const row = (local: string, remote: string, state: string) =>
  `   0: ${local} ${remote} ${state} 00000000:00000000 00:00000000 00000000     0        0 1\n`;

Deno.test("procAddress: the kernel table's form of an address", () => {
  assert.equal(procAddress({ hostname: "127.0.0.1", port: 0xd2b8 }), "0100007F:D2B8");
  assert.equal(procAddress({ hostname: "::1", port: 80 }), "00000000000000000000000001000000:0050");
  assert.equal(
    procAddress({ hostname: "::ffff:10.0.0.2", port: 1 }),
    "0000000000000000FFFF00000200000A:0001",
  );
  assert.equal(procAddress({ hostname: "not-an-ip", port: 1 }), undefined);
});

Deno.test("DepartureWatcher: notices a client that hung up, and only that one", async () => {
  let table = HEADER + row("0100007F:1F92", "0100007F:D2B8", "01") +
    row("0100007F:1F92", "0100007F:D2B9", "01") +
    // The same client port talking to another server: must not hide ccp's own socket.
    row("0100007F:270F", "0100007F:D2B8", "01");
  const watcher = new DepartureWatcher({ intervalMs: 5, read: () => table });
  const gone: string[] = [];
  watcher.watch({ hostname: "127.0.0.1", port: 0xd2b8, localPort: 0x1f92 }, () => gone.push("a"));
  const stop = watcher.watch(
    { hostname: "127.0.0.1", port: 0xd2b9, localPort: 0x1f92 },
    () => gone.push("b"),
  );
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(gone, [], "both still connected");
  table = HEADER + row("0100007F:1F92", "0100007F:D2B8", "08") +
    row("0100007F:1F92", "0100007F:D2B9", "01") + row("0100007F:270F", "0100007F:D2B8", "01");
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(gone, ["a"], "CLOSE_WAIT on ccp's port: the client left");
  stop();
  table = HEADER;
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(gone, ["a"], "a watch that was stopped never fires");
});
