/**
 * Which IP addresses `web_fetch` may connect to: public unicast only. Loopback, private,
 * link-local (which holds the cloud metadata address 169.254.169.254), CGNAT, multicast and
 * reserved ranges are refused, in IPv4 and in every IPv6 form that can carry or reach them.
 */

import { parseIpv4, parseIpv6 } from "../core/ip_address.ts";

/** The reason an address is refused, or undefined when it is a public unicast address. */
export function blockedReason(address: string): string | undefined {
  const v4 = parseIpv4(address);
  if (v4) return ipv4Reason(v4);
  const v6 = parseIpv6(address);
  if (v6) return ipv6Reason(v6);
  return "not an IP address";
}

type Ipv4Range = readonly [first: number, second: number, prefix: number, reason: string];

// Ranges by their first two octets and prefix length.
const IPV4_BLOCKED: readonly Ipv4Range[] = [
  [0, 0, 8, "'this network' address"],
  [10, 0, 8, "private address"],
  [100, 64, 10, "carrier-grade NAT address"],
  [127, 0, 8, "loopback address"],
  [169, 254, 16, "link-local or cloud metadata address"],
  [172, 16, 12, "private address"],
  [192, 0, 24, "IETF protocol address"],
  [192, 168, 16, "private address"],
  [198, 18, 15, "benchmarking address"],
  [224, 0, 4, "multicast address"],
  [240, 0, 4, "reserved address"],
];

function ipv4Reason(octets: readonly number[]): string | undefined {
  const value = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
  for (const [a, b, prefix, reason] of IPV4_BLOCKED) {
    const base = ((a << 24) | (b << 16)) >>> 0;
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    if (((value & mask) >>> 0) === base) return reason;
  }
  return undefined;
}

function ipv6Reason(h: readonly number[]): string | undefined {
  const zeroTo = (n: number) => h.slice(0, n).every((x) => x === 0);
  if (zeroTo(8)) return "unspecified address";
  if (zeroTo(7) && h[7] === 1) return "loopback address";
  // ::ffff:a.b.c.d (IPv4-mapped) and ::a.b.c.d (IPv4-compatible) reach the IPv4 address.
  if (zeroTo(5) && (h[5] === 0xffff || h[5] === 0)) return ipv4Reason(embedded(h[6]!, h[7]!));
  // ::ffff:0:a.b.c.d (IPv4-translated, SIIT) reaches it through a translator.
  if (zeroTo(4) && h[4] === 0xffff && h[5] === 0) return ipv4Reason(embedded(h[6]!, h[7]!));
  // 64:ff9b:1::/48 (local-use NAT64) is a network's own translator, which reaches its private
  // addresses too, with the IPv4 address at a place its prefix length decides: all of it is refused.
  if (h[0] === 0x64 && h[1] === 0xff9b && h[2] === 1) return "local-use NAT64 address";
  // 64:ff9b::/96 (NAT64) and 2002::/16 (6to4) carry an IPv4 address that a gateway connects to.
  if (h[0] === 0x64 && h[1] === 0xff9b && h.slice(2, 6).every((x) => x === 0)) {
    return ipv4Reason(embedded(h[6]!, h[7]!));
  }
  if (h[0] === 0x2002) return ipv4Reason(embedded(h[1]!, h[2]!));
  if ((h[0]! & 0xfe00) === 0xfc00) return "unique local (private) address";
  if ((h[0]! & 0xffc0) === 0xfe80) return "link-local address";
  if ((h[0]! & 0xffc0) === 0xfec0) return "site-local address";
  if ((h[0]! & 0xff00) === 0xff00) return "multicast address";
  return undefined;
}

function embedded(high: number, low: number): number[] {
  return [high >> 8, high & 0xff, low >> 8, low & 0xff];
}
