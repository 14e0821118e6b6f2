// The web client proved in a real browser: Debian's Chromium drives The Lounge
// (web/'s packages on Node.js 22, with the config.js the stack renders, serving
// HTTPS as on GKE) against two real linked catbox daemons on loopback. The Lounge
// dials the network's name over TLS and checks the certificate, the name resolved
// by an /etc/hosts of its own as the pod's hostAliases do. A user joins from the
// page, a plain client on the other daemon gets the message and replies, and the
// reply shows in the page; an oper bans that one web user by the ident The Lounge
// gives it. The test writes a screenshot to out/test/web-client.png.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Page } from "playwright-core";
import { freePorts } from "../../harness/realCatbox/localNetwork";
import { selfSignedPair } from "../../harness/realCatbox/tlsPair";
import { skipUnlessRequired } from "../../harness/neverSkip";
import { type Browser, chromiumMissing, launchBrowser } from "../../harness/web/browser";
import { Lounge, loungeMissing, mountLauncher } from "../../harness/web/lounge";
import { noDaemon, nameOf, network, opers, pair, tlsTo } from "../support/realCatbox";

const skip = skipUnlessRequired(
    "the web client's browser test",
    noDaemon ?? loungeMissing() ?? chromiumMissing() ?? (mountLauncher() ? undefined : "no mount namespace here (unshare --mount)"),
);
const webName = "web.dev.example.org";
export const screenshotPath = path.join(__dirname, "..", "..", "out", "test", "web-client.png");

/** The hex of the address The Lounge sees the browser at: its ident for that user (useHexIp). */
const hexIdent = (ipv4: string) =>
    ipv4
        .split(".")
        .map((o) => Number(o).toString(16).padStart(2, "0"))
        .join("");

describe("the web client in a real browser, on two linked real daemons", () => {
    const ctx = network(42, 2);
    let lounge: Lounge;
    let browser: Browser;
    let page: Page;

    before(
        async () => {
            if (skip) return;
            const [port] = await freePorts(1);
            lounge = new Lounge({
                spec: { networkName: "dev", ircHost: nameOf(0), ircPort: 6697, reverseProxy: false, maxNickLength: 9 },
                address: "127.0.0.1",
                port,
                tls: selfSignedPair([webName]),
                // The pod's hostAliases: the network's name at the client Service (here, daemon 0).
                hosts: `${ctx.net.address(0)} ${nameOf(0)}`,
                // The self-signed pair the daemons serve, trusted as the pod trusts it.
                caPem: pair.certificatePem,
            });
            await lounge.start();
            browser = await launchBrowser({ name: webName, address: "127.0.0.1", certificatePem: lounge.o.tls!.certificatePem });
            page = await browser.context.newPage();
        },
        { timeout: 60_000 },
    );
    after(async () => {
        await browser?.close();
        await lounge?.stop();
    });

    it("the page loads over HTTPS on the web client's name, locked to the network", { timeout: 30_000, skip }, async () => {
        const response = await page.goto(`https://${webName}:${lounge.o.port}/`);
        assert.equal(response?.status(), 200);
        assert.equal(await page.title(), "The Lounge");
        await page.waitForSelector('input[name="nick"]');
        // Locked: the user chooses a nick and channels, never a server.
        assert.equal(await page.locator('input[name="host"]').count(), 0);
    });

    it(
        "a user joins a channel from the page; a plain client on the other daemon gets the message, and the reply shows in the page",
        { timeout: 60_000, skip },
        async () => {
            const friend = await ctx.net.client(1, "friend", tlsTo(1));
            friend.send("JOIN #lobby");
            await friend.waitFor(/ 366 /, 5000, "the end of NAMES for #lobby");
            await page.fill('input[name="nick"]', "webuser");
            await page.fill('input[name="join"]', "#lobby");
            await page.click('button[type="submit"]');
            // The web user, with the browser's address as its ident (catbox puts ~ before any).
            const join = await friend.waitFor(/^:webuser!\S+ JOIN #lobby/, 20_000, "the web user's JOIN");
            assert.match(join, new RegExp(`^:webuser!~${hexIdent("127.0.0.1")}@`));

            await page.locator("#input").fill("hello from the browser");
            await page.locator("#input").press("Enter");
            await friend.waitFor(/^:webuser!\S+ PRIVMSG #lobby :hello from the browser$/, 10_000, "the web user's message");

            friend.send("PRIVMSG #lobby :hello back, from irc1");
            await page.locator("#chat .messages .msg .content", { hasText: "hello back, from irc1" }).waitFor({ timeout: 10_000 });
            mkdirSync(path.dirname(screenshotPath), { recursive: true });
            await page.screenshot({ path: screenshotPath });
            console.log(`# screenshot: ${path.relative(process.cwd(), screenshotPath)}`);
            friend.close();
        },
    );

    it("an oper bans that one web user by its ident (~<hex>@*): the page is cut off, others are not", { timeout: 60_000, skip }, async () => {
        const [name, password] = opers[0];
        const oper = await ctx.net.client(1, "operB", tlsTo(1));
        oper.send("JOIN #lobby");
        await oper.waitFor(/ 366 /, 5000, "the end of NAMES for #lobby");
        await oper.ask(`OPER ${name} ${password}`, / 381 /);
        await oper.ask(`KLINE ~${hexIdent("127.0.0.1")}@* :one web user`, /added K-Line/);
        await oper.waitFor(/^:webuser!\S+ QUIT /, 10_000, "the web user's QUIT");
        await page
            .locator("#chat .messages .msg", { hasText: /banned|one web user/ })
            .first()
            .waitFor({ timeout: 10_000 });
        assert.ok(await oper.alive(), "the oper, not a web user, was cut off");
        oper.close();
    });

    it("the daemons' certificate is checked: a web client that does not trust it never reaches the network", { timeout: 60_000, skip }, async () => {
        const [port] = await freePorts(1);
        const untrusting = new Lounge({ ...lounge.o, port, caPem: undefined });
        try {
            await untrusting.start();
            const other = await browser.context.newPage();
            await other.goto(`https://${webName}:${port}/`);
            await other.fill('input[name="nick"]', "untrusted");
            await other.click('button[type="submit"]');
            await other
                .locator("#chat .messages .msg", { hasText: /certificate/i })
                .first()
                .waitFor({ timeout: 20_000 });
            const watcher = await ctx.net.client(0, "watcher", tlsTo(0));
            assert.equal((await watcher.ask("WHOIS untrusted", / 401 | 311 /)).includes(" 401 "), true, "the untrusting client registered");
            watcher.close();
            await other.close();
        } finally {
            await untrusting.stop();
        }
    });
});
