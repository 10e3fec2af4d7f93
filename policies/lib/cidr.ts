/**
 * CIDR blocks read for what they admit, not how they are spelt: `0.0.0.0/1` and `128.0.0.0/1`
 * together are all of IPv4 as surely as `0.0.0.0/0` is, and `::/1` is half of IPv6.
 */

export type IpFamily = 4 | 6;

/** One block: its family and the addresses it spans, [first, last]. */
export interface CidrRange {
  family: IpFamily;
  first: bigint;
  last: bigint;
}

const BITS: Record<IpFamily, number> = { 4: 32, 6: 128 };

function ipv4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n);
}

function ipv6(text: string): bigint | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (half: string): string[] | undefined => {
    if (half === "") return [];
    const parts = half.split(":");
    // An IPv4 tail (::ffff:192.0.2.1) stands for two groups.
    const tail = parts[parts.length - 1];
    if (tail.includes(".")) {
      const v4 = ipv4(tail);
      if (v4 === undefined) return undefined;
      parts.splice(parts.length - 1, 1, (v4 >> 16n).toString(16), (v4 & 0xffffn).toString(16));
    }
    return parts.every((p) => /^[0-9a-fA-F]{1,4}$/.test(p)) ? parts : undefined;
  };
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !rest) return undefined;
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...Array<string>(missing).fill("0"), ...rest];
  return all.reduce((acc, p) => (acc << 16n) | BigInt(parseInt(p, 16)), 0n);
}

/** The block a CIDR names (host bits masked off, as AWS reads it), or undefined if it is not one. */
export function parseCidr(cidr: string): CidrRange | undefined {
  const m = /^([^/\s]+)\/(\d{1,3})$/.exec(cidr.trim());
  if (!m) return undefined;
  const family: IpFamily = m[1].includes(":") ? 6 : 4;
  const address = family === 4 ? ipv4(m[1]) : ipv6(m[1]);
  const prefix = Number(m[2]);
  if (address === undefined || prefix > BITS[family]) return undefined;
  const hostBits = BigInt(BITS[family] - prefix);
  const first = (address >> hostBits) << hostBits;
  return { family, first, last: first + (1n << hostBits) - 1n };
}

/** How many addresses of `family` the blocks admit together (overlaps counted once). */
export function admittedAddresses(ranges: CidrRange[], family: IpFamily): bigint {
  const sorted = ranges.filter((r) => r.family === family).sort((a, b) => Number(a.first - b.first));
  let total = 0n;
  let current: CidrRange | undefined;
  for (const range of sorted) {
    // Overlapping blocks merge; adjacent ones need not (their sum is the same either way).
    if (current && range.first <= current.last) {
      if (range.last > current.last) current = { ...current, last: range.last };
      continue;
    }
    if (current) total += current.last - current.first + 1n;
    current = range;
  }
  if (current) total += current.last - current.first + 1n;
  return total;
}

/** The addresses one block of prefix length `prefix` spans in `family`. */
export function addressesOfPrefix(family: IpFamily, prefix: number): bigint {
  return 1n << BigInt(BITS[family] - prefix);
}

/** The shortest prefix whose single block spans at least `addresses` (how a sum is said to a person). */
export function equivalentPrefix(family: IpFamily, addresses: bigint): number {
  let prefix = BITS[family];
  while (prefix > 0 && addressesOfPrefix(family, prefix) < addresses) prefix--;
  return prefix;
}
