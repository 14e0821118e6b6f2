// A fresh self-signed TLS pair for the names given, made with the openssl CLI:
// what an operator would store with `pulumi config set --secret` (tlsMode provided).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

/** Run openssl in `dir`; its error, whole, if it fails. */
function openssl(args: string[], dir: string) {
    const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`openssl could not make a certificate (${args[0]}): ${r.stderr || r.error?.message}`);
}

/** A pair made by `make` in a folder of its own, as `<name>.crt` and `<name>.key`; the folder goes after. */
function madePair(name: string, make: (dir: string) => void): TlsPair {
    const dir = mkdtempSync(path.join(tmpdir(), "catbox-tls-"));
    try {
        make(dir);
        return { certificatePem: readFileSync(path.join(dir, `${name}.crt`), "utf8"), keyPem: readFileSync(path.join(dir, `${name}.key`), "utf8") };
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

/** A name, or an IPv4 address (an IP: entry, which a client dialling the address checks). */
const subjectAltName = (names: string[]) => `subjectAltName=${names.map((n) => (/^\d+(\.\d+){3}$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(",")}`;

/** `extensions`: more of openssl's -addext values (a key usage, an extended key usage). */
export function selfSignedPair(names: string[], days = 2, kind = "ECDSA P-256", extensions: string[] = []): TlsPair {
    return madePair("cert", (dir) =>
        openssl(
            [
                "req",
                "-x509",
                "-newkey",
                ...keyKinds[kind],
                "-nodes",
                "-keyout",
                "cert.key",
                "-out",
                "cert.crt",
                "-days",
                String(days),
                "-subj",
                `/CN=${names[0]}`,
                "-addext",
                subjectAltName(names),
                ...extensions.flatMap((e) => ["-addext", e]),
            ],
            dir,
        ),
    );
}

/** A test certificate authority: what a public CA is to catbox once SSL_CERT_FILE points at it. */
export function testCa(name = "catbox-gke test CA", days = 2): TlsPair {
    return madePair("ca", (dir) =>
        openssl(
            [
                "req",
                "-x509",
                "-newkey",
                ...keyKinds["ECDSA P-256"],
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.crt",
                "-days",
                String(days),
                "-subj",
                `/CN=${name}`,
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ],
            dir,
        ),
    );
}

/** A pair for `names` signed by `ca`, as a CA would issue it (a server certificate for every name). */
export function caSignedPair(ca: TlsPair, names: string[], days = 2): TlsPair {
    return madePair("leaf", (dir) => {
        writeFileSync(path.join(dir, "ca.crt"), ca.certificatePem);
        writeFileSync(path.join(dir, "ca.key"), ca.keyPem);
        writeFileSync(path.join(dir, "ext.cnf"), `${subjectAltName(names)}\nextendedKeyUsage=serverAuth,clientAuth\n`);
        openssl(["req", "-newkey", ...keyKinds["ECDSA P-256"], "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", `/CN=${names[0]}`], dir);
        openssl(
            [
                "x509",
                "-req",
                "-in",
                "leaf.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "leaf.crt",
                "-days",
                String(days),
                "-extfile",
                "ext.cnf",
            ],
            dir,
        );
    });
}
