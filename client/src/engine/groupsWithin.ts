// Items cut into consecutive groups, each within a count and a byte limit
// (an item larger than the byte limit is a group of its own): the requests
// of a batch of small files, and the CLI's calls of uploadFiles.
export function groupsWithin<T>(
  items: readonly T[],
  limits: { count: number; bytes: number },
  sizeOf: (item: T) => number,
): T[][] {
  const groups: T[][] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    const last = groups.at(-1);
    if (!last || last.length >= limits.count || bytes + size > limits.bytes) {
      groups.push([item]);
      bytes = size;
    } else {
      last.push(item);
      bytes += size;
    }
  }
  return groups;
}
