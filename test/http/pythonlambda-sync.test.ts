import { expect } from 'chai';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { configFromEnv } from '../../src/config.js';
import type { CompositeResponse } from '../../src/hooks/composite-types.js';
import type { KubeObject } from '../../src/metacontroller/objects.js';
import { packageVersion } from '../../src/package-version.js';
import { FIXED_NOW_RFC3339, postHook, testApp } from '../fixtures/app.js';
import { contractProblems } from '../fixtures/contract.js';
import { HELLO_CODE, HELPERS_CODE, helloSpec } from '../fixtures/lambda.js';
import {
  compositeRequest,
  HOOK_VERSIONS,
  pythonLambda,
  SYNC_PATH,
  type HookVersion,
  type ParentOptions,
} from '../fixtures/metacontroller.js';
import { observeChildren, type ObserveOptions } from '../fixtures/observed.js';

const app = testApp();

async function sync(
  parent: ReturnType<typeof pythonLambda>,
  children: KubeObject[] = [],
  version: HookVersion = 'v2',
): Promise<CompositeResponse> {
  const res = await postHook(app, SYNC_PATH, compositeRequest({ parent, children, version }));
  expect(res.status, res.text).to.equal(200);
  expect(res.headers['content-type']).to.match(/^application\/json/);
  expect(contractProblems(res.body, 'sync')).to.deep.equal([]);
  return res.body as CompositeResponse;
}

function byKind(children: KubeObject[]) {
  const find = <T>(kind: string) => {
    const found = children.filter((c) => c.kind === kind);
    expect(found, kind).to.have.length(1);
    return found[0] as unknown as T & KubeObject;
  };
  return {
    configMap: find<ConfigMap>('ConfigMap'),
    deployment: find<Deployment>('Deployment'),
    service: find<KubeObject>('Service'),
  };
}

/** The children as Metacontroller applied them: ours plus the controller-uid label. */
function applied(desired: KubeObject, parent: KubeObject): KubeObject {
  return {
    ...desired,
    metadata: {
      ...desired.metadata,
      labels: { ...desired.metadata.labels, 'controller-uid': parent.metadata.uid! },
    },
  };
}

function names(children: KubeObject[]): string[] {
  return children.map((c) => `${c.kind}/${c.metadata.name}`);
}

function templateHash(d: Deployment): string | undefined {
  return d.spec?.template.metadata?.annotations?.['pylambda.dev/template-hash'];
}

/** Metacontroller's next request: the status written back (with observedGeneration), the children applied. */
function nextParent(
  options: ParentOptions,
  previous: CompositeResponse,
): ReturnType<typeof pythonLambda> {
  return pythonLambda({
    ...options,
    status: { ...previous.status, observedGeneration: options.generation ?? 1 },
    statusWrittenAt: '2026-08-20T10:00:02Z',
  });
}

describe('POST /hooks/pythonlambda/sync', () => {
  const options: ParentOptions = {
    spec: helloSpec({ files: { 'pkg/helpers.py': HELPERS_CODE }, requirements: 'six\n' }),
  };

  it('creates a ConfigMap, a Deployment and a Service, and says it is Creating', async () => {
    const body = await sync(pythonLambda(options));
    const { configMap, deployment } = byKind(body.children);
    const codeHash = deployment.spec!.template.metadata!.annotations!['pylambda.dev/code-hash']!;
    expect(codeHash).to.match(/^[0-9a-f]{64}$/);
    expect(
      body.children.map(
        (c) => `${c.apiVersion} ${c.kind} ${c.metadata.namespace}/${c.metadata.name}`,
      ),
    ).to.deep.equal([
      `v1 ConfigMap demo/hello-code-${codeHash.slice(0, 10)}`,
      'apps/v1 Deployment demo/hello',
      'v1 Service demo/hello',
    ]);
    // Immutable, and mounted by name: new code always comes in a new ConfigMap.
    expect(configMap.immutable).to.equal(true);
    expect(deployment.spec!.template.spec!.volumes![0]!.configMap!.name).to.equal(
      configMap.metadata!.name,
    );
    expect(body.status).to.deep.equal({
      conditions: [
        {
          type: 'Ready',
          status: 'False',
          observedGeneration: 1,
          // A new condition is dated by the injected clock.
          lastTransitionTime: FIXED_NOW_RFC3339,
          reason: 'Creating',
          message: 'waiting for Deployment hello to be created',
        },
      ],
      replicas: 0,
      readyReplicas: 0,
      updatedReplicas: 0,
      url: 'http://hello.demo.svc.cluster.local:8080',
      codeHash,
      selector: 'pylambda.dev/lambda=hello',
    });
  });

  it('carries the code, the nested file and the requirements in the ConfigMap, and nothing else', async () => {
    const { configMap, deployment } = byKind((await sync(pythonLambda(options))).children);
    expect(configMap.data).to.deep.equal({
      'main.py': HELLO_CODE,
      'pkg__helpers.py': HELPERS_CODE,
      'requirements.txt': 'six\n',
    });
    // The runtime comes from the runtime image of this release, named in the pod template.
    const template = (deployment as unknown as Deployment).spec!.template;
    const version = packageVersion();
    expect(template.metadata!.annotations!['pylambda.dev/runtime-version']).to.equal(version);
    expect(template.spec!.initContainers![0]!.image).to.equal(`pylambda-runtime:${version}`);
  });

  it('hook API v1 and v2 requests give the same response, at every stage', async () => {
    const first = await Promise.all(HOOK_VERSIONS.map((v) => sync(pythonLambda(options), [], v)));
    expect(first[0]).to.deep.equal(first[1]);
    for (const state of ['created', 'rolling', 'rolled-out'] as ObserveOptions['deployment'][]) {
      const parent = nextParent(options, first[0]!);
      const observed = observeChildren(first[0]!.children, parent, { deployment: state });
      const [v1, v2] = await Promise.all(HOOK_VERSIONS.map((v) => sync(parent, observed, v)));
      expect(v1, state).to.deep.equal(v2);
    }
  });

  it('turns Ready=True once the Deployment has rolled out, dated by the clock at the flip', async () => {
    const created = await sync(pythonLambda(options));
    const parent = nextParent(options, created);
    const body = await sync(
      parent,
      observeChildren(created.children, parent, { deployment: 'rolled-out' }),
    );
    expect(body.children).to.deep.equal(created.children);
    expect(body.status).to.deep.equal({
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          observedGeneration: 1,
          lastTransitionTime: FIXED_NOW_RFC3339,
          reason: 'Available',
          message:
            '1 of 1 replicas serve the current code at http://hello.demo.svc.cluster.local:8080',
        },
      ],
      replicas: 1,
      readyReplicas: 1,
      updatedReplicas: 1,
      url: 'http://hello.demo.svc.cluster.local:8080',
      codeHash: created.status.codeHash,
      // What serves: the rollout of that code finished.
      servedCodeHash: created.status.codeHash,
      servedTemplateHash: templateHash(byKind(created.children).deployment),
      runtimeVersion: packageVersion(),
      selector: 'pylambda.dev/lambda=hello',
    });
  });

  it('an update of the code makes a new ConfigMap, keeps the old one until the rollout is done, and Ready waits for it', async () => {
    // Generation 1 is rolled out and Ready.
    const v1 = await sync(pythonLambda(options));
    let parent = nextParent(options, v1);
    const rolledOut = observeChildren(v1.children, parent, { deployment: 'rolled-out' });
    const ready = await sync(parent, rolledOut);
    expect(ready.status.conditions![0]!.status).to.equal('True');

    // The user changes the code: generation 2, the old children still observed.
    const updated: ParentOptions = {
      ...options,
      spec: helloSpec({
        code: 'def handler(event, context):\n    return "v2"\n',
        files: { 'pkg/helpers.py': HELPERS_CODE },
        requirements: 'six\n',
      }),
      generation: 2,
      specWrittenAt: '2026-08-20T11:00:00Z',
    };
    parent = nextParent(updated, ready);
    const v2 = await sync(parent, rolledOut);
    const before = byKind(v1.children);
    // The new ConfigMap first, then the old one (as applied) for the pods still on it.
    expect(v2.children).to.have.length(4);
    expect(v2.children[1]).to.deep.equal(applied(before.configMap, parent));
    const after = byKind([v2.children[0]!, v2.children[2]!, v2.children[3]!]);
    expect(names(v2.children)).to.deep.equal([
      `ConfigMap/hello-code-${v2.status.codeHash!.slice(0, 10)}`,
      `ConfigMap/hello-code-${v1.status.codeHash!.slice(0, 10)}`,
      'Deployment/hello',
      'Service/hello',
    ]);
    expect(after.configMap.data!['main.py']).to.equal(
      'def handler(event, context):\n    return "v2"\n',
    );
    expect({ ...after.configMap.data, 'main.py': HELLO_CODE }).to.deep.equal(before.configMap.data);
    expect(after.deployment.spec!.template.spec!.volumes![0]!.configMap!.name).to.equal(
      after.configMap.metadata!.name,
    );
    expect(templateHash(after.deployment))
      .to.match(/^[0-9a-f]{16}$/)
      .and.not.equal(templateHash(before.deployment));
    expect(
      after.deployment.spec!.template.metadata!.annotations!['pylambda.dev/code-hash'],
    ).to.equal(v2.status.codeHash);
    expect(v2.status.codeHash).to.not.equal(v1.status.codeHash);
    expect(after.service).to.deep.equal(before.service);
    expect(v2.status.conditions).to.deep.equal([
      {
        type: 'Ready',
        status: 'False',
        observedGeneration: 2,
        // The flip happens now: the clock's time, never an older one from the request.
        lastTransitionTime: FIXED_NOW_RFC3339,
        reason: 'RollingOut',
        message: `Deployment hello is being updated to pod template ${templateHash(after.deployment)}`,
      },
    ]);

    // Metacontroller applied the new template; the Deployment is rolling, then rolled out.
    parent = nextParent(updated, v2);
    const rolling = await sync(
      parent,
      observeChildren(v2.children, parent, {
        deployment: 'rolling',
        deploymentGeneration: 2,
        rolloutAt: '2026-08-20T11:00:05Z',
      }),
    );
    expect(rolling.status.conditions![0]).to.include({
      status: 'False',
      reason: 'RollingOut',
      lastTransitionTime: FIXED_NOW_RFC3339,
    });
    expect(rolling.status.servedCodeHash, 'v1 still serves').to.equal(v1.status.codeHash);
    expect(rolling.children).to.deep.equal(v2.children);
    parent = nextParent(updated, rolling);
    const done = await sync(
      parent,
      observeChildren(v2.children, parent, {
        deployment: 'rolled-out',
        deploymentGeneration: 2,
        rolloutAt: '2026-08-20T11:01:00Z',
      }),
    );
    expect(done.status.conditions![0]).to.deep.equal({
      type: 'Ready',
      status: 'True',
      observedGeneration: 2,
      lastTransitionTime: FIXED_NOW_RFC3339,
      reason: 'Available',
      message: '1 of 1 replicas serve the current code at http://hello.demo.svc.cluster.local:8080',
    });
    // Rolled out: the old ConfigMap is left out, so Metacontroller deletes it.
    expect(done.children).to.deep.equal([v2.children[0], v2.children[2], v2.children[3]]);
  });

  it('says why the pods of the current code do not start (the pods sent as related)', async () => {
    const first = await sync(pythonLambda(options));
    const parent = nextParent(options, first);
    const children = observeChildren(first.children, parent, { deployment: 'rolling' });
    const deployment = byKind(first.children).deployment;
    const pod = (template: string | undefined, name: string): KubeObject =>
      ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name,
          namespace: 'demo',
          creationTimestamp: '2026-08-20T10:00:03Z',
          annotations: { 'pylambda.dev/template-hash': template },
        },
        status: {
          containerStatuses: [
            {
              name: 'lambda',
              ready: false,
              state: {
                waiting: {
                  reason: 'ImagePullBackOff',
                  message: 'Back-off pulling image "python:3.14-slim"',
                },
              },
            },
          ],
        },
      }) as unknown as KubeObject;
    const request = compositeRequest({ parent, children });
    request.related = {
      'Pod.v1': {
        'demo/hello-abc': pod(templateHash(deployment), 'hello-abc'),
        'demo/hello-old': pod('an-older-template', 'hello-old'),
      },
    };
    const res = await postHook(app, SYNC_PATH, request);
    expect(res.status, res.text).to.equal(200);
    const condition = (res.body as CompositeResponse).status.conditions![0]!;
    expect(condition).to.include({ status: 'False', reason: 'RollingOut' });
    expect(condition.message).to.match(
      /; pod hello-abc: container lambda ImagePullBackOff: Back-off pulling image "python:3.14-slim"$/,
    );
  });

  it('keeps older code ConfigMaps applied with server-side apply (no last-applied annotation) too', async () => {
    const v1 = await sync(pythonLambda(options));
    const updated: ParentOptions = {
      ...options,
      spec: helloSpec({ code: 'def handler(e, c):\n    return 2\n', requirements: 'six\n' }),
      generation: 2,
    };
    const parent = nextParent(updated, v1);
    const observed = observeChildren(v1.children, parent, { deployment: 'rolled-out' }).map((c) => {
      delete c.metadata.annotations!['metacontroller.k8s.io/last-applied-configuration'];
      return c;
    });
    const body = await sync(parent, observed);
    const old = byKind(v1.children).configMap;
    expect(body.children[1]).to.deep.equal({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: old.metadata!.name,
        namespace: 'demo',
        labels: { ...old.metadata!.labels, 'controller-uid': parent.metadata.uid },
      },
      immutable: true,
      data: old.data,
    });
  });

  it('a change of replicas only scales: same pod template, same code hash', async () => {
    const one = await sync(pythonLambda(options));
    const three = await sync(
      pythonLambda({
        ...options,
        spec: { ...(options.spec as object), replicas: 3 },
        generation: 2,
      }),
    );
    expect(templateHash(byKind(three.children).deployment)).to.equal(
      templateHash(byKind(one.children).deployment),
    );
    expect(byKind(three.children).deployment.spec!.replicas).to.equal(3);
    expect(three.status.codeHash).to.equal(one.status.codeHash);
  });

  const NAME_63 = `f${'n'.repeat(61)}x`;
  const NAME_253 = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
  for (const name of ['9lives', NAME_63, NAME_253, 'my.app.v2']) {
    it(`gives valid, stable names and a matching URL for a lambda named ${name.length > 20 ? `with ${name.length} characters` : name}`, async () => {
      const parent = pythonLambda({ ...options, name });
      const [a, b] = [await sync(parent, [], 'v1'), await sync(parent, [], 'v2')];
      expect(a.children.map((c) => c.metadata.name)).to.deep.equal(
        b.children.map((c) => c.metadata.name),
      );
      const { service, deployment } = byKind(a.children);
      expect(a.status.url).to.equal(`http://${service.metadata.name}.demo.svc.cluster.local:8080`);
      expect((service.spec as { selector: object }).selector).to.deep.equal(
        deployment.spec!.selector.matchLabels,
      );
      // And Ready once rolled out, with the child found by its (possibly shortened) name.
      const next = nextParent({ ...options, name }, a);
      const ready = await sync(
        next,
        observeChildren(a.children, next, { deployment: 'rolled-out' }),
      );
      expect(ready.status.conditions![0]!.reason).to.equal('Available');
    });
  }

  it('serves at the configured cluster domain', async () => {
    const custom = testApp({ config: configFromEnv({ PYLAMBDA_CLUSTER_DOMAIN: 'corp.internal' }) });
    const res = await postHook(
      custom,
      SYNC_PATH,
      compositeRequest({ parent: pythonLambda(options) }),
    );
    expect(res.body.status.url).to.equal('http://hello.demo.svc.corp.internal:8080');
  });

  it('treats finalizing: true on the sync URL as a finalize call', async () => {
    const parent = pythonLambda({ ...options, deletionTimestamp: '2026-08-21T00:00:00Z' });
    const res = await postHook(app, SYNC_PATH, compositeRequest({ parent, finalizing: true }));
    expect(res.status).to.equal(200);
    expect(res.body.children).to.deep.equal([]);
    expect(res.body.finalized).to.equal(true);
    expect(contractProblems(res.body, 'finalize')).to.deep.equal([]);
  });

  it('dates a new condition by the injected clock even for a request with no time at all', async () => {
    const timed = pythonLambda(options);
    const { creationTimestamp: _created, managedFields: _fields, ...metadata } = timed.metadata;
    const parent = { ...timed, metadata };
    const body = await sync(parent);
    expect(body.status.conditions![0]!.lastTransitionTime).to.equal(FIXED_NOW_RFC3339);
  });
});
