// tlsMode letsEncrypt under Pulumi's mock engine: the record, cert-manager and
// what it may do, the issuer, the certificate, and how the pods serve it.
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { describe, it } from "node:test";
import { acmeServers, certManagerChart, namesInZone } from "../../components/tls/letsEncrypt";
import { dependencyClosure, one, podSpecOf, run, T } from "../support/helpers";

const le = { tlsMode: "letsEncrypt", hostname: "irc.example.org", dnsZone: "example-org", adminEmail: "ops@irc-operators.net" };

describe("tlsMode letsEncrypt", () => {
    it("writes hostname's A record, pointing at the static IP, into the zone; ircUrl uses the name", async () => {
        const { resources, outputs } = await run(le);
        const record = one(resources, T.dnsRecord).inputs;
        assert.deepEqual(
            [record.managedZone, record.name, record.type, record.rrdatas],
            ["example-org", "irc.example.org.", "A", [outputs.clientIp]],
        );
        assert.equal(outputs.ircUrl, "ircs://irc.example.org:7000");
        assert.equal(outputs.tlsCertificate, undefined, "the stand-in pair is not what clients will see");
    });

    it("cert-manager's Google account may change that zone's records and nothing else, through Workload Identity", async () => {
        const { resources } = await run(le);
        const dns01 = resources.find((r) => r.type === T.serviceAccount && r.name === "letsencrypt-dns01")!;
        const member = `serviceAccount:${dns01.inputs.accountId}@my-irc-project.iam.gserviceaccount.com`;
        const zoneIam = one(resources, T.zoneIam).inputs;
        assert.deepEqual([zoneIam.managedZone, zoneIam.role, zoneIam.member], ["example-org", "roles/dns.admin", member]);
        // No project-wide role for it.
        assert.ok(resources.filter((r) => r.type === T.projectIam).every((r) => r.inputs.member !== member));
        const wi = resources.find((r) => r.type === T.serviceAccountIam && r.inputs.role === "roles/iam.workloadIdentityUser")!.inputs;
        assert.equal(wi.member, "serviceAccount:my-irc-project.svc.id.goog[cert-manager/cert-manager]");
        assert.match(wi.serviceAccountId, new RegExp(`/serviceAccounts/${dns01.inputs.accountId}@`));
        // GKE makes the pool with the project's first Workload Identity cluster: the binding waits for this one.
        const binding = resources.find((r) => r.type === T.serviceAccountIam && r.inputs.role === "roles/iam.workloadIdentityUser")!;
        assert.ok(
            dependencyClosure(resources, binding).has(one(resources, T.cluster).urn),
            "the Workload Identity binding can run before the cluster",
        );
        const release = one(resources, T.helmRelease).inputs;
        // The chart's controller runs as the Kubernetes account the binding names, annotated with the Google one.
        assert.equal(release.values.serviceAccount.name, "cert-manager");
        assert.equal(release.namespace, "cert-manager");
        assert.equal(
            release.values.serviceAccount.annotations["iam.gke.io/gcp-service-account"],
            `${dns01.inputs.accountId}@my-irc-project.iam.gserviceaccount.com`,
        );
    });

    it("installs a pinned cert-manager chart with its CRDs and small resources", async () => {
        const release = one((await run(le)).resources, T.helmRelease).inputs;
        assert.equal(release.chart, "cert-manager");
        assert.match(release.version, /^v\d+\.\d+\.\d+$/);
        assert.equal(release.version, certManagerChart.version);
        assert.equal(release.repositoryOpts.repo, "https://charts.jetstack.io");
        assert.deepEqual(release.values.crds, { enabled: true, keep: true });
        for (const part of [release.values, release.values.webhook, release.values.cainjector]) {
            assert.ok(parseInt(part.resources.requests.memory) <= 64, JSON.stringify(part.resources));
            assert.ok(part.resources.limits.memory);
        }
    });

    it("a ClusterIssuer solves DNS-01 in the project's zone, on the chosen ACME server", async () => {
        const issuer = one((await run(le)).resources, T.clusterIssuer).inputs;
        assert.equal(issuer.spec.acme.server, acmeServers.production);
        assert.equal(issuer.spec.acme.email, "ops@irc-operators.net");
        assert.deepEqual(issuer.spec.acme.solvers, [{ dns01: { cloudDNS: { project: "my-irc-project", hostedZoneName: "example-org" } } }]);
        const staging = one((await run({ ...le, acmeServer: "staging", acmeEmail: "le@irc-operators.net" })).resources, T.clusterIssuer).inputs;
        assert.equal(staging.spec.acme.server, acmeServers.staging);
        assert.equal(staging.spec.acme.email, "le@irc-operators.net");
    });

    it("the Certificate covers hostname and the server names in the zone, into the Secret the pods mount", async () => {
        const { resources } = await run({ ...le, replicas: "2" });
        const cert = one(resources, T.certificate);
        assert.deepEqual(cert.inputs.spec.dnsNames, ["irc.example.org", "irc0.example.org", "irc1.example.org"]);
        assert.equal(cert.inputs.metadata.namespace, "irc");
        assert.equal(cert.inputs.spec.issuerRef.kind, "ClusterIssuer");
        assert.equal(cert.inputs.spec.issuerRef.name, one(resources, T.clusterIssuer).inputs.metadata.name);
        const tlsSecret = resources.find((r) => r.type === T.secret && r.inputs.type === "kubernetes.io/tls")!;
        assert.equal(cert.inputs.spec.secretName, tlsSecret.inputs.metadata.name);
        // Issued only once cert-manager runs.
        assert.ok(dependencyClosure(resources, cert).has(one(resources, T.helmRelease).urn));
    });

    it("server names outside the zone stay off the Certificate the stack asks for", async () => {
        const { resources } = await run({ ...le, serverNamePattern: "irc{n}.example.net" });
        assert.deepEqual(one(resources, T.certificate).inputs.spec.dnsNames, ["irc.example.org"]);
    });

    it("names outside the zone are left off the certificate (DNS-01 could never prove them)", () => {
        assert.deepEqual(namesInZone(["irc0.example.org", "irc0.example.net", "example.org", "xexample.org"], "example.org."), [
            "irc0.example.org",
            "example.org",
        ]);
    });

    it("the pods mount the certificate's Secret whole and read-only, catbox reads it there, and the reloader watches it", async () => {
        const { resources } = await run(le);
        const tlsSecret = resources.find((r) => r.type === T.secret && r.inputs.type === "kubernetes.io/tls")!;
        const spec = podSpecOf(resources);
        const volume = spec.volumes.find((v: any) => v.secret?.secretName === tlsSecret.inputs.metadata.name);
        assert.ok(volume, "the certificate's Secret is not a volume");
        const catbox = spec.containers.find((c: any) => c.name === "catbox");
        const reloader = spec.containers.find((c: any) => c.name === "reloader");
        const mount = catbox.volumeMounts.find((m: any) => m.name === volume.name);
        assert.deepEqual([mount.readOnly, mount.subPath], [true, undefined]);
        const watched = reloader.env.find((e: any) => e.name === "CONFIG_DIR").value.split(" ");
        assert.ok(watched.includes(mount.mountPath), `the reloader watches ${watched} but not ${mount.mountPath}`);
        assert.ok(reloader.volumeMounts.some((m: any) => m.name === volume.name && m.mountPath === mount.mountPath));
        const conf = one(resources, T.secret, "irc-config").inputs.stringData["catbox-0.conf"];
        assert.match(conf, new RegExp(`^certificate-file = ${mount.mountPath}/tls\\.crt$`, "m"));
        assert.match(conf, new RegExp(`^key-file = ${mount.mountPath}/tls\\.key$`, "m"));
        assert.equal(one(resources, T.secret, "irc-config").inputs.stringData["key.pem"], undefined);
    });

    it("the stand-in pair fills the Secret at first, then the stack never writes it again (cert-manager does)", async () => {
        const { resources } = await run(le);
        const tlsSecret = resources.find((r) => r.type === T.secret && r.inputs.type === "kubernetes.io/tls")!;
        assert.deepEqual(Object.keys(tlsSecret.inputs.stringData).sort(), ["tls.crt", "tls.key"]);
        assert.deepEqual(tlsSecret.secretInputs, ["stringData"]);
        assert.deepEqual([...tlsSecret.ignoreChanges].sort(), ["data", "stringData"]);
        const pod = one(resources, T.statefulSet);
        assert.ok(dependencyClosure(resources, pod).has(tlsSecret.urn), "pods could start before their certificate exists");
    });

    it("a hostname without a zone: no record, and an output saying which record to create", async () => {
        const { resources, outputs } = await run({ hostname: "irc.example.net" });
        assert.equal(resources.filter((r) => r.type === T.dnsRecord).length, 0);
        assert.equal(outputs.dnsRecordToCreate, `irc.example.net. 300 IN A ${outputs.clientIp}`);
        assert.equal(outputs.ircUrl, "ircs://irc.example.net:7000");
    });

    it("a hostname outside the zone is refused before anything is created, naming both keys", async () => {
        // Offline, every zone is example.org.
        for (const values of [
            { ...le, hostname: "irc.example.net" },
            { tlsMode: "selfSigned", hostname: "irc.other.org", dnsZone: "example-org" },
        ]) {
            await assert.rejects(run(values), (e: Error & { registered?: { type: string }[] }) => {
                assert.ok(pulumi.RunError.isInstance(e), String(e));
                assert.match(
                    e.message,
                    new RegExp(
                        `catbox-gke:hostname = "${values.hostname.replace(/\./g, "\\.")}": is not inside the Cloud DNS zone catbox-gke:dnsZone = "example-org" \\(example\\.org\\.\\)`,
                    ),
                );
                assert.deepEqual(
                    e.registered?.map((r) => r.type),
                    ["pulumi:pulumi:Stack"],
                );
                return true;
            });
        }
        // The zone's own name, and names below it, are fine.
        for (const hostname of ["example.org", "chat.irc.example.org"]) assert.ok((await run({ ...le, hostname })).resources.length > 10);
    });

    it("other tlsModes install no cert-manager", async () => {
        const { resources } = await run({ hostname: "irc.example.org", dnsZone: "example-org" });
        assert.equal(resources.filter((r) => r.type === T.helmRelease || r.type.startsWith("kubernetes:cert-manager.io")).length, 0);
        assert.equal(one(resources, T.dnsRecord).inputs.name, "irc.example.org.");
    });
});
