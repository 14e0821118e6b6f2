// A fresh self-signed TLS pair for the names given, made with the openssl CLI:
// what an operator would store with `pulumi config set --secret` (tlsMode provided).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

export interface TlsPair {
    certificatePem: string;
    keyPem: string;
}

export function selfSignedPair(names: string[], days = 2): TlsPair {
    const dir = mkdtempSync(path.join(tmpdir(), "catbox-tls-"));
    try {
        const [cert, key] = [path.join(dir, "cert.pem"), path.join(dir, "key.pem")];
        const r = spawnSync(
            "openssl",
            [
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                key,
                "-out",
                cert,
                "-days",
                String(days),
                "-subj",
                `/CN=${names[0]}`,
                "-addext",
                `subjectAltName=${names.map((n) => `DNS:${n}`).join(",")}`,
            ],
            { encoding: "utf8" },
        );
        if (r.status !== 0) throw new Error(`openssl could not make a certificate: ${r.stderr || r.error?.message}`);
        return { certificatePem: readFileSync(cert, "utf8"), keyPem: readFileSync(key, "utf8") };
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}
