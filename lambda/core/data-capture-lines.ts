/** A line the splitter finished: its text, or only its length when it was longer than allowed. */
export type SplitLine =
  | { readonly kind: 'line'; readonly number: number; readonly text: string }
  | { readonly kind: 'too-long'; readonly number: number; readonly length: number };

/** How long a line may be before it is skipped: 1 MiB characters unless told. */
export const DEFAULT_MAX_LINE_LENGTH = 1_048_576;

/**
 * Turns text that arrives in chunks into lines (`\n` or `\r\n` ends one), keeping only the line not
 * yet finished. A line longer than `maxLineLength` is reported as too long and its text dropped as
 * it arrives, so what is held never exceeds `maxLineLength + 1` characters (the `+ 1` is a `\r`
 * whose `\n` has not arrived yet).
 */
export class LineSplitter {
  private tail = '';
  private overflow: number | undefined;
  private lines = 0;
  private peak = 0;

  constructor(readonly maxLineLength = DEFAULT_MAX_LINE_LENGTH) {
    if (!Number.isInteger(maxLineLength) || maxLineLength < 1) {
      throw new RangeError(`maxLineLength must be a whole number of at least 1, got ${maxLineLength}`);
    }
  }

  /** Characters held for the unfinished line now. */
  get retained(): number {
    return this.tail.length;
  }

  /** The most characters ever held at once. */
  get peakRetained(): number {
    return this.peak;
  }

  /** The lines `chunk` finishes, in order. */
  push(chunk: string): SplitLine[] {
    const finished: SplitLine[] = [];
    let start = 0;
    for (let newline = chunk.indexOf('\n'); newline !== -1; newline = chunk.indexOf('\n', start)) {
      this.keep(chunk, start, newline);
      finished.push(this.finish());
      start = newline + 1;
    }
    this.keep(chunk, start, chunk.length);
    return finished;
  }

  /** The last line, when the text did not end with a line break. */
  end(): SplitLine[] {
    return this.tail === '' && this.overflow === undefined ? [] : [this.finish()];
  }

  private keep(chunk: string, start: number, end: number): void {
    const length = end - start;
    if (this.overflow !== undefined) {
      this.overflow += length;
    } else if (this.tail.length + length > this.maxLineLength + 1) {
      this.overflow = this.tail.length + length;
      this.tail = '';
    } else if (length > 0) {
      this.tail += chunk.slice(start, end);
      this.peak = Math.max(this.peak, this.tail.length);
    }
  }

  private finish(): SplitLine {
    this.lines += 1;
    const number = this.lines;
    const overflow = this.overflow;
    const text = this.tail.endsWith('\r') ? this.tail.slice(0, -1) : this.tail;
    this.tail = '';
    this.overflow = undefined;
    if (overflow !== undefined) return { kind: 'too-long', number, length: overflow };
    if (text.length > this.maxLineLength) return { kind: 'too-long', number, length: text.length };
    return { kind: 'line', number, text };
  }
}

/** Every line of text that arrives in `chunks`, through one `LineSplitter`. */
export function* splitLines(chunks: Iterable<string>, maxLineLength = DEFAULT_MAX_LINE_LENGTH): Generator<SplitLine> {
  const splitter = new LineSplitter(maxLineLength);
  for (const chunk of chunks) yield* splitter.push(chunk);
  yield* splitter.end();
}
