// The ban list as the reloaders read it (bans.conf), and catbox's matching as
// the config check uses it; the real daemons' test (bans.test.ts) shows both hold.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { klineMatches, reloaderIdentity, renderBansConf } from "../../components/bans/banList";
import { renderNetworkFiles } from "../../components/catbox/files";
import { config, placeholderTls } from "../support/helpers";

describe("bans.conf", () => {
    it("holds the region's nick prefix, then each ban in the list's order, its expiry in Unix seconds (0: never)", () => {
        const text = renderBansConf(
            [
                { mask: "~evil*@*", reason: "spam, twice: see #ops" },
                { mask: "*@203.0.113.7", reason: "flood", expires: "2027-01-01T00:00:00Z" },
            ],
            3,
        );
        assert.equal(text, "nick = kb3_\nban = 0 ~evil*@* spam, twice: see #ops\nban = 1798761600 *@203.0.113.7 flood\n");
        assert.equal(Date.UTC(2027, 0, 1) / 1000, 1798761600);
    });

    it("is in the config Secret, empty of bans, when the stack sets none: removing every ban lifts them", () => {
        const files = renderNetworkFiles(config({}), { linkSecret: "network-secret-0123456789", ...placeholderTls });
        assert.equal(files["bans.conf"], "nick = kb0_\n");
    });
});

describe("catbox's K-line matching, as the config check judges a ban by it", () => {
    for (const [mask, user, host, matches] of [
        ["*@10.0.0.1", "~a", "10.0.0.1", true],
        // Not anchored: catbox's maskToRegex matches anywhere.
        ["*@10.0.0.1", "~a", "10.0.0.10", true],
        ["evil@*", "~evil", "x.example.org", true],
        ["*@127.0", "~bans", "127.0.0.1", true],
        ["*@local", "~bans", "localhost", true],
        // Case by case.
        ["*@Example.org", "~a", "example.org", false],
        ["~b?ns@*", "~bans", "localhost", true],
        ["*@10.0.0.?", "~a", "10.0.1.5", false],
        ["*@10.0.0.1", "~a", "10a0b0c1", false],
    ] as const) {
        it(`${mask} ${matches ? "matches" : "does not match"} ${user}@${host}`, () => {
            assert.equal(klineMatches(mask, user, host), matches);
        });
    }
});

describe("the reloaders' identity, which the config check keeps bans off", () => {
    it("is the user configs/reloader.sh's sessions register as (catbox puts ~ before it)", () => {
        const script = readFileSync(path.join(__dirname, "..", "..", "configs", "reloader.sh"), "utf8");
        const user = /^session_user="([^"]+)"$/m.exec(script)?.[1];
        assert.equal(`~${user}`, reloaderIdentity.user);
    });
});
