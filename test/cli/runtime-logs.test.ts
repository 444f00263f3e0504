// What a person sees of the runtime's log lines during `invoke` (pure).
import { expect } from 'chai';
import { lineForUser, listeningPort } from '../../src/cli/runtime-logs.js';

describe('runtime log lines for the terminal', () => {
  const error = JSON.stringify({
    level: 'error',
    msg: 'handler raised an exception',
    type: 'ValueError',
    error: 'bad',
    traceback: 'Traceback (most recent call last):\n  File "main.py", line 2\nValueError: bad\n',
  });

  it('hides routine lines, shows prints as they are and errors with their traceback', () => {
    expect(lineForUser('{"level": "info", "msg": "call"}', 'problems')).to.equal(undefined);
    expect(lineForUser('printed by the handler', 'problems')).to.equal('printed by the handler');
    expect(lineForUser(error, 'problems')).to.equal(
      'runtime error: handler raised an exception (ValueError: bad)\n' +
        '  Traceback (most recent call last):\n    File "main.py", line 2\n  ValueError: bad',
    );
    expect(lineForUser('{"level": "info", "msg": "call"}', 'all')).to.equal(
      '{"level": "info", "msg": "call"}',
    );
  });

  it('reads the port from the listening line', () => {
    expect(listeningPort('{"level": "info", "msg": "listening", "port": 40123}')).to.equal(40123);
    expect(listeningPort('{"level": "info", "msg": "starting"}')).to.equal(undefined);
    expect(listeningPort('listening')).to.equal(undefined);
  });
});
