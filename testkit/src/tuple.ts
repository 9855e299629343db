/** N values of type T: a tuple of that length when N is a literal (`take(2)`), else an array. */
export type Tuple<T, N extends number, Made extends T[] = []> = number extends N
  ? T[]
  : Made["length"] extends N
    ? Made
    : Tuple<T, N, [...Made, T]>;
