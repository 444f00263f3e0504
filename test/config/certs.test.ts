// config/certs as config/default renders it: the certificate job's pods (one template for the
// install Job and the daily CronJob, hardened like the webhook's, running a file the image has),
// and its rights, which name every object they touch except where the API cannot (create).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import type { PolicyRule } from 'kubernetes-types/rbac/v1.js';
import { find, kustomizeBuild, REPO_ROOT, type RenderedObject } from './kustomize.js';

const NAME = 'pylambda-webhook-certs';

describe('config/certs (the certificate job)', function () {
  this.timeout(60_000);
  let objects: RenderedObject[];
  let job: Job;
  let cron: CronJob;

  before(() => {
    objects = kustomizeBuild('config/default');
    job = find(objects, 'Job', NAME) as unknown as Job;
    cron = find(objects, 'CronJob', NAME) as unknown as CronJob;
  });

  it('runs the same pod template at install and every day', () => {
    expect(job.spec!.template).to.deep.equal(cron.spec!.jobTemplate.spec!.template);
    expect(cron.spec!.concurrencyPolicy).to.equal('Forbid');
  });

  it('runs a program the webhook image holds (dist/src from src/), as the webhook image', () => {
    const container = job.spec!.template.spec!.containers[0]!;
    expect(container.image).to.equal('pylambda-webhook:dev');
    const [node, script] = container.command!;
    expect(node).to.equal('node');
    expect(
      existsSync(join(REPO_ROOT, script!.replace(/^dist\//, '').replace(/\.js$/, '.ts'))),
    ).to.equal(true);
  });

  it('hardens its pod as the restricted Pod Security Standard asks, under its own account', () => {
    const pod = job.spec!.template.spec!;
    expect(pod.serviceAccountName).to.equal('pylambda-certs');
    expect(pod.securityContext).to.include({ runAsNonRoot: true });
    expect(pod.securityContext?.seccompProfile?.type).to.equal('RuntimeDefault');
    for (const c of pod.containers) {
      expect(c.securityContext).to.include({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
      });
      expect(c.securityContext?.capabilities?.drop).to.deep.equal(['ALL']);
      expect(c.resources?.limits).to.include.keys('memory');
    }
    expect(pod.volumes ?? []).to.deep.equal([]);
  });

  it('removes the finished install Job, so that the next release can create it again', () => {
    expect(job.spec!.ttlSecondsAfterFinished).to.be.within(60, 3600);
  });

  it('retries a run that may succeed later, and stops on one that cannot (exit 2 and 3)', () => {
    for (const spec of [job.spec!, cron.spec!.jobTemplate.spec!]) {
      expect(spec.podFailurePolicy?.rules).to.deep.equal([
        { action: 'FailJob', onExitCodes: { operator: 'In', values: [2, 3] } },
      ]);
      // podFailurePolicy needs restartPolicy Never; each retry is a pod with its own log.
      expect(spec.template.spec!.restartPolicy).to.equal('Never');
      expect(spec.backoffLimit).to.be.greaterThan(0);
    }
  });

  it('names every object its rights reach, except the create of a Secret in its namespace', () => {
    const role = find(objects, 'Role', 'pylambda-certs') as unknown as { rules: PolicyRule[] };
    const clusterRole = find(objects, 'ClusterRole', 'pylambda-certs') as unknown as {
      rules: PolicyRule[];
    };
    for (const rule of [...role.rules, ...clusterRole.rules]) {
      if (rule.verbs.join() === 'create') {
        expect(rule.resources).to.deep.equal(['secrets']);
        continue;
      }
      expect(rule.resourceNames ?? [], JSON.stringify(rule)).to.have.length.greaterThan(0);
      for (const verb of ['list', 'watch', 'delete', '*']) expect(rule.verbs).to.not.include(verb);
    }
    const names = (rules: PolicyRule[], resource: string) =>
      rules.filter((r) => r.resources?.includes(resource)).flatMap((r) => r.resourceNames ?? []);
    // The names main.ts uses by default, and the controllers config/controllers makes.
    expect(names(role.rules, 'secrets')).to.have.members([
      'pylambda-webhook-ca',
      'pylambda-webhook-tls',
      'pylambda-webhook-token',
    ]);
    expect(names(role.rules, 'services')).to.deep.equal(['pylambda-webhook']);
    expect(names(clusterRole.rules, 'compositecontrollers')).to.deep.equal([
      find(objects, 'CompositeController', 'pythonlambda-controller').metadata.name,
    ]);
    expect(names(clusterRole.rules, 'decoratorcontrollers')).to.deep.equal([
      find(objects, 'DecoratorController', 'pylambda-deployment-decorator').metadata.name,
    ]);
  });
});
