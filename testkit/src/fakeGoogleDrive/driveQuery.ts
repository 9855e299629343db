// The subset of Drive's `q` search language the backend uses, parsed into a
// predicate over the fake's files. Clauses are joined by `and`:
//   '<id>' in parents | trashed = false|true | mimeType = '<t>' | mimeType != '<t>'
//   name = '<n>' | appProperties has { key='<k>' and value='<v>' }
// Anything else is refused (400), so a query the fake does not understand
// fails the test instead of matching everything.
import type { FakeDriveFile } from "./DriveStore.ts";

export class UnsupportedQueryError extends Error {
  override name = "UnsupportedQueryError";
}

type Clause = (file: FakeDriveFile) => boolean;

const quoted = String.raw`'((?:[^'\\]|\\.)*)'`;
const clausePatterns: [RegExp, (match: RegExpExecArray) => Clause][] = [
  [new RegExp(String.raw`^${quoted}\s+in\s+parents`), (m) => (file) => file.parents.includes(unescape(m[1]!))],
  [/^trashed\s*=\s*(true|false)/, (m) => (file) => file.trashed === (m[1] === "true")],
  [
    new RegExp(String.raw`^mimeType\s*(!?=)\s*${quoted}`),
    (m) => (file) => (file.mimeType === unescape(m[2]!)) === (m[1] === "="),
  ],
  [new RegExp(String.raw`^name\s*=\s*${quoted}`), (m) => (file) => file.name === unescape(m[1]!)],
  [
    new RegExp(String.raw`^appProperties\s+has\s*\{\s*key\s*=\s*${quoted}\s+and\s+value\s*=\s*${quoted}\s*\}`),
    (m) => (file) => file.appProperties[unescape(m[1]!)] === unescape(m[2]!),
  ],
];

function unescape(value: string): string {
  return value.replace(/\\(.)/g, "$1");
}

export function parseDriveQuery(q: string): Clause {
  const clauses: Clause[] = [];
  let rest = q.trim();
  while (rest.length > 0) {
    const parsed = clausePatterns
      .map(([pattern, build]) => [pattern.exec(rest), build] as const)
      .find(([match]) => match);
    if (!parsed) throw new UnsupportedQueryError(`the fake Drive does not understand: ${rest}`);
    const [match, build] = parsed;
    clauses.push(build(match!));
    rest = rest.slice(match![0].length).trim();
    if (rest.length === 0) break;
    const and = /^and\s+/.exec(rest);
    if (!and) throw new UnsupportedQueryError(`expected "and" at: ${rest}`);
    rest = rest.slice(and[0].length);
  }
  return (file) => clauses.every((clause) => clause(file));
}
