// The runtime a webhook renders, from PYLAMBDA_RUNTIME_* (src/config.ts): every pod template
// probes liveness on /livez, so the runtime must be one that serves it (README: Upgrades).
import { expect } from 'chai';
import { ConfigError, runtimeFromEnv } from '../../../src/config.js';
import { packageVersion } from '../../../src/package-version.js';

describe('the runtime a webhook renders (PYLAMBDA_RUNTIME_*)', () => {
  it('defaults to this release, its image, the init container and upgrades on a spec change', () => {
    expect(runtimeFromEnv({})).to.deep.equal({
      version: packageVersion(),
      image: `pylambda-runtime:${packageVersion()}`,
      delivery: 'init-container',
      upgrade: 'on-spec-change',
    });
  });

  it('takes any semantic version from 0.2.0 on, the first runtime that serves /livez', () => {
    expect(runtimeFromEnv({ PYLAMBDA_RUNTIME_VERSION: '0.2.0' }).version).to.equal('0.2.0');
    expect(runtimeFromEnv({ PYLAMBDA_RUNTIME_VERSION: '0.99.0' }).image).to.equal(
      'pylambda-runtime:0.99.0',
    );
  });

  it('refuses a runtime before 0.2.0: its /livez would reach the handler', () => {
    for (const version of ['0.1.0', '0.1.9', '0.2.0-rc.1', '0.0.1']) {
      expect(() => runtimeFromEnv({ PYLAMBDA_RUNTIME_VERSION: version }), version)
        .to.throw(ConfigError)
        .with.property('message')
        .that.includes('must be 0.2.0 or later');
    }
  });

  it('refuses what is not a semantic version', () => {
    expect(() => runtimeFromEnv({ PYLAMBDA_RUNTIME_VERSION: 'v1' })).to.throw(
      ConfigError,
      'must be a semantic version',
    );
  });
});
