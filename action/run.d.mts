/** Types for run.mjs, which the action runs as plain JavaScript (no build step at the action's ref). */
export const commands: string[];
export class InputError extends Error {}
export function splitArgs(text: string): string[];
export function packageSpec(env: Record<string, string | undefined>, actionPath: string): string;
export function mailcheckArgs(env: Record<string, string | undefined>): { command: string; args: string[] };
