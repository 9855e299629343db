// A cloud name no other file of the account has, as the server compares
// names (case-insensitively): "Plan.txt", then "Plan (2).txt", ...
export function freeName(wanted: string, taken: Iterable<string>): string {
  const used = new Set([...taken].map((name) => name.normalize("NFC").toLowerCase()));
  if (!used.has(wanted.normalize("NFC").toLowerCase())) return wanted;
  const dot = wanted.lastIndexOf(".");
  const [stem, extension] = dot > 0 ? [wanted.slice(0, dot), wanted.slice(dot)] : [wanted, ""];
  for (let n = 2; ; n++) {
    const candidate = `${stem} (${n})${extension}`;
    if (!used.has(candidate.normalize("NFC").toLowerCase())) return candidate;
  }
}
