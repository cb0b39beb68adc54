import { dnsDiagnosisIds, type DnsDiagnosisId } from '../dns/diagnoses.js';
import { domainDiagnosisIds, resendDiagnosisIds, type DomainDiagnosisId, type ResendDiagnosisId } from '../diagnose/resend-rules.js';
import { smtpDiagnosisIds, type SmtpDiagnosisId } from '../diagnose/smtp-rules.js';
import { probeDiagnosisIds } from '../probe/verdict.js';

/**
 * The registry of every diagnosis id a report can carry, from every producer. It is public (JSON
 * consumers and CI scripts branch on it): the README lists it and a test keeps the two equal.
 * Typed, so code that branches on an id (the fix offer) cannot name one that does not exist.
 */
export type DiagnosisId = SmtpDiagnosisId | ResendDiagnosisId | DomainDiagnosisId | DnsDiagnosisId | (typeof probeDiagnosisIds)[number];

/** Each id once: two producers may find the same thing (an API error and the domain list both say resend.domain.not-verified). */
export const diagnosisIds: readonly DiagnosisId[] = [
  ...new Set<DiagnosisId>([...smtpDiagnosisIds, ...resendDiagnosisIds, ...domainDiagnosisIds, ...dnsDiagnosisIds, ...probeDiagnosisIds]),
];
