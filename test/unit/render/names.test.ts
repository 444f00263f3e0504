import { expect } from 'chai';
import fc from 'fast-check';
import { codeConfigMapName } from '../../../src/render/code-configmap.js';
import { deploymentName } from '../../../src/render/lambda-deployment.js';
import { lambdaServiceName } from '../../../src/render/lambda-service.js';
import { dns1035LabelName, dns1123SubdomainName, labelValue } from '../../../src/render/names.js';
import {
  isDns1035Label,
  isDns1123Subdomain,
  isLabelValue,
} from '../../fixtures/kube-validation.js';

const NAME_63 = `a${'b'.repeat(61)}c`;
/** A code hash (sha256 hex); the code ConfigMap's name carries its first ten characters. */
const CODE_HASH = '0123456789abcdef'.repeat(4);
const NAME_253 = ['x'.repeat(63), 'y'.repeat(63), 'z'.repeat(63), 'w'.repeat(61)].join('.');

/** Parent names the API server accepts for a custom resource (DNS-1123 subdomains), and worse. */
const PARENT_NAMES = [
  'hello',
  '9lives',
  '0',
  NAME_63,
  `${NAME_63}d`,
  NAME_253,
  'my.app.v2',
  'api.example.com',
  'Hello.World',
  'UPPER_case name!',
];

describe('names', () => {
  it('the fixtures are what they claim to be', () => {
    expect(NAME_63).to.have.length(63);
    expect(NAME_253).to.have.length(253);
    expect(isDns1123Subdomain(NAME_253)).to.equal(true);
  });

  describe('Service names (DNS-1035 labels, at most 63 characters)', () => {
    for (const parent of PARENT_NAMES) {
      it(`are valid for a parent named ${JSON.stringify(parent.length > 70 ? `${parent.slice(0, 20)}…(${parent.length})` : parent)}`, () => {
        const name = lambdaServiceName(parent);
        expect(isDns1035Label(name), name).to.equal(true);
        expect(name.length).to.be.at.most(63);
      });
    }

    it('keep a name that is already a DNS-1035 label', () => {
      expect(lambdaServiceName('hello')).to.equal('hello');
      expect(lambdaServiceName(NAME_63)).to.equal(NAME_63);
    });

    it('start with a letter for a parent that starts with a digit, and stay readable', () => {
      const name = lambdaServiceName('9lives');
      expect(name).to.match(/^l-9lives-[0-9a-f]{8}$/);
    });

    it('turn dots and uppercase into a readable label with a hash', () => {
      expect(lambdaServiceName('my.app.v2')).to.match(/^my-app-v2-[0-9a-f]{8}$/);
      expect(lambdaServiceName('Hello.World')).to.match(/^hello-world-[0-9a-f]{8}$/);
    });

    it('are stable across releases: the same name always gives the same Service', () => {
      // Pinned: a change here renames every existing lambda's Service.
      expect(lambdaServiceName('hello')).to.equal('hello');
      expect(lambdaServiceName('9lives')).to.equal('l-9lives-bc867356');
      expect(lambdaServiceName('my.app.v2')).to.equal('my-app-v2-9d3a1d19');
      expect(lambdaServiceName(NAME_253)).to.equal(`${'x'.repeat(54)}-48256ee3`);
    });

    it('are distinct for distinct long names that share a long prefix', () => {
      const a = `${NAME_63}-first`;
      const b = `${NAME_63}-second`;
      const c = NAME_253;
      const d = `${NAME_253.slice(0, 252)}v`;
      const names = [a, b, c, d].map((n) => lambdaServiceName(n));
      expect(new Set(names).size).to.equal(4);
    });

    it('are distinct for names that differ only in characters the label cannot hold', () => {
      expect(lambdaServiceName('my.app')).to.not.equal(lambdaServiceName('my-app'));
      expect(lambdaServiceName('a.b-c')).to.not.equal(lambdaServiceName('a-b.c'));
    });

    it('honour a suffix within 63 characters', () => {
      const name = dns1035LabelName(NAME_253, '-svc');
      expect(name).to.match(/-[0-9a-f]{8}-svc$/);
      expect(isDns1035Label(name)).to.equal(true);
    });
  });

  describe('ConfigMap and Deployment names (DNS-1123 subdomains)', () => {
    for (const parent of PARENT_NAMES) {
      it(`are valid for a parent named ${JSON.stringify(parent.length > 70 ? `${parent.slice(0, 20)}…(${parent.length})` : parent)}`, () => {
        for (const name of [codeConfigMapName(parent, CODE_HASH), deploymentName(parent)]) {
          expect(isDns1123Subdomain(name), name).to.equal(true);
        }
      });
    }

    it('are the parent name (plus -code-<code hash>) whenever that is valid', () => {
      expect(deploymentName('9lives')).to.equal('9lives');
      expect(codeConfigMapName('9lives', CODE_HASH)).to.equal('9lives-code-0123456789');
      expect(deploymentName(NAME_253)).to.equal(NAME_253);
      expect(codeConfigMapName('api.example.com', CODE_HASH)).to.equal(
        'api.example.com-code-0123456789',
      );
    });

    it('are shortened with a hash when the suffix would pass 253 characters', () => {
      const name = codeConfigMapName(NAME_253, CODE_HASH);
      expect(name).to.have.length.at.most(253);
      expect(name).to.match(/-[0-9a-f]{8}-code-0123456789$/);
      expect(name).to.not.equal(codeConfigMapName(`${NAME_253.slice(0, 252)}v`, CODE_HASH));
      expect(dns1123SubdomainName(NAME_253, '-code-0123456789')).to.equal(name);
    });

    it('the code ConfigMap name changes with the code hash, for short and shortened names', () => {
      const other = `fedcba9876${CODE_HASH.slice(10)}`;
      for (const parent of ['hello', NAME_253]) {
        expect(codeConfigMapName(parent, other)).to.not.equal(codeConfigMapName(parent, CODE_HASH));
        expect(isDns1123Subdomain(codeConfigMapName(parent, other))).to.equal(true);
      }
    });
  });

  describe('for any name the API server accepts for a PythonLambda', () => {
    // metadata.name of a custom resource is a DNS-1123 subdomain (apiextensions-apiserver).
    const dnsLabel = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
    const parentName = fc
      .array(dnsLabel, { minLength: 1, maxLength: 6 })
      .map((labels) => labels.join('.'))
      .filter((name) => name.length <= 253);

    it('every derived name is valid for its kind', () => {
      fc.assert(
        fc.property(parentName, (parent) => {
          expect(isDns1035Label(lambdaServiceName(parent)), parent).to.equal(true);
          expect(isDns1123Subdomain(deploymentName(parent)), parent).to.equal(true);
          expect(isDns1123Subdomain(codeConfigMapName(parent, CODE_HASH)), parent).to.equal(true);
          expect(isLabelValue(labelValue(parent)), parent).to.equal(true);
        }),
        { numRuns: 500 },
      );
    });

    it('distinct parents get distinct Service names and label values', () => {
      fc.assert(
        fc.property(parentName, parentName, (a, b) => {
          fc.pre(a !== b);
          expect(lambdaServiceName(a)).to.not.equal(lambdaServiceName(b));
          expect(labelValue(a)).to.not.equal(labelValue(b));
          expect(codeConfigMapName(a, CODE_HASH)).to.not.equal(codeConfigMapName(b, CODE_HASH));
        }),
        { numRuns: 500 },
      );
    });
  });

  describe('label values', () => {
    for (const parent of PARENT_NAMES) {
      it(`are valid for ${JSON.stringify(parent.length > 70 ? `${parent.slice(0, 20)}…(${parent.length})` : parent)}`, () => {
        expect(isLabelValue(labelValue(parent)), labelValue(parent)).to.equal(true);
      });
    }

    it('are the name itself when it fits, and distinct hashes otherwise', () => {
      expect(labelValue('9lives')).to.equal('9lives');
      expect(labelValue(NAME_63)).to.equal(NAME_63);
      expect(labelValue(`${NAME_63}d`)).to.match(/^ab{53}-[0-9a-f]{8}$/);
      expect(labelValue(`${NAME_63}d`)).to.not.equal(labelValue(`${NAME_63}e`));
      // Pinned: the selector label of an existing Deployment can never change.
      expect(labelValue(NAME_253)).to.equal(`${'x'.repeat(54)}-48256ee3`);
    });
  });
});
