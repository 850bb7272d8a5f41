import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import { REPO_ROOT } from './support/repository-boundary';

/** Every `.ts` file below `dir` (relative to the repository), as repository-relative paths. */
function sourceFiles(dir: string): string[] {
  const absolute = path.join(REPO_ROOT, dir);
  return fs
    .readdirSync(absolute, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.relative(REPO_ROOT, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
}

/** What `file` imports: repository-relative paths for relative specifiers, package names otherwise. */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(fs.readFileSync(path.join(REPO_ROOT, file), 'utf8'), true, true);
  return importedFiles.map(({ fileName }) =>
    fileName.startsWith('.') ? path.posix.normalize(path.posix.join(path.posix.dirname(file), fileName)) : fileName,
  );
}

/** `file -> import` for every import of the files below `dir` that `allowed` refuses. */
function offending(dir: string, allowed: (target: string, file: string) => boolean): string[] {
  return sourceFiles(dir).flatMap((file) => importsOf(file).filter((target) => !allowed(target, file)).map((target) => `${file} -> ${target}`));
}

const under = (target: string, dir: string): boolean => target === dir || target.startsWith(`${dir}/`);

describe('the layout: constructs per cloud in lib/, functions per cloud in lambda/, one neutral core', () => {
  test('the core imports only itself and node:crypto: no SDK, no cloud, no construct', () => {
    expect(offending('lambda/core', (target) => under(target, 'lambda/core') || target === 'node:crypto')).toEqual([]);
  });

  test("a cloud's functions never import another cloud's functions or a construct", () => {
    const clouds = ['aws', 'gcp', 'azure'];
    for (const cloud of clouds) {
      const others = clouds.filter((other) => other !== cloud).map((other) => `lambda/${other}`);
      expect(offending(`lambda/${cloud}`, (target) => !others.some((other) => under(target, other)) && !under(target, 'lib'))).toEqual([]);
    }
  });

  test('constructs read the functions only through the core: its contracts, defaults and limits', () => {
    const constructs = sourceFiles('lib').filter((file) => !file.startsWith('lib/cli/'));
    const reachingIn = constructs.flatMap((file) =>
      importsOf(file)
        .filter((target) => under(target, 'lambda') && !under(target, 'lambda/core'))
        .map((target) => `${file} -> ${target}`),
    );
    expect(constructs.length).toBeGreaterThan(30);
    expect(reachingIn).toEqual([]);
  });

  test("the AWS constructs never import Google's or Azure's, so an AWS-only app loads no CDK for Terraform", () => {
    const aws = sourceFiles('lib').filter((file) => !file.startsWith('lib/gcp/') && !file.startsWith('lib/azure/') && !file.startsWith('lib/cli/'));
    const reachingIn = aws.flatMap((file) =>
      importsOf(file)
        .filter((target) => under(target, 'lib/gcp') || under(target, 'lib/azure') || target.startsWith('cdktf') || target.startsWith('@cdktf/'))
        .map((target) => `${file} -> ${target}`),
    );
    expect(reachingIn).toEqual([]);
  });

  test("the Google and Azure constructs never import each other's provider, so each stays an optional peer", () => {
    const crossing = [
      ...offending('lib/gcp', (target) => !under(target, 'lib/azure') && !target.startsWith('@cdktf/provider-azurerm')),
      ...offending('lib/azure', (target) => !under(target, 'lib/gcp') && !target.startsWith('@cdktf/provider-google')),
    ];
    expect(crossing).toEqual([]);
  });

  test('the CDK for Terraform constructs import each provider resource from its own module, never the provider package whole', () => {
    const whole = (target: string) => /^@cdktf\/provider-[a-z]+(?:\/lib(?:\/index)?)?$/.test(target);
    expect([...offending('lib/gcp', (target) => !whole(target)), ...offending('lib/azure', (target) => !whole(target))]).toEqual([]);
    expect(offending('lib/azure', (target) => !target.startsWith('@cdktf/') || target.startsWith('@cdktf/provider-azurerm/lib/'))).toEqual([]);
  });

  test('the operator command reads the decision log through an adapter, not through a function', () => {
    expect(
      offending('lib/cli', (target) => !under(target, 'lambda') || under(target, 'lambda/core') || under(target, 'lambda/aws/adapters')),
    ).toEqual([]);
  });

  test('every function folder has one entry point and every cloud has its functions beside the core', () => {
    const folders = (dir: string) =>
      fs
        .readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => entry.name)
        .sort();
    expect(folders('lambda')).toEqual(['aws', 'azure', 'core', 'gcp']);
    for (const cloud of ['aws', 'gcp', 'azure']) {
      const withoutEntry = folders(`lambda/${cloud}`).filter(
        (name) => name !== 'adapters' && !fs.existsSync(path.join(REPO_ROOT, 'lambda', cloud, name, 'index.ts')),
      );
      expect(withoutEntry).toEqual([]);
    }
  });
});
