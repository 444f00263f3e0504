import { expect } from 'chai';
import type { PodSpec } from 'kubernetes-types/core/v1.js';
import { DECORATOR_ENV, deploymentEnvProblems } from '../../../src/lambda/deployment-env.js';
import { RESERVED_ENV } from '../../../src/lambda/env-problems.js';

const pod = (...env: NonNullable<PodSpec['containers'][number]['env']>): PodSpec => ({
  containers: [
    { name: 'sidecar', image: 'envoy' },
    { name: 'lambda', image: 'python:3.13-slim', env },
  ],
});
const problems = (spec: PodSpec) =>
  deploymentEnvProblems(spec).map((p) => `${p.path}: ${p.message}`);

describe("an annotated Deployment's PYLAMBDA_* variables", () => {
  it('refuses one that overrides an annotation, naming where it is and the annotation instead', () => {
    expect(
      problems(
        pod({ name: 'PYTHONPATH', value: '/opt/x' }, { name: 'PYLAMBDA_PORT', value: '9000' }),
      ),
    ).to.deep.equal([
      'spec.template.spec.containers[1].env[1]: PYLAMBDA_PORT overrides pylambda.dev/port, which the Service targets: set pylambda.dev/port instead',
    ]);
    for (const [name, annotation] of [
      ['PYLAMBDA_HANDLER', 'pylambda.dev/handler'],
      ['PYLAMBDA_CODE_DIR', 'pylambda.dev/code-dir'],
      ['PYLAMBDA_TIMEOUT_SECONDS', 'pylambda.dev/timeout-seconds'],
    ]) {
      const [problem] = problems(pod({ name: name!, value: 'x' }));
      expect(problem).to.equal(
        `spec.template.spec.containers[1].env[0]: ${name} overrides ${annotation}: set ${annotation} instead`,
      );
    }
  });

  it('refuses PYLAMBDA_SETTINGS_FILE, and one given by valueFrom', () => {
    expect(problems(pod({ name: 'PYLAMBDA_SETTINGS_FILE', value: '/etc/s.json' }))[0]).to.match(
      /PYLAMBDA_SETTINGS_FILE makes the runtime read another file .*mount the settings ConfigMap at \/opt\/pylambda\/settings$/,
    );
    const fromField = { fieldRef: { fieldPath: 'metadata.name' } };
    expect(problems(pod({ name: 'PYLAMBDA_PORT', valueFrom: fromField }))).to.have.length(1);
  });

  it('refuses PYLAMBDA_STOP_WHEN_STDIN_CLOSES, which would stop the runtime as it starts', () => {
    expect(problems(pod({ name: 'PYLAMBDA_STOP_WHEN_STDIN_CLOSES', value: 'true' }))).to.deep.equal(
      [
        "spec.template.spec.containers[1].env[0]: PYLAMBDA_STOP_WHEN_STDIN_CLOSES makes the runtime stop as soon as it starts, since a pod's stdin is empty: remove it",
      ],
    );
  });

  it('lets a blank value be (the runtime ignores it), and a wildcard PYLAMBDA_HOST', () => {
    expect(
      problems(
        pod(
          { name: 'PYLAMBDA_PORT', value: ' ' },
          { name: 'PYLAMBDA_HANDLER' },
          { name: 'PYLAMBDA_HOST', value: '::' },
          { name: 'PYLAMBDA_DEPS_DIR', value: '/srv/deps' },
          { name: 'PYLAMBDA_MAX_CONNECTIONS', value: '64' },
        ),
      ),
    ).to.deep.equal([]);
  });

  it('refuses a PYLAMBDA_HOST the Service cannot reach', () => {
    expect(problems(pod({ name: 'PYLAMBDA_HOST', value: '127.0.0.1' }))).to.deep.equal([
      'spec.template.spec.containers[1].env[0]: PYLAMBDA_HOST may only be 0.0.0.0 or :: (every address, IPv4 or IPv6), given as value: the Service reaches the pod at its own IP',
    ]);
  });

  it('covers every name a PythonLambda may not set but the one it installs packages to', () => {
    const names = Object.keys(RESERVED_ENV).filter((name) => name !== 'PYLAMBDA_DEPS_DIR');
    expect(Object.keys(DECORATOR_ENV)).to.include.members(names);
  });

  it('takes odd shapes without throwing (the request schema leaves values untyped)', () => {
    const odd = { containers: [{ name: 'a', env: [{ name: 'PYLAMBDA_PORT', value: 9000 }] }] };
    expect(deploymentEnvProblems(odd as unknown as PodSpec)).to.have.length(1);
    expect(
      deploymentEnvProblems({ containers: [{ name: 'a', env: null }] } as unknown as PodSpec),
    ).to.deep.equal([]);
    expect(deploymentEnvProblems(undefined)).to.deep.equal([]);
  });
});
