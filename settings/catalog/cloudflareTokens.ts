// What the Cloudflare tokens must be allowed, in the words the dashboard's token editor uses, so
// that every message and document says the same (tests/components/edge/dnsToken.test.ts holds them
// to it).

/**
 * cert-manager's DNS-01 token (`healthflow:cloudflareDnsToken`). Its Cloudflare solver finds the
 * challenge zone with `GET /zones?name=...` before it edits a record, and fails with "make sure ...
 * the API key is correctly setup with Zone.read rights" without Zone Read (cert-manager
 * pkg/issuer/acme/dns/cloudflare/cloudflare.go); cert-manager's docs ask for Zone › Zone › Read
 * and Zone › DNS › Edit.
 */
export const DNS01_TOKEN_SCOPE =
  "Zone › Zone › Read and Zone › DNS › Edit on dns.cloudflare.acmeChallengeZone only";
