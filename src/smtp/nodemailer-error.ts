/** The fields nodemailer puts on its errors (see field-notes section 4); branch on these, not on `message`. */
export interface NodemailerError extends Error {
  code?: string;
  originalCode?: string;
  timeoutType?: string;
  responseCode?: number;
  response?: string;
  /** The command that failed ('MAIL FROM', 'AUTH PLAIN', 'CONN'...). */
  command?: string;
  rejectedErrors?: NodemailerError[];
}

/** SMTP lines are at most 512 bytes and an EHLO reply a few KB; anything near this is hostile. */
export const maxResponseBytes = 64 * 1024;
