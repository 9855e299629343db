// Vitest's asymmetric matchers, typed as what they stand for: vitest types
// them `any`, which the type-checked lint rules refuse inside an expected
// value ({ id: expect.any(String) }).
import { expect, type DeeplyAllowMatchers } from "vitest";

export const anyString = (): string => expect.any(String) as string;
export const anyNumber = (): number => expect.any(Number) as number;
export const objectContaining = <T extends object>(subset: DeeplyAllowMatchers<T>): T =>
  expect.objectContaining<T>(subset) as T;
export const arrayContaining = <T>(items: DeeplyAllowMatchers<T>[]): T[] => expect.arrayContaining<T>(items) as T[];
export const stringContaining = (text: string): string => expect.stringContaining(text) as string;
export const stringMatching = (pattern: RegExp): string => expect.stringMatching(pattern) as string;
