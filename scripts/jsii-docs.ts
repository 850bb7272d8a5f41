import * as fs from 'node:fs';
import * as path from 'node:path';
import { Documentation, Language } from 'jsii-docgen';

/** The API references written from the jsii assemblies' TSDoc: one per language, both packages in each. */
export const REFERENCES = [
  { file: 'API.md', language: Language.TYPESCRIPT, title: 'API reference' },
  { file: 'API.python.md', language: Language.PYTHON, title: 'API reference (Python)' },
] as const;

const NOTICE = '<!-- Generated from the TSDoc by `npm run jsii -- --docs`: edit the comments in lib/, not this file. -->';

/** One reference: each package's document under its own heading, one level down. */
export async function apiReference(dirs: readonly string[], assembliesDir: string, language: Language, title: string): Promise<string> {
  const parts: string[] = [`# ${title}`, '', NOTICE, ''];
  for (const dir of dirs) {
    const { name } = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name: string };
    const docs = await Documentation.forProject(dir, { assembliesDir });
    const rendered = (await docs.toMarkdown({ language, readme: false, allSubmodules: true })).render();
    const body = rendered.replace(/^# API Reference.*\n/m, '').replace(/^(#{1,5}) /gm, '#$1 ');
    parts.push(`## \`${name}\``, '', body.trim(), '');
  }
  return `${parts.join('\n').trimEnd()}\n`;
}

interface Tablet {
  readonly snippets: Readonly<Record<string, { readonly translations: Readonly<Record<string, { readonly source: string }>> }>>;
}

const MINIMAL = /## A minimal example\n\n```ts nofixture\n([\s\S]*?)```/;
const PYTHON_MINIMAL = /(<!-- python: minimal-example -->\n```python\n)[\s\S]*?(```)/;

/**
 * The README with its Python minimal example replaced by rosetta's translation of the TypeScript one, as
 * recorded in the AWS package's tablet when its README's examples were compiled.
 */
export function pythonExamples(readme: string, awsPackageDir: string): string {
  const typescript = MINIMAL.exec(readme)?.[1];
  if (typescript === undefined) throw new Error('README.md has no "## A minimal example" block fenced as ```ts nofixture');
  if (!PYTHON_MINIMAL.test(readme)) throw new Error('README.md has no <!-- python: minimal-example --> marker followed by a ```python block');
  const tablet = JSON.parse(fs.readFileSync(path.join(awsPackageDir, '.jsii.tabl.json'), 'utf8')) as Tablet;
  const snippet = Object.values(tablet.snippets).find((s) => s.translations.$?.source.trim() === typescript.trim());
  const python = snippet?.translations.python?.source;
  if (python === undefined) throw new Error('the minimal example has no Python translation in the tablet: did rosetta compile the README?');
  return readme.replace(PYTHON_MINIMAL, (_whole, open: string, close: string) => `${open}${python.trim()}\n${close}`);
}
