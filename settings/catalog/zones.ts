/** The zones of a region a stack uses: `<region>a`, `<region>b`, ... (sa-east-1 has a, b and c). */
export function zonesOf(region: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${region}${String.fromCharCode(97 + i)}`);
}
