// Cloud Storage's JSON API and the metadata server's token, as far as
// services/backup.sh uses them (an object's upload, an object's read, an access
// token), on loopback: no cloud can be reached here. It keeps every version of
// an object, as the versioned bucket does, and refuses a request without the
// token it handed out.
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export class FakeStorage {
    /** Every version of each object, oldest first, by bucket/object. */
    readonly versions = new Map<string, Buffer[]>();
    private server?: http.Server;
    private readonly token = `token-${process.pid}`;

    async start(): Promise<{ storageUrl: string; metadataUrl: string }> {
        this.server = http.createServer((req, res) => this.handle(req, res));
        await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
        const base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
        return { storageUrl: base, metadataUrl: `${base}/computeMetadata/v1/instance/service-accounts/default/token` };
    }

    async stop(): Promise<void> {
        await new Promise((resolve) => this.server?.close(resolve));
    }

    private handle(req: http.IncomingMessage, res: http.ServerResponse) {
        const url = new URL(req.url ?? "/", "http://x");
        if (url.pathname.startsWith("/computeMetadata/")) {
            if (req.headers["metadata-flavor"] !== "Google") return end(res, 403, "no Metadata-Flavor");
            return end(res, 200, JSON.stringify({ access_token: this.token, expires_in: 3599, token_type: "Bearer" }));
        }
        if (req.headers.authorization !== `Bearer ${this.token}`) return end(res, 401, "no token");
        const upload = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname);
        if (req.method === "POST" && upload && url.searchParams.get("uploadType") === "media") {
            const chunks: Buffer[] = [];
            req.on("data", (c) => chunks.push(c));
            req.on("end", () => {
                const key = `${upload[1]}/${url.searchParams.get("name")}`;
                this.versions.set(key, [...(this.versions.get(key) ?? []), Buffer.concat(chunks)]);
                end(res, 200, JSON.stringify({ name: url.searchParams.get("name") }));
            });
            return;
        }
        const read = /^\/storage\/v1\/b\/([^/]+)\/o\/([^/]+)$/.exec(url.pathname);
        if (req.method === "GET" && read && url.searchParams.get("alt") === "media") {
            const versions = this.versions.get(`${read[1]}/${decodeURIComponent(read[2])}`);
            return versions ? end(res, 200, versions[versions.length - 1]) : end(res, 404, "no such object");
        }
        end(res, 400, "not part of the fake");
    }
}

function end(res: http.ServerResponse, status: number, body: string | Buffer) {
    res.writeHead(status);
    res.end(body);
}
