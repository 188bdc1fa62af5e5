import net from 'node:net';

/**
 * Which addresses the egress proxy refuses to connect to. A sandboxed agent must not reach the
 * host's own services (loopback, the LAN, the Docker bridge) or a cloud metadata service through
 * the proxy, whatever name it uses for them: the proxy checks every address a name resolves to
 * and then connects to the checked address only (no second lookup an attacker's DNS could
 * answer differently).
 */

/** Cloud metadata services (AWS/GCP/Azure/OpenStack, AWS IPv6, Alibaba, Azure's wire server). */
const METADATA = new Set(['169.254.169.254', 'fd00:ec2::254', '100.100.100.200', '168.63.129.16']);

const V4: Array<[string, number, string]> = [
  ['0.0.0.0', 8, 'unspecified (0.0.0.0/8)'],
  ['10.0.0.0', 8, 'private (10/8)'],
  ['100.64.0.0', 10, 'carrier-grade NAT (100.64/10)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (169.254/16)'],
  ['172.16.0.0', 12, 'private (172.16/12)'],
  ['192.0.0.0', 24, 'IETF protocol assignments (192.0.0/24)'],
  ['192.168.0.0', 16, 'private (192.168/16)'],
  ['198.18.0.0', 15, 'benchmarking (198.18/15)'],
  ['224.0.0.0', 4, 'multicast'],
  // 240/4 is reserved and holds the limited broadcast address 255.255.255.255.
  ['240.0.0.0', 4, 'reserved/broadcast (240/4)'],
];
const V6: Array<[string, number, string]> = [
  ['::1', 128, 'loopback'],
  ['::', 128, 'unspecified'],
  ['fc00::', 7, 'unique local (fc00::/7)'],
  ['fe80::', 10, 'link-local (fe80::/10)'],
  ['fec0::', 10, 'site-local (fec0::/10)'],
  ['ff00::', 8, 'multicast'],
];

// One BlockList per class, so the refusal can say which class an address is in.
const classes: Array<{ list: net.BlockList; name: string }> = [
  ...V4.map(([a, p, name]) => ({ list: subnet(a, p, 'ipv4'), name })),
  ...V6.map(([a, p, name]) => ({ list: subnet(a, p, 'ipv6'), name })),
];

function subnet(addr: string, prefix: number, type: 'ipv4' | 'ipv6'): net.BlockList {
  const l = new net.BlockList();
  l.addSubnet(addr, prefix, type);
  return l;
}

/** An IPv6 address as 16 bytes, or undefined if it is not one. */
function v6Bytes(ip: string): number[] | undefined {
  let s = ip;
  const bytes: number[] = [];
  // A trailing dotted quad (::ffff:10.0.0.1) becomes the last two groups.
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  let tail: number[] = [];
  if (dotted) {
    if (net.isIPv4(dotted[2]!) === false) return undefined;
    tail = dotted[2]!.split('.').map(Number);
    s = dotted[1]!.endsWith('::') ? dotted[1]! : dotted[1]!.slice(0, -1);
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string | undefined) => (h ? h.split(':') : []);
  const left = groups(halves[0]);
  const right = groups(halves[1]);
  const need = 8 - tail.length / 2;
  const fill = halves.length === 2 ? need - left.length - right.length : 0;
  if (fill < 0 || (halves.length === 1 && left.length !== need)) return undefined;
  for (const g of [...left, ...Array<string>(fill).fill('0'), ...right]) {
    if (!/^[0-9a-f]{1,4}$/i.test(g)) return undefined;
    const n = parseInt(g, 16);
    bytes.push(n >> 8, n & 0xff);
  }
  return [...bytes, ...tail];
}

/**
 * The IPv4 address an IPv6 address carries and that a host would reach: IPv4-mapped
 * (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d). Undefined for any other address.
 */
function embeddedV4(ip: string): string | undefined {
  const b = v6Bytes(ip);
  if (!b || b.length !== 16) return undefined;
  const zero = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  const mapped = zero(0, 10) && b[10] === 0xff && b[11] === 0xff;
  const nat64 = b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zero(4, 12);
  return mapped || nat64 ? b.slice(12).join('.') : undefined;
}

/** Canonical form for comparisons: no zone id (fe80::1%eth0), IPv6 lower case. */
function bare(ip: string): string {
  return ip.replace(/%.*$/, '').replace(/^\[(.*)\]$/, '$1').toLowerCase();
}

/** The metadata address `ip` is (or maps to), if any. */
export function isMetadataAddress(ip: string): boolean {
  const a = bare(ip);
  if (METADATA.has(a)) return true;
  const v4 = net.isIPv6(a) ? embeddedV4(a) : undefined;
  if (v4 && METADATA.has(v4)) return true;
  // Other spellings of fd00:ec2::254 (fd00:0ec2:0:0:0:0:0:0254 …).
  if (net.isIPv6(a)) {
    const b = v6Bytes(a);
    return b !== undefined && b.join(',') === v6Bytes('fd00:ec2::254')!.join(',');
  }
  return false;
}

/**
 * Why `ip` is not a public address ('loopback', 'private (10/8)', 'metadata', …), or undefined
 * for a public one. Anything that is not an IP literal counts as not public.
 */
export function addressClass(ip: string): string | undefined {
  const a = bare(ip);
  if (isMetadataAddress(a)) return 'cloud metadata';
  const family = net.isIP(a);
  if (family === 0) return 'not an IP address';
  if (family === 6) {
    const v4 = embeddedV4(a);
    if (v4) {
      const c = addressClass(v4);
      return c && `${c}, IPv4 in IPv6`;
    }
    // IPv4-compatible addresses (::a.b.c.d, deprecated) are never routed publicly.
    const b = v6Bytes(a);
    if (b && b.slice(0, 12).every((x) => x === 0) && !(b.slice(12, 15).every((x) => x === 0) && (b[15] === 0 || b[15] === 1))) return 'IPv4-compatible IPv6 (::/96)';
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  return classes.find((c) => c.list.check(a, type))?.name;
}

/**
 * Loopback, RFC 1918, CGNAT, link-local (with metadata), unspecified, multicast, broadcast and
 * reserved IPv4; IPv6 loopback, unspecified, unique local, link-local, site-local, multicast;
 * IPv4-mapped/NAT64 forms of any of those; metadata addresses.
 */
export function isPrivateAddress(ip: string): boolean {
  return addressClass(ip) !== undefined;
}

/** A loopback address (127/8, ::1, or either mapped): nothing leaves the machine. */
export function isLoopbackAddress(ip: string): boolean {
  const c = addressClass(ip);
  return c === 'loopback' || c === 'loopback, IPv4 in IPv6';
}
