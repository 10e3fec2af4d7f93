import { zoneAlwaysUseHttps } from "../../../policies/cloudflare/zone-always-use-https";
import { zoneMinTlsVersion } from "../../../policies/cloudflare/zone-min-tls-version";
import { zoneSslStrict } from "../../../policies/cloudflare/zone-ssl-strict";
import { expectLevelFromConfig, runRule, zone, zoneSetting } from "../fixtures";

const zoneId = "023e105f4ecef8ad9ca31a8372d0c353";

describe("cloudflare-zone-ssl-strict", () => {
  it("accepts strict, whichever spelling of the setting id is used", async () => {
    const resources = [
      zoneSetting("ssl", zoneId, "ssl", "strict"),
      zoneSetting("ssl-2", zone(), "ssl", "strict"),
    ];
    expect((await runRule(zoneSslStrict, resources)).violations).toEqual([]);
  });

  it.each(["flexible", "full", "off"])("refuses %s", async (mode) => {
    const { messages } = await runRule(zoneSslStrict, [zoneSetting("ssl", zoneId, "ssl", mode)]);
    expect(messages).toEqual([`Set zone setting 'ssl' (ssl, zone ${zoneId}) to "strict" (it is "${mode}").`]);
  });

  it("ignores other zone settings", async () => {
    expect(
      (await runRule(zoneSslStrict, [zoneSetting("online", zoneId, "always_online", "off")])).violations,
    ).toEqual([]);
  });

  it("uses the configured list of accepted modes", async () => {
    const resources = [zoneSetting("ssl", zoneId, "ssl", "full")];
    expect(
      (await runRule(zoneSslStrict, resources, { allowedModes: ["strict", "full"] })).violations,
    ).toEqual([]);
  });

  it("refuses allowed modes that are not a list (the rule's config schema)", async () => {
    const resources = [zoneSetting("ssl", zoneId, "ssl", "strict")];
    await expect(runRule(zoneSslStrict, resources, { allowedModes: "strict" })).rejects.toThrow(
      /Invalid policy pack config:[\s\S]*allowedModes/,
    );
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(zoneSslStrict, [zoneSetting("ssl", zoneId, "ssl", "flexible")]);
  });
});

describe("cloudflare-zone-min-tls-version", () => {
  it.each([
    ["min_tls_version", "1.2"],
    ["minTlsVersion", "1.3"],
  ])("accepts %s %s", async (settingId, version) => {
    expect(
      (await runRule(zoneMinTlsVersion, [zoneSetting("tls", zoneId, settingId, version)])).violations,
    ).toEqual([]);
  });

  it("refuses TLS 1.0 whichever spelling of the setting id is used (the API's or the SDK docs')", async () => {
    for (const settingId of ["min_tls_version", "minTlsVersion", "min-tls-version"]) {
      const { violations } = await runRule(zoneMinTlsVersion, [zoneSetting("tls", zoneId, settingId, "1.0")]);
      expect([settingId, violations.length]).toEqual([settingId, 1]);
    }
  });

  it.each(["1.0", "1.1"])("refuses TLS %s", async (version) => {
    const { messages } = await runRule(zoneMinTlsVersion, [
      zoneSetting("tls", zoneId, "min_tls_version", version),
    ]);
    expect(messages).toEqual([
      `Set zone setting 'min_tls_version' (tls, zone ${zoneId}) to "1.2" or newer (it is "${version}").`,
    ]);
  });

  // Cloudflare's min_tls_version takes "1.0", "1.1", "1.2" or "1.3" (Cloudflare API, zone settings):
  // any of them may be the configured floor, and a zone at the floor passes.
  it.each(["1.0", "1.1", "1.2", "1.3"])("a configured minimum of %s admits a zone at it", async (version) => {
    const resources = [zoneSetting("tls", zoneId, "min_tls_version", version)];
    expect((await runRule(zoneMinTlsVersion, resources, { minimumVersion: version })).violations).toEqual([]);
  });

  it("names the setting's zone only when its id is known", async () => {
    const created = zone();
    const { messages } = await runRule(zoneMinTlsVersion, [
      created,
      zoneSetting("tls", created, "min_tls_version", "1.0"),
    ]);
    expect(messages).toEqual([`Set zone setting 'min_tls_version' (tls) to "1.2" or newer (it is "1.0").`]);
  });

  it("refuses a configured minimum that is no TLS version Cloudflare offers (the rule's config schema)", async () => {
    const resources = [zoneSetting("tls", zoneId, "min_tls_version", "1.2")];
    await expect(runRule(zoneMinTlsVersion, resources, { minimumVersion: "1.5" })).rejects.toThrow(
      /Invalid policy pack config:[\s\S]*minimumVersion/,
    );
  });

  it("refuses a value that is no TLS version", async () => {
    const { messages } = await runRule(zoneMinTlsVersion, [
      zoneSetting("tls", zoneId, "min_tls_version", ""),
    ]);
    expect(messages).toEqual([
      `Set zone setting 'min_tls_version' (tls, zone ${zoneId}) to "1.2" or newer (it is "").`,
    ]);
  });

  it("uses the configured minimum", async () => {
    const resources = [zoneSetting("tls", zoneId, "min_tls_version", "1.2")];
    expect((await runRule(zoneMinTlsVersion, resources, { minimumVersion: "1.3" })).violations).toHaveLength(
      1,
    );
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(zoneMinTlsVersion, [zoneSetting("tls", zoneId, "min_tls_version", "1.0")]);
  });
});

describe("cloudflare-zone-always-use-https", () => {
  it("accepts on", async () => {
    expect(
      (await runRule(zoneAlwaysUseHttps, [zoneSetting("https", zoneId, "always_use_https", "on")]))
        .violations,
    ).toEqual([]);
  });

  it("refuses off", async () => {
    const { messages } = await runRule(zoneAlwaysUseHttps, [
      zoneSetting("https", zoneId, "always_use_https", "off"),
    ]);
    expect(messages).toEqual([
      `Set zone setting 'always_use_https' (https, zone ${zoneId}) to "on" (it is "off").`,
    ]);
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(zoneAlwaysUseHttps, [
      zoneSetting("https", zoneId, "always_use_https", "off"),
    ]);
  });
});
