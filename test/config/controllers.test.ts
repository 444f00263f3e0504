// config/controllers: which parent status changes re-queue (the reasons are in the YAML's comments).
import { expect } from 'chai';
import { find, kustomizeBuild } from './kustomize.js';

interface ControllerSpec {
  resyncPeriodSeconds?: number;
}

interface ParentResource {
  resource: string;
  ignoreStatusChanges?: boolean;
}

describe('config/controllers', function () {
  this.timeout(60_000);
  const objects = kustomizeBuild('config/controllers');

  it('ignores PythonLambda status changes: only Metacontroller writes them', () => {
    const cc = find(objects, 'CompositeController', 'pythonlambda-controller') as unknown as {
      spec: { parentResource: ParentResource };
    };
    expect(cc.spec.parentResource.ignoreStatusChanges).to.equal(true);
  });

  it('re-queues a decorated Deployment on its status changes: they retry a dropped conflicting update', () => {
    const dc = find(objects, 'DecoratorController', 'pylambda-deployment-decorator') as unknown as {
      spec: { resources: ParentResource[] };
    };
    expect(dc.spec.resources.map((r) => [r.resource, r.ignoreStatusChanges])).to.deep.equal([
      ['deployments', undefined],
    ]);
  });

  // A failed sync's retry backoff doubles up to 1000 s; the resync re-enqueues every object
  // whatever its backoff, so a webhook outage delays an object by one period after it ends.
  for (const [kind, name] of [
    ['CompositeController', 'pythonlambda-controller'],
    ['DecoratorController', 'pylambda-deployment-decorator'],
  ] as const) {
    it(`${kind} resyncs every object once a minute`, () => {
      const controller = find(objects, kind, name) as unknown as { spec: ControllerSpec };
      expect(controller.spec.resyncPeriodSeconds).to.equal(60);
    });
  }
});
