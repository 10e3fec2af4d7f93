import Ajv from "ajv";
import * as fs from "fs";
import * as path from "path";
import { ADDON_NAMES, type AddonKey } from "../settings/catalog/addons";
import { PROJECT_ROOT, readStackConfig } from "../tools/engine/stackConfig";

// renovate.json proposes an update for every pinned version (issue: "a new pin nobody watches fails
// the test"). The pins are found here without reading renovate.json (version-shaped values in the
// stack files, the workflows' action SHAs and Pulumi CLI, tools/node-pins.txt, package.json), then
// each must be matched by one of its managers, as Renovate matches: a custom regex manager's
// matchStrings over the files its managerFilePatterns select (docs.renovatebot.com/modules/manager/
// regex), the built-in github-actions manager for `uses: <action>@<sha> # <version>` and npm for
// package.json.

interface CustomManager {
  customType: string;
  managerFilePatterns: string[];
  matchStrings: string[];
  [template: string]: unknown;
}
interface PackageRule {
  matchPackageNames?: string[];
  matchUpdateTypes?: string[];
  enabled?: boolean;
  [key: string]: unknown;
}
interface RenovateConfig {
  extends: string[];
  customManagers: CustomManager[];
  packageRules: PackageRule[];
  enabledManagers?: string[];
}

const read = (file: string) => fs.readFileSync(path.join(PROJECT_ROOT, file), "utf8");
const config = JSON.parse(read("renovate.json")) as RenovateConfig;

/** The repository's files a test looks at, relative to its root. */
const files = [
  ...fs.readdirSync(PROJECT_ROOT).filter((f) => /^Pulumi\.[a-z]+\.yaml$/.test(f)),
  ...fs.readdirSync(path.join(PROJECT_ROOT, ".github", "workflows")).map((f) => `.github/workflows/${f}`),
  "tools/node-pins.txt",
];

interface Pin {
  file: string;
  line: number;
  value: string;
}

const VERSION = /^v?\d+(\.\d+)+([-+][\w.]+)?$/;
const IMAGE = /^[a-z0-9][a-z0-9._/-]*:[\w.:-]*\d[\w.:-]*$/;

/** Version-shaped values: stack-file values, action SHAs and the Pulumi CLI in workflows, Node pins. */
function pinsOf(file: string, text: string): Pin[] {
  return text.split("\n").flatMap((content, line): Pin[] => {
    if (/^\s*#/.test(content) || content.trim() === "") return [];
    if (file === "tools/node-pins.txt") return [{ file, line, value: content.split(/\s+/)[0] }];
    if (file.startsWith(".github/")) {
      const uses = /uses:\s*([^\s#]+@[0-9a-f]{40})/.exec(content);
      if (uses) return [{ file, line, value: uses[1] }];
      const cli = /pulumi-version:\s*(\S+)/.exec(content);
      return cli ? [{ file, line, value: cli[1] }] : [];
    }
    const m = /^\s*(?:- )?[A-Za-z]+:\s+"?([^\s"{[#]+)"?\s*(?:#.*)?$/.exec(content);
    return m && (VERSION.test(m[1]) || IMAGE.test(m[1])) ? [{ file, line, value: m[1] }] : [];
  });
}

/** Pins no Renovate datasource can watch, each with the reason. */
const UNWATCHABLE: Record<string, string> = {
  // ElastiCache's engine version: no Renovate datasource; AWS Health announces its end of life to
  // the alarm topic (components/monitoring/alarms.ts).
  "8.1": "Valkey engine version (no datasource; AWS Health events)",
};

/** Where the custom managers capture a currentValue: file → [start, end) offsets. */
function customMatches(managers: CustomManager[]): Map<string, [number, number][]> {
  const found = new Map<string, [number, number][]>();
  for (const manager of managers) {
    expect(manager.customType).toBe("regex");
    const selects = manager.managerFilePatterns.map((p) => {
      // A pattern between slashes is a regex (Renovate's managerFilePatterns); only those are used here.
      expect(p).toMatch(/^\/.+\/$/);
      return new RegExp(p.slice(1, -1));
    });
    for (const file of files.filter((f) => selects.some((r) => r.test(f)))) {
      const text = read(file);
      for (const source of manager.matchStrings) {
        for (const match of text.matchAll(new RegExp(source, "gd"))) {
          const at = match.indices?.groups?.currentValue;
          if (at) found.set(file, [...(found.get(file) ?? []), at]);
        }
      }
    }
  }
  return found;
}

/** The pins no manager matches (none is the goal). */
function unwatched(managers: CustomManager[], extendsPresets: string[]): string[] {
  const matches = customMatches(managers);
  return files.flatMap((file) => {
    const text = read(file);
    const lineStart = (n: number) => text.split("\n").slice(0, n).join("\n").length + (n > 0 ? 1 : 0);
    return pinsOf(file, text)
      .filter((pin) => {
        if (UNWATCHABLE[pin.value]) return false;
        // The built-in github-actions manager: a SHA with the version in a comment beside it
        // (lib/modules/manager/github-actions/readme.md); a bare SHA is left alone.
        if (pin.value.includes("@")) {
          const line = text.split("\n")[pin.line];
          return !(extendsPresets.includes("helpers:pinGitHubActionDigests") && /#\s*v\d/.test(line));
        }
        const start = lineStart(pin.line);
        const end = start + text.split("\n")[pin.line].length;
        return !(matches.get(file) ?? []).some(([from, to]) => from >= start && to <= end);
      })
      .map((pin) => `${pin.file}:${pin.line + 1} ${pin.value}`);
  });
}

describe("renovate.json", () => {
  test("has the shape Renovate reads: custom regex managers and package rules of known keys", () => {
    // The options used here, as docs.renovatebot.com/configuration-options names them; a misspelt
    // key is an option Renovate does not have (its own schema, renovate-schema.json, refuses it).
    const template = { type: "string" };
    const schema = {
      type: "object",
      additionalProperties: false,
      required: ["extends", "customManagers", "packageRules"],
      properties: {
        $schema: { const: "https://docs.renovatebot.com/renovate-schema.json" },
        description: { type: "string" },
        extends: { type: "array", items: { type: "string" } },
        labels: { type: "array", items: { type: "string" } },
        customManagers: {
          type: "array",
          items: {
            type: "object",
            additionalProperties: false,
            required: ["customType", "managerFilePatterns", "matchStrings"],
            properties: {
              customType: { enum: ["regex"] },
              description: { type: "string" },
              managerFilePatterns: { type: "array", minItems: 1, items: { type: "string" } },
              matchStrings: { type: "array", minItems: 1, items: { type: "string" } },
              datasourceTemplate: template,
              depNameTemplate: template,
              packageNameTemplate: template,
              versioningTemplate: template,
              extractVersionTemplate: template,
              registryUrlTemplate: template,
            },
          },
        },
        packageRules: {
          type: "array",
          items: {
            type: "object",
            additionalProperties: false,
            anyOf: ["matchPackageNames", "matchDatasources"].map((key) => ({ required: [key] })),
            properties: {
              description: { type: "string" },
              matchPackageNames: { type: "array", items: { type: "string" } },
              matchDatasources: { type: "array", items: { type: "string" } },
              matchUpdateTypes: {
                type: "array",
                items: {
                  enum: ["major", "minor", "patch", "pin", "digest", "pinDigest", "lockFileMaintenance"],
                },
              },
              groupName: { type: "string" },
              labels: { type: "array", items: { type: "string" } },
              addLabels: { type: "array", items: { type: "string" } },
              enabled: { type: "boolean" },
            },
          },
        },
      },
    };
    const validate = new Ajv({ allErrors: true }).compile(schema);
    expect(validate(config) ? [] : validate.errors).toEqual([]);
    expect(validate({ ...config, packageRule: [] })).toBe(false);
    // Each custom manager tells Renovate a datasource, a name and the current value (the regex
    // manager's required fields), from a capture group or a template.
    for (const manager of config.customManagers) {
      const has = (field: string) =>
        manager.matchStrings.every((m) => m.includes(`(?<${field}>`)) || `${field}Template` in manager;
      expect([
        manager.description,
        has("currentValue"),
        has("datasource"),
        has("depName") || has("packageName"),
      ]).toEqual([manager.description, true, true, true]);
      expect(manager.matchStrings.every((m) => m.includes("(?<currentValue>"))).toBe(true);
    }
  });

  test("watches every pinned version of the stack files, the workflows and tools/node-pins.txt", () => {
    const pins = files.flatMap((file) => pinsOf(file, read(file)));
    // The finder finds the kinds of pins there are: charts, images, add-ons, AMI releases, actions, the CLI, Node.
    for (const expected of [
      "88.5.3",
      "postgres:16.10-alpine",
      "v1.21.1-eksbuild.1",
      "1.35.6-20260714",
      "3.276.0",
      "24.22.3",
      "1.35",
    ]) {
      expect(pins.map((p) => p.value)).toContain(expected);
    }
    expect(pins.some((p) => /@[0-9a-f]{40}$/.test(p.value))).toBe(true);
    expect(unwatched(config.customManagers, config.extends)).toEqual([]);
  });

  test("the check bites: without the image manager, or without an action's version comment, pins go unwatched", () => {
    const withoutImages = config.customManagers.filter((m) => m.datasourceTemplate !== "docker");
    expect(unwatched(withoutImages, config.extends)).toEqual(
      expect.arrayContaining([expect.stringMatching(/Pulumi\.production\.yaml:\d+ postgres:16\.10-alpine$/)]),
    );
    expect(unwatched(config.customManagers, ["config:recommended"])).toEqual(
      expect.arrayContaining([expect.stringMatching(/^\.github\/workflows\/ci\.yml:\d+ actions\/checkout@/)]),
    );
  });

  test("npm watches package.json: no manager list leaves it out, and every dependency is an exact version", () => {
    expect(config.enabledManagers).toBeUndefined();
    const manifest = JSON.parse(read("package.json"));
    for (const [name, version] of Object.entries({ ...manifest.dependencies, ...manifest.devDependencies })) {
      expect([name, version]).toEqual([name, expect.stringMatching(/^\d+\.\d+\.\d+$/)]);
    }
  });

  test("turns off only what it must: the apps' images (the deploy workflow's) and a Node major per pins line", () => {
    const off = config.packageRules.filter((r) => r.enabled === false && !r.matchUpdateTypes);
    expect(off.flatMap((r) => r.matchPackageNames ?? [])).toEqual(["ghcr.io/kallebyx/**"]);
  });

  test.each(["staging", "production"])(
    "Pulumi.%s.yaml: each add-on's comment names it and the stack's Kubernetes version",
    (stack) => {
      const text = read(`Pulumi.${stack}.yaml`);
      const minor = JSON.parse(readStackConfig(stack).config["healthflow:cluster"]).kubernetesVersion;
      const found = [...text.matchAll(/#\s*renovate: eksAddonsFilter=(\{.*\})\s*\n\s*([A-Za-z]+):/g)].map(
        ([, filter, key]) => [key, JSON.parse(filter)],
      );
      expect(found.map(([key]) => key).sort()).toEqual(Object.keys(ADDON_NAMES).sort());
      for (const [key, filter] of found) {
        expect(filter).toEqual({ kubernetesVersion: minor, addonName: ADDON_NAMES[key as AddonKey] });
      }
    },
  );
});
