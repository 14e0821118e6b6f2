// Bans that hold: catbox keeps K-lines in memory only, so a daemon that restarts
// has none, and KLINE reaches only the daemons linked at the time. The stack's
// list goes into the config Secret as bans.conf, and each daemon's reloader
// (configs/bans.sh) makes it hold there: applied as the stack's oper when catbox
// starts and whenever the list changes, lifted when removed or expired. Pure.

/** A K-line of the stack's list. */
export interface Ban {
    /** user@host, as catbox's KLINE takes it. */
    mask: string;
    reason: string;
    /** UTC, YYYY-MM-DDTHH:MM:SSZ; none: until removed from the list. */
    expires?: string;
}

/** The file the reloader reads, in the config Secret. */
export const bansFile = "bans.conf";

/**
 * How often each reloader makes the list hold on its daemon at the latest (it
 * also does at once when catbox has started or the list has changed): the most
 * an expired ban outlives its `expires`.
 */
export const banCheckSeconds = 30;

/**
 * The reloaders' nicks, the prefix then the daemon's number: network-wide, so
 * the region's digit is in it; short enough for any maxNickLength the config
 * allows (at least 9).
 */
export const banNickPrefix = (regionNumber: number) => `kb${regionNumber}_`;

/**
 * bans.conf: the nick's prefix (the reloader adds its daemon's number), then one
 * line per ban, `ban = <expires in Unix seconds, 0 for never> <mask> <reason>`,
 * in the list's order. A time, not a date: busybox's date cannot parse one.
 */
export function renderBansConf(bans: readonly Ban[], regionNumber: number): string {
    const lines = [`nick = ${banNickPrefix(regionNumber)}`];
    for (const ban of bans) {
        const expires = ban.expires === undefined ? 0 : Date.parse(ban.expires) / 1000;
        lines.push(`ban = ${expires} ${ban.mask} ${ban.reason}`);
    }
    return lines.join("\n") + "\n";
}

/**
 * Who the reloaders connect as, to their own daemon (configs/bans.sh): from
 * 127.0.0.1, which catbox names localhost (the pod's /etc/hosts) or, where that
 * lookup fails, by its address. A ban that matched them would shut them out, and
 * nothing could lift it.
 */
export const reloaderIdentity = { user: "~bans", hosts: ["localhost", "127.0.0.1"] } as const;

/**
 * Whether catbox's K-line `mask` matches user@host as catbox matches it
 * (maskToRegex): `*` and `?` as globs, anywhere in the user name and in the
 * host (its patterns are not anchored), case by case.
 */
export function klineMatches(mask: string, user: string, host: string): boolean {
    const [userMask, hostMask] = mask.split("@");
    const glob = (m: string) =>
        new RegExp(
            m
                .replace(/[.+^${}()|[\]\\]/g, "\\$&")
                .replace(/\*/g, ".*")
                .replace(/\?/g, "."),
        );
    return glob(userMask).test(user) && glob(hostMask).test(host);
}
