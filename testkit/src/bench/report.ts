// The report: plain-text tables on stdout.

export type Align = "left" | "right";

export function table(headers: string[], rows: string[][], align: Align[] = []): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const cell = (text: string, column: number) =>
    (align[column] ?? (column === 0 ? "left" : "right")) === "left"
      ? text.padEnd(widths[column] ?? 0)
      : text.padStart(widths[column] ?? 0);
  const line = (cells: string[]) => `  ${cells.map(cell).join("  ")}`.trimEnd();
  return [line(headers), `  ${widths.map((width) => "-".repeat(width)).join("  ")}`, ...rows.map(line)].join("\n");
}

export function mib(bytes: number | null): string {
  return bytes === null ? "n/a" : `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

export function size(bytes: number): string {
  if (bytes >= 1024 ** 3 && bytes % 1024 ** 3 === 0) return `${bytes / 1024 ** 3} GiB`;
  if (bytes >= 1024 ** 2) return `${+(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${+(bytes / 1024).toFixed(1)} KiB`;
}

export function ms(value: number): string {
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${value.toFixed(0)} ms`;
}

export function fixed(value: number, digits = 0): string {
  return value.toFixed(digits);
}
