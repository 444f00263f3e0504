import { expect } from 'chai';
import { LAST_APPLIED } from '../../../src/metacontroller/apply-entry.js';
import { asDesired, MAX_ANNOTATIONS_BYTES } from '../../../src/metacontroller/carry-over.js';
import type { KubeObject } from '../../../src/metacontroller/objects.js';
import { helloSpec, lambdaSpec, codeConfigMap, lambdaDeployment } from '../../fixtures/lambda.js';
import { pythonLambda } from '../../fixtures/metacontroller.js';
import { observeChild } from '../../fixtures/observed.js';
import { DEFAULT_MAX_JSON_VALUES } from '../../../src/config.js';
import { parseBudget } from '../../../src/validation/counted-parse.js';

const budget = () => parseBudget(DEFAULT_MAX_JSON_VALUES);

const parent = pythonLambda({ spec: helloSpec() });
const spec = lambdaSpec(helloSpec({ requirements: 'six\n' }));

/** What Metacontroller applied: the desired object with its namespace and controller-uid label. */
function applied(desired: KubeObject): KubeObject {
  return {
    ...desired,
    metadata: {
      ...desired.metadata,
      labels: { ...desired.metadata.labels, 'controller-uid': parent.metadata.uid! },
    },
  };
}

describe('carry-over (observed children sent back unchanged)', () => {
  it('returns exactly the last applied configuration (dynamic-apply)', () => {
    const desired = lambdaDeployment(spec) as KubeObject;
    const observed = observeChild(desired, parent, { deployment: 'rolled-out' });
    expect(asDesired(observed, budget())).to.deep.equal(applied(desired));
  });

  it('returns the last applied ConfigMap, code included', () => {
    const desired = codeConfigMap(spec) as KubeObject;
    expect(asDesired(observeChild(desired, parent), budget())).to.deep.equal(applied(desired));
  });

  it('ignores a last-applied annotation that belongs to another object or does not parse', () => {
    const desired = codeConfigMap(spec) as KubeObject;
    for (const annotation of [
      '{not json',
      JSON.stringify({ kind: 'ConfigMap', metadata: { name: 'other' } }),
    ]) {
      const observed = observeChild(desired, parent);
      observed.metadata.annotations![LAST_APPLIED] = annotation;
      const back = asDesired(observed, budget());
      expect(back.metadata.name).to.equal(desired.metadata.name);
      expect(back.data).to.deep.equal(desired.data);
      expect(back.metadata.annotations).to.equal(undefined);
    }
  });

  it('without the annotation (server-side apply) drops status and system metadata, keeps the rest', () => {
    const observed: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'hello',
        namespace: 'demo',
        uid: '1234',
        resourceVersion: '99',
        generation: 2,
        creationTimestamp: '2026-08-20T10:00:01Z',
        managedFields: [{ manager: 'metacontroller', operation: 'Apply' }],
        ownerReferences: [
          { apiVersion: 'pylambda.dev/v1alpha1', kind: 'PythonLambda', name: 'hello', uid: 'p' },
        ],
        finalizers: ['x'],
        labels: { a: 'b' },
        annotations: {
          'kubectl.kubernetes.io/last-applied-configuration': '{}',
          'deployment.kubernetes.io/revision': '3',
          'team.example.com/owner': 'me',
        },
      },
      spec: { ports: [{ port: 8080 }] },
      status: { loadBalancer: {} },
    };
    expect(asDesired(observed, budget())).to.deep.equal({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'hello',
        namespace: 'demo',
        labels: { a: 'b' },
        annotations: { 'team.example.com/owner': 'me' },
      },
      spec: { ports: [{ port: 8080 }] },
    });
  });

  it('drops the annotations map when only foreign annotations were in it', () => {
    const observed: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x', annotations: { 'deployment.kubernetes.io/revision': '1' } },
      data: {},
    };
    expect(asDesired(observed, budget())).to.deep.equal({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x' },
      data: {},
    });
  });

  it('does not modify the observed object', () => {
    const observed = observeChild(lambdaDeployment(spec) as KubeObject, parent);
    const copy = structuredClone(observed);
    asDesired(observed, budget());
    expect(observed).to.deep.equal(copy);
  });

  /** An observed ConfigMap whose last-applied annotation says `data` was `{ from: 'annotation' }`. */
  function withLastApplied(extra: Record<string, unknown> = {}): KubeObject {
    const lastApplied = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x' },
      data: { from: 'annotation' },
      ...extra,
    };
    return {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x', annotations: { [LAST_APPLIED]: JSON.stringify(lastApplied) } },
      data: { from: 'observed' },
    };
  }

  it('does not parse annotations larger than the API server stores (262144 bytes in all)', () => {
    const fits = withLastApplied();
    const key = 'team.example.com/notes';
    const room = MAX_ANNOTATIONS_BYTES - key.length - LAST_APPLIED.length;
    fits.metadata.annotations![key] = 'n'.repeat(
      room - fits.metadata.annotations![LAST_APPLIED]!.length,
    );
    expect(asDesired(fits, budget()).data).to.deep.equal({ from: 'annotation' });
    // One byte more (a two-byte character for a one-byte one): as if there were no annotation.
    const over = structuredClone(fits);
    over.metadata.annotations![key] = `é${over.metadata.annotations![key]!.slice(1)}`;
    const back = asDesired(over, budget());
    expect(back.data).to.deep.equal({ from: 'observed' });
    expect(back.metadata.annotations).to.not.have.property(LAST_APPLIED);
  });

  it('counts what it parses against the call’s budget, shared by every object, and past it keeps the observed object', () => {
    const observed = withLastApplied({ list: Array(1000).fill({}) });
    const shared = parseBudget(1500);
    expect(asDesired(observed, shared).data).to.deep.equal({ from: 'annotation' });
    expect(shared.valuesLeft).to.be.below(500);
    // The second object's parse would take the budget past zero: not parsed.
    expect(asDesired(structuredClone(observed), shared).data).to.deep.equal({ from: 'observed' });
    expect(asDesired(structuredClone(observed), budget()).data).to.deep.equal({
      from: 'annotation',
    });
  });
});
