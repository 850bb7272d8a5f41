import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Hands `use` a fresh temporary directory named from `prefix` before each test of the surrounding describe (or, with
 * `scope` 'all', once before all of them), and removes it afterwards.
 */
export function withTempDir(prefix: string, use: (dir: string) => void, scope: 'each' | 'all' = 'each'): void {
  let dir: string | undefined;
  const [before, after] = scope === 'each' ? [beforeEach, afterEach] : [beforeAll, afterAll];
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    use(dir);
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
}
