// The benchmark's variants (bench/variants/*.patch) are this tree with one part swapped: a source
// change that moves the lines a patch touches breaks `make bench` and `make bench-delivery`, far
// from the change. Each patch must still apply to the tree as it is.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './kustomize.js';

const VARIANTS = join(REPO_ROOT, 'bench', 'variants');
const patches = readdirSync(VARIANTS).filter((f) => f.endsWith('.patch'));

describe('bench variants', () => {
  it('has the koa-bodyparser and shell-floor patches', () => {
    expect(patches).to.include.members(['koa-bodyparser.patch', 'shell-floor.patch']);
  });

  for (const file of patches) {
    it(`${file} applies to this tree`, () => {
      const check = spawnSync('git', ['apply', '--check', join(VARIANTS, file)], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
      });
      expect(check.status, check.stderr).to.equal(0);
    });
  }
});
