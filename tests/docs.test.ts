import * as fs from "fs";
import * as path from "path";

// The README and docs/ as a reader follows them: the README fits on a screen or so and points into
// docs/, and every relative link of theirs (a file, and a heading inside it) leads somewhere.

const root = path.join(__dirname, "..");
const documents = [
  "README.md",
  ...fs
    .readdirSync(path.join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\- ]/gu, "")
    .replace(/ /g, "-");

/** The anchors of a markdown file's headings (outside code blocks). */
function anchors(file: string): Set<string> {
  const found = new Set<string>();
  let fenced = false;
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    const heading = !fenced && /^#{1,6} (.+)$/.exec(line);
    if (heading) found.add(slug(heading[1]));
  }
  return found;
}

/** Every link target of a markdown file outside code blocks and spans: `[text](target)`. */
function links(file: string): string[] {
  const text = fs
    .readFileSync(file, "utf8")
    .replace(/```[\s\S]*?```/g, "")
    .replace(/`[^`\n]*`/g, "");
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
}

/** What is wrong with `target` as a link in `document`, or undefined when it resolves. */
function brokenLink(document: string, target: string): string | undefined {
  if (/^[a-z]+:/i.test(target)) return undefined; // https:, mailto:: not ours to check
  const [file, fragment] = target.split("#");
  const resolved = file ? path.resolve(root, path.dirname(document), file) : path.join(root, document);
  if (!fs.existsSync(resolved)) return `${document}: ${target}: no such file`;
  if (fragment && resolved.endsWith(".md") && !anchors(resolved).has(fragment))
    return `${document}: ${target}: no heading with that anchor`;
  return undefined;
}

describe("the README and docs/", () => {
  test("the README fits in 300 lines and points into docs/", () => {
    const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
    expect(readme.split("\n").length).toBeLessThanOrEqual(300);
    const linked = new Set(links(path.join(root, "README.md")).map((l) => l.split("#")[0]));
    expect(documents.filter((d) => d.startsWith("docs/") && !linked.has(d))).toEqual([]);
  });

  test.each(documents)("every relative link of %s resolves, to a heading when it names one", (document) => {
    const targets = links(path.join(root, document));
    expect(targets.map((target) => brokenLink(document, target)).filter(Boolean)).toEqual([]);
  });

  test("the link check is real: a missing file and a missing heading are found", () => {
    expect(brokenLink("README.md", "docs/no-such-file.md")).toBe(
      "README.md: docs/no-such-file.md: no such file",
    );
    expect(brokenLink("README.md", "docs/edge.md#no-such-heading")).toMatch(/no heading with that anchor/);
    expect(brokenLink("docs/edge.md", "deploying.md#the-preflight")).toBeUndefined();
    expect(brokenLink("docs/edge.md", "../README.md#two-commands")).toBeUndefined();
    expect(slug("How a chart upgrade is reviewed")).toBe("how-a-chart-upgrade-is-reviewed");
    expect(slug("`npm run check`, warm: the figures")).toBe("npm-run-check-warm-the-figures");
  });
});
