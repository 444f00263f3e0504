// Command lines and manifests -> options and documents, or a usage error (exit 1) saying why.
import { expect } from 'chai';
import { CliError } from '../../src/cli/exit-codes.js';
import { requestHeaders } from '../../src/cli/invoke-command.js';
import { parseManifests } from '../../src/cli/manifests.js';
import { parseHeader, parseInvokeArgs, parseRenderArgs } from '../../src/cli/options.js';

function usageError(run: () => unknown, pattern: RegExp): void {
  expect(run).to.throw(CliError, pattern);
}

describe('cli options', () => {
  it('render: -f is required, -o is yaml or json, -n a DNS label', () => {
    expect(parseRenderArgs(['-f', 'x.yaml'])).to.deep.include({ file: 'x.yaml', output: 'yaml' });
    expect(parseRenderArgs(['-h'])).to.deep.equal({ help: true });
    usageError(() => parseRenderArgs([]), /-f FILE is required/);
    usageError(() => parseRenderArgs(['-f', 'x', '-o', 'toml']), /expected yaml or json/);
    usageError(() => parseRenderArgs(['-f', 'x', '-n', 'Bad_NS']), /DNS label/);
    usageError(() => parseRenderArgs(['-f', 'x', 'extra']), /Unexpected argument/);
  });

  it('invoke: defaults, repeated headers, and options that only make sense together', () => {
    const options = parseInvokeArgs(['-f', 'x', '-H', 'A: 1', '-H', 'b:two words'], {});
    expect(options).to.deep.include({
      method: 'POST',
      path: '/',
      serve: false,
      python: 'python3',
      event: { kind: 'none' },
      headers: [
        ['A', '1'],
        ['b', 'two words'],
      ],
    });
    expect(parseInvokeArgs(['-f', 'x', '--serve'], { PYTHON: 'python3.12' })).to.deep.include({
      port: 8080,
      python: 'python3.12',
    });
    usageError(
      () => parseInvokeArgs(['-f', 'x', '--serve', '-e', '{}']),
      /do not apply with --serve/,
    );
    usageError(() => parseInvokeArgs(['-f', 'x', '--port', '1']), /--port applies with --serve/);
    usageError(() => parseInvokeArgs(['-f', 'x', '-e', '1', '--event-file', 'y']), /not both/);
    usageError(() => parseInvokeArgs(['-f', 'x', '--path', 'items']), /starting with \//);
    usageError(() => parseInvokeArgs(['-f', 'x', '--serve', '--port', '70000']), /0 to 65535/);
    usageError(() => parseHeader('no colon'), /expected 'Name: value'/);
  });

  it('sends an event as JSON unless a content type is given', () => {
    const body = Buffer.from('{}');
    expect(requestHeaders([], body)).to.deep.equal([['Content-Type', 'application/json']]);
    expect(requestHeaders([['content-type', 'text/plain']], body)).to.deep.equal([
      ['content-type', 'text/plain'],
    ]);
    expect(requestHeaders([], undefined)).to.deep.equal([]);
  });
});

describe('cli manifests', () => {
  it('keeps mapping documents with the line they start on', () => {
    const file = parseManifests(
      '# c\n---\n---\nkind: A\n---\njust a string\n---\n\nkind: B\n',
      'f.yaml',
    );
    expect(file.manifests).to.deep.equal([
      { object: { kind: 'A' }, line: 4 },
      { object: { kind: 'B' }, line: 9 },
    ]);
  });

  it('names the line and column of invalid YAML', () => {
    usageError(() => parseManifests('a: 1\nb: [\n', 'f.yaml'), /^f\.yaml:\d+:\d+: invalid YAML: /);
  });
});
