import { admittedAddresses, equivalentPrefix, parseCidr } from "../../../policies/lib/cidr";

// Expected values are the arithmetic of RFC 4632 (IPv4) and RFC 4291 (IPv6) blocks: a /n spans
// 2^(32-n) or 2^(128-n) addresses.
describe("CIDR blocks by what they admit (policies/lib/cidr.ts)", () => {
  const sum = (family: 4 | 6, ...cidrs: string[]) =>
    admittedAddresses(
      cidrs.map((c) => parseCidr(c)!),
      family,
    );

  it("reads IPv4 and IPv6 blocks, host bits masked off as AWS does", () => {
    expect(parseCidr("10.40.0.0/16")).toEqual({ family: 4, first: 0x0a280000n, last: 0x0a28ffffn });
    expect(parseCidr("10.40.7.9/16")).toEqual(parseCidr("10.40.0.0/16"));
    expect(parseCidr("2001:db8::/32")).toEqual({
      family: 6,
      first: 0x20010db8n << 96n,
      last: (0x20010db8n << 96n) + (1n << 96n) - 1n,
    });
    expect(parseCidr("::ffff:192.0.2.0/120")?.first).toEqual(0xffffc0000200n);
    // "::" stands for as many zero groups as the eight need, wherever it sits.
    expect(parseCidr("2001:db8::1/128")?.first).toBe(0x20010db8000000000000000000000001n);
    expect(parseCidr("1::2:3/128")?.first).toBe(0x00010000000000000000000000020003n);
  });

  it("reads the edges of each family", () => {
    expect(parseCidr("255.255.255.255/32")).toEqual({
      family: 4,
      first: 2n ** 32n - 1n,
      last: 2n ** 32n - 1n,
    });
    expect(parseCidr("0.0.0.0/0")).toEqual({ family: 4, first: 0n, last: 2n ** 32n - 1n });
    expect(parseCidr("2001:db8:0:0:0:0:0:1/128")?.last).toBe((0x20010db8n << 96n) + 1n);
    expect(parseCidr("1:2:3:4:5:6:7::/112")?.first).toBe(parseCidr("1:2:3:4:5:6:7:0/112")?.first);
    expect(parseCidr("::/0")).toEqual({ family: 6, first: 0n, last: 2n ** 128n - 1n });
  });

  it("refuses what is not a block", () => {
    for (const text of [
      "10.0.0/8",
      "1234.0.0.0/8",
      "1:2:3:4:5:6:7/64",
      "1:2:3:4:5:6:7:8:9/64",
      "12345::/16",
      "::ffff:1.2.3/120",
      "10.0.0.0/8 extra",
    ])
      expect(parseCidr(text)).toBeUndefined();
    for (const text of [
      "10.0.0.0",
      "10.0.0.256/8",
      "10.0.0.0/33",
      "1::2::3/64",
      // Two "::" even after eight full groups: at most one run of zeros is elided (RFC 4291 2.2).
      "1:2:3:4:5:6:7:8::9::a/128",
      // "::" stands for one group or more: none is left after eight (RFC 4291 2.2).
      "1:2:3:4:5:6:7:8::/128",
      "1:zzzz::/64",
      "10.0.0.1x/8",
      "10.0.0.x1/8",
      "2001:db8::/129",
      "a.b.c.d/8",
      "",
    ])
      expect(parseCidr(text)).toBeUndefined();
  });

  it("sums split ranges: 0.0.0.0/1 and 128.0.0.0/1 are all of IPv4", () => {
    expect(sum(4, "0.0.0.0/1", "128.0.0.0/1")).toBe(2n ** 32n);
    expect(equivalentPrefix(4, sum(4, "0.0.0.0/1", "128.0.0.0/1"))).toBe(0);
  });

  it("counts overlapping blocks once, in any order", () => {
    expect(sum(4, "10.0.0.0/8", "10.1.0.0/16", "10.0.0.0/8")).toBe(2n ** 24n);
    expect(sum(4, "10.1.0.0/16", "192.168.0.0/16", "10.0.0.0/8")).toBe(2n ** 24n + 2n ** 16n);
    expect(sum(4, "10.0.0.0/25", "10.0.0.128/25")).toBe(256n);
    expect(sum(4, "192.168.0.0/16", "10.0.0.0/8")).toBe(2n ** 24n + 2n ** 16n);
    // A single address at a block's last one lies inside it.
    expect(sum(4, "10.0.0.0/24", "10.0.0.255/32")).toBe(256n);
  });

  it("keeps the families apart: ::/1 is half of IPv6 and no IPv4", () => {
    expect(sum(6, "::/1")).toBe(2n ** 127n);
    expect(sum(4, "::/1")).toBe(0n);
    expect(equivalentPrefix(6, sum(6, "::/1", "8000::/1"))).toBe(0);
  });

  it("names the shortest prefix that holds a sum", () => {
    expect(equivalentPrefix(4, 65536n)).toBe(16);
    expect(equivalentPrefix(4, 65537n)).toBe(15);
    expect(equivalentPrefix(4, 1n)).toBe(32);
    // No prefix is shorter than /0, whatever is asked.
    expect(equivalentPrefix(4, 2n ** 33n)).toBe(0);
  });
});
