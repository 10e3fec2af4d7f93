import type { ConfigProblem } from "./schema";

// Values that only stand in for real ones: AWS's documentation account (docs.aws.amazon.com uses
// 111122223333 in its examples), the documentation address blocks of RFC 5737 and the example
// domains of RFC 2606. A stack file may carry them until the real account is wired in; a preview
// then warns, and an update refuses (settings/index.ts), because each one deploys something that
// silently does not work: an access entry nobody can assume, an endpoint open to nobody, mail
// that goes nowhere.

/** AWS's documentation account. */
export const PLACEHOLDER_ACCOUNT = "111122223333";

/** RFC 5737's documentation blocks: never routed on the internet. */
const TEST_NETS: [name: string, first: number][] = [
  ["TEST-NET-1 (192.0.2.0/24)", ipv4(192, 0, 2, 0)],
  ["TEST-NET-2 (198.51.100.0/24)", ipv4(198, 51, 100, 0)],
  ["TEST-NET-3 (203.0.113.0/24)", ipv4(203, 0, 113, 0)],
];

/** The address as a 32-bit number: the octets side by side, as on the wire. */
function ipv4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

/** RFC 2606: example.com, example.net, example.org and the .example top-level domain. */
const EXAMPLE_DOMAIN = /(^|\.)(example\.(com|net|org)|[a-z0-9-]+\.example)$/;

function hostOf(value: string): string | undefined {
  // RFC 3986: scheme "://" [userinfo "@"] host; userinfo may hold a ":" (user:password). Before the
  // e-mail form, which a URL with credentials also looks like.
  const url = /^[a-z][a-z0-9+.-]*:\/\/([^/?#@]+@)?([^/:?#@]+)/i.exec(value);
  if (url) return url[2].toLowerCase();
  const email = /^[^@\s]+@([^@\s]+)$/.exec(value);
  if (email) return email[1].toLowerCase();
  return /^[a-z0-9.-]+\.[a-z]{2,}$/i.test(value) ? value.toLowerCase() : undefined;
}

/** Why `value` is a placeholder, or null when it looks like a real value. */
export function placeholderReason(value: string): string | null {
  if (new RegExp(`^arn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:${PLACEHOLDER_ACCOUNT}:`).test(value)) {
    return `AWS's documentation account ${PLACEHOLDER_ACCOUNT}; use your account's ARN`;
  }
  const address = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(\/(\d{1,2}))?$/.exec(value);
  if (address) {
    const start = ipv4(+address[1], +address[2], +address[3], +address[4]);
    const prefix = address[6] === undefined ? 32 : +address[6];
    const net = TEST_NETS.find(([, first]) => prefix >= 24 && start >= first && start < first + 256);
    if (net) return `inside ${net[0]}, addresses for documentation (RFC 5737); use your real range`;
  }
  const host = hostOf(value);
  if (host && EXAMPLE_DOMAIN.test(host)) {
    return `${host} is a domain reserved for examples (RFC 2606); use a real address`;
  }
  return null;
}

/**
 * Every placeholder in a stack's config document, with its key path. `hidden` keys are secrets:
 * a placeholder there is reported without its value.
 */
export function placeholderProblems(
  document: Record<string, unknown>,
  hidden: ReadonlySet<string>,
  secretMark: unknown,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const walk = (node: unknown, path: (string | number)[]) => {
    if (typeof node === "string") {
      const reason = placeholderReason(node);
      if (reason)
        problems.push({
          path,
          value: hidden.has(String(path[0])) ? secretMark : node,
          message: `is a placeholder: ${reason}`,
        });
    } else if (Array.isArray(node)) {
      node.forEach((item, i) => walk(item, [...path, i]));
    } else if (node !== null && typeof node === "object") {
      for (const [key, value] of Object.entries(node)) walk(value, [...path, key]);
    }
  };
  for (const [key, value] of Object.entries(document)) walk(value, [key]);
  return problems;
}
