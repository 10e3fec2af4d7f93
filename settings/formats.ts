// Small, pure validators for the value formats stack files use. Each returns null when the
// value is fine, or a sentence saying what is allowed.

const CPU = /^(\d+(\.\d+)?|\d+m)$/;
const MEMORY = /^\d+(\.\d+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/;
const MEMORY_FACTORS: Record<string, number> = {
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/** Kubernetes CPU quantity ("250m", "2", "0.5") in cores, or NaN when malformed. */
export function cpuCores(quantity: string): number {
  if (!CPU.test(quantity)) return NaN;
  return quantity.endsWith("m") ? Number(quantity.slice(0, -1)) / 1000 : Number(quantity);
}

/** Kubernetes memory quantity ("512Mi", "2Gi", "1G") in bytes, or NaN when malformed. */
export function memoryBytes(quantity: string): number {
  const match = MEMORY.exec(quantity);
  if (!match) return NaN;
  const unit = match[2] ?? "";
  return Number(quantity.slice(0, quantity.length - unit.length)) * MEMORY_FACTORS[unit];
}

const CRON_FIELDS: [name: string, min: number, max: number][] = [
  ["minute", 0, 59],
  ["hour", 0, 23],
  ["day of month", 1, 31],
  ["month", 1, 12],
  ["day of week", 0, 7],
];

/** Checks a 5-field cron schedule as Kubernetes CronJobs read it ("0 2 * * *"). */
export function cronProblem(schedule: string): string | null {
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 5) {
    return `must be a cron schedule with 5 fields (minute hour day-of-month month day-of-week), e.g. "0 2 * * *"`;
  }
  for (let i = 0; i < 5; i++) {
    const [name, min, max] = CRON_FIELDS[i];
    for (const part of fields[i].split(",")) {
      // Only digits reach the numbers: a value is whole or the part does not match.
      const m = /^(\*|(\d+)(-(\d+))?)(\/(\d+))?$/.exec(part);
      const inRange = m && [m[2], m[4]].every((n) => n === undefined || (+n >= min && +n <= max));
      if (!m || !inRange || m[6] === "0") {
        return `has an invalid ${name} field "${part}": allowed are *, */n, a-b, lists, with values ${min}-${max}`;
      }
    }
  }
  return null;
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** A lower-case DNS hostname with at least two labels ("app.healthflow.com.br"). */
export function hostnameProblem(host: string): string | null {
  const labels = host.split(".");
  if (host.length > 253 || labels.length < 2 || !labels.every((l) => LABEL.test(l))) {
    return "must be a lower-case DNS name with at least two labels, e.g. app.example.com.br";
  }
  return null;
}

/** An IPv4 CIDR block ("10.40.0.0/16"), with the host bits zero. */
export function cidrProblem(cidr: string): string | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const prefix = m ? Number(m[5]) : -1;
  if (!m || octets.some((o) => o > 255) || prefix > 32) {
    return "must be an IPv4 CIDR block such as 10.40.0.0/16";
  }
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const hostBits = 2 ** (32 - prefix);
  if (address % hostBits !== 0) {
    return `has host bits set: the block for /${prefix} starts at a multiple of ${hostBits} addresses`;
  }
  return null;
}

/**
 * An OCI image reference pinned to an exact tag or a digest. `latest` and a missing tag are
 * refused where `refuseLatest` is set (staging and production).
 */
export function imageProblem(image: string, refuseLatest: boolean): string | null {
  const m =
    /^([a-z0-9]+([._/-][a-z0-9]+)*(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*)(:([\w][\w.-]{0,127}))?(@sha256:[a-f0-9]{64})?$/.exec(
      image,
    );
  if (!m) return "must be an image reference such as ghcr.io/org/app:1.4.2 or ...@sha256:<digest>";
  const tag = m[7];
  const digest = m[8];
  if (!refuseLatest || digest) return null;
  if (!tag) return "must carry an exact tag or a digest: staging and production refuse untagged images";
  if (tag === "latest")
    return "must not use the `latest` tag in staging or production: pin an exact tag or a digest";
  return null;
}

/** Levenshtein distance, for "did you mean" suggestions on unknown keys. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** The closest candidate to `key`, if it is close enough to be a likely typo. */
export function closest(key: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(key.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}
