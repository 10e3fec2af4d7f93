import * as fs from "fs";
import { PLANS_DIR } from "./plans";

export default function globalTeardown(): void {
  fs.rmSync(PLANS_DIR, { recursive: true, force: true });
}
