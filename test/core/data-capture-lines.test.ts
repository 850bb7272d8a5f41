import * as fc from 'fast-check';
import { LineSplitter, splitLines, type SplitLine } from '../../lambda/core/data-capture';

const texts = (lines: readonly SplitLine[]): string[] => lines.map((line) => (line.kind === 'line' ? line.text : `<too long: ${line.length}>`));

describe('LineSplitter', () => {
  test('finishes lines as their line break arrives and keeps only the unfinished tail', () => {
    const splitter = new LineSplitter(100);

    const first = splitter.push('alpha\nbe');
    const retained = splitter.retained;
    const second = splitter.push('ta\ngamma');

    expect(texts(first)).toEqual(['alpha']);
    expect(retained).toBe(2);
    expect(texts(second)).toEqual(['beta']);
    expect(texts(splitter.end())).toEqual(['gamma']);
    expect(splitter.retained).toBe(0);
  });

  test('drops the \\r of a \\r\\n even when the two arrive in different chunks', () => {
    expect(texts([...splitLines(['one\r', '\ntwo\r\n', 'three\r\n'])])).toEqual(['one', 'two', 'three']);
  });

  test('adds no empty last line for text that ends with a line break, but keeps blank lines inside', () => {
    expect(texts([...splitLines(['a\n\nb\n'])])).toEqual(['a', '', 'b']);
    expect([...splitLines([''])]).toEqual([]);
  });

  test('numbers the lines from 1, too-long ones included', () => {
    const lines = [...splitLines(['short\n', 'x'.repeat(20), '\nafter\n'], 10)];

    expect(lines).toEqual([
      { kind: 'line', number: 1, text: 'short' },
      { kind: 'too-long', number: 2, length: 20 },
      { kind: 'line', number: 3, text: 'after' },
    ]);
  });

  test('reports a line longer than allowed without ever holding more than the limit, and reads on', () => {
    const splitter = new LineSplitter(1000);
    const lines: SplitLine[] = [];

    for (let chunk = 0; chunk < 2000; chunk += 1) lines.push(...splitter.push('y'.repeat(512)));
    lines.push(...splitter.push('\nnext line\n'), ...splitter.end());

    expect(lines).toEqual([
      { kind: 'too-long', number: 1, length: 2000 * 512 },
      { kind: 'line', number: 2, text: 'next line' },
    ]);
    expect(splitter.peakRetained).toBeLessThanOrEqual(1001);
  });

  test('reports an unfinished last line that is too long', () => {
    expect([...splitLines(['z'.repeat(11)], 10)]).toEqual([{ kind: 'too-long', number: 1, length: 11 }]);
  });

  test('accepts a line of exactly the limit, whatever its line break', () => {
    expect(texts([...splitLines(['abcde\r\nabcde\n'], 5)])).toEqual(['abcde', 'abcde']);
  });

  test('refuses a limit that is not a whole number of at least 1', () => {
    expect(() => new LineSplitter(0)).toThrow('maxLineLength must be a whole number of at least 1, got 0');
  });

  test('gives the same lines however the text is cut into chunks', () => {
    const line = fc.string({ unit: fc.constantFrom('a', 'é', ',', '"', '\r', '😀') });
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 8 }), fc.boolean(), (lines, cuts, trailing) => {
        const text = lines.join('\n') + (trailing ? '\n' : '');
        const points = [...new Set(cuts.map((cut) => cut % (text.length + 1)))].sort((a, b) => a - b);
        const chunks = [0, ...points].map((start, index, all) => text.slice(start, all[index + 1] ?? text.length));

        const parts = text.split('\n');
        if (parts[parts.length - 1] === '') parts.pop();

        expect(texts([...splitLines(chunks)])).toEqual(parts.map((part) => (part.endsWith('\r') ? part.slice(0, -1) : part)));
      }),
    );
  });
});
