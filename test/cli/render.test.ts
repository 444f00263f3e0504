// `pylambda render` on the samples prints exactly what the sync hooks answer for a lambda seen
// for the first time: the output is parsed back and compared with the hooks' own response.
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parse, parseAllDocuments } from 'yaml';
import { configFromEnv } from '../../src/config.js';
import { createHookContext, type HookContext } from '../../src/hooks/hook-context.js';
import type { DeploymentObject } from '../../src/hooks/decorator-types.js';
import { syncLambdaDeployment } from '../../src/hooks/lambda-deployment-sync.js';
import { syncPythonLambda } from '../../src/hooks/pythonlambda-sync.js';
import type { KubeObject } from '../../src/metacontroller/objects.js';
import { GREETER, runCli, show, TEXT_STATS, type CliResult } from './run-cli.js';

/** Built as src/app.ts builds it, with the service's default settings. */
function webhookContext(): HookContext {
  const config = configFromEnv({});
  return createHookContext({
    runtime: config.runtime,
    clusterDomain: config.clusterDomain,
    maxCodeBytes: config.maxCodeBytes,
    now: () => new Date('2030-01-01T00:00:00Z'),
  });
}

function sampleDocuments(path: string): KubeObject[] {
  return parseAllDocuments(readFileSync(path, 'utf8')).map((d) => d.toJS() as KubeObject);
}

function inNamespace(object: KubeObject, namespace: string): KubeObject {
  return { ...object, metadata: { ...object.metadata, namespace } };
}

function expectedTextStats(namespace: string): KubeObject[] {
  const [parent] = sampleDocuments(TEXT_STATS);
  const response = syncPythonLambda(
    {
      parent: inNamespace(parent!, namespace),
      children: { 'ConfigMap.v1': {}, 'Deployment.apps/v1': {}, 'Service.v1': {} },
      related: {},
      finalizing: false,
    },
    webhookContext(),
  );
  return response.children;
}

function expectedGreeter(namespace: string) {
  const deployment = sampleDocuments(GREETER).find((d) => d.kind === 'Deployment')!;
  return syncLambdaDeployment(
    {
      object: inNamespace(deployment, namespace) as DeploymentObject,
      attachments: { 'ConfigMap.v1': {}, 'Service.v1': {} },
      related: {},
      finalizing: false,
    },
    webhookContext(),
  );
}

function yamlObjects(result: CliResult): unknown[] {
  const documents = parseAllDocuments(result.stdout);
  for (const document of documents) expect(document.errors, show(result)).to.deep.equal([]);
  return documents.map((d) => d.toJS() as unknown);
}

describe('pylambda render', function () {
  this.timeout(60_000);
  const runs: Record<string, Promise<CliResult>> = {};

  // Each run is a separate process (tsx start-up dominates), so they all start at once.
  before(() => {
    runs.textStats = runCli(['render', '-f', TEXT_STATS]);
    runs.textStatsJson = runCli(['render', '-f', TEXT_STATS, '-o', 'json', '-n', 'team-a']);
    runs.greeter = runCli(['render', '-f', GREETER, '-n', 'team-b']);
    runs.greeterJson = runCli(['render', '--file', GREETER, '--output', 'json']);
    runs.help = runCli(['render', '--help']);
    runs.mainHelp = runCli(['--help']);
  });

  it('prints the ConfigMap, Deployment, Service and (2 replicas) PodDisruptionBudget the PythonLambda sync hook creates', async () => {
    const result = await runs.textStats!;
    expect(result.code, show(result)).to.equal(0);
    const objects = yamlObjects(result);
    expect(objects.map((o) => (o as KubeObject).kind)).to.deep.equal([
      'ConfigMap',
      'Deployment',
      'PodDisruptionBudget',
      'Service',
    ]);
    expect(objects).to.deep.equal(expectedTextStats('default'));
    expect(result.stdout).to.match(/^# children of PythonLambda default\/text-stats\n/);
  });

  it('prints a v1 List with -o json, in the namespace given by -n', async () => {
    const result = await runs.textStatsJson!;
    expect(result.code, show(result)).to.equal(0);
    const list = JSON.parse(result.stdout) as { kind: string; items: unknown[] };
    expect(list.kind).to.equal('List');
    expect(list.items).to.deep.equal(expectedTextStats('team-a'));
  });

  it('prints the decorator hook attachments and, as a comment, the annotations it writes', async () => {
    const result = await runs.greeter!;
    expect(result.code, show(result)).to.equal(0);
    const expected = expectedGreeter('team-b');
    expect(yamlObjects(result)).to.deep.equal(expected.attachments);
    // The sample's code ConfigMap is input, not output.
    expect(result.stdout).not.to.include('greeter-code');
    const comment = result.stdout
      .split('\n')
      .filter((line) => line.startsWith('#   '))
      .map((line) => line.slice(4))
      .join('\n');
    // The annotations once the attachments exist (the first sync writes no URL: no Service yet).
    expect(parse(comment)).to.deep.equal({
      'pylambda.dev/service': 'greeter-lambda',
      'pylambda.dev/url': 'http://greeter-lambda.team-b.svc.cluster.local:8080',
      'pylambda.dev/configmap': 'greeter-pylambda',
      'pylambda.dev/error': '(removed)',
    });
    expect(expected.annotations['pylambda.dev/url']).to.equal(null);
  });

  it('reports the decorator annotations on stderr with -o json', async () => {
    const result = await runs.greeterJson!;
    expect(result.code, show(result)).to.equal(0);
    const list = JSON.parse(result.stdout) as { items: unknown[] };
    expect(list.items).to.deep.equal(expectedGreeter('default').attachments);
    expect(result.stderr).to.include('#   pylambda.dev/service: greeter-lambda');
  });

  it('documents its options and the exit codes', async () => {
    const help = await runs.help!;
    expect(help.code, show(help)).to.equal(0);
    expect(help.stdout).to.include('-o, --output yaml|json');
    const main = await runs.mainHelp!;
    expect(main.code, show(main)).to.equal(0);
    for (const code of [
      '0  success',
      '1  usage or input error',
      '2  the runtime failed',
      '3  the function answered',
    ]) {
      expect(main.stdout).to.include(code);
    }
  });
});
