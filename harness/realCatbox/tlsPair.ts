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

/** openssl's `-newkey` arguments for a kind of key (P-256 unless told); the kinds the config check takes come first. */
export const keyKinds: Record<string, string[]> = {
    "ECDSA P-256": ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
    "ECDSA P-384": ["ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
    "ECDSA P-521": ["ec", "-pkeyopt", "ec_paramgen_curve:P-521"],
    Ed25519: ["ed25519"],
    "RSA 2048": ["rsa:2048"],
    "RSA 4096": ["rsa:4096"],
    // Kinds Go's TLS cannot load or serve to today's clients.
    "ECDSA P-224": ["ec", "-pkeyopt", "ec_paramgen_curve:P-224"],
    secp256k1: ["ec", "-pkeyopt", "ec_paramgen_curve:secp256k1"],
    brainpoolP256r1: ["ec", "-pkeyopt", "ec_paramgen_curve:brainpoolP256r1"],
    Ed448: ["ed448"],
    "RSA 1024": ["rsa:1024"],
    "RSA-PSS 2048": ["rsa-pss", "-pkeyopt", "rsa_keygen_bits:2048"],
};

/** The kinds the config check takes: what Go's TLS server serves to today's clients. */
export const servedKinds = ["ECDSA P-256", "ECDSA P-384", "ECDSA P-521", "Ed25519", "RSA 2048", "RSA 4096"];

export function selfSignedPair(names: string[], days = 2, kind = "ECDSA P-256"): TlsPair {
    const dir = mkdtempSync(path.join(tmpdir(), "catbox-tls-"));
    try {
        const [cert, key] = [path.join(dir, "cert.pem"), path.join(dir, "key.pem")];
        const r = spawnSync(
            "openssl",
            [
                "req",
                "-x509",
                "-newkey",
                ...keyKinds[kind],
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
