import { expect } from 'chai';
import {
  codeBytes,
  codeTooLargeMessage,
  DEFAULT_MAX_CODE_BYTES,
  SERVER_SIDE_APPLY_MAX_CODE_BYTES,
} from '../../../src/lambda/code-size.js';
import { configFromEnv } from '../../../src/config.js';

describe('code size', () => {
  it('counts UTF-8 bytes of code, files and requirements', () => {
    expect(codeBytes({ code: 'é', files: {} })).to.equal(2);
    expect(
      codeBytes({ code: 'ab', files: { 'a.py': '€', 'b.py': 'x' }, requirements: 'six\n' }),
    ).to.equal(2 + 3 + 1 + 4);
  });

  it('has a default that fits dynamic-apply’s 256 KiB annotation budget, and an SSA ceiling under 1 MiB', () => {
    expect(DEFAULT_MAX_CODE_BYTES).to.be.at.most(200 * 1024);
    expect(SERVER_SIDE_APPLY_MAX_CODE_BYTES)
      .to.be.above(DEFAULT_MAX_CODE_BYTES)
      .and.below(1024 * 1024);
    expect(configFromEnv({}).maxCodeBytes).to.equal(DEFAULT_MAX_CODE_BYTES);
    expect(configFromEnv({ PYLAMBDA_MAX_CODE_BYTES: '983040' }).maxCodeBytes).to.equal(983040);
  });

  it('CodeTooLarge names the size, the limit, and how to raise it', () => {
    const message = codeTooLargeMessage(300_000, 196_608);
    expect(message).to.contain('300000 bytes');
    expect(message).to.contain('limit of 196608 bytes');
    expect(message).to.contain('PYLAMBDA_MAX_CODE_BYTES');
    expect(message).to.contain('--apply-strategy=server-side-apply');
    expect(message).to.contain(String(SERVER_SIDE_APPLY_MAX_CODE_BYTES));
    expect(message).to.match(/spec\.code/);
  });
});
