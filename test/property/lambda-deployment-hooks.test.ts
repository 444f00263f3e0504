// Generated decorator requests about annotated Deployments, against the app from createApp():
// answers Metacontroller accepts (never a status), the same request answers the same bytes,
// feeding an answer back changes nothing, and bad annotations never drop an attachment.
import { expect } from 'chai';
import fc from 'fast-check';
import { decoratorServiceName } from '../../src/hooks/lambda-deployment-sync.js';
import type { KubeObject } from '../../src/metacontroller/objects.js';
import { claimedChild } from '../../src/metacontroller/ownership.js';
import { settingsConfigMapName } from '../../src/render/settings-configmap.js';
import { assertParameters } from './support/budget.js';
import { callOk, canonical, identities } from './support/calls.js';
import type { Child, DecoratorAnswer } from './support/contract.js';
import {
  applyAnnotations,
  deploymentAnnotations,
  deploymentCase,
  deploymentObject,
  deploymentRef,
  expectedProblems,
  OUTPUT_ANNOTATIONS,
  type DeploymentCase,
} from './support/deployment-requests.js';
import { useHookServer } from './support/hook-server.js';
import { kubeTime, parseable, uidOf } from './support/kube-arbitraries.js';
import {
  applyStrategy,
  childMap,
  DECORATOR_GROUPS,
  decoratorBody,
  hookVersion,
  observeAll,
  observedObjects,
  type ApplyStrategy,
  type HookVersion,
} from './support/metacontroller.js';

const KINDS = ['ConfigMap', 'Service'];

interface DeploymentSpecShape {
  template: { spec: { volumes: { configMap?: { name: string; optional?: boolean } }[] } };
}
const ERROR = 'pylambda.dev/error';
const SERVICE_KEY = 'pylambda.dev/service';
const URL_KEY = 'pylambda.dev/url';
const CONFIGMAP_KEY = 'pylambda.dev/configmap';

function body(
  c: DeploymentCase,
  attachments: Child[],
  version: HookVersion,
  annotationsNow?: Record<string, string>,
  finalizing = false,
) {
  return decoratorBody({
    object: deploymentObject(c, annotationsNow),
    attachments: childMap(attachments, c.namespace, version, DECORATOR_GROUPS),
    finalizing,
  });
}

function observeOptions(c: DeploymentCase, strategy: ApplyStrategy, rolloutAt: string) {
  return {
    namespace: c.namespace,
    parent: deploymentRef(c),
    strategy,
    deployment: 'none' as const,
    rolloutAt,
  };
}

/** The annotations but those that wait for the attachments to exist. */
function withoutServed(annotations: Record<string, string | null>) {
  const {
    [SERVICE_KEY]: _service,
    [URL_KEY]: _url,
    [CONFIGMAP_KEY]: _configMap,
    ...rest
  } = annotations;
  return rest;
}

/** What a sync answer must say about the Deployment's annotations. */
function expectVerdict(answer: DecoratorAnswer, c: DeploymentCase, observed: Child[]) {
  const problems = expectedProblems(c);
  if (problems.length === 0) {
    expect(answer.annotations[ERROR], 'no error on valid annotations').to.equal(null);
    const service = answer.attachments.find((a) => a.kind === 'Service');
    const configMap = answer.attachments.find((a) => a.kind === 'ConfigMap');
    expect(answer.attachments).to.have.length(2);
    // The Service is named, with its URL, only once Metacontroller sends it as an attachment.
    const served = observed.some(
      (o) => o.kind === 'Service' && o.metadata.name === service?.metadata.name,
    );
    expect(answer.annotations[SERVICE_KEY]).to.equal(served ? service?.metadata.name : null);
    if (served) expect(answer.annotations[URL_KEY]).to.be.a('string');
    else expect(answer.annotations[URL_KEY]).to.equal(null);
    const mounted = observed.some(
      (o) => o.kind === 'ConfigMap' && o.metadata.name === configMap?.metadata.name,
    );
    expect(answer.annotations[CONFIGMAP_KEY]).to.equal(mounted ? configMap?.metadata.name : null);
    expect((service?.spec as { selector?: unknown }).selector).to.deep.equal(
      c.selector.matchLabels,
    );
    return;
  }
  const error = answer.annotations[ERROR];
  expect(error, 'bad annotations are reported on the Deployment').to.be.a('string');
  for (const path of problems) expect(error).to.include(path);
  // No name is written, but one whose attachment is not observed as the Deployment's own goes
  // (all three while another object holds a wanted name).
  const names = [SERVICE_KEY, URL_KEY, CONFIGMAP_KEY];
  const written = Object.keys(answer.annotations).filter((key) => key !== ERROR);
  expect(written, 'only the error and removed names are written').to.satisfy((keys: string[]) =>
    keys.every((key) => names.includes(key) && answer.annotations[key] === null),
  );
  const uid = uidOf('Deployment', c.namespace, c.name);
  const own = (kind: string, name: string) =>
    observed.some(
      (o) => o.kind === kind && o.metadata.name === name && claimedChild(o as KubeObject, uid),
    );
  if (!own('Service', decoratorServiceName(c.name))) {
    expect(answer.annotations[URL_KEY], 'no URL of a Service not its own').to.equal(null);
    expect(answer.annotations[SERVICE_KEY]).to.equal(null);
  }
  if (!own('ConfigMap', settingsConfigMapName(c.name))) {
    expect(answer.annotations[CONFIGMAP_KEY]).to.equal(null);
  }
  // Metacontroller deletes every observed attachment left out of the answer.
  expect(identities(answer.attachments), 'bad annotations keep every attachment').to.deep.equal(
    identities(observed),
  );
}

describe('property: lambda-deployment hooks (generated requests)', function () {
  this.timeout(240_000);
  const server = useHookServer();

  it('sync answers valid and broken annotations correctly and deterministically, and never drops an attachment', async () => {
    const cases = parseable(
      fc
        .record({
          deployment: deploymentCase,
          previous: deploymentCase,
          source: fc.constantFrom('none', 'synthetic', 'rendered'),
          version: hookVersion,
          strategy: applyStrategy,
          rolloutAt: kubeTime(),
        })
        .chain((c) =>
          observedObjects(c.deployment.namespace, KINDS).map((synthetic) => ({ ...c, synthetic })),
        ),
    );

    await fc.assert(
      fc.asyncProperty(cases, async (c) => {
        const d = c.deployment;
        let observed: Child[] = [];
        if (c.source === 'synthetic') observed = c.synthetic;
        if (c.source === 'rendered' && expectedProblems(c.previous).length === 0) {
          // Attachments of the same Deployment under its previous annotations.
          const before: DeploymentCase = { ...c.previous, name: d.name, namespace: d.namespace };
          const r0 = await callOk<DecoratorAnswer>(
            server,
            'lambda-deployment/sync',
            body(before, [], c.version),
            {
              namespace: d.namespace,
              repeat: false,
            },
          );
          observed = observeAll(r0.answer.attachments, observeOptions(d, c.strategy, c.rolloutAt));
        }
        const { answer } = await callOk<DecoratorAnswer>(
          server,
          'lambda-deployment/sync',
          body(d, observed, c.version),
          { namespace: d.namespace },
        );
        expectVerdict(answer, d, observed);
      }),
      assertParameters('deploymentSync'),
    );
  });

  it('sync is idempotent: its attachments fed back (v1 or v2 keys) and its annotations applied change nothing', async () => {
    const cases = parseable(
      fc
        .record({
          deployment: deploymentCase,
          withObserved: fc.boolean(),
          version: hookVersion,
          thirdVersion: hookVersion,
          strategy: applyStrategy,
          rolloutAt: kubeTime(),
        })
        .chain((c) =>
          observedObjects(c.deployment.namespace, KINDS).map((observed) => ({ ...c, observed })),
        ),
    );

    await fc.assert(
      fc.asyncProperty(cases, async (c) => {
        const d = c.deployment;
        const valid = expectedProblems(d).length === 0;
        const check = { namespace: d.namespace, repeat: false };
        const observed = c.withObserved ? c.observed : [];
        const options = observeOptions(d, c.strategy, c.rolloutAt);
        const annotations1 = deploymentAnnotations(d);
        const r1 = await callOk<DecoratorAnswer>(
          server,
          'lambda-deployment/sync',
          body(d, observed, c.version),
          check,
        );
        expectVerdict(r1.answer, d, observed);

        const annotations2 = applyAnnotations(annotations1, r1.answer.annotations);
        const fedBack = observeAll(r1.answer.attachments, options);
        const r2 = await callOk<DecoratorAnswer>(
          server,
          'lambda-deployment/sync',
          body(d, fedBack, c.version, annotations2),
          check,
        );
        // Fed back, the attachments exist: their names are written then, nothing else moves.
        expectVerdict(r2.answer, d, fedBack);
        expect(withoutServed(r2.answer.annotations)).to.deep.equal(
          withoutServed(r1.answer.annotations),
        );
        if (valid || c.strategy === 'dynamic-apply') {
          expect(canonical(r2.answer.attachments)).to.equal(canonical(r1.answer.attachments));
        } else {
          expect(identities(r2.answer.attachments)).to.deep.equal(
            identities(r1.answer.attachments),
          );
        }

        const annotations3 = applyAnnotations(annotations2, r2.answer.annotations);
        const r3 = await callOk<DecoratorAnswer>(
          server,
          'lambda-deployment/sync',
          body(d, observeAll(r2.answer.attachments, options), c.thirdVersion, annotations3),
          check,
        );
        expect(
          r3.reply.text === r2.reply.text,
          'a fed-back answer answers itself, byte for byte',
        ).to.equal(true);
      }),
      assertParameters('deploymentFeedback'),
    );
  });

  it('sync never asks for an attachment whose name someone else holds, and names each holder', async () => {
    const cases = parseable(
      fc.record({
        deployment: deploymentCase.filter((d) => expectedProblems(d).length === 0),
        version: hookVersion,
        held: fc.constantFrom<('ConfigMap' | 'Service')[]>(
          ['ConfigMap'],
          ['Service'],
          ['ConfigMap', 'Service'],
        ),
        controlled: fc.boolean(),
      }),
    );

    await fc.assert(
      fc.asyncProperty(cases, async (c) => {
        const d = c.deployment;
        const names: Record<string, string> = {
          ConfigMap: settingsConfigMapName(d.name),
          Service: decoratorServiceName(d.name),
        };
        const holders: Child[] = c.held.map((kind) => ({
          apiVersion: 'v1',
          kind,
          metadata: {
            name: names[kind]!,
            namespace: d.namespace,
            uid: uidOf('theirs', kind, d.name),
            ...(c.controlled
              ? {
                  ownerReferences: [
                    {
                      apiVersion: 'apps/v1',
                      kind: 'Deployment',
                      name: 'theirs',
                      uid: uidOf('theirs'),
                      controller: true,
                    },
                  ],
                }
              : {}),
          },
        }));
        const request = decoratorBody({
          object: deploymentObject(d),
          attachments: childMap([], d.namespace, c.version, DECORATOR_GROUPS),
          related: childMap(holders, d.namespace, c.version, DECORATOR_GROUPS),
          finalizing: false,
        });
        const { answer } = await callOk<DecoratorAnswer>(
          server,
          'lambda-deployment/sync',
          request,
          {
            namespace: d.namespace,
            repeat: false,
          },
        );
        expect(answer.attachments, 'nothing is asked for').to.deep.equal([]);
        // No annotation names an attachment, ours or the holder's: none is ours yet.
        expect(answer.annotations[SERVICE_KEY]).to.equal(null);
        expect(answer.annotations[URL_KEY]).to.equal(null);
        expect(answer.annotations[CONFIGMAP_KEY]).to.equal(null);
        for (const kind of c.held) {
          expect(answer.annotations[ERROR]).to.include(
            `${kind} ${d.namespace}/${names[kind]} already exists`,
          );
        }
      }),
      assertParameters('deploymentSync'),
    );
  });

  it('finalize (and sync while finalizing) removes every annotation pylambda wrote and every attachment but a settings ConfigMap the living Deployment still mounts', async () => {
    const cases = parseable(
      fc
        .record({
          deployment: deploymentCase,
          viaSync: fc.boolean(),
          version: hookVersion,
          // The pod template mounts the settings ConfigMap: observed or not, optional or
          // not, the Deployment being deleted or opting out.
          settingsObserved: fc.boolean(),
          optional: fc.boolean(),
          deleting: fc.boolean(),
        })
        .chain((c) =>
          observedObjects(c.deployment.namespace, KINDS).map((observed) => ({ ...c, observed })),
        ),
    );

    await fc.assert(
      fc.asyncProperty(cases, async (c) => {
        const hook = c.viaSync ? 'lambda-deployment/sync' : 'lambda-deployment/finalize';
        const d = c.deployment;
        const mountedName = settingsConfigMapName(d.name);
        const observed = c.observed.filter(
          (o) => !(o.kind === 'ConfigMap' && o.metadata.name === mountedName),
        );
        if (c.settingsObserved) {
          const settings = structuredClone(c.observed[0] ?? null);
          if (settings) {
            settings.kind = 'ConfigMap';
            settings.apiVersion = 'v1';
            settings.metadata.name = mountedName;
            observed.push(settings);
          }
        }
        const object = deploymentObject(d) as unknown as {
          metadata: Record<string, unknown>;
          spec: DeploymentSpecShape;
        };
        const volume = object.spec.template.spec.volumes.find((v) => v.configMap)!;
        volume.configMap = { name: mountedName, ...(c.optional ? { optional: true } : {}) };
        if (c.deleting) object.metadata.deletionTimestamp = '2031-03-04T05:06:07Z';
        const request = decoratorBody({
          object,
          attachments: childMap(observed, d.namespace, c.version, DECORATOR_GROUPS),
          finalizing: true,
        });
        const { answer } = await callOk<DecoratorAnswer>(server, hook, request, {
          namespace: d.namespace,
          repeat: false,
        });
        const needed = !c.optional && !c.deleting;
        const kept = observed.filter(
          (o) => needed && o.kind === 'ConfigMap' && o.metadata.name === mountedName,
        );
        expect(
          identities(answer.attachments),
          'only a needed settings ConfigMap stays',
        ).to.deep.equal(identities(kept));
        expect(answer.finalized).to.equal(observed.length === kept.length);
        expect(answer.annotations).to.deep.equal(
          Object.fromEntries(OUTPUT_ANNOTATIONS.map((k) => [k, null])),
        );
      }),
      assertParameters('deploymentFinalize'),
    );
  });
});
