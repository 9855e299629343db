// The answer of synchronous work as a promise, for an interface whose methods
// are asynchronous (a store over SQLite or memory, a byte source in memory):
// what the work throws rejects the promise, as it would in an async method,
// and the work runs at once, in call order.
export function promised<T>(work: () => T): Promise<T> {
  return new Promise<T>((resolve) => resolve(work()));
}
