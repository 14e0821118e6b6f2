// A real browser for the web client's tests: Debian's Chromium, headless,
// driven by playwright-core (which downloads no browser of its own). It trusts
// the web client's certificate by its key only (the pod's is issued for its
// name; here a test pair stands in), and resolves the web client's name to it.
import { createHash, X509Certificate } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

export const chromiumPath = "/usr/bin/chromium";
export const howToInstallChromium = "apt-get install chromium (Debian's; .ci/run installs it)";

export function chromiumMissing(): string | undefined {
    return existsSync(chromiumPath) ? undefined : `no Chromium at ${chromiumPath}: ${howToInstallChromium}`;
}

/** The base64 SHA-256 of a certificate's public key, as Chromium's --ignore-certificate-errors-spki-list takes it. */
export function spkiHash(certificatePem: string): string {
    const spki = new X509Certificate(certificatePem).publicKey.export({ type: "spki", format: "der" });
    return createHash("sha256").update(spki).digest("base64");
}

export interface Browser {
    context: BrowserContext;
    close(): Promise<void>;
}

/** A headless Chromium with a profile of its own, `name` resolved to `address`, trusting `certificatePem`'s key. */
export async function launchBrowser(o: { name: string; address: string; certificatePem: string }): Promise<Browser> {
    const profile = mkdtempSync(path.join(tmpdir(), "chromium-"));
    const context = await chromium.launchPersistentContext(profile, {
        executablePath: chromiumPath,
        headless: true,
        viewport: { width: 1280, height: 720 },
        args: [
            // As root (in CI) Chromium's sandbox cannot start.
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            // This machine's network is closed: without these, Chromium's own calls out are refused, many at a time.
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            `--host-resolver-rules=MAP ${o.name} ${o.address}`,
            `--ignore-certificate-errors-spki-list=${spkiHash(o.certificatePem)}`,
        ],
    });
    return {
        context,
        close: async () => {
            await context.close();
            rmSync(profile, { recursive: true, force: true });
        },
    };
}
