import { load } from "js-yaml";
import { toYaml } from "../../components/yaml";

// The YAML the plan writes (manifests, rule files, Alertmanager's config) is read by tools with
// their own YAML libraries: Go's yaml (kubectl, promtool, amtool) among them.

describe("toYaml", () => {
  it("quotes what a YAML 1.1 reader would turn into a boolean or a number, keys too", () => {
    const text = toYaml({ enabled: "yes", off: "off", version: "1.0", octal: "0755", port: 8080 });
    expect(text).toBe("enabled: 'yes'\n'off': 'off'\nversion: '1.0'\noctal: '0755'\nport: 8080\n");
  });

  it("writes a script as a literal block, line for line, never folded", () => {
    const script = `#!/bin/sh\nset -eu\n${"echo a-long-line ".repeat(20).trim()}\n`;
    const text = toYaml({ data: { "backup.sh": script } });
    expect(text).toContain("backup.sh: |\n    #!/bin/sh\n    set -eu\n");
    expect((load(text) as { data: Record<string, string> }).data["backup.sh"]).toBe(script);
  });

  it("writes a repeated object out again rather than as an anchor and alias", () => {
    const limits = { cpu: "500m", memory: "512Mi" };
    const text = toYaml({ a: limits, b: limits });
    expect(text).not.toMatch(/[&*]ref_/);
    expect(load(text)).toEqual({ a: limits, b: limits });
  });

  it("leaves out undefined fields, as JSON would", () => {
    expect(toYaml({ kept: 1, dropped: undefined })).toBe("kept: 1\n");
  });
});
