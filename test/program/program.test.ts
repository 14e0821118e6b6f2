// The whole program under Pulumi's mock engine: what it registers, and what it never does.
import { bansFile } from "../../components/bans/banList";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { files } from "../../components/catbox/names";
import { one, placeholderTls, Registered, run, T } from "../support/helpers";

const secretValues = {
    opers: '{"alice":"Oper-Password-1234"}',
    linkSecret: "Link-Secret-Value-5678-abcdef",
    tlsKey: placeholderTls.keyPem,
};
const provided = { tlsMode: "provided", tlsCertificate: placeholderTls.certificatePem, ...secretValues };
const providedSecretKeys = ["opers", "linkSecret", "tlsKey"];

describe("the program", () => {
    it("registers the Secret holding every rendered file, as a Pulumi secret", async () => {
        const { resources } = await run({ replicas: "3", nodeCount: "3" });
        const secret = one(resources, T.secret);
        assert.deepEqual(
            Object.keys(secret.inputs.stringData).sort(),
            [
                bansFile,
                "catbox-0.conf",
                "catbox-1.conf",
                "catbox-2.conf",
                files.certificate,
                files.key,
                files.opersConf,
                "servers-0.conf",
                "servers-1.conf",
                "servers-2.conf",
                files.usersConf,
            ].sort(),
        );
        assert.deepEqual(secret.secretInputs, ["stringData"]);
        assert.equal(secret.inputs.metadata.name, "catbox-config");
    });

    it("stops on bad config with one RunError naming every bad key, before any resource", async () => {
        await assert.rejects(run({ replicas: "99", motd: "a#b" }), (err: Error & { registered?: Registered[] }) => {
            assert.ok(pulumi.RunError.isInstance(err), "a RunError: the CLI prints its message without a stack trace");
            assert.match(err.message, /catbox-gke:motd = "a#b": /);
            assert.match(err.message, /catbox-gke:replicas = "99": must be a whole number from 1 to 20/);
            assert.deepEqual(
                (err.registered ?? []).map((r) => r.type),
                ["pulumi:pulumi:Stack"],
            );
            return true;
        });
    });

    it("keeps every password, key and kubeconfig secret: no resource input or output shows one in plain text", async () => {
        const { resources, outputs, secretOutputs } = await run(provided, providedSecretKeys);
        const needles = ["Oper-Password-1234", "Link-Secret-Value-5678-abcdef", "PRIVATE KEY"];
        for (const r of resources) {
            const plain = Object.fromEntries(Object.entries(r.inputs).filter(([k]) => !r.secretInputs.includes(k)));
            const text = JSON.stringify(plain);
            for (const needle of needles) assert.ok(!text.includes(needle), `${r.type} ${r.name} holds ${needle} outside a secret`);
        }
        const plainOutputs = JSON.stringify(Object.fromEntries(Object.entries(outputs).filter(([k]) => !secretOutputs.includes(k))));
        for (const needle of needles) assert.ok(!plainOutputs.includes(needle), `an output shows ${needle}`);
        assert.ok(secretOutputs.includes("kubeconfig"));
        // …and the passwords did reach the daemons, inside the Secret.
        const stringData = one(resources, T.secret).inputs.stringData;
        assert.match(stringData[files.opersConf], /^alice = Oper-Password-1234$/m);
    });

    describe("a value a user chose to set with --secret, though Pulumi.yaml does not ask it", () => {
        // Distinct texts, each the whole of one key's value, so that a leak names its key.
        const chosen = {
            // Offline, every zone is example.org.
            hostname: "hiddenirc.example.org",
            dnsZone: "hidden-zone",
            adminEmail: "ops@hidden-operators.net",
            alertEmail: "pager@hidden-operators.net",
            motd: "Hidden welcome text",
            serverInfo: "Hidden server info",
            serverNamePattern: "hiddensrv{n}.example.org",
            networkName: "hiddennet",
            namespace: "hidden-irc",
            machineType: "e2-standard-2",
            maintenanceStart: "04:30",
        };
        const le = { tlsMode: "letsEncrypt", acmeServer: "staging", uptimeAlert: "true", ...chosen };
        const texts = [
            "hiddenirc",
            "hidden-zone",
            "hidden-operators.net",
            "Hidden welcome",
            "Hidden server",
            "hiddensrv",
            "hiddennet",
            "hidden-irc",
            "e2-standard-2",
            "04:30",
        ];
        const leaks = (r: Awaited<ReturnType<typeof run>>) => {
            const found: string[] = [];
            for (const res of r.resources) {
                for (const [k, v] of Object.entries(res.inputs)) {
                    if (res.secretInputs.includes(k)) continue;
                    for (const t of texts) if (JSON.stringify(v).includes(t)) found.push(`${res.type} ${res.name}.${k} shows ${t}`);
                }
            }
            for (const [k, v] of Object.entries(r.outputs)) {
                if (r.secretOutputs.includes(k)) continue;
                for (const t of texts) if (JSON.stringify(v).includes(t)) found.push(`output ${k} shows ${t}`);
            }
            return found;
        };
        const kubeconfigRun = { platform: "kubeconfig", image: "catbox:v1", kubeContext: "hidden-context" };

        it("flows in plain text where it is not set as a secret (what the next test hides)", async () => {
            const shown = leaks(await run(le));
            // The MOTD and server info reach only the config Secret, a secret already.
            for (const t of texts.filter((x) => !x.startsWith("Hidden "))) {
                assert.ok(
                    shown.some((l) => l.endsWith(` ${t}`)),
                    `${t} reaches no input or output: this test would prove nothing for it`,
                );
            }
            const ctx = await run(kubeconfigRun);
            assert.ok(JSON.stringify(ctx.resources.map((r) => r.inputs)).includes("hidden-context"));
        });

        it("is a secret in every resource input and stack output it reaches", async () => {
            assert.deepEqual(leaks(await run(le, Object.keys(chosen))), []);
            const ctx = await run(kubeconfigRun, ["kubeContext"]);
            for (const r of ctx.resources) {
                const plain = Object.fromEntries(Object.entries(r.inputs).filter(([k]) => !r.secretInputs.includes(k)));
                assert.ok(!JSON.stringify(plain).includes("hidden-context"), `${r.type} ${r.name} shows the context's name`);
            }
        });

        it("is not shown by the zone's refusal either, nor is the zone's own name, which would tell it", async () => {
            const outside = { tlsMode: "letsEncrypt", acmeServer: "staging", hostname: "irc.hidden-elsewhere.net", dnsZone: "example-org" };
            await assert.rejects(run(outside, ["hostname"]), (err: Error) => {
                assert.match(
                    err.message,
                    /catbox-gke:hostname = \[secret\]: is not inside the Cloud DNS zone catbox-gke:dnsZone = "example-org", which/,
                );
                assert.ok(!/hidden-elsewhere|example\.org\./.test(err.message), err.message);
                return true;
            });
            // In plain text, both names help.
            await assert.rejects(
                run(outside),
                /"irc\.hidden-elsewhere\.net": is not inside the Cloud DNS zone catbox-gke:dnsZone = "example-org" \(example\.org\.\)/,
            );
        });

        it("is never shown in a config error", async () => {
            await assert.rejects(run({ motd: "Hidden # text", hostname: "-hidden.example.org" }, ["motd", "hostname"]), (err: Error) => {
                assert.match(err.message, /catbox-gke:motd = \[secret\]: /);
                assert.match(err.message, /catbox-gke:hostname = \[secret\]: /);
                assert.ok(!/Hidden|hidden/.test(err.message), err.message);
                return true;
            });
        });
    });

    it("generates the link secret and a self-signed pair when none is configured", async () => {
        const { resources } = await run();
        const password = one(resources, T.randomPassword);
        assert.equal(password.inputs.special, false, "alphanumeric: catbox reserves ',', '#' and '='");
        assert.ok(password.inputs.length >= 32);
        const cert = one(resources, T.selfSignedCert);
        assert.deepEqual(cert.secretInputs, ["privateKeyPem"]);
        assert.equal(cert.inputs.dnsNames.length, 20, "every name the network can grow to");
        assert.ok(cert.inputs.dnsNames.includes("irc0.example.org"));
        assert.ok(cert.inputs.earlyRenewalHours > 0, "renewed by pulumi up before it expires");
    });

    it("registers nothing random or self-signed when the operator provides both", async () => {
        const { resources } = await run(provided, providedSecretKeys);
        assert.equal(resources.filter((r) => r.type.startsWith("random:") || r.type.startsWith("tls:")).length, 0);
    });

    it("registers identical inputs when run twice with the same config", async () => {
        const a = await run(provided, providedSecretKeys);
        const b = await run(provided, providedSecretKeys);
        const view = (rs: Registered[]) =>
            rs
                .map((r) => ({ urn: r.urn, inputs: r.inputs, deps: [...r.dependencies].sort(), provider: r.provider }))
                .sort((x, y) => x.urn.localeCompare(y.urn));
        assert.deepEqual(view(a.resources), view(b.resources));
        assert.deepEqual(a.outputs, b.outputs);
    });
});
