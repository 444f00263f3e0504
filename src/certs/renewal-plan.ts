// Decides, from what the cluster holds now, what the certificate job must write. Pure: the facts
// come in, a plan comes out, and the job (ensure-certificates.ts) carries it out. Every run of the
// job (install, upgrade, the daily CronJob) plans again, so a plan only ever needs the next step.
import { issuedBy, keyMatches, type CertificateFacts } from './certificate-facts.js';
import { missingNames, type ServingNames } from './certificate-names.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export const LIFETIMES = {
  /** The CA is what Metacontroller trusts; replacing it is the rare, careful step. */
  caDays: 3650,
  /** A new CA once the current one has less than this left, long before it expires. */
  caRenewBeforeDays: 365,
  servingDays: 365,
  /** The daily CronJob re-issues the serving certificate this long before it expires. */
  servingRenewBeforeDays: 90,
} as const;

export interface PairOnCluster {
  certificate: CertificateFacts | undefined;
  keyPem: string | undefined;
}

export interface CurrentCertificates {
  ca: PairOnCluster;
  serving: PairOnCluster;
}

export interface RenewalPlan {
  /** Make a new CA (the current one is kept as the previous one while it is still valid). */
  newCA: boolean;
  /** Issue a new serving certificate from the (new or current) CA. */
  issueServing: boolean;
  /** Why, one line per decision, for the job's log. */
  reasons: string[];
}

/**
 * How far in the future a certificate's start may lie and still count as valid: node clocks
 * differ by minutes, and a run on a node that lags the one that issued it must not replace it.
 */
export const CLOCK_SKEW_MS = 60 * 60 * 1000;

/** Why a certificate is not usable now or will not be `days` from now; undefined if it is. */
function validityProblem(
  what: string,
  facts: CertificateFacts,
  now: Date,
  days: number,
): string | undefined {
  if (facts.notBefore.getTime() - now.getTime() > CLOCK_SKEW_MS) {
    return `${what} is not valid until ${facts.notBefore.toISOString()} (is this node's clock behind?)`;
  }
  if (facts.notAfter.getTime() - now.getTime() <= days * DAY_MS) {
    return `${what} expires within ${days} days (${facts.notAfter.toISOString()})`;
  }
  return undefined;
}

function caProblem(ca: PairOnCluster, now: Date): string | undefined {
  if (!ca.certificate) return 'there is no CA certificate that parses';
  if (!ca.certificate.isCA) return 'the CA certificate is not a CA';
  if (!keyMatches(ca.certificate, ca.keyPem)) return "the CA's key is missing or does not match it";
  return validityProblem('the CA', ca.certificate, now, LIFETIMES.caRenewBeforeDays);
}

function servingProblem(
  serving: PairOnCluster,
  ca: CertificateFacts,
  wanted: ServingNames,
  now: Date,
): string | undefined {
  const cert = serving.certificate;
  if (!cert) return 'there is no serving certificate that parses';
  if (!issuedBy(cert, ca)) return 'the serving certificate was not issued by the current CA';
  if (!keyMatches(cert, serving.keyPem))
    return "the serving certificate's key is missing or does not match it";
  const missing = missingNames(wanted, cert);
  if (missing.length > 0) return `the serving certificate does not name ${missing.join(', ')}`;
  return validityProblem('the serving certificate', cert, now, LIFETIMES.servingRenewBeforeDays);
}

export function planRenewal(
  current: CurrentCertificates,
  wanted: ServingNames,
  now: Date,
): RenewalPlan {
  const caIssue = caProblem(current.ca, now);
  if (caIssue) {
    return {
      newCA: true,
      issueServing: true,
      reasons: [`new CA: ${caIssue}`, 'new serving certificate: the CA is new'],
    };
  }
  // caProblem returned nothing, so the certificate is there.
  const ca = current.ca.certificate as CertificateFacts;
  const servingIssue = servingProblem(current.serving, ca, wanted, now);
  if (servingIssue)
    return {
      newCA: false,
      issueServing: true,
      reasons: [`new serving certificate: ${servingIssue}`],
    };
  return { newCA: false, issueServing: false, reasons: [] };
}

/**
 * The PEM bundle Metacontroller trusts: the current CA, then the one it replaced while that is
 * still valid, so that a webhook pod still serving a certificate of the old CA keeps working
 * until the kubelet hands it the new one.
 */
export function trustBundle(
  caPem: string,
  previous: { pem: string; facts: CertificateFacts } | undefined,
  now: Date,
): string {
  const parts = [caPem.trim()];
  if (previous && previous.facts.notAfter.getTime() > now.getTime())
    parts.push(previous.pem.trim());
  return `${parts.join('\n')}\n`;
}
