// Metacontroller's ClusterRole (config/metacontroller/clusterrole.yaml) grants exactly what
// pylambda's controllers make it do: the parent and child kinds of config/controllers, the
// related objects the customize hook asks for, and Metacontroller's own needs. Adding a child kind
// without its permission, or any wildcard, fails here before a cluster refuses the child.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { customizeLambdaDeployment } from '../../src/hooks/lambda-deployment-customize.js';
import { customizePythonLambda } from '../../src/hooks/pythonlambda-customize.js';
import { helloSpec, testHookContext } from '../fixtures/lambda.js';
import { pythonLambda } from '../fixtures/metacontroller.js';
import { kustomizeBuild, REPO_ROOT } from './kustomize.js';

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}
interface Role {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules: PolicyRule[];
}
interface ResourceRef {
  apiVersion: string;
  resource: string;
}

const CRUD = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
const READ = ['get', 'list', 'watch'];

/** "group/resource verb" for every permission a rule grants. */
function granted(rules: PolicyRule[]): Set<string> {
  const out = new Set<string>();
  for (const rule of rules)
    for (const group of rule.apiGroups ?? [])
      for (const resource of rule.resources ?? [])
        for (const verb of rule.verbs) out.add(`${group}/${resource} ${verb}`);
  return out;
}

function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
}

/** What config/controllers and the customize hooks make Metacontroller do. */
function needed(): Set<string> {
  const out = new Set<string>();
  const add = (ref: ResourceRef, verbs: string[], subresource = '') => {
    const resource = subresource ? `${ref.resource}/${subresource}` : ref.resource;
    for (const verb of verbs) out.add(`${groupOf(ref.apiVersion)}/${resource} ${verb}`);
  };
  const parentVerbs = ['get', 'list', 'watch', 'update', 'patch'];
  for (const controller of kustomizeBuild('config/controllers')) {
    const spec = (controller as unknown as { spec: Record<string, unknown> }).spec;
    if (controller.kind === 'CompositeController') {
      const parent = spec.parentResource as ResourceRef;
      add(parent, parentVerbs);
      // Its sync hook's answer is the parent's status (the CRD has the status subresource).
      add(parent, ['get', 'update', 'patch'], 'status');
      add(parent, ['update'], 'finalizers');
      for (const child of spec.childResources as ResourceRef[]) add(child, CRUD);
    } else if (controller.kind === 'DecoratorController') {
      // The decorator's hook answers labels and annotations, never a Deployment's status.
      for (const parent of spec.resources as ResourceRef[]) {
        add(parent, parentVerbs);
        add(parent, ['update'], 'finalizers');
      }
      for (const attachment of spec.attachments as ResourceRef[]) add(attachment, CRUD);
    } else {
      throw new Error(`unexpected ${controller.kind} in config/controllers`);
    }
  }
  const related = [
    ...customizePythonLambda({ parent: pythonLambda({ spec: helloSpec() }) }, testHookContext())
      .relatedResources,
    ...customizeLambdaDeployment({
      parent: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'greeter', namespace: 'demo' },
      },
    }).relatedResources,
  ];
  for (const rule of related) add(rule, READ);
  // Metacontroller's own: its event recorder, its controllers and revisions, the parent's CRD.
  add({ apiVersion: 'v1', resource: 'events' }, ['create', 'patch']);
  for (const resource of ['compositecontrollers', 'decoratorcontrollers'])
    add({ apiVersion: 'metacontroller.k8s.io/v1alpha1', resource }, READ);
  add({ apiVersion: 'metacontroller.k8s.io/v1alpha1', resource: 'controllerrevisions' }, CRUD);
  add({ apiVersion: 'apiextensions.k8s.io/v1', resource: 'customresourcedefinitions' }, READ);
  // The customize manager's namespace informer (for namespaceSelector), started whatever the hook asks.
  add({ apiVersion: 'v1', resource: 'namespaces' }, READ);
  return out;
}

const clusterRole = parse(
  readFileSync(join(REPO_ROOT, 'config', 'metacontroller', 'clusterrole.yaml'), 'utf8'),
) as Role;
const leaderElection = parseAllDocuments(
  readFileSync(join(REPO_ROOT, 'config', 'metacontroller', 'leader-election-rbac.yaml'), 'utf8'),
).map((doc) => doc.toJS() as Role);

describe('config/metacontroller ClusterRole', () => {
  it('replaces the upstream ClusterRole of the same name', () => {
    expect(clusterRole.kind).to.equal('ClusterRole');
    expect(clusterRole.metadata.name).to.equal('metacontroller');
  });

  it('has no wildcard, no resourceNames and no non-resource URLs', () => {
    for (const rule of clusterRole.rules) {
      for (const value of [...(rule.apiGroups ?? []), ...(rule.resources ?? []), ...rule.verbs])
        expect(value, JSON.stringify(rule)).to.not.include('*');
      expect(rule).to.not.have.any.keys('resourceNames', 'nonResourceURLs');
    }
  });

  it('grants every permission the controllers and the customize hook need', () => {
    const have = granted(clusterRole.rules);
    const missing = [...needed()].filter((p) => !have.has(p));
    expect(missing, 'missing from config/metacontroller/clusterrole.yaml').to.deep.equal([]);
  });

  it('grants nothing beyond them', () => {
    const need = needed();
    const extra = [...granted(clusterRole.rules)].filter((p) => !need.has(p));
    expect(extra, 'not needed by config/controllers').to.deep.equal([]);
  });

  it('lets no hook answer have a Secret, a role binding or a Pod made', () => {
    const have = granted(clusterRole.rules);
    for (const forbidden of [
      '/secrets create',
      '/secrets get',
      '/pods create',
      '/serviceaccounts create',
      'rbac.authorization.k8s.io/clusterrolebindings create',
      'rbac.authorization.k8s.io/rolebindings create',
      'admissionregistration.k8s.io/validatingwebhookconfigurations delete',
    ])
      expect(have.has(forbidden), forbidden).to.equal(false);
  });

  it('leaves leases to a Role in Metacontroller’s own namespace', () => {
    expect(granted(clusterRole.rules)).to.satisfy((have: Set<string>) =>
      [...have].every((p) => !p.startsWith('coordination.k8s.io/')),
    );
    const role = leaderElection.find((o) => o.kind === 'Role')!;
    expect(role.metadata.namespace).to.equal('metacontroller');
    const roleGrants = [...granted(role.rules)];
    expect(roleGrants.filter((p) => !p.startsWith('coordination.k8s.io/leases '))).to.deep.equal(
      [],
    );
    const binding = leaderElection.find((o) => o.kind === 'RoleBinding') as unknown as {
      roleRef: { name: string };
      subjects: { name: string; namespace: string }[];
    };
    expect(binding.roleRef.name).to.equal(role.metadata.name);
    expect(binding.subjects).to.deep.equal([
      { kind: 'ServiceAccount', name: 'metacontroller', namespace: 'metacontroller' },
    ]);
  });
});
