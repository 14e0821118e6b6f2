// Bans that hold, on the real daemon: two linked catbox pods, each with its
// reloader under busybox (configs/bans.sh), the stack's `bans` rendered as the
// stack renders them. Nobody acts by hand but the oper who sets a K-line of their
// own: the reloaders apply the list, copy hand-set K-lines to a daemon that
// restarts, and lift what the list drops or what expires.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { LocalNetwork } from "../../harness/realCatbox/localNetwork";
import { waitUntil } from "../../harness/waitUntil";
import { files, inPods, linkTimeoutMs, network, opers, pair, tlsTo } from "../support/realCatbox";

// Every 2 s instead of the pod's 30 s, same logic.
const reloaderEnv = { BAN_SECONDS: "2", POLL_SECONDS: "0.5" };
const banned = { mask: "~evil*@*", reason: "spam from the test" };
const bans = (list: object[]) => ({ bans: JSON.stringify(list) });

/** Wait until daemon n answers `nick` so; the ms it took. */
async function until(net: LocalNetwork, n: number, nick: string, wanted: "admitted" | "banned", timeoutMs: number): Promise<number> {
    const start = Date.now();
    let last = "";
    await waitUntil(
        `daemon ${n} to have ${nick} ${wanted}`,
        async () => (last = await net.admits(n, nick, tlsTo(n)).catch((e) => `no answer: ${e}`)) === wanted,
        { timeoutMs, everyMs: 250, detail: () => `last: ${last}\n--- reloader ${n}\n${net.reloaderLog(n)}\n--- catbox ${n}\n${net.log(n)}` },
    );
    return Date.now() - start;
}

describe("bans that hold, on two linked real daemons with their reloaders", () => {
    const ctx = network(40, 2, true, reloaderEnv, bans([banned]));

    it("the listed mask is refused on both daemons, and an unlisted user admitted", inPods(), async () => {
        for (const n of [0, 1]) await until(ctx.net, n, "evil0", "banned", 15_000);
        for (const n of [0, 1]) assert.equal(await ctx.net.admits(n, "friend", tlsTo(n)), "admitted");
    });

    it("a daemon that restarts refuses the banned user within seconds of its start, nobody acting", inPods(), async () => {
        await ctx.net.crash(1);
        const ms = await until(ctx.net, 1, "evil1", "banned", 10_000);
        console.log(`# the restarted daemon refused the banned user ${ms} ms after its new process was seen`);
    });

    it("a K-line an oper sets by hand holds on a daemon that restarts too", inPods(), async () => {
        const [name, password] = opers[0];
        const oper = await ctx.net.client(0, "operA", tlsTo(0));
        // An oper's KLINE reaches the daemons linked at the time: daemon 1 has just restarted.
        await ctx.net.waitForLinks(oper, 2, linkTimeoutMs);
        await oper.ask(`OPER ${name} ${password}`, / 381 /);
        await oper.ask("KLINE ~byhand*@* :set by hand", /added K-Line/);
        for (const n of [0, 1]) await until(ctx.net, n, "byhand1", "banned", 5_000);
        await ctx.net.crash(1);
        await until(ctx.net, 1, "byhand2", "banned", 10_000);
        // The list's ban and the one copied from daemon 0, on the new daemon (logged once catbox has taken both).
        await waitUntil("the reloader to log both K-lines applied", () => /bans: 2 K-line\(s\) applied/.test(ctx.net.reloaderLog(1)), {
            timeoutMs: 10_000,
            detail: () => ctx.net.reloaderLog(1),
        });
        oper.close();
    });

    it("removed from the list, the ban is lifted on both daemons; the hand-set one stays", inPods(), async () => {
        ctx.net.swap(await files(2, pair, bans([])));
        for (const n of [0, 1]) await until(ctx.net, n, "evil2", "admitted", 15_000);
        for (const n of [0, 1]) assert.equal(await ctx.net.admits(n, "byhand3", tlsTo(n)), "banned");
    });

    it("a ban past its expires is lifted without any change to the list", inPods(), async () => {
        const expires = new Date(Math.ceil(Date.now() / 1000) * 1000 + 8_000).toISOString().replace(".000Z", "Z");
        ctx.net.swap(await files(2, pair, bans([{ ...banned, expires }])));
        for (const n of [0, 1]) await until(ctx.net, n, "evil3", "banned", 8_000);
        for (const n of [0, 1]) await until(ctx.net, n, "evil4", "admitted", 15_000);
        assert.ok(Date.now() >= Date.parse(expires), "lifted before its time");
    });

    it("catbox logged no config error", inPods(), () => {
        assert.deepEqual(ctx.net.configErrors(), []);
    });
});
