/**
 * Which IP addresses `web_fetch` may connect to: public unicast only. Loopback, private,
 * link-local (which holds the cloud metadata address 169.254.169.254), CGNAT, documentation,
 * multicast and reserved ranges are refused, in IPv4 and in every IPv6 form that can carry or
 * reach them.
 */

import { parseIpv4, parseIpv6 } from "../core/ip_address.ts";

/**
 * The reason an address is refused, with its article (`a private address`), or undefined when it
 * is a public unicast address.
 */
export function blockedReason(address: string): string | undefined {
  const v4 = parseIpv4(address);
  if (v4) return ipv4Reason(v4);
  const v6 = parseIpv6(address);
  if (v6) return ipv6Reason(v6);
  return "not an IP address";
}

type Ipv4Range = readonly [base: string, prefix: number, reason: string];

const IPV4_BLOCKED: readonly Ipv4Range[] = [
  ["0.0.0.0", 8, "a 'this network' address"],
  ["10.0.0.0", 8, "a private address"],
  ["100.64.0.0", 10, "a carrier-grade NAT address"],
  ["127.0.0.0", 8, "a loopback address"],
  ["169.254.0.0", 16, "a link-local or cloud metadata address"],
  ["172.16.0.0", 12, "a private address"],
  ["192.0.0.0", 24, "an IETF protocol address"],
  // The TEST-NETs route nowhere on the internet; a LAN that borrows them is private.
  ["192.0.2.0", 24, "a documentation (TEST-NET) address"],
  ["192.88.99.0", 24, "a 6to4 relay anycast address"],
  ["192.168.0.0", 16, "a private address"],
  ["198.18.0.0", 15, "a benchmarking address"],
  ["198.51.100.0", 24, "a documentation (TEST-NET) address"],
  ["203.0.113.0", 24, "a documentation (TEST-NET) address"],
  ["224.0.0.0", 4, "a multicast address"],
  ["240.0.0.0", 4, "a reserved address"],
];

/** The ranges as numbers, made once. */
const IPV4_MASKS = IPV4_BLOCKED.map(([base, prefix, reason]) => ({
  base: ipv4Value(parseIpv4(base)!),
  mask: (0xffffffff << (32 - prefix)) >>> 0,
  reason,
}));

function ipv4Value(octets: readonly number[]): number {
  return ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
}

function ipv4Reason(octets: readonly number[]): string | undefined {
  const value = ipv4Value(octets);
  for (const { base, mask, reason } of IPV4_MASKS) {
    if (((value & mask) >>> 0) === base) return reason;
  }
  return undefined;
}

function ipv6Reason(h: readonly number[]): string | undefined {
  const zeroTo = (n: number) => h.slice(0, n).every((x) => x === 0);
  if (zeroTo(8)) return "an unspecified address";
  if (zeroTo(7) && h[7] === 1) return "a loopback address";
  // ::ffff:a.b.c.d (IPv4-mapped) and ::a.b.c.d (IPv4-compatible) reach the IPv4 address.
  if (zeroTo(5) && (h[5] === 0xffff || h[5] === 0)) return ipv4Reason(embedded(h[6]!, h[7]!));
  // ::ffff:0:a.b.c.d (IPv4-translated, SIIT) reaches it through a translator.
  if (zeroTo(4) && h[4] === 0xffff && h[5] === 0) return ipv4Reason(embedded(h[6]!, h[7]!));
  // 64:ff9b:1::/48 (local-use NAT64) is a network's own translator, which reaches its private
  // addresses too, with the IPv4 address at a place its prefix length decides: all of it is refused.
  if (h[0] === 0x64 && h[1] === 0xff9b && h[2] === 1) return "a local-use NAT64 address";
  // 64:ff9b::/96 (NAT64) and 2002::/16 (6to4) carry an IPv4 address that a gateway connects to.
  if (h[0] === 0x64 && h[1] === 0xff9b && h.slice(2, 6).every((x) => x === 0)) {
    return ipv4Reason(embedded(h[6]!, h[7]!));
  }
  if (h[0] === 0x2002) return ipv4Reason(embedded(h[1]!, h[2]!));
  // Teredo (2001::/32) reaches a client's address through a relay; the rest of 2001::/23 is the
  // IETF's (benchmarking, ORCHID, anycast services), where no web site lives.
  if (h[0] === 0x2001 && h[1] === 0) return "a Teredo address";
  if (h[0] === 0x2001 && h[1] === 0xdb8) return "a documentation address";
  if (h[0] === 0x2001 && h[1]! < 0x200) return "an IETF protocol address";
  if (h[0] === 0x3fff && h[1]! < 0x1000) return "a documentation address";
  if (h[0] === 0x100 && h[1] === 0 && h[2] === 0 && h[3] === 0) return "a discard-only address";
  if (h[0] === 0x5f00) return "a segment routing (SRv6) address";
  if ((h[0]! & 0xfe00) === 0xfc00) return "a unique local (private) address";
  if ((h[0]! & 0xffc0) === 0xfe80) return "a link-local address";
  if ((h[0]! & 0xffc0) === 0xfec0) return "a site-local address";
  if ((h[0]! & 0xff00) === 0xff00) return "a multicast address";
  return undefined;
}

function embedded(high: number, low: number): number[] {
  return [high >> 8, high & 0xff, low >> 8, low & 0xff];
}
