// The users' roles for PythonLambdas (config/rbac), aggregated into the built-in admin, edit and
// view roles: edit users manage lambdas but never write their status (Metacontroller's), view
// users only read.
import { expect } from 'chai';
import { find, kustomizeBuild, type RenderedObject } from './kustomize.js';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** Every "group/resource verb" a ClusterRole grants. */
function grants(role: RenderedObject): Set<string> {
  const out = new Set<string>();
  for (const rule of (role as unknown as { rules: Rule[] }).rules) {
    for (const group of rule.apiGroups)
      for (const resource of rule.resources)
        for (const verb of rule.verbs) out.add(`${group}/${resource} ${verb}`);
  }
  return out;
}

describe('config/rbac: the users’ roles', function () {
  this.timeout(60_000);
  const objects = kustomizeBuild('config/default');
  const edit = find(objects, 'ClusterRole', 'pylambda-edit');
  const view = find(objects, 'ClusterRole', 'pylambda-view');

  it('aggregates pylambda-edit into admin and edit, pylambda-view into view only', () => {
    expect(edit.metadata.labels).to.include({
      'rbac.authorization.k8s.io/aggregate-to-admin': 'true',
      'rbac.authorization.k8s.io/aggregate-to-edit': 'true',
    });
    expect(edit.metadata.labels).not.to.have.property(
      'rbac.authorization.k8s.io/aggregate-to-view',
    );
    expect(view.metadata.labels).to.include({
      'rbac.authorization.k8s.io/aggregate-to-view': 'true',
    });
    expect(view.metadata.labels).not.to.have.property(
      'rbac.authorization.k8s.io/aggregate-to-edit',
    );
  });

  it('lets edit users manage and scale PythonLambdas but not write their status', () => {
    const granted = grants(edit);
    for (const verb of ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']) {
      expect(granted.has(`pylambda.dev/pythonlambdas ${verb}`), verb).to.equal(true);
    }
    expect(granted.has('pylambda.dev/pythonlambdas/scale update')).to.equal(true);
    expect([...granted].filter((g) => /\/status (update|patch)/.test(g))).to.deep.equal([]);
  });

  it('lets view users read and nothing else, and names no other group or a wildcard', () => {
    const granted = [...grants(view)];
    expect(granted.filter((g) => !/ (get|list|watch)$/.test(g))).to.deep.equal([]);
    for (const g of [...granted, ...grants(edit)]) {
      expect(g.startsWith('pylambda.dev/pythonlambdas'), g).to.equal(true);
      expect(g).not.to.include('*');
    }
  });
});
