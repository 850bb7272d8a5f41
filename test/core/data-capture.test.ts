import * as fs from 'node:fs';
import * as path from 'node:path';
import { CaptureTally, parseCaptureLine, splitLines, type CaptureRecord, type CaptureSchema } from '../../lambda/core/data-capture';
import { MAX_CAPTURE_COLUMNS } from '../../lambda/core/data-capture-csv';
import type { Parsed } from '../../lambda/core/result';

const FIXTURES = path.resolve(__dirname, '../fixtures/data-capture');
const SCHEMA: CaptureSchema = {
  features: ['tenure_months', 'monthly_charges', 'contract', 'support_calls', 'region'],
  outputFeature: 'churn_probability',
};

function fixtureLines(name: string): string[] {
  return fs.readFileSync(path.join(FIXTURES, name), 'utf8').split('\n').filter((line) => line !== '');
}

function value<T>(parsed: Parsed<T>): T {
  if (!parsed.ok) throw new Error(`${parsed.error.field} ${parsed.error.problem}`);
  return parsed.value;
}

/** A capture line as SageMaker writes it, around the given input (and output) payloads. */
function captureLine(input: object | undefined, output?: object, metadata: object = { eventId: 'e-1', inferenceTime: '2026-11-30T10:00:01Z' }): string {
  const captureData = { ...(input ? { endpointInput: { mode: 'INPUT', ...input } } : {}), ...(output ? { endpointOutput: { mode: 'OUTPUT', ...output } } : {}) };
  return JSON.stringify({ captureData, eventMetadata: metadata, eventVersion: '0' });
}
const csv = (data: string) => ({ observedContentType: 'text/csv', data, encoding: 'CSV' });
const csvOut = (data: string) => ({ observedContentType: 'text/csv; charset=utf-8', data, encoding: 'CSV' });
const base64 = (observedContentType: string, text: string) => ({ observedContentType, data: Buffer.from(text).toString('base64'), encoding: 'BASE64' });

describe('parseCaptureLine on the real formats', () => {
  test('reads CSV captures: several rows per request, empties as null, quoted commas, extra and missing columns', () => {
    const records = fixtureLines('csv-capture.jsonl').map((line) => value(parseCaptureLine(line, SCHEMA)));

    expect(records.map((record) => record.rows)).toEqual([
      [{ tenure_months: 12, monthly_charges: 70.35, contract: 'month-to-month', support_calls: 2, region: 'eu-west', churn_probability: 0.8123 }],
      [{ tenure_months: 48, monthly_charges: 25.1, contract: 'two-year', support_calls: 0, region: 'eu-central', churn_probability: 0.0412 }],
      [
        { tenure_months: 3, monthly_charges: 99.99, contract: 'month-to-month', support_calls: 5, region: 'us-east', churn_probability: 0.935 },
        { tenure_months: 27, monthly_charges: 55, contract: 'one-year', support_calls: 1, region: 'eu-west', churn_probability: 0.2217 },
      ],
      [{ tenure_months: 9, monthly_charges: null, contract: 'month-to-month', support_calls: null, region: 'eu-west, Dublin', churn_probability: 0.6001 }],
      [{ tenure_months: 60, monthly_charges: 18.25, contract: 'two-year', support_calls: 0, region: 'ap-south', _c5: '2026-11-01', churn_probability: 0.013 }],
      [{ tenure_months: 1, monthly_charges: 45.5, contract: 'month-to-month', churn_probability: 0.7002 }],
    ]);
    expect(records[0].inferenceTime).toBe('2026-11-30T10:00:01Z');
  });

  test('reads JSON captures: features, instances of arrays, objects and feature lists, bare arrays, and each output shape', () => {
    const records = fixtureLines('json-capture.jsonl').map((line) => value(parseCaptureLine(line, SCHEMA)));

    expect(records.map((record) => record.rows)).toEqual([
      [{ tenure_months: 12, monthly_charges: 70.35, contract: 'month-to-month', support_calls: 2, region: 'eu-west', churn_probability: 0.8123 }],
      [
        { tenure_months: 48, monthly_charges: 25.1, contract: 'two-year', support_calls: 0, region: 'eu-central', churn_probability: 0.0412 },
        { tenure_months: 3, monthly_charges: 99.99, contract: 'month-to-month', support_calls: 5, region: 'us-east', churn_probability: 0.935 },
      ],
      [{ tenure_months: 27, monthly_charges: 55, contract: 'one-year', support_calls: 1, region: 'eu-west', churn_probability: 0.2217 }],
      [{ tenure_months: 9, monthly_charges: null, contract: 'month-to-month', support_calls: null, region: 'eu-west', churn_probability: 0.6001 }],
      [{ tenure_months: 60, monthly_charges: 18.25, contract: 'two-year', support_calls: 0, region: 'ap-south', churn_probability: 0.013 }],
      [{ tenure_months: 1, monthly_charges: 45.5, contract: 'month-to-month', support_calls: 3, region: 'us-east', churn_probability: 0.7002 }],
    ]);
  });

  test('decodes BASE64 captures as CSV or JSON by their observed content type, multibyte text included', () => {
    const records = fixtureLines('base64-capture.jsonl').map((line) => value(parseCaptureLine(line, SCHEMA)));

    expect(records.map((record) => record.rows)).toEqual([
      [{ tenure_months: 12, monthly_charges: 70.35, contract: 'month-to-month', support_calls: 2, region: 'eu-west', churn_probability: 0.8123 }],
      [{ tenure_months: 48, monthly_charges: 25.1, contract: 'two-year', support_calls: 0, region: 'eu-central', churn_probability: 0.0412 }],
      [{ tenure_months: 3, monthly_charges: 99.99, contract: 'month-to-month', support_calls: 5, region: 'São Paulo', churn_probability: 0.935 }],
    ]);
  });

  test('leaves the output out when the schema names no output feature, and reads input-only captures', () => {
    const withOutput = captureLine(csv('1,2'), csvOut('0.5'));
    const inputOnly = captureLine(csv('1,2'));

    expect(value(parseCaptureLine(withOutput, { features: ['a', 'b'] })).rows).toEqual([{ a: 1, b: 2 }]);
    expect(value(parseCaptureLine(inputOnly, SCHEMA)).rows).toEqual([{ tenure_months: 1, monthly_charges: 2 }]);
  });

  test('reads JSON Lines input and XGBoost-style predictions on one CSV row', () => {
    const input = base64('application/jsonlines', '{"a":1}\n{"a":2}\n');
    const line = captureLine(input, csvOut('0.1,0.9'));

    expect(value(parseCaptureLine(line, { features: ['a'], outputFeature: 'p' })).rows).toEqual([
      { a: 1, p: 0.1 },
      { a: 2, p: 0.9 },
    ]);
  });

  test('keeps numbers-as-text apart from numbers: hex, Infinity and overflow stay strings; padded numbers do not', () => {
    const line = captureLine(csv('0x1F,Infinity,1e999, 7 ,-.5,+3e-2,1.,.'));

    expect(value(parseCaptureLine(line, { features: [] })).rows).toEqual([
      { _c0: '0x1F', _c1: 'Infinity', _c2: '1e999', _c3: 7, _c4: -0.5, _c5: 0.03, _c6: 1, _c7: '.' },
    ]);
  });

  test('gives a feature named like an Object.prototype member its own value', () => {
    const line = captureLine({ observedContentType: 'application/json', data: '{"__proto__":1,"constructor":"x"}', encoding: 'JSON' });

    const [row] = value(parseCaptureLine(line, { features: [] })).rows;

    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(Object.hasOwn(row, '__proto__') && Object.hasOwn(row, 'constructor')).toBe(true);
    expect(Object.entries(row)).toEqual([['__proto__', 1], ['constructor', 'x']]);
  });
});

describe('parseCaptureLine on malformed lines', () => {
  const cases: Array<[string, string, string, RegExp]> = [
    ['text that is not JSON', '{"captureData":', 'line', /is not JSON/],
    ['a JSON value that is not an object', '[1]', 'line', /must be a JSON object/],
    ['a line without captureData', JSON.stringify({ eventMetadata: {} }), 'captureData', /is missing/],
    ['a capture without endpointInput', captureLine(undefined, csvOut('1')), 'captureData.endpointInput', /is missing/],
    ['data that is not a string', captureLine({ ...csv(''), data: 5 }), 'captureData.endpointInput.data', /must be a string/],
    ['an unknown encoding', captureLine({ ...csv('1'), encoding: 'GZIP' }), 'captureData.endpointInput.encoding', /CSV, JSON or BASE64/],
    ['base64 of an unreadable content type', captureLine(base64('application/x-protobuf', 'x')), 'captureData.endpointInput.observedContentType', /CSV or JSON/],
    ['base64 with a character outside the alphabet', captureLine({ ...csv('TWFu*'), encoding: 'BASE64' }), 'captureData.endpointInput.data', /offset 4/],
    ['base64 of a length no bytes have', captureLine({ ...csv('TWFuT'), encoding: 'BASE64' }), 'captureData.endpointInput.data', /whole number of bytes/],
    ['base64 of bytes that are not UTF-8', captureLine({ ...csv(Buffer.from([0xc3, 0x28]).toString('base64')), encoding: 'BASE64' }), 'captureData.endpointInput.data', /not UTF-8/],
    ['a ragged CSV payload', captureLine(csv('1,2,3\n4,5')), 'captureData.endpointInput.data', /row 1 has 3 columns but row 2 has 2/],
    ['a quoted value never closed', captureLine(csv('1,"abc')), 'captureData.endpointInput.data', /never closed at row 1, column 2/],
    ['text after a closing quote', captureLine(csv('"a"b,1')), 'captureData.endpointInput.data', /after a closing quote at row 1, column 1/],
    ['a quote inside an unquoted value', captureLine(csv('ab"c')), 'captureData.endpointInput.data', /quote inside an unquoted value/],
    ['JSON input that is not JSON', captureLine({ observedContentType: 'application/json', data: '{', encoding: 'JSON' }), 'captureData.endpointInput.data', /is not JSON/],
    ['a nested JSON feature', captureLine({ observedContentType: 'application/json', data: '{"instances":[{"a":{"b":1}}]}', encoding: 'JSON' }), 'captureData.endpointInput.data', /instances\[0\]\.a must be a number/],
    ['instances that are not a list', captureLine({ observedContentType: 'application/json', data: '{"instances":{}}', encoding: 'JSON' }), 'captureData.endpointInput.data', /instances/],
    ['fewer predictions than rows', captureLine(csv('1\n2\n3'), csvOut('0.1\n0.2')), 'captureData.endpointOutput.data', /2 predictions for 3 input rows/],
    ['a prediction without a score', captureLine(csv('1'), { observedContentType: 'application/json', data: '{"predictions":[{"label":1}]}', encoding: 'JSON' }), 'captureData.endpointOutput.data', /score/],
    ['an inference time that is not a time', captureLine(csv('1'), undefined, { inferenceTime: 'yesterday' }), 'eventMetadata.inferenceTime', /ISO 8601/],
  ];

  test.each(cases)('reports %s, naming the field', (_name, line, field, problem) => {
    const parsed = parseCaptureLine(line, SCHEMA);

    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error.field).toBe(field);
    expect(parsed.error.problem).toMatch(problem);
  });

  test('counts and skips the malformed lines of a capture file and reads the rest', () => {
    const tally = new CaptureTally(SCHEMA);

    for (const line of splitLines([fs.readFileSync(path.join(FIXTURES, 'malformed.jsonl'), 'utf8')])) tally.add(line);

    expect(tally.records).toBe(2);
    expect(tally.rows.map((row) => row.tenure_months)).toEqual([12, 27]);
    expect(tally.malformed).toBe(4);
    expect(tally.malformedExamples.map(({ line, error }) => [line, error.field])).toEqual([
      [2, 'line'],
      [3, 'captureData'],
      [5, 'captureData.endpointInput.data'],
      [6, 'captureData.endpointInput.data'],
    ]);
  });

  test('counts every malformed line but keeps only as many examples as asked', () => {
    const tally = new CaptureTally(SCHEMA, 2);

    for (const line of splitLines(['x\n', 'y\n', 'z\n'])) tally.add(line);
    tally.add({ kind: 'too-long', number: 4, length: 5_000_000 });

    expect(tally.malformed).toBe(4);
    expect(tally.malformedExamples.map(({ line }) => line)).toEqual([1, 2]);
  });
});

describe('parseCaptureLine on hostile lines of a megabyte', () => {
  const MB = 1_048_576;
  const parse = (data: string): Parsed<CaptureRecord> => parseCaptureLine(captureLine(csv(data)), { features: ['a'] });

  test('reads a quoted value of half a million escaped quotes', () => {
    const rows = value(parse(`"${'""'.repeat(MB / 2)}"`)).rows;

    expect(rows).toHaveLength(1);
    expect(String(rows[0].a)).toHaveLength(MB / 2);
  });

  test('reads the widest row allowed, all empty, as nulls', () => {
    const rows = value(parse(','.repeat(MAX_CAPTURE_COLUMNS - 1))).rows;

    expect(Object.keys(rows[0])).toHaveLength(MAX_CAPTURE_COLUMNS);
    expect(rows[0][`_c${MAX_CAPTURE_COLUMNS - 1}`]).toBeNull();
  });

  test('refuses a megabyte of commas as a row wider than allowed', () => {
    expect(parse(','.repeat(MB))).toMatchObject({ ok: false, error: { field: 'captureData.endpointInput.data', problem: `has a row of more than ${MAX_CAPTURE_COLUMNS} columns` } });
  });

  test('refuses a JSON array of a million values as wider than allowed', () => {
    const line = captureLine({ observedContentType: 'application/json', data: `[${'0,'.repeat(MB / 2)}0]`, encoding: 'JSON' });

    expect(parseCaptureLine(line, SCHEMA)).toMatchObject({ ok: false, error: { field: 'captureData.endpointInput.data' } });
  });

  test('refuses a megabyte of bare quotes, odd in number, as never closed', () => {
    expect(parse('"'.repeat(MB + 1))).toMatchObject({ ok: false, error: { field: 'captureData.endpointInput.data' } });
  });

  test('reads alternating quotes and commas as quoted commas, and refuses them once one quote is left open', () => {
    const text = '",'.repeat(2 * 16_384);

    const rows = value(parse(text)).rows;

    expect(Object.values(rows[0])).toEqual([...Array<string>(16_384).fill(','), null]);
    expect(parse(`"${'",'.repeat(MB / 2)}`)).toMatchObject({ ok: false, error: { problem: expect.stringMatching(/never closed|more than/) } });
  });

  test('keeps a megabyte of digits ending in an exponent sign as text', () => {
    const digits = `${'9'.repeat(MB)}e`;

    expect(value(parse(digits)).rows[0].a).toBe(digits);
  });

  test('refuses a megabyte of padding as base64', () => {
    const line = captureLine({ ...csv('='.repeat(MB)), encoding: 'BASE64' });

    expect(parseCaptureLine(line, SCHEMA)).toMatchObject({ ok: false, error: { field: 'captureData.endpointInput.data' } });
  });
});
