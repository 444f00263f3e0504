import { expect } from 'chai';
import {
  observedConditions,
  toCondition,
  type Condition,
  type ConditionVerdict,
} from '../../../src/status/conditions.js';
import { rfc3339, transitionTimeFrom } from '../../../src/status/transition-time.js';

const READY_TRUE: ConditionVerdict = {
  type: 'Ready',
  status: 'True',
  reason: 'Available',
  message: '1 of 1 replicas serve the current code',
};
const READY_FALSE: ConditionVerdict = {
  type: 'Ready',
  status: 'False',
  reason: 'RollingOut',
  message: '0 of 1 replicas run the current code',
};
const BEFORE = '2026-08-20T10:00:00Z';
const NOW = '2026-08-21T11:22:33Z';

/** A transition-time source that records whether it was read. */
function clock(time = NOW) {
  const calls: number[] = [];
  return { read: () => (calls.push(1), time), calls };
}

function previous(status: Condition['status'], reason = 'Whatever'): Condition[] {
  return [
    {
      type: 'Other',
      status: 'False',
      lastTransitionTime: '2020-01-01T00:00:00Z',
      reason: 'X',
      message: '',
    },
    {
      type: 'Ready',
      status,
      observedGeneration: 1,
      lastTransitionTime: BEFORE,
      reason,
      message: 'old',
    },
  ];
}

describe('conditions', () => {
  it('a new condition gets the transition time, the generation and the verdict', () => {
    const c = clock();
    expect(toCondition(READY_FALSE, [], 3, c.read)).to.deep.equal({
      type: 'Ready',
      status: 'False',
      observedGeneration: 3,
      lastTransitionTime: NOW,
      reason: 'RollingOut',
      message: '0 of 1 replicas run the current code',
    });
    expect(c.calls).to.have.length(1);
  });

  it('carries lastTransitionTime over when the status stays, even if reason and message change', () => {
    const c = clock();
    expect(toCondition(READY_FALSE, previous('False', 'Creating'), 2, c.read)).to.deep.equal({
      type: 'Ready',
      status: 'False',
      observedGeneration: 2,
      lastTransitionTime: BEFORE,
      reason: 'RollingOut',
      message: '0 of 1 replicas run the current code',
    });
    expect(c.calls, 'the clock must not be read').to.have.length(0);
  });

  it('takes a new lastTransitionTime when the status flips', () => {
    for (const [verdict, before] of [
      [READY_TRUE, 'False'],
      [READY_FALSE, 'True'],
      [READY_FALSE, 'Unknown'],
    ] as const) {
      const c = clock();
      expect(toCondition(verdict, previous(before), 1, c.read).lastTransitionTime).to.equal(NOW);
      expect(c.calls).to.have.length(1);
    }
  });

  it('takes a new time when the previous condition has none', () => {
    const old = [{ type: 'Ready', status: 'True', reason: 'A', message: '' } as Condition];
    expect(toCondition(READY_TRUE, old, 1, clock().read).lastTransitionTime).to.equal(NOW);
  });

  it('leaves observedGeneration out when the parent has no generation', () => {
    expect(toCondition(READY_TRUE, [], undefined, clock().read)).to.not.have.property(
      'observedGeneration',
    );
  });

  it('reads only condition-shaped entries from an observed status', () => {
    expect(observedConditions(undefined)).to.deep.equal([]);
    expect(observedConditions(null)).to.deep.equal([]);
    expect(observedConditions({ conditions: 'nope' })).to.deep.equal([]);
    expect(
      observedConditions({
        conditions: [null, 7, { status: 'True' }, { type: 'Ready', status: 'True' }],
      }),
    ).to.deep.equal([{ type: 'Ready', status: 'True' }]);
  });
});

describe('transition times', () => {
  it('are read from the injected clock, and only when asked for (a flip)', () => {
    let read = 0;
    const at = transitionTimeFrom(() => (read++, new Date('2031-01-01T00:00:00.999Z')));
    expect(read, 'a thunk: not read before it is needed').to.equal(0);
    expect(at()).to.equal('2031-01-01T00:00:00Z');
    expect(read).to.equal(1);
  });

  it('are RFC 3339 in seconds, as Kubernetes writes metav1.Time', () => {
    expect(rfc3339(Date.parse('2026-08-20T10:00:00.999Z'))).to.equal('2026-08-20T10:00:00Z');
  });
});
