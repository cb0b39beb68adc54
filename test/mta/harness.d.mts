/** Types for harness.mjs (plain JavaScript so scripts/bench.mjs can import it too). */
export const installScript: string;
export const eximRoot: string;
export const domain: { postfix: string; exim: string };
export const login: { user: string; password: string };
export const wrongPassword: string;

/** Why these real MTAs (default: all of them) cannot run here, or undefined when they can. */
export function mtaUnavailable(kind?: 'postfix' | 'exim' | 'all'): string | undefined;
export function freePorts(count: number): Promise<number[]>;
export function waitForPort(port: number, ms?: number, what?: string): Promise<void>;

export interface CertFiles {
  certFile: string;
  keyFile: string;
}
export interface Pki {
  caFile: string;
  good: CertFiles;
  expired: CertFiles;
  wrongHost: CertFiles;
  untrusted: CertFiles;
}
export function makePki(dir: string): Promise<Pki>;

export type PostfixPort =
  | 'submission'
  | 'submissions'
  | 'wrongPassword'
  | 'senderAtMail'
  | 'relayDenied'
  | 'tinySize'
  | 'expired'
  | 'wrongHost'
  | 'untrusted'
  | 'slowAuth'
  | 'tlsBroken'
  | 'postscreen'
  | 'rateLimited';
export type EximPort = 'submission' | 'submissions' | 'oauthOnly' | 'tlsBroken' | 'tinySize' | 'expired';

export interface Lab<P extends string> {
  kind: 'postfix' | 'exim';
  dir: string;
  ports: Record<P, number>;
  /** The private CA every certificate but `untrusted` chains to (for --ca-file). */
  caFile: string;
  pki: Pki;
  /** The mail domain it accepts inbox@ for, and whose app@ is the allowed sender. */
  domain: string;
  /** The daemon's state and last log lines, for failure messages. */
  describe(): string;
  stop(): Promise<void>;
}

export function startPostfix(options?: { greetWait?: string; messageSizeLimit?: number; tinySizeLimit?: number }): Promise<Lab<PostfixPort>>;
export function startExim(options?: { messageSizeLimit?: string; tinySizeLimit?: number }): Promise<Lab<EximPort>>;
