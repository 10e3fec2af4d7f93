// Pure address planning for the VPC: no AWS calls, so the layout is tested offline and stays
// stable (a subnet whose CIDR changes is replaced, with everything in it).

export interface ZoneSubnets {
  /** Availability zone name, e.g. sa-east-1a. */
  zone: string;
  /** Load balancers and NAT gateways. */
  public: string;
  /** Nodes and pods (the VPC CNI gives every pod a VPC address, hence the largest block). */
  private: string;
  /** RDS and ElastiCache: no route out of the VPC. */
  database: string;
}

function toInt(ip: string): number {
  return ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
}

function toIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

// The settings' preflight checks instance types in the same zones the network uses.
export { zonesOf } from "../../settings/catalog/zones";

/**
 * Splits the VPC block into per-zone subnets. For a /16: private /19s (8,187 usable addresses
 * each) from the start, public /22s from 3/8 in, database /24s from 7/16 in; the rest stays free
 * for growth. Works for VPC prefixes /16 to /20.
 */
export function subnetLayout(vpcCidr: string, zones: string[]): ZoneSubnets[] {
  const [address, prefixText] = vpcCidr.split("/");
  const prefix = Number(prefixText);
  if (prefix < 16 || prefix > 20) throw new Error(`VPC block ${vpcCidr} must be between /16 and /20`);
  if (zones.length > 3) throw new Error(`at most 3 zones fit this layout, got ${zones.length}`);
  const base = toInt(address);
  const size = 2 ** (32 - prefix);
  const block = (offset: number, bits: number) => `${toIp(base + offset)}/${prefix + bits}`;
  return zones.map((zone, i) => ({
    zone,
    private: block(i * (size / 8), 3),
    public: block((3 * size) / 8 + i * (size / 64), 6),
    database: block((7 * size) / 16 + i * (size / 256), 8),
  }));
}
