// Waiting for something to happen, on a machine that may be busy: poll a
// condition until a deadline, and on failure say what was awaited and what was
// seen. Never a fixed sleep standing in for "it should be done by now".
import { setTimeout as sleep } from "node:timers/promises";

export interface WaitOptions {
    timeoutMs: number;
    /** Between looks; 100 ms unless told. */
    everyMs?: number;
    /** What to show when the deadline passes (a log, the last value seen). */
    detail?: () => string;
}

/**
 * Resolve with `check`'s first result that is neither undefined nor false; reject
 * after `timeoutMs` with "timed out after N ms waiting for <what>" and the detail.
 */
export async function waitUntil<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, opts: WaitOptions): Promise<T> {
    const deadline = Date.now() + opts.timeoutMs;
    for (;;) {
        const result = await check();
        if (result !== undefined && result !== false) return result;
        if (Date.now() >= deadline) {
            const detail = opts.detail?.();
            throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${what}${detail ? `:\n${detail}` : ""}`);
        }
        await sleep(Math.min(opts.everyMs ?? 100, Math.max(0, deadline - Date.now())));
    }
}

/**
 * Watch for `ms` and fail the moment `broken` says something happened that must
 * not: the only way to show that nothing happens is to look for a while.
 */
export async function holdsFor(what: string, ms: number, broken: () => string | undefined, everyMs = 50): Promise<void> {
    const end = Date.now() + ms;
    for (;;) {
        const problem = broken();
        if (problem !== undefined) throw new Error(`${what} did not hold: ${problem}`);
        if (Date.now() >= end) return;
        await sleep(Math.min(everyMs, end - Date.now()));
    }
}
