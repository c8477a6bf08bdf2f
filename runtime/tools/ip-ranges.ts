// Which IP addresses web_fetch must not reach (SSRF protection): loopback, private (RFC 1918, CGNAT, ULA),
// link-local (incl. the cloud metadata address 169.254.169.254), unspecified, multicast, reserved and
// documentation ranges, and IPv6 forms that embed such an IPv4 address (mapped, NAT64, 6to4).
import { isIP } from 'node:net';

/** IPv4 ranges that are not the public internet: [network, prefix length, name]. */
const V4_BLOCKED: [string, number, string][] = [
  ['0.0.0.0', 8, 'unspecified ("this network")'],
  ['10.0.0.0', 8, 'private (RFC 1918)'],
  ['100.64.0.0', 10, 'carrier-grade NAT (RFC 6598)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (cloud metadata lives here)'],
  ['172.16.0.0', 12, 'private (RFC 1918)'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.168.0.0', 16, 'private (RFC 1918)'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved / broadcast'],
];

function v4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

function v4FromInt(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function classifyV4(ip: string): string | null {
  const n = v4ToInt(ip);
  for (const [net, bits, name] of V4_BLOCKED) {
    const size = 2 ** (32 - bits);
    const start = v4ToInt(net);
    if (n >= start && n < start + size) return name;
  }
  return null;
}

/** Eight 16-bit groups of an IPv6 address (handles `::` and a trailing dotted IPv4 part). */
function v6Groups(ip: string): number[] {
  let s = ip.split('%')[0]; // zone id
  const tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    const n = v4ToInt(s.slice(lastColon + 1));
    tail.push(n >>> 16, n & 0xffff);
    s = s.slice(0, lastColon) + ':0:0'; // two placeholder groups, replaced below
  }
  const [headPart, tailPart] = s.includes('::') ? s.split('::') : [s, undefined];
  const head = headPart ? headPart.split(':').map((h) => parseInt(h, 16)) : [];
  const rest = tailPart !== undefined ? (tailPart ? tailPart.split(':').map((h) => parseInt(h, 16)) : []) : [];
  const groups = tailPart !== undefined ? [...head, ...new Array(8 - head.length - rest.length).fill(0), ...rest] : head;
  if (tail.length) groups.splice(6, 2, ...tail);
  return groups;
}

function classifyV6(ip: string): string | null {
  const g = v6Groups(ip);
  const embedded = (hi: number, lo: number) => v4FromInt(((hi << 16) >>> 0) + lo);
  if (g.every((x) => x === 0)) return 'unspecified';
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return 'loopback';
  // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (deprecated compatible form) reach the embedded IPv4 address.
  if (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || g[5] === 0)) {
    const why = classifyV4(embedded(g[6], g[7]));
    return why ? `IPv4-mapped ${why}` : null;
  }
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) {
    const why = classifyV4(embedded(g[6], g[7]));
    return why ? `NAT64 ${why}` : null;
  }
  if (g[0] === 0x2002) {
    const why = classifyV4(embedded(g[1], g[2]));
    return why ? `6to4 ${why}` : null;
  }
  if ((g[0] & 0xfe00) === 0xfc00) return 'unique local (fc00::/7)';
  if ((g[0] & 0xffc0) === 0xfe80) return 'link-local (fe80::/10)';
  if ((g[0] & 0xffc0) === 0xfec0) return 'site-local (deprecated)';
  if ((g[0] & 0xff00) === 0xff00) return 'multicast';
  if (g[0] === 0x2001 && g[1] === 0x0db8) return 'documentation';
  return null;
}

/** Why an address is not on the public internet, or null when it is. Non-IP input counts as blocked. */
export function blockedReason(ip: string): string | null {
  const v = isIP(ip.split('%')[0]);
  if (v === 4) return classifyV4(ip);
  if (v === 6) return classifyV6(ip);
  return 'not an IP address';
}
