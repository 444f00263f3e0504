import { expect } from 'chai';
import { renderSettingsConfigMap } from '../../../src/render/settings-configmap.js';
import { runtimeVariables } from '../../../src/render/runtime-variables.js';
import { commonLabels } from '../../../src/render/labels.js';
import { lambdaDeployment, lambdaSpec, helloSpec } from '../../fixtures/lambda.js';

const SETTINGS = {
  name: 'greeter',
  namespace: 'shop',
  handler: 'app.main',
  port: 9000,
  timeoutSeconds: 12,
};

describe('the runtime variables', () => {
  it('are these, in this order', () => {
    expect(Object.entries(runtimeVariables(SETTINGS, '/srv/code'))).to.deep.equal([
      ['PYLAMBDA_HANDLER', 'app.main'],
      ['PYLAMBDA_PORT', '9000'],
      ['PYLAMBDA_TIMEOUT_SECONDS', '12'],
      ['PYLAMBDA_CODE_DIR', '/srv/code'],
      ['PYLAMBDA_FUNCTION_NAME', 'greeter'],
      ['PYLAMBDA_NAMESPACE', 'shop'],
      ['PYLAMBDA_DRAIN_SECONDS', '5'],
    ]);
  });

  it('open a PythonLambda container env, with the same names and values', () => {
    const spec = lambdaSpec(helloSpec({ handler: 'main.go', port: 9000, timeoutSeconds: 12 }));
    const env = lambdaDeployment(spec).spec!.template.spec!.containers[0]!.env!;
    const ours = Object.entries(runtimeVariables(spec, '/opt/pylambda/code'));
    expect(env.slice(0, ours.length).map((e) => [e.name, e.value])).to.deep.equal(ours);
  });
});

describe('the settings ConfigMap of an annotated Deployment', () => {
  it('is exactly this: settings.json with every runtime variable, and no runtime', () => {
    const lambda = { settings: SETTINGS, codeDir: '/srv/code', selector: { app: 'greeter' } };
    expect(renderSettingsConfigMap(lambda)).to.deep.equal({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'greeter-pylambda',
        namespace: 'shop',
        labels: { ...commonLabels('greeter'), 'app.kubernetes.io/component': 'settings' },
      },
      data: {
        'settings.json':
          '{\n' +
          '  "PYLAMBDA_HANDLER": "app.main",\n' +
          '  "PYLAMBDA_PORT": "9000",\n' +
          '  "PYLAMBDA_TIMEOUT_SECONDS": "12",\n' +
          '  "PYLAMBDA_CODE_DIR": "/srv/code",\n' +
          '  "PYLAMBDA_FUNCTION_NAME": "greeter",\n' +
          '  "PYLAMBDA_NAMESPACE": "shop",\n' +
          '  "PYLAMBDA_DRAIN_SECONDS": "5"\n' +
          '}\n',
      },
    });
  });
});
