// config/components/composite-finalizer: the optional PythonLambda finalize hook, on top of
// config/default alone and together with config/components/hook-token in either order. The
// default install has no such hook (test/config/default.test.ts); the real control plane runs the
// component in e2e/scenarios/55-pythonlambda-composite-finalizer.sh.
import { expect } from 'chai';
import { HOOKS } from '../../src/hooks/hook-definitions.js';
import { find, kustomizeBuild, kustomizeBuildOverlay, type RenderedObject } from './kustomize.js';

const COMPONENT = 'config/components/composite-finalizer';
const TOKEN = 'config/components/hook-token';
const CONTROLLER = 'pythonlambda-controller';

interface Hook {
  version?: string;
  webhook: Record<string, unknown> & { path?: string; url?: string };
}
type Hooks = Record<string, Hook>;

function hooksOf(objects: RenderedObject[]): Hooks {
  return (find(objects, 'CompositeController', CONTROLLER).spec as { hooks: Hooks }).hooks;
}

/** The sync hook with the finalize path: what the component's finalize hook must be. */
function expectFinalizeMirrorsSync(hooks: Hooks): void {
  expect(Object.keys(hooks).sort()).to.deep.equal(['customize', 'finalize', 'sync']);
  const { sync, finalize } = hooks;
  expect(finalize!.webhook.path).to.equal('/hooks/pythonlambda/finalize');
  expect({
    ...finalize,
    webhook: { ...finalize!.webhook, path: sync!.webhook.path },
  }).to.deep.equal(sync);
}

describe('config/components/composite-finalizer (the optional PythonLambda finalize hook)', function () {
  this.timeout(60_000);
  let plain: RenderedObject[];

  before(() => {
    plain = kustomizeBuild('config/default');
  });

  it('adds a finalize hook calling the route the webhook serves, with the sync hook’s settings', () => {
    const objects = kustomizeBuildOverlay(['config/default'], [COMPONENT]);
    const hooks = hooksOf(objects);
    expectFinalizeMirrorsSync(hooks);
    expect(HOOKS.map((h) => h.path)).to.include(hooks.finalize!.webhook.path);
    expect(hooks.finalize!.version).to.equal('v2');
    expect(hooks.finalize!.webhook.url).to.equal(undefined);
    expect(hooks.finalize!.webhook.service).to.deep.equal({
      name: 'pylambda-webhook',
      namespace: 'pylambda-system',
      port: 443,
      protocol: 'https',
    });
  });

  it('changes nothing else: the controller gains one annotation, every other object is the same', () => {
    const objects = kustomizeBuildOverlay(['config/default'], [COMPONENT]);
    const without = (list: RenderedObject[]) =>
      list.filter((o) => !(o.kind === 'CompositeController' && o.metadata.name === CONTROLLER));
    expect(without(objects)).to.deep.equal(without(plain));
    const before = find(plain, 'CompositeController', CONTROLLER);
    const after = find(objects, 'CompositeController', CONTROLLER);
    expect(after.metadata.annotations).to.deep.equal({
      ...before.metadata.annotations,
      'pylambda.dev/finalize-hook': 'true',
    });
    const { finalize, ...rest } = hooksOf(objects);
    expect(finalize).to.not.equal(undefined);
    expect(rest).to.deep.equal(hooksOf(plain));
  });

  for (const order of [
    [TOKEN, COMPONENT],
    [COMPONENT, TOKEN],
  ]) {
    it(`with hook-token (${order.map((c) => c.split('/').pop()).join(', then ')}): the finalize hook sends the token too`, () => {
      const hooks = hooksOf(kustomizeBuildOverlay(['config/default'], order));
      expectFinalizeMirrorsSync(hooks);
      const { webhook } = hooks.finalize!;
      expect(webhook.service).to.deep.equal({
        name: 'pylambda-webhook',
        namespace: 'pylambda-system',
        port: 443,
        protocol: 'https',
      });
      expect(webhook).to.have.property('authorization');
    });
  }

  it('renders the same controllers whichever order the two components are listed in', () => {
    const controllers = (components: string[]) =>
      kustomizeBuildOverlay(['config/default'], components).filter((o) =>
        o.kind.endsWith('Controller'),
      );
    expect(controllers([TOKEN, COMPONENT])).to.deep.equal(controllers([COMPONENT, TOKEN]));
  });
});
