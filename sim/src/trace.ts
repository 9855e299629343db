// What happened in a run, in order, readable: the steps as they ran and what
// the app and the engine reported (conflicts, error modes, resets).
export class Trace {
  readonly lines: string[] = [];
  private readonly started = Date.now();

  step(index: number, text: string): void {
    this.lines.push(`${this.stamp()} #${index} ${text}`);
  }

  note(text: string): void {
    this.lines.push(`${this.stamp()}      ${text}`);
  }

  private stamp(): string {
    return `${String(Date.now() - this.started).padStart(6)}ms`;
  }

  toString(): string {
    return this.lines.join("\n");
  }
}
