import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readStackConfig } from "../../tools/engine/stackConfig";

// Stack files are read as the CLI's Go reader reads them: YAML 1.2's core schema, so an unquoted
// date is the text it looks like (not a Date) and `<<` is a key like any other.

test("a stack file's values reach the program as the CLI passes them: dates as written, no merge keys", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "stack-config-"));
  try {
    fs.writeFileSync(path.join(root, "Pulumi.yaml"), "name: probe\nruntime: nodejs\n");
    fs.writeFileSync(
      path.join(root, "Pulumi.x.yaml"),
      "config:\n  probe:since: 2025-01-01\n  probe:flag: yes\n  probe:tags:\n    <<: {a: 1}\n    b: 2\n",
    );
    const { config } = readStackConfig("x", {}, root);
    expect(config["probe:since"]).toBe("2025-01-01");
    expect(config["probe:flag"]).toBe("yes");
    expect(JSON.parse(config["probe:tags"])).toEqual({ "<<": { a: 1 }, b: 2 });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
