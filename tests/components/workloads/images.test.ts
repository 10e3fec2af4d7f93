import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT, readStackConfig, stackNames } from "../../../tools/engine/stackConfig";

// The images run on the node groups' CPU architecture. Nothing offline can inspect an image's
// platforms, so the runbook (docs/runbook.md) must say what the images need for every architecture the
// stacks run: the platform to build for, and the Prisma engine of the guide's Alpine images on it
// (Prisma's binaryTargets: linux-musl-openssl-3.0.x on x86_64, linux-musl-arm64-openssl-3.0.x on
// arm64).
const NEEDS: Record<string, string[]> = {
  arm64: ["linux/arm64", "linux-musl-arm64-openssl-3.0.x"],
  x86_64: ["linux/amd64", "linux-musl-openssl-3.0.x"],
};

test("the runbook (docs/runbook.md) names the platform and Prisma engine of every node architecture the stacks run", () => {
  const architectures = new Set(
    stackNames()
      .map((stack) => readStackConfig(stack).config["healthflow:cluster"])
      .filter((cluster) => cluster && cluster !== "{}")
      .flatMap((cluster) =>
        JSON.parse(cluster).nodeGroups.map((g: { architecture: string }) => g.architecture),
      ),
  );
  expect([...architectures]).toContain("arm64");
  const section = fs.readFileSync(path.join(PROJECT_ROOT, "docs", "runbook.md"), "utf8");
  expect(section.length).toBeGreaterThan(0);
  for (const architecture of architectures)
    for (const needed of NEEDS[architecture])
      expect([architecture, section.includes(needed)]).toEqual([architecture, true]);
});
