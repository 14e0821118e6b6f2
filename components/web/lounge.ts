// The web client: The Lounge (web/), in public mode, locked to this network.
// Its config.js, and the names the component and the tests share. Pure: no
// Pulumi import.
import { issuedTlsFiles, serverName } from "../catbox/names";

/** The port The Lounge listens on in its pod (above 1024: no capability needed). */
export const loungePort = 9000;

/** Where browsers reach it on GKE, where it serves HTTPS itself. */
export const webHttpsPort = 443;

/** The image: built from its own folder (package.json, lockfile, Dockerfile) where the platform builds images. */
export const webImageSource = { name: "web", dir: "web" };

/** The web client's pod labels. */
export function webSelector(networkName: string): Record<string, string> {
    return { "app.kubernetes.io/name": "catbox-web", "app.kubernetes.io/instance": networkName };
}

/** Where the pod mounts its config (a ConfigMap) and its TLS pair (a kubernetes.io/tls Secret), and The Lounge's home (an emptyDir). */
export const loungePaths = {
    home: "/var/opt/thelounge",
    config: "/etc/thelounge",
    tls: "/etc/thelounge-tls",
} as const;
export const loungeConfigFile = "config.js";
/** The pair's files, as a kubernetes.io/tls Secret (cert-manager's among them) holds them. */
export const loungeTlsFiles = issuedTlsFiles;

/** What The Lounge is told. */
export interface LoungeSpec {
    /** The network's name, as the page shows it. */
    networkName: string;
    /** The name it dials: on the daemons' certificate, and resolved in its pod to the client Service. */
    ircHost: string;
    ircPort: number;
    /** Serve HTTPS itself, with the pair in this folder (tls.crt, tls.key); plain HTTP without. */
    tlsDir?: string;
    /** Take the client's address from X-Forwarded-For's first entry: only behind a proxy that sets it. */
    reverseProxy: boolean;
    /** catbox's longest nick: the guests' nicks fit in it. */
    maxNickLength: number;
}

/**
 * config.js for The Lounge 4.5 (its defaults/config.js names every key).
 * - public mode: no accounts, nothing stored; a tab closed is a user gone.
 * - locked to this network: a user picks a nick and channels, never a server.
 * - TLS to the daemons with the certificate checked, as any client's.
 * - useHexIp: the ident of each user is the browser's address in hex, so that
 *   opers tell web users apart (catbox has no WEBIRC: every web user's host is the
 *   web client's pod) and ban one with `~<hex>@*`.
 * - no link previews, uploads or identd: nothing fetched or served for users
 *   (it asks GitHub for its changelog once at start, and goes on without it).
 */
export function loungeConfig(s: LoungeSpec): string {
    const config = {
        public: true,
        host: undefined,
        port: loungePort,
        reverseProxy: s.reverseProxy,
        https: s.tlsDir
            ? { enable: true, key: `${s.tlsDir}/${loungeTlsFiles.key}`, certificate: `${s.tlsDir}/${loungeTlsFiles.certificate}`, ca: "" }
            : { enable: false, key: "", certificate: "", ca: "" },
        theme: "default",
        prefetch: false,
        disableMediaPreview: true,
        prefetchStorage: false,
        fileUpload: { enable: false },
        transports: ["polling", "websocket"],
        leaveMessage: "",
        defaults: {
            name: s.networkName,
            host: s.ircHost,
            port: s.ircPort,
            password: "",
            tls: true,
            rejectUnauthorized: true,
            nick: `web${"%".repeat(Math.max(1, Math.min(5, s.maxNickLength - 3)))}`,
            username: "web",
            realname: "The Lounge user",
            join: "",
            leaveMessage: "",
        },
        lockNetwork: true,
        messageStorage: [],
        useHexIp: true,
        webirc: null,
        identd: { enable: false, port: 113 },
        oidentd: null,
        ldap: { enable: false },
        debug: { ircFramework: false, raw: false },
    };
    return `"use strict";\n// Written by catbox-gke (components/web/lounge.ts) from stack config.\nmodule.exports = ${JSON.stringify(config, null, 4)};\n`;
}

/** What The Lounge is told, from the network's config: it dials the name clients dial (else daemon 0's, on the certificate too) on the client port. */
export function loungeSpecOf(c: {
    networkName: string;
    hostname?: string;
    serverNamePattern: string;
    serverNames?: string[];
    clientPort: number;
    webReverseProxy: boolean;
    maxNickLength: number;
}): Omit<LoungeSpec, "tlsDir"> {
    return {
        networkName: c.networkName,
        ircHost: c.hostname ?? serverName(c.serverNamePattern, 0, c.serverNames),
        ircPort: c.clientPort,
        reverseProxy: c.webReverseProxy,
        maxNickLength: c.maxNickLength,
    };
}
