import * as fs from "fs";
import { PLANS_DIR_VARIABLE } from "./plans";

export default function globalTeardown(): void {
  const dir = process.env[PLANS_DIR_VARIABLE];
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
