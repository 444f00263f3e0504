// Generated PythonLambda sync and finalize requests, valid and with invalid specs, against the
// app from createApp(): every answer is one Metacontroller accepts, the same request answers
// the same bytes, feeding an answer back changes nothing, and no observed child is ever lost
// to an invalid spec.
import { expect } from 'chai';
import fc from 'fast-check';
import { assertParameters } from './support/budget.js';
import { callOk, canonical, identities } from './support/calls.js';
import type { Child, CompositeAnswer } from './support/contract.js';
import { PROPERTY_MAX_CODE_BYTES, useHookServer } from './support/hook-server.js';
import { kubeTime } from './support/kube-arbitraries.js';
import {
  applyStrategy,
  childMap,
  COMPOSITE_GROUPS,
  compositeBody,
  deploymentState,
  hookVersion,
  observeAll,
  observedObjects,
  type ObserveOptions,
} from './support/metacontroller.js';
import {
  parentFields,
  parentObject,
  parentRef,
  previousStatus,
  type FeedbackOptions,
  type ParentFields,
} from './support/pythonlambda-requests.js';
import {
  codeBytes,
  specMutation,
  validSpec,
  type Spec,
  type SpecMutation,
} from './support/spec-arbitraries.js';

const KINDS = ['ConfigMap', 'Deployment', 'Service'];

const feedback: fc.Arbitrary<FeedbackOptions> = fc.record({
  version: hookVersion,
  strategy: applyStrategy,
  deployment: deploymentState,
  rolloutAt: kubeTime(),
});

/** A spec, and the mutation that broke it if one did. */
const someSpec = fc
  .tuple(validSpec, fc.oneof(fc.constant(undefined), specMutation))
  .map(([valid, mutation]) => ({ spec: mutation ? mutation.apply(valid) : valid, mutation }));

function observeOptions(parent: ParentFields, fb: FeedbackOptions): ObserveOptions {
  return { namespace: parent.namespace, parent: parentRef(parent), ...fb };
}

function syncBody(
  parent: ParentFields,
  children: Child[],
  version: 'v1' | 'v2',
  finalizing = false,
) {
  return compositeBody({
    parent: parentObject(parent),
    children: childMap(children, parent.namespace, version, COMPOSITE_GROUPS),
    finalizing,
  });
}

function ready(answer: CompositeAnswer) {
  const condition = answer.status.conditions.find((c) => c.type === 'Ready');
  expect(condition, 'a Ready condition').to.not.equal(undefined);
  return condition!;
}

/** `either`: near the code size limit, where how it counts decides. */
type Verdict = 'rendered' | 'invalid' | 'too-large' | 'either';

function expectedVerdict(spec: Spec | undefined, mutation: SpecMutation | undefined): Verdict {
  if (mutation || !spec) return 'invalid';
  const bytes = codeBytes(spec);
  if (bytes < PROPERTY_MAX_CODE_BYTES * 0.8) return 'rendered';
  return bytes > PROPERTY_MAX_CODE_BYTES * 1.25 ? 'too-large' : 'either';
}

/** What a sync answer must say about `spec`, given the children Metacontroller observed. */
function expectVerdict(
  answer: CompositeAnswer,
  verdict: Verdict,
  observed: Child[],
  mutation?: SpecMutation,
) {
  const { reason, message } = ready(answer);
  const tooLarge = reason === 'CodeTooLarge';
  if (verdict === 'rendered' || (verdict === 'either' && !tooLarge)) {
    expect(reason, message).to.not.be.oneOf(['InvalidSpec', 'CodeTooLarge']);
    // The lambda's ConfigMap(s), its Deployment and its Service.
    const kinds = answer.children.map((c) => c.kind);
    expect(kinds.filter((k) => k === 'Deployment')).to.have.length(1);
    expect(kinds.filter((k) => k === 'Service')).to.have.length(1);
    expect(kinds).to.include('ConfigMap');
    return;
  }
  expect(reason).to.equal(verdict === 'invalid' ? 'InvalidSpec' : 'CodeTooLarge');
  if (tooLarge) expect(message).to.include(String(PROPERTY_MAX_CODE_BYTES));
  if (mutation) expect(message, mutation.what).to.include(mutation.at.slice(0, 120));
  // Metacontroller deletes every observed child left out of the answer.
  expect(identities(answer.children), 'an invalid spec keeps every observed child').to.deep.equal(
    identities(observed),
  );
}

describe('property: PythonLambda hooks (generated requests)', function () {
  this.timeout(240_000);
  const server = useHookServer();

  it('sync answers valid and invalid specs correctly and deterministically, and keeps every child on an invalid one', async () => {
    const cases = fc
      .record({
        parent: parentFields,
        spec: someSpec,
        status: previousStatus,
        previousSpec: validSpec,
        source: fc.constantFrom('none', 'synthetic', 'rendered'),
        version: hookVersion,
        fb: feedback,
      })
      .chain((c) =>
        observedObjects(c.parent.namespace, KINDS).map((synthetic) => ({ ...c, synthetic })),
      );

    await fc.assert(
      fc.asyncProperty(cases, async (c) => {
        let observed: Child[] = [];
        if (c.source === 'synthetic') observed = c.synthetic;
        if (c.source === 'rendered') {
          // The lambda as it ran before this edit: rendered, applied and observed.
          const before: ParentFields = { ...c.parent, spec: c.previousSpec };
          const r0 = await callOk<CompositeAnswer>(
            server,
            'pythonlambda/sync',
            syncBody(before, [], c.version),
            {
              namespace: c.parent.namespace,
              repeat: false,
            },
          );
          observed = observeAll(r0.answer.children, observeOptions(c.parent, c.fb));
        }
        const parent: ParentFields = { ...c.parent, spec: c.spec.spec, status: c.status };
        const verdict = expectedVerdict(c.spec.spec, c.spec.mutation);
        const { answer } = await callOk<CompositeAnswer>(
          server,
          'pythonlambda/sync',
          syncBody(parent, observed, c.version),
          { namespace: c.parent.namespace },
        );
        expectVerdict(answer, verdict, observed, c.spec.mutation);
      }),
      assertParameters('pythonlambdaSync'),
    );
  });

  it('sync is idempotent: its children fed back as observed (v1 or v2 keys) and its status as parent.status change nothing', async () => {
    const cases = fc
      .record({
        parent: parentFields,
        spec: someSpec,
        status: previousStatus,
        withObserved: fc.boolean(),
        fb: feedback,
        thirdVersion: hookVersion,
      })
      .chain((c) =>
        observedObjects(c.parent.namespace, KINDS).map((observed) => ({ ...c, observed })),
      );

    await fc.assert(
      fc.asyncProperty(cases, async (c) => {
        const ns = c.parent.namespace;
        const observed = c.withObserved ? c.observed : [];
        const verdict = expectedVerdict(c.spec.spec, c.spec.mutation);
        const first: ParentFields = { ...c.parent, spec: c.spec.spec, status: c.status };
        const r1 = await callOk<CompositeAnswer>(
          server,
          'pythonlambda/sync',
          syncBody(first, observed, c.fb.version),
          { namespace: ns, repeat: false },
        );
        expectVerdict(r1.answer, verdict, observed, c.spec.mutation);

        // Metacontroller applies the answer: children observed, status stored with observedGeneration.
        const options = observeOptions(c.parent, c.fb);
        const stored = (answer: CompositeAnswer) => ({
          ...answer.status,
          observedGeneration: c.parent.generation,
        });
        const second: ParentFields = { ...first, status: stored(r1.answer) };
        const r2 = await callOk<CompositeAnswer>(
          server,
          'pythonlambda/sync',
          syncBody(second, observeAll(r1.answer.children, options), c.fb.version),
          { namespace: ns, repeat: false },
        );
        const kept = ['InvalidSpec', 'CodeTooLarge'].includes(ready(r1.answer).reason);
        if (kept) {
          // Kept children come back as they went out (with server-side apply they pick up the
          // API server's defaults once, so only who they are is the same).
          expect(identities(r2.answer.children)).to.deep.equal(identities(r1.answer.children));
          if (c.fb.strategy === 'dynamic-apply') {
            expect(canonical(r2.answer.children), 'kept children come back the same').to.equal(
              canonical(r1.answer.children),
            );
          }
        } else if (observed.length === 0) {
          expect(canonical(r2.answer.children), 'children fed back come back the same').to.equal(
            canonical(r1.answer.children),
          );
        }
        // (Rendered next to other observed objects, r2 may legitimately let go of some of them.)

        const third: ParentFields = { ...first, status: stored(r2.answer) };
        const r3 = await callOk<CompositeAnswer>(
          server,
          'pythonlambda/sync',
          syncBody(third, observeAll(r2.answer.children, options), c.thirdVersion),
          { namespace: ns, repeat: false },
        );
        expect(
          r3.reply.text === r2.reply.text,
          'a fed-back answer answers itself, byte for byte',
        ).to.equal(true);
      }),
      assertParameters('pythonlambdaFeedback'),
    );
  });

  it('finalize (and sync while finalizing) deletes every child and finalizes only once none is left', async () => {
    const cases = fc
      .record({
        parent: parentFields,
        spec: someSpec,
        status: previousStatus,
        viaSync: fc.boolean(),
        version: hookVersion,
      })
      .chain((c) =>
        observedObjects(c.parent.namespace, KINDS).map((observed) => ({ ...c, observed })),
      );

    await fc.assert(
      fc.asyncProperty(cases, async (c) => {
        const parent: ParentFields = { ...c.parent, spec: c.spec.spec, status: c.status };
        const hook = c.viaSync ? 'pythonlambda/sync' : 'pythonlambda/finalize';
        const { answer } = await callOk<CompositeAnswer>(
          server,
          hook,
          syncBody(parent, c.observed, c.version, true),
          {
            namespace: c.parent.namespace,
            repeat: false,
          },
        );
        expect(answer.children).to.deep.equal([]);
        expect(answer.finalized).to.equal(c.observed.length === 0);
        expect(ready(answer)).to.include({ status: 'False', reason: 'Terminating' });
      }),
      assertParameters('pythonlambdaFinalize'),
    );
  });
});
