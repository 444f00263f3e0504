import { expect } from 'chai';
import { codeRecord } from '../../../src/status/code-retention.js';
import type { DeploymentView } from '../../../src/status/deployment-view.js';

function view(templateHash: string, codeHash: string, counts: Partial<DeploymentView> = {}) {
  return {
    name: 'hello',
    templateHash,
    codeHash,
    specReplicas: 2,
    generationObserved: true,
    generation: 2,
    total: 2,
    updated: 2,
    available: 2,
    olderCode: 0,
    restartPending: false,
    terminating: 0,
    stalled: undefined,
    replicaFailure: undefined,
    ...counts,
  } satisfies DeploymentView;
}

describe('the code record (what served, what may still have pods)', () => {
  it('a finished rollout records its code and template, and lets the older versions go', () => {
    const previous = { servedCodeHash: 'c1', servedTemplateHash: 't1', retainedCodeHashes: ['c2'] };
    expect(codeRecord(previous, view('t3', 'c3'))).to.deep.equal({
      servedCodeHash: 'c3',
      servedTemplateHash: 't3',
    });
  });

  it('pods of the served template crashing, or a scale, keep the served template', () => {
    const previous = { servedCodeHash: 'c1', servedTemplateHash: 't1' };
    expect(codeRecord(previous, view('t1', 'c1', { available: 0 }))).to.deep.equal(previous);
    expect(codeRecord(previous, view('t1', 'c1', { specReplicas: 5, total: 2 }))).to.deep.equal(
      previous,
    );
  });

  it('a Deployment on another template forgets the served template, not the served code', () => {
    const previous = { servedCodeHash: 'c1', servedTemplateHash: 't1' };
    const pushed = codeRecord(previous, view('t2', 'c2', { updated: 1 }));
    expect(pushed).to.deep.equal({ servedCodeHash: 'c1', retainedCodeHashes: ['c2'] });
    // Rolled back to t1 while pods of t2 still drain: t1 must finish again before it counts.
    const back = codeRecord(pushed, view('t1', 'c1', { updated: 2, terminating: 1 }));
    expect(back).to.deep.equal({ servedCodeHash: 'c1', retainedCodeHashes: ['c2'] });
    expect(codeRecord(back, view('t1', 'c1'))).to.deep.equal({
      servedCodeHash: 'c1',
      servedTemplateHash: 't1',
    });
  });

  it('no Deployment observed (deleted, not created yet) changes nothing', () => {
    const previous = { servedCodeHash: 'c1', servedTemplateHash: 't1' };
    expect(codeRecord(previous, undefined)).to.deep.equal(previous);
  });
});
