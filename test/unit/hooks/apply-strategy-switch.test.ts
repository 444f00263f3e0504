// Metacontroller moved from --apply-strategy=server-side-apply back to dynamic-apply (its
// default: installed again from the upstream manifests over `make deploy`'s). Its Apply entry
// stays in each child's managedFields, shrinking as its Update writes take fields over, while
// the last-applied annotation is what it applies now. Sent back as desired, the entry's leftover
// fields would be a partial object, and dynamic-apply deletes every field left out of it.
import { expect } from 'chai';
import { syncPythonLambda } from '../../../src/hooks/pythonlambda-sync.js';
import { LAST_APPLIED } from '../../../src/metacontroller/apply-entry.js';
import { observedApplyStrategy } from '../../../src/metacontroller/apply-strategy.js';
import type { KubeObject } from '../../../src/metacontroller/objects.js';
import { helloSpec, testHookContext } from '../../fixtures/lambda.js';
import { childMap, compositeRequest, pythonLambda } from '../../fixtures/metacontroller.js';
import { observeChildren } from '../../fixtures/observed.js';

const ctx = testHookContext();

/** Server-side apply's entry from before the switch: what no Update has taken over since. */
function withStaleApplyEntry(child: KubeObject): KubeObject {
  const updated = child.metadata.managedFields!.map((entry) => ({
    ...entry,
    time: '2026-08-21T09:00:00Z',
  }));
  return {
    ...child,
    metadata: {
      ...child.metadata,
      managedFields: [
        {
          apiVersion: child.apiVersion,
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:metadata': { 'f:labels': { 'f:app.kubernetes.io/name': {} } } },
          manager: 'metacontroller',
          operation: 'Apply',
          time: '2026-08-20T10:00:01Z',
        },
        ...updated,
      ],
    },
  };
}

describe('sync: Metacontroller switched from server-side apply back to dynamic-apply', () => {
  const spec = helloSpec();
  let parent = pythonLambda({ spec });
  const created = syncPythonLambda(compositeRequest({ parent }), ctx);
  parent = pythonLambda({ spec, status: created.status });
  const children = observeChildren(created.children, parent).map(withStaleApplyEntry);

  it('reads the strategy from whichever of Metacontroller’s writes is newer', () => {
    expect(observedApplyStrategy(childMap(children, parent, 'v2'))).to.equal('dynamic-apply');
  });

  it('an invalid spec keeps every child exactly as last applied, not the stale entry’s part', () => {
    const invalid = pythonLambda({
      spec: { ...spec, port: 80 },
      status: created.status,
      generation: 2,
    });
    const answer = syncPythonLambda(compositeRequest({ parent: invalid, children }), ctx);
    expect(answer.status.conditions![0]!.reason).to.equal('InvalidSpec');
    const lastApplied = children.map(
      (child) => JSON.parse(child.metadata.annotations![LAST_APPLIED]!) as KubeObject,
    );
    expect(answer.children).to.deep.equal(lastApplied);
  });
});
