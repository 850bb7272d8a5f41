import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT, ReadOutsideRepositoryError, isBesideRepository } from './support/repository-boundary';

/** Every file git knows of, tracked or new (not ignored), relative to the repository root. */
function repositoryFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: REPO_ROOT, encoding: 'utf8' });
  return listed.split('\0').filter((file) => file !== '' && fs.existsSync(path.join(REPO_ROOT, file)));
}

const SOURCE = /\.(ts|js|mjs|cjs|json|sh)$|^\.ci\/run$/;

/** `path.resolve(__dirname, 'a', 'b')` and `path.join(__dirname, ...)` with literal arguments. */
const DIRNAME_PATH = /path\.(?:resolve|join)\(\s*__dirname\s*((?:,\s*'[^']*'\s*)+)\)/g;

describe('the repository carries everything its tests, scripts and documents read', () => {
  const files = repositoryFiles();

  test('no source file, script or document names the folder beside the repository', () => {
    // Prepare: every text file of the project.
    const offenders = files
      .filter((file) => SOURCE.test(file) || file.endsWith('.md'))
      .filter((file) => !file.startsWith('test/fixtures/') && file !== 'package-lock.json' && file !== 'test/repository-boundary.test.ts')
      // Act: look for relative paths that climb to a sibling `shared` folder.
      .filter((file) => /\.\.\/(\.\.\/)*shared\b/.test(fs.readFileSync(path.join(REPO_ROOT, file), 'utf8')));

    // Assess
    expect(offenders).toEqual([]);
  });

  test('every path a test or script builds from __dirname stays inside the repository', () => {
    // Prepare
    const escapes: string[] = [];
    for (const file of files.filter((name) => name.endsWith('.ts') && !name.startsWith('test/fixtures/'))) {
      const text = fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
      // Act: resolve each literal path against the folder of the file that builds it.
      for (const match of text.matchAll(DIRNAME_PATH)) {
        const segments = [...match[1].matchAll(/'([^']*)'/g)].map((segment) => segment[1]);
        const resolved = path.resolve(REPO_ROOT, path.dirname(file), ...segments);
        if (resolved !== REPO_ROOT && !resolved.startsWith(REPO_ROOT + path.sep)) escapes.push(`${file}: ${match[0]}`);
      }
    }

    // Assess
    expect(escapes).toEqual([]);
  });

  test('every relative link in the README and the benchmarks document points at a file in the repository', () => {
    // Prepare
    const broken: string[] = [];
    for (const document of ['README.md', 'BENCHMARKS.md', 'CHANGELOG.md', 'test/fixtures/README.md']) {
      const text = fs.readFileSync(path.join(REPO_ROOT, document), 'utf8');
      // Act: markdown links and images whose target is not a URL or an anchor.
      for (const link of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = link[1].split('#')[0];
        if (target === '' || /^[a-z]+:/i.test(target)) continue;
        const resolved = path.resolve(REPO_ROOT, path.dirname(document), target);
        if (!resolved.startsWith(REPO_ROOT + path.sep) || !fs.existsSync(resolved)) broken.push(`${document}: ${link[1]}`);
      }
    }

    // Assess
    expect(broken).toEqual([]);
  });

  test('the fixtures the tests read are in the repository and parse as JSON', () => {
    // Prepare
    const fixtures = files.filter((file) => file.startsWith('test/fixtures/') && file.endsWith('.json'));

    // Act
    const parsed = fixtures.map((file) => JSON.parse(fs.readFileSync(path.join(REPO_ROOT, file), 'utf8')) as unknown);

    // Assess: the five event payloads and the seven Model Monitor files (four kinds of report, schema checks, no violations, statistics).
    expect(fixtures.filter((file) => file.startsWith('test/fixtures/events/'))).toHaveLength(5);
    expect(fixtures.filter((file) => file.startsWith('test/fixtures/model-monitor/'))).toHaveLength(7);
    expect(parsed.every((value) => typeof value === 'object' && value !== null)).toBe(true);
  });

  test('a test that reads beside the repository fails with a message that says so, whether or not the file exists', () => {
    // Prepare: a path in a sibling folder, where the fixtures once were.
    const sibling = path.join(path.dirname(REPO_ROOT), 'shared', 'fixtures', 'events', 'platform-model-added.json');

    // Act and assess: the guard installed for every test file refuses the read before the file system answers.
    expect(isBesideRepository(sibling)).toBe(true);
    // (The guard is installed once per worker, so its error class may come from another test file's module registry.)
    const refusal = expect.objectContaining({ name: ReadOutsideRepositoryError.name, message: expect.stringContaining('beside the repository') });
    expect(() => fs.readFileSync(sibling, 'utf8')).toThrow(refusal);
    expect(() => fs.readdirSync(path.dirname(sibling))).toThrow(refusal);
    expect(() => fs.promises.readFile(sibling)).toThrow(refusal);
    expect(isBesideRepository(path.join(REPO_ROOT, 'test', 'fixtures', 'README.md'))).toBe(false);
  });
});
