/**
 * The policy pack's test suite, as one jest test file. The specs live beside this file, mirroring
 * policies/ (one per rule group), as `*.spec.ts` modules that jest does not pick up on its own.
 *
 * Why one file: jest gives every test file a fresh module registry, and each one would pay ~0.5 s to
 * load @pulumi/pulumi (which every provider SDK and @pulumi/policy load) before its first test. Loaded
 * once, the whole suite runs in about two seconds instead of eight. Run one rule's tests with
 * `npx jest tests/policies -t <rule-name>`.
 */
import * as fs from "fs";
import * as path from "path";

import "./aws/cloudtrail.spec";
import "./aws/eks.spec";
import "./aws/elasticache.spec";
import "./aws/kms.spec";
import "./aws/rds.spec";
import "./cloudflare/zone-settings.spec";
import "./kubernetes/container-resources.spec";
import "./kubernetes/exposure.spec";
import "./kubernetes/hpa-replica-bounds.spec";
import "./kubernetes/images-and-probes.spec";
import "./kubernetes/pod-security.spec";
import "./lib/cidr.spec";
import "./lib/known.spec";
import "./offline.spec";
import "./pack.spec";
import "./stack/aws-cloudtrail.spec";
import "./stack/aws-cost.spec";
import "./stack/aws-guardduty.spec";
import "./stack/aws-s3.spec";
import "./stack/cloudflare.spec";
import "./stack/kubernetes.spec";

describe("the policy suite", () => {
  it("runs every spec file under tests/policies", () => {
    const specs = (dir: string): string[] =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
        const full = path.join(dir, entry.name);
        return entry.isDirectory() ? specs(full) : entry.name.endsWith(".spec.ts") ? [full] : [];
      });
    const imported = fs
      .readFileSync(__filename, "utf8")
      .split("\n")
      .filter((line) => line.startsWith('import "./'))
      .map((line) => path.join(__dirname, `${line.slice('import "'.length, -'";'.length)}.ts`));
    expect(imported.sort()).toEqual(specs(__dirname).sort());
  });
});
