// Byte counts as a person reads them (bytes, kB, MB with one decimal), in their locale.
const megabytes = new Intl.NumberFormat(undefined, { style: "unit", unit: "megabyte", maximumFractionDigits: 1 });
const plainBytes = new Intl.NumberFormat(undefined, { style: "unit", unit: "byte", unitDisplay: "narrow" });
const kilobytes = new Intl.NumberFormat(undefined, { style: "unit", unit: "kilobyte", maximumFractionDigits: 0 });

export function formatBytes(bytes: number): string {
  if (bytes >= 1_000_000) return megabytes.format(bytes / 1_000_000);
  return bytes >= 1_000 ? kilobytes.format(bytes / 1_000) : plainBytes.format(bytes);
}
