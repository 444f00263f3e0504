// What one run of the certificate job works with: its settings, the API, the issuer and the
// clock (injected, so that tests run it against an in-memory API at any date), and the errors
// that tell main.ts whether to try again.
import type { ServingNames } from './certificate-names.js';
import type { IssuedPair } from './issue-certificates.js';
import type { KubeApi } from './kube-api.js';

export type CertificateSource = 'issue' | 'external';

export interface ControllerRef {
  resource: 'compositecontrollers' | 'decoratorcontrollers';
  name: string;
}

export interface CertificateJobSettings {
  namespace: string;
  service: string;
  clusterDomain: string;
  /** The CA's certificate and key (only this job reads it). */
  caSecret: string;
  /** The webhook's serving certificate and key, and `ca.crt` (the trust bundle). */
  servingSecret: string;
  /** When set, a bearer token is made here if there is none (config/components/hook-token). */
  tokenSecret: string | undefined;
  controllers: ControllerRef[];
  /** `external`: another issuer (cert-manager) writes servingSecret; only its ca.crt is published. */
  source: CertificateSource;
}

export interface Issuer {
  issueCA(commonName: string, now: Date): Promise<IssuedPair>;
  issueServing(ca: IssuedPair, names: ServingNames, now: Date): Promise<IssuedPair>;
}

export interface JobContext {
  api: KubeApi;
  issuer: Issuer;
  now: () => Date;
  log: (message: string, fields?: Record<string, unknown>) => void;
}

/** Someone else wrote the same object meanwhile (another run of the job): run again. */
export class WriteConflict extends Error {}

/** What the job needs is not there (yet): the Service, a controller, cert-manager's Secret. */
export class NotReady extends Error {}

/** A Secret of the name the job writes exists and someone else made it: it is left alone. */
export class NotOurs extends Error {}
