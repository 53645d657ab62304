import assert from "node:assert/strict";
import { parseIpv6 } from "../../src/core/ip_address.ts";
import { blockedReason } from "../../src/webtools/address.ts";

Deno.test("web_fetch address checks", async (t) => {
  const blocked: Array<[string, RegExp]> = [
    ["127.0.0.1", /loopback/],
    ["127.255.0.9", /loopback/],
    ["10.1.2.3", /private/],
    ["172.16.0.1", /private/],
    ["172.31.255.255", /private/],
    ["192.168.1.1", /private/],
    ["169.254.169.254", /metadata/],
    ["100.64.0.1", /carrier-grade/],
    ["100.127.255.255", /carrier-grade/],
    ["0.0.0.0", /this network/],
    ["224.0.0.1", /multicast/],
    ["255.255.255.255", /reserved/],
    ["::1", /loopback/],
    ["::", /unspecified/],
    ["[::1]", /loopback/],
    ["::ffff:127.0.0.1", /loopback/],
    ["::ffff:7f00:1", /loopback/],
    ["::ffff:169.254.169.254", /metadata/],
    ["::127.0.0.1", /loopback/],
    ["64:ff9b::10.0.0.1", /private/],
    ["2002:c0a8:0101::1", /private/],
    // SIIT's IPv4-translated form, and the local-use NAT64 prefix, whose gateway may reach the LAN.
    ["::ffff:0:10.0.0.1", /private/],
    ["::ffff:0:7f00:1", /loopback/],
    ["64:ff9b:1::a00:1", /local-use NAT64/],
    ["64:ff9b:1:ffff::1", /local-use NAT64/],
    ["fc00::1", /unique local/],
    ["fd12:3456:789a::1", /unique local/],
    ["fe80::1%eth0", /link-local/],
    ["febf::1", /link-local/],
    ["ff02::1", /multicast/],
    // The TEST-NETs and the 6to4 relays' anycast: no public site lives there, a LAN may.
    ["192.0.2.1", /documentation/],
    ["198.51.100.7", /documentation/],
    ["203.0.113.250", /documentation/],
    ["192.88.99.1", /6to4 relay/],
    ["2002:c000:0201::1", /documentation/],
    // Teredo carries an address its relay connects to; the rest of 2001::/23 is IETF protocol
    // space (benchmarking, ORCHID), and these prefixes are documentation or discard-only.
    ["2001:0:4136:e378:8000:63bf:3fff:fdd2", /Teredo/],
    ["2001::1", /Teredo/],
    ["2001:2::1", /IETF protocol/],
    ["2001:1ff::1", /IETF protocol/],
    ["2001:db8::1", /documentation/],
    ["2001:db8:ffff::1", /documentation/],
    ["3fff::1", /documentation/],
    ["3fff:fff:ffff::1", /documentation/],
    ["100::1", /discard-only/],
    ["5f00::1", /segment routing/],
    ["not-an-ip", /not an IP/],
    ["1.2.3", /not an IP/],
    ["1:2:3:4:5:6:7:8:9", /not an IP/],
  ];
  for (const [address, reason] of blocked) {
    await t.step(`refuses ${address}`, () => {
      assert.match(blockedReason(address) ?? "", reason);
    });
  }
  const allowed = [
    "93.184.216.34",
    "8.8.8.8",
    "172.32.0.1",
    "100.128.0.1",
    "169.255.0.1",
    "2001:4860:4860::8888",
    "::ffff:8.8.8.8",
    "::ffff:0:8.8.8.8",
    "64:ff9b:2::1",
    "2606:4700::1111",
    "192.0.3.1",
    "198.51.101.1",
    "203.0.114.1",
    "192.88.100.1",
    "2001:200::1",
    "2001:db9::1",
    "3fff:1000::1",
    "100:0:0:1::1",
  ];
  for (const address of allowed) {
    await t.step(`allows ${address}`, () => assert.equal(blockedReason(address), undefined));
  }
  await t.step("parses IPv6 forms", () => {
    assert.deepEqual(parseIpv6("1::"), [1, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(parseIpv6("1:2:3:4:5:6:1.2.3.4"), [1, 2, 3, 4, 5, 6, 0x102, 0x304]);
    assert.equal(parseIpv6("1::2::3"), undefined);
    assert.equal(parseIpv6("1:2:3:4:5:6:7:8::"), undefined);
  });
});
