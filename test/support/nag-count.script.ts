// Prints cdk-nag finding counts per composition, major and pack: `npx tsx test/support/nag-count.script.ts [-v]`.
import { COMPOSITIONS, USER_PREFIX } from './nag-compositions';
import { runNag, type NagFinding } from './nag-findings';

const verbose = process.argv.includes('-v');
const byUser = (finding: NagFinding) => finding.path.split('/').some((part) => part.startsWith(USER_PREFIX));
for (const [name, compose] of Object.entries(COMPOSITIONS)) {
  const { findings } = runNag(compose);
  for (const [check, list] of Object.entries(findings)) {
    console.log(`${name}\t${check}\tlibrary=${list.filter((f) => !byUser(f)).length}\tuser=${list.filter(byUser).length}`);
    if (verbose) for (const f of list) console.log(`    ${byUser(f) ? '(user) ' : ''}${f.rule}  ${f.path}`);
  }
}
