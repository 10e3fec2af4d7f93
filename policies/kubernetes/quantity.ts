/**
 * Kubernetes resource quantities ("250m", "2", "512Mi", "1.5Gi", "1e9") as plain numbers of base units
 * (cores, bytes), following the grammar of k8s.io/apimachinery's resource.Quantity.
 */
const multipliers: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const quantityPattern = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/;

/** JSON-schema pattern for config values that must be quantities. */
export const quantitySchemaPattern = quantityPattern.source;

/** The quantity in base units, or undefined when it is not a valid quantity. */
export function parseQuantity(quantity: string | number): number | undefined {
  if (typeof quantity === "number") {
    return Number.isFinite(quantity) ? quantity : undefined;
  }
  const match = quantityPattern.exec(quantity.trim());
  if (!match) {
    return undefined;
  }
  const [, number, exponent, suffix] = match;
  const value = Number(number);
  return exponent !== undefined ? value * 10 ** Number(exponent) : value * multipliers[suffix ?? ""];
}
