import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { configDefaults, configKeys, entryOf, isConfigKey, secretConfigKeys } from "../../components/config/keys";
import { ConfigError, parseConfig, rawConfigOf, withheld } from "../../components/config/parse";
import { nodeRoom, nodesTotal, pack, podSize, reloaderSize, stackPods } from "../../components/catbox/sizing";
import { readStackFile } from "../../harness/offline/stack";
import { chosenSecretKeys, chosenSecretTexts, rawSecretTexts, showsChosenSecret, textShows } from "../../components/config/chosenSecrets";
import { keyKinds, selfSignedPair, servedKinds } from "../../harness/realCatbox/tlsPair";
import { config, otherKeyPem, placeholderTls, raw } from "../support/helpers";

const pem = placeholderTls;
const letsEncrypt = { tlsMode: "letsEncrypt", hostname: "irc.example.org", dnsZone: "example-org" };
/** A maintenance exclusion that passes, with some fields changed. */
const exclusions = (change: Record<string, string> = {}) =>
    JSON.stringify([{ name: "holidays", start: "2026-12-23T00:00:00Z", end: "2026-12-27T00:00:00Z", ...change }]);

/** Every bad config: [what, values, secret keys, the key the message must name]. */
const badConfigs: [string, Record<string, string>, string[], string][] = [
    ["unknown platform", { platform: "aws" }, [], "platform"],
    ["replicas not a number", { replicas: "two" }, [], "replicas"],
    ["replicas 0", { replicas: "0" }, [], "replicas"],
    ["replicas 21", { replicas: "21" }, [], "replicas"],
    ["replicas fractional", { replicas: "2.5" }, [], "replicas"],
    ["nodeCount 0", { nodeCount: "0" }, [], "nodeCount"],
    ["maxNickLength 100", { maxNickLength: "100" }, [], "maxNickLength"],
    ["maxNickLength 5, shorter than the stack's own nicks", { maxNickLength: "5" }, [], "maxNickLength"],
    ["bans not a list", { bans: '{"mask":"*@10.0.0.1","reason":"spam"}' }, [], "bans"],
    ["a ban without a reason", { bans: '[{"mask":"*@10.0.0.1"}]' }, [], "bans"],
    ["a ban's mask without @", { bans: '[{"mask":"10.0.0.1","reason":"spam"}]' }, [], "bans"],
    ["a ban's mask with a character KLINE refuses", { bans: '[{"mask":"*@10.0.0.1/24","reason":"spam"}]' }, [], "bans"],
    ["a ban's host in capitals (catbox would never match it)", { bans: '[{"mask":"*@Evil.Example.org","reason":"spam"}]' }, [], "bans"],
    ["a ban's reason with a line break", { bans: '[{"mask":"*@10.0.0.1","reason":"spam\\nQUIT"}]' }, [], "bans"],
    ["a ban's reason too long", { bans: JSON.stringify([{ mask: "*@10.0.0.1", reason: "r".repeat(201) }]) }, [], "bans"],
    ["a ban's expiry not a UTC time", { bans: '[{"mask":"*@10.0.0.1","reason":"spam","expires":"2027-01-01"}]' }, [], "bans"],
    ["a ban with another field", { bans: '[{"mask":"*@10.0.0.1","reason":"spam","until":"2027-01-01T00:00:00Z"}]' }, [], "bans"],
    ["a ban that shuts out the reloaders that apply the list", { bans: '[{"mask":"*@*","reason":"everyone"}]' }, [], "bans"],
    ["a ban on 127.0.0.1's prefix (catbox matches anywhere in the host)", { bans: '[{"mask":"*@127.0","reason":"x"}]' }, [], "bans"],
    ["a ban on localhost, the reloaders' host as catbox names it", { bans: '[{"mask":"*@local","reason":"x"}]' }, [], "bans"],
    ["webClient not a boolean", { webClient: "yes" }, [], "webClient"],
    ["webHostname without webClient", { ...letsEncrypt, webHostname: "web.example.org" }, [], "webHostname"],
    ["webHostname not a host name", { ...letsEncrypt, webClient: "true", webHostname: "Web.Example.org" }, [], "webHostname"],
    ["webClient on gke with a self-signed certificate, which browsers refuse", { webClient: "true", hostname: "irc.example.org" }, [], "webClient"],
    [
        "webClient on gke with no name to serve it at",
        { webClient: "true", tlsMode: "provided", tlsCertificate: pem.certificatePem, tlsKey: pem.keyPem },
        ["tlsKey"],
        "webHostname",
    ],
    ["webHostname the same as hostname", { ...letsEncrypt, webClient: "true", webHostname: "irc.example.org" }, [], "webHostname"],
    [
        "webClient with a provided certificate that does not hold webHostname",
        {
            webClient: "true",
            hostname: "irc0.dev.example.org",
            webHostname: "chat.other.org",
            tlsMode: "provided",
            tlsCertificate: pem.certificatePem,
            tlsKey: pem.keyPem,
        },
        ["tlsKey"],
        "tlsCertificate",
    ],
    ["webHostname Let's Encrypt refuses", { ...letsEncrypt, webClient: "true", webHostname: "web.irc.internal" }, [], "webHostname"],
    ["webClient on kubeconfig without webImage", { platform: "kubeconfig", image: "catbox:1", webClient: "true" }, [], "webImage"],
    ["webImage on gke", { webImage: "catbox-web:dev" }, [], "webImage"],
    ["webImage at latest", { platform: "kubeconfig", image: "catbox:1", webClient: "true", webImage: "catbox-web:latest" }, [], "webImage"],
    ["webReverseProxy on gke", { webReverseProxy: "true" }, [], "webReverseProxy"],
    // 130 fits 2 × e2-small with letsEncrypt, but not with the web client beside it.
    ["the web client with no room left on the nodes", { ...letsEncrypt, webClient: "true", clientsPerPod: "130" }, [], "clientsPerPod"],
    ["services not a boolean", { services: "on" }, [], "services"],
    ["servicesName without services", { servicesName: "services.example.org" }, [], "servicesName"],
    ["servicesName not a server name", { services: "true", servicesName: "services" }, [], "servicesName"],
    ["servicesName a daemon's", { services: "true", servicesName: "irc0.example.org", serverNamePattern: "irc{n}.example.org" }, [], "servicesName"],
    ["services on kubeconfig without servicesImage", { platform: "kubeconfig", image: "catbox:1", services: "true" }, [], "servicesImage"],
    ["servicesImage on gke", { servicesImage: "catbox-services:dev" }, [], "servicesImage"],
    ["servicesExpireDays negative", { services: "true", servicesExpireDays: "-1" }, [], "servicesExpireDays"],
    ["keepServicesBackup on kubeconfig", { platform: "kubeconfig", image: "catbox:1", keepServicesBackup: "false" }, [], "keepServicesBackup"],
    ["one mask banned twice", { bans: '[{"mask":"*@10.0.0.1","reason":"a"},{"mask":"*@10.0.0.1","reason":"b"}]' }, [], "bans"],
    [
        "more than 500 bans",
        { bans: JSON.stringify(Array.from({ length: 501 }, (_, i) => ({ mask: `*@10.0.${i >> 8}.${i & 255}`, reason: "r" }))) },
        [],
        "bans",
    ],
    ["spotNodes not a boolean", { spotNodes: "yes" }, [], "spotNodes"],
    ["f1-micro machine", { machineType: "f1-micro" }, [], "machineType"],
    ["g1-small machine", { machineType: "g1-small" }, [], "machineType"],
    ["{n} missing from serverNamePattern", { serverNamePattern: "irc.example.org" }, [], "serverNamePattern"],
    ["server name without a dot", { serverNamePattern: "irc{n}" }, [], "serverNamePattern"],
    ["server name too long", { serverNamePattern: `irc{n}.${"a".repeat(60)}.org` }, [], "serverNamePattern"],
    // 63 characters for daemon 9, 64 for daemon 19: every name the network can grow to must fit.
    ["a server name too long only past daemon 9", { serverNamePattern: `irc{n}.${"a".repeat(54)}.org` }, [], "serverNamePattern"],
    ["duplicate server names", { serverNames: '["irc.example.org","IRC.example.org"]' }, [], "serverNames"],
    ["serverNames count differs from replicas", { serverNames: '["a.example.org"]', replicas: "2" }, [], "serverNames"],
    ["namespace not a DNS label", { namespace: "IRC_Net" }, [], "namespace"],
    ["networkName too long", { networkName: "a".repeat(41) }, [], "networkName"],
    ["catboxVersion master", { catboxVersion: "master" }, [], "catboxVersion"],
    ["pingTime not a Go duration", { pingTime: "30 seconds" }, [], "pingTime"],
    ["deadTime shorter than pingTime", { pingTime: "5m", deadTime: "60s" }, [], "deadTime"],
    ["clientPort out of range", { clientPort: "70000" }, [], "clientPort"],
    ["clientPort equal to linkPort", { clientPort: "6667" }, [], "clientPort"],
    ["motd with '#'", { motd: "Welcome to #catbox" }, [], "motd"],
    ["motd over two lines", { motd: "line one\nline two" }, [], "motd"],
    ["serverInfo with '='", { serverInfo: "a=b" }, [], "serverInfo"],
    ["adminEmail not an email", { adminEmail: "admin at example.org" }, [], "adminEmail"],
    ["unknown tlsMode", { tlsMode: "letsencrypt" }, [], "tlsMode"],
    ["provided TLS without a key", { tlsMode: "provided", tlsCertificate: pem.certificatePem }, [], "tlsKey"],
    ["provided TLS without a certificate", { tlsMode: "provided", tlsKey: pem.keyPem }, ["tlsKey"], "tlsCertificate"],
    [
        "provided TLS with a key that does not match",
        { tlsMode: "provided", tlsCertificate: pem.certificatePem, tlsKey: otherKeyPem },
        ["tlsKey"],
        "tlsCertificate",
    ],
    ["tlsKey in plain text", { tlsMode: "provided", tlsCertificate: pem.certificatePem, tlsKey: pem.keyPem }, [], "tlsKey"],
    ["tlsCertificate with selfSigned", { tlsCertificate: pem.certificatePem }, [], "tlsCertificate"],
    ["oper password with ','", { opers: '{"alice":"pass,word"}' }, ["opers"], "opers"],
    ["oper password with '#'", { opers: '{"alice":"pass#word"}' }, ["opers"], "opers"],
    ["oper password with '='", { opers: '{"alice":"pass=word"}' }, ["opers"], "opers"],
    ["oper password with a newline", { opers: '{"alice":"pass\\nword"}' }, ["opers"], "opers"],
    ["oper password with an edge space", { opers: '{"alice":" password"}' }, ["opers"], "opers"],
    ["opers not JSON", { opers: "alice=password" }, ["opers"], "opers"],
    ["opers in plain text", { opers: '{"alice":"password"}' }, [], "opers"],
    ["the same oper twice, differing in case", { opers: '{"alice":"a1","Alice":"a2"}' }, ["opers"], "opers"],
    ["linkSecret in plain text", { linkSecret: "a-long-enough-link-secret" }, [], "linkSecret"],
    ["linkSecret too short", { linkSecret: "short" }, ["linkSecret"], "linkSecret"],
    ["linkSecret with ','", { linkSecret: "a-long-enough,link-secret" }, ["linkSecret"], "linkSecret"],
    ["users not a list", { users: '{"usermask":"*"}' }, [], "users"],
    ["user with a bad host mask", { users: '[{"usermask":"*","hostmask":"evil host"}]' }, [], "users"],
    ["user with a bad spoof", { users: '[{"usermask":"*","hostmask":"*","spoof":"not_a_host!"}]' }, [], "users"],
    ["user with an unknown field", { users: '[{"usermask":"*","hostmask":"*","flood":true}]' }, [], "users"],
    ["the same user id twice", { users: '[{"id":"a","usermask":"*","hostmask":"*"},{"id":"A","usermask":"x","hostmask":"*"}]' }, [], "users"],
    ["image with platform kubeconfig missing", { platform: "kubeconfig" }, [], "image"],
    ["image not a reference", { platform: "kubeconfig", image: "Not An Image" }, [], "image"],
    ["kubeconfig with platform gke", { kubeconfig: "kind-kind" }, ["kubeconfig"], "kubeconfig"],
    ["kubeContext with platform gke", { kubeContext: "kind-kind" }, [], "kubeContext"],
    [
        "kubeconfig contents in plain text",
        { platform: "kubeconfig", image: "catbox:v1", kubeconfig: "apiVersion: v1\nkind: Config\n" },
        [],
        "kubeconfig",
    ],
    ["a context name in kubeconfig in plain text", { platform: "kubeconfig", image: "catbox:v1", kubeconfig: "kind-irc" }, [], "kubeconfig"],
    [
        "kubeconfig and kubeContext together",
        { platform: "kubeconfig", image: "catbox:v1", kubeconfig: "apiVersion: v1\n", kubeContext: "kind-irc" },
        ["kubeconfig"],
        "kubeContext",
    ],
    ["NodePort with platform gke", { clientServiceType: "NodePort" }, [], "clientServiceType"],
    ["clusterLocation outside the region", { region: "us-west1", clusterLocation: "europe-west1-b" }, [], "clusterLocation"],
    ["a key that does not exist", { replica: "3" }, [], "replica"],
    // catbox's exact rules, found on the real daemon.
    ["a capital in serverNamePattern (catbox never links it)", { serverNamePattern: "IRC{n}.Example.org" }, [], "serverNamePattern"],
    ["a capital in serverNames", { serverNames: '["hub.example.org","Leaf.example.org"]' }, [], "serverNames"],
    ["a capital in an oper name (catbox never opers it)", { opers: '{"Alice":"pw-Alice1"}' }, ["opers"], "opers"],
    ["oper password with a space (/oper splits it)", { opers: '{"alice":"pass word"}' }, ["opers"], "opers"],
    ["oper password starting with ':'", { opers: '{"alice":":password"}' }, ["opers"], "opers"],
    ["an oper named relinker (the hubs' reloaders' own)", { opers: '{"relinker":"a-long-password-1"}' }, ["opers"], "opers"],
    ["oper password over 128 characters", { opers: JSON.stringify({ alice: "p".repeat(129) }) }, ["opers"], "opers"],
    ["pingTime under 1s (catbox reads 0.5ns as 0)", { pingTime: "500ms" }, [], "pingTime"],
    ["connectAttemptTime of a nanosecond", { connectAttemptTime: "1ns" }, [], "connectAttemptTime"],
    ["deadTime over 24h", { deadTime: "25h" }, [], "deadTime"],
    ["a duration just under 1s however it is written", { connectAttemptTime: "999999999.9ns" }, [], "connectAttemptTime"],
    ["a negative duration", { pingTime: "-15s" }, [], "pingTime"],
    ["a duration Go cannot hold", { deadTime: "2562048h" }, [], "deadTime"],
    ["motd over 400 characters", { motd: "m".repeat(401) }, [], "motd"],
    ["serverInfo over 80 characters", { serverInfo: "i".repeat(81) }, [], "serverInfo"],
    ["adminEmail over 254 characters", { adminEmail: `${"a".repeat(250)}@example.org` }, [], "adminEmail"],
    ["linkSecret over 256 characters", { linkSecret: "s".repeat(257) }, ["linkSecret"], "linkSecret"],
    ["spoof over 63 characters", { users: JSON.stringify([{ usermask: "*", hostmask: "*", spoof: `${"a".repeat(60)}.org` }]) }, [], "users"],
    [
        "tlsCertificate over 100,000 characters",
        { tlsMode: "provided", tlsCertificate: pem.certificatePem.replace("-----END", `${"A".repeat(100_000)}\n-----END`), tlsKey: pem.keyPem },
        ["tlsKey"],
        "tlsCertificate",
    ],
    ["NUL in motd", { motd: "hello\u0000world" }, [], "motd"],
    ["a tab in serverInfo", { serverInfo: "My\tIRC" }, [], "serverInfo"],
    ["DEL in an oper password", { opers: '{"alice":"pass\\u007fword"}' }, ["opers"], "opers"],
    ["motd ending in U+0085 (Go trims it, JavaScript's trim does not)", { motd: "Welcome\u0085" }, [], "motd"],
    ["motd starting with a no-break space", { motd: "\u00a0Welcome" }, [], "motd"],
    ["serverInfo ending in an ideographic space", { serverInfo: "IRC\u3000" }, [], "serverInfo"],
    ["oper password ending in U+2028", { opers: '{"alice":"password\\u2028"}' }, ["opers"], "opers"],
    ["clientsPerPod under 50", { clientsPerPod: "10" }, [], "clientsPerPod"],
    ["regionNumber 10 (a SID starts with one digit)", { regionNumber: "10" }, [], "regionNumber"],
    ["no hubs", { hubs: "0" }, [], "hubs"],
    ["regionNumber without peers (alone, it only changes the SIDs)", { regionNumber: "3" }, [], "regionNumber"],
    ["hubs without peers (no region to link to)", { hubs: "1" }, [], "hubs"],
    ["peers not a list", { peers: "prod-eu" }, [], "peers"],
    ["a peer stack name with a space", { peers: '["my org/prod-eu"]' }, [], "peers"],
    [
        "peers with a self-signed certificate (no peer can verify it)",
        { peers: '["prod-eu"]', dnsZone: "example-org", hostname: "irc.example.org" },
        [],
        "peers",
    ],
    [
        "peers without dnsZone (the hubs' public names)",
        { peers: '["prod-eu"]', tlsMode: "provided", tlsCertificate: pem.certificatePem, tlsKey: pem.keyPem },
        ["tlsKey"],
        "peers",
    ],
    ["peers with platform kubeconfig", { platform: "kubeconfig", image: "catbox:1", peers: '["prod-eu"]' }, [], "peers"],
    [
        "a peer named twice (with and without its organization and project)",
        { ...letsEncrypt, acmeEmail: "ops@irc-operators.net", peers: '["prod-eu","my-org/catbox-gke/Prod-EU"]' },
        [],
        "peers",
    ],
    [
        "a peer stack name over Pulumi's 100 characters",
        { ...letsEncrypt, acmeEmail: "ops@irc-operators.net", peers: JSON.stringify(["p".repeat(101)]) },
        [],
        "peers",
    ],
    ["sharedHostname without peers", { sharedHostname: "irc.example.org" }, [], "sharedHostname"],
    [
        "sharedHostname with a provided certificate (it must hold the shared name)",
        {
            sharedHostname: "irc.example.org",
            peers: '["prod-eu"]',
            dnsZone: "example-org",
            hostname: "us.example.org",
            tlsMode: "provided",
            tlsCertificate: pem.certificatePem,
            tlsKey: pem.keyPem,
        },
        ["tlsKey"],
        "sharedHostname",
    ],
    ["sharedNameOwner without sharedHostname", { sharedNameOwner: "true" }, [], "sharedNameOwner"],
    ["sharedHostname an IP address", { sharedHostname: "203.0.113.5" }, [], "sharedHostname"],
    ["letsEncrypt without a hostname", { tlsMode: "letsEncrypt", dnsZone: "example-org" }, [], "hostname"],
    ["letsEncrypt without a zone", { tlsMode: "letsEncrypt", hostname: "irc.example.org" }, [], "dnsZone"],
    [
        "letsEncrypt with platform kubeconfig",
        { platform: "kubeconfig", image: "catbox:1", tlsMode: "letsEncrypt", hostname: "irc.example.org" },
        [],
        "tlsMode",
    ],
    ["a hostname with a capital", { hostname: "IRC.example.org" }, [], "hostname"],
    ["a hostname without a dot", { hostname: "irc" }, [], "hostname"],
    ["a hostname label over 63 characters", { hostname: `${"a".repeat(64)}.example.org` }, [], "hostname"],
    ["a zone given as a DNS name", { hostname: "irc.example.org", dnsZone: "example.org." }, [], "dnsZone"],
    ["a zone without a hostname", { dnsZone: "example-org" }, [], "dnsZone"],
    ["acmeEmail without letsEncrypt", { acmeEmail: "le@example.org" }, [], "acmeEmail"],
    // Let's Encrypt refuses these contacts, and the issuer then never becomes Ready.
    ["letsEncrypt with adminEmail at example.org as the contact", { ...letsEncrypt, adminEmail: "irc-admin@example.org" }, [], "adminEmail"],
    ["letsEncrypt with acmeEmail at EXAMPLE.com", { ...letsEncrypt, acmeEmail: "le@EXAMPLE.com" }, [], "acmeEmail"],
    // Let's Encrypt's own rules for the contact's domain and the names it issues for (boulder's validNonWildcardDomain).
    ...["internal", "local", "lan", "corp", "home", "test", "invalid", "example"].map(
        (tld) =>
            [`letsEncrypt with acmeEmail under .${tld}`, { ...letsEncrypt, acmeEmail: `ops@irc.${tld}` }, [], "acmeEmail"] as [
                string,
                Record<string, string>,
                string[],
                string,
            ],
    ),
    ["acmeEmail at a label with -- that is no punycode", { ...letsEncrypt, acmeEmail: "ops@ab--cd.irc-operators.net" }, [], "acmeEmail"],
    ["acmeEmail at malformed punycode", { ...letsEncrypt, acmeEmail: "ops@xn--zz.irc-operators.net" }, [], "acmeEmail"],
    ["acmeEmail with a leading dot", { ...letsEncrypt, acmeEmail: ".ops@irc-operators.net" }, [], "acmeEmail"],
    ["acmeEmail with a trailing dot in its local part", { ...letsEncrypt, acmeEmail: "ops.@irc-operators.net" }, [], "acmeEmail"],
    ["acmeEmail with a doubled dot", { ...letsEncrypt, acmeEmail: "o..ps@irc-operators.net" }, [], "acmeEmail"],
    ["a letsEncrypt hostname under .internal", { ...letsEncrypt, acmeEmail: "ops@irc-operators.net", hostname: "irc.corp.internal" }, [], "hostname"],
    [
        "letsEncrypt server names of 11 labels",
        { ...letsEncrypt, acmeEmail: "ops@irc-operators.net", serverNamePattern: "irc{n}.a.b.c.d.e.f.g.h.example.org" },
        [],
        "serverNamePattern",
    ],
    [
        "letsEncrypt server names with -- that is no punycode",
        { ...letsEncrypt, acmeEmail: "ops@irc-operators.net", serverNamePattern: "ab--{n}.example.org" },
        [],
        "serverNamePattern",
    ],
    [
        "letsEncrypt with acmeEmail at example.net, adminEmail fine",
        { ...letsEncrypt, acmeEmail: "le@example.net", adminEmail: "ops@irc-operators.net" },
        [],
        "acmeEmail",
    ],
    ["an unknown ACME server", { tlsMode: "letsEncrypt", hostname: "irc.example.org", dnsZone: "example-org", acmeServer: "test" }, [], "acmeServer"],
    [
        "tlsCertificate with letsEncrypt",
        { tlsMode: "letsEncrypt", hostname: "irc.example.org", dnsZone: "example-org", tlsCertificate: pem.certificatePem },
        [],
        "tlsCertificate",
    ],
    ["ciServiceAccount not a service account", { ciServiceAccount: "ci@example.org" }, [], "ciServiceAccount"],
    [
        "ciServiceAccount with platform kubeconfig",
        { platform: "kubeconfig", image: "catbox:1", ciServiceAccount: "pulumi-ci@my-irc-project.iam.gserviceaccount.com" },
        [],
        "ciServiceAccount",
    ],
    ["existingAddress not a resource name", { existingAddress: "My_IP" }, [], "existingAddress"],
    ["an image without a tag (pulled at every start: fails for one loaded into kind)", { platform: "kubeconfig", image: "catbox" }, [], "image"],
    ["an image tagged latest", { platform: "kubeconfig", image: "localhost:5000/catbox:latest" }, [], "image"],
    ["a registry port that is no tag", { platform: "kubeconfig", image: "localhost:5000/catbox" }, [], "image"],
    ["a proberImage without a tag", { platform: "kubeconfig", image: "catbox:1", proberImage: "catbox-prober" }, [], "proberImage"],
    ["existingAddress with platform kubeconfig", { platform: "kubeconfig", image: "catbox:1", existingAddress: "catbox-ip" }, [], "existingAddress"],
    ["existingAddress with keepAddress false", { existingAddress: "catbox-ip", keepAddress: "false" }, [], "keepAddress"],
    ["existingHubAddresses without peers", { existingHubAddresses: '["catbox-hub-0-ip"]' }, [], "existingHubAddresses"],
    [
        "existingHubAddresses not resource names",
        { ...letsEncrypt, acmeEmail: "ops@irc-operators.net", peers: '["prod-eu"]', existingHubAddresses: '["Hub_0"]' },
        [],
        "existingHubAddresses",
    ],
    [
        "more existingHubAddresses than hubs",
        { ...letsEncrypt, acmeEmail: "ops@irc-operators.net", peers: '["prod-eu"]', existingHubAddresses: '["a-0","a-1","a-2"]' },
        [],
        "existingHubAddresses",
    ],
    [
        "an existingHubAddresses entry that is existingAddress too",
        { ...letsEncrypt, acmeEmail: "ops@irc-operators.net", peers: '["prod-eu"]', existingAddress: "a-0", existingHubAddresses: '["a-0"]' },
        [],
        "existingHubAddresses",
    ],
    [
        "existingHubAddresses with keepAddress false",
        { ...letsEncrypt, acmeEmail: "ops@irc-operators.net", peers: '["prod-eu"]', existingHubAddresses: '["a-0"]', keepAddress: "false" },
        [],
        "keepAddress",
    ],
    // Keys that mean something on one platform only: set elsewhere (to other than their default), refused.
    ...[
        "keepAddress=false",
        "uptimeAlert=false",
        "spotNodes=true",
        "nodeCount=3",
        "machineType=e2-medium",
        "deletionProtection=false",
        "region=europe-west4",
        "clusterLocation=europe-west4-b",
        "maintenanceDays=SA,SU",
        "maintenanceHours=8",
        "maintenanceStart=22:00",
    ].map((kv): [string, Record<string, string>, string[], string] => {
        const [key, value] = kv.split("=");
        return [`${key} with platform kubeconfig`, { platform: "kubeconfig", image: "catbox:1", [key]: value }, [], key];
    }),
    // GKE's maintenance window: 4 hours or more at a time, 48 hours in any 32 days.
    ["maintenanceDays not RFC 5545 days", { maintenanceDays: "MON,TUE" }, [], "maintenanceDays"],
    ["maintenanceDays with a day twice", { maintenanceDays: "TU,TU,WE" }, [], "maintenanceDays"],
    ["maintenanceStart without its leading zero", { maintenanceStart: "3:00" }, [], "maintenanceStart"],
    ["maintenanceStart at 24:00", { maintenanceStart: "24:00" }, [], "maintenanceStart"],
    ["maintenanceHours under 4", { maintenanceHours: "3" }, [], "maintenanceHours"],
    ["maintenanceHours over 24", { maintenanceHours: "25" }, [], "maintenanceHours"],
    ["one day of 6 hours: 24 hours in 32 days", { maintenanceDays: "SU" }, [], "maintenanceDays"],
    ["three days of 4 hours exactly reach 48: two do not", { maintenanceDays: "SA,SU", maintenanceHours: "4" }, [], "maintenanceDays"],
    ["two days of 5 hours: 40 hours in 32 days", { maintenanceDays: "MO,TU", maintenanceHours: "5" }, [], "maintenanceDays"],
    ["maintenanceExclusions not JSON", { maintenanceExclusions: "christmas" }, [], "maintenanceExclusions"],
    [
        "an exclusion ending before it starts",
        { maintenanceExclusions: exclusions({ start: "2026-12-26T00:00:00Z", end: "2026-12-24T00:00:00Z" }) },
        [],
        "maintenanceExclusions",
    ],
    [
        "a NO_UPGRADES exclusion over 30 days",
        { maintenanceExclusions: exclusions({ start: "2026-12-01T00:00:00Z", end: "2027-01-01T00:00:01Z" }) },
        [],
        "maintenanceExclusions",
    ],
    ["an exclusion time not in GKE's UTC form", { maintenanceExclusions: exclusions({ start: "2026-12-24 00:00" }) }, [], "maintenanceExclusions"],
    [
        "an exclusion on a day that does not exist",
        { maintenanceExclusions: exclusions({ start: "2026-02-30T00:00:00Z" }) },
        [],
        "maintenanceExclusions",
    ],
    ["an exclusion with an unknown scope", { maintenanceExclusions: exclusions({ scope: "NO_PATCHES" }) }, [], "maintenanceExclusions"],
    ["an exclusion with an unknown field", { maintenanceExclusions: exclusions({ reason: "holidays" }) }, [], "maintenanceExclusions"],
    [
        "two exclusions of one name (GKE keeps them in a map: one would replace the other)",
        {
            maintenanceExclusions: JSON.stringify([
                ...JSON.parse(exclusions()),
                ...JSON.parse(exclusions({ start: "2027-01-02T00:00:00Z", end: "2027-01-03T00:00:00Z" })),
            ]),
        },
        [],
        "maintenanceExclusions",
    ],
    [
        "21 exclusions (GKE keeps 20)",
        { maintenanceExclusions: JSON.stringify(Array.from({ length: 21 }, (_, i) => ({ ...JSON.parse(exclusions())[0], name: `e${i}` }))) },
        [],
        "maintenanceExclusions",
    ],
    // Rules a hand mutation round found no row for.
    ["deadTime equal to pingTime (not longer)", { pingTime: "45s", deadTime: "45s" }, [], "deadTime"],
    ["alertEmail with platform kubeconfig", { platform: "kubeconfig", image: "catbox:1", alertEmail: "pager@irc-operators.net" }, [], "alertEmail"],
    ["linkPort equal to the default clientPort", { linkPort: "7000" }, [], "linkPort"],
    ["two daemons given the same lower-case name", { serverNames: '["hub.example.org","hub.example.org"]' }, [], "serverNames"],
    // 3 pods on 2 nodes put 2 on one node: 2 × 576 MiB is more than an e2-small's 936 MiB (1 would fit).
    ["3 pods on 2 e2-small nodes that fit one a node but not two", { replicas: "3", nodeCount: "2", clientsPerPod: "100" }, [], "clientsPerPod"],
    [
        "a tlsKey in PEM armour that is no key",
        { tlsMode: "provided", tlsCertificate: pem.certificatePem, tlsKey: "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n" },
        ["tlsKey"],
        "tlsCertificate",
    ],
    // Names that are not what they look like.
    ...["constructor", "toString", "__proto__", "valueOf", "hasOwnProperty"].map((key): [string, Record<string, string>, string[], string] => [
        `an unknown key named ${key}`,
        { [key]: "x" },
        [],
        key,
    ]),
    [
        "the same oper name twice in the JSON (JSON.parse would keep the last)",
        { opers: '{"alice":"first-pass1","alice":"second-pass2"}' },
        ["opers"],
        "opers",
    ],
    ["a lone surrogate in motd (catbox would get U+FFFD)", { motd: "Welcome \ud83d" }, [], "motd"],
    ["a private key's armour in motd (published to every client)", { motd: "-----BEGIN PRIVATE KEY----- MIIEvQIBADANBg" }, [], "motd"],
    // Values GCP or Kubernetes refuse at up.
    ...["a@b.c;rm", "<a@b.co>", "a@b..co", "ops@irc-operators.net\u200b", "ops@irc-operators", "ops@-irc.net"].flatMap((address) =>
        ["adminEmail", "alertEmail"].map((key): [string, Record<string, string>, string[], string] => [
            `${key} ${JSON.stringify(address)}`,
            { [key]: address },
            [],
            key,
        ]),
    ),
    ["acmeEmail not an address", { ...letsEncrypt, acmeEmail: "le@b..co" }, [], "acmeEmail"],
    ["an IP address as hostname", { hostname: "203.0.113.7" }, [], "hostname"],
    ["a hostname whose last label is all digits", { hostname: "irc.example.123" }, [], "hostname"],
    ...["default", "kube-system", "kube-public", "kube-node-lease", "cert-manager"].map(
        (namespace): [string, Record<string, string>, string[], string] => [`namespace ${namespace}`, { namespace }, [], "namespace"],
    ),
    [
        "1001 users (the Secret would outgrow Kubernetes' 1 MiB)",
        { users: JSON.stringify(Array.from({ length: 1001 }, () => ({ usermask: "*", hostmask: "*" }))) },
        [],
        "users",
    ],
    ["an image reference over 255 characters", { platform: "kubeconfig", image: `registry.example.org/${"a".repeat(240)}:v1` }, [], "image"],
    ["a cluster domain label over 63 characters", { clusterDomain: `${"a".repeat(64)}.local` }, [], "clusterDomain"],
    ["a reloaderImage without a digest", { reloaderImage: "busybox:1.37.0" }, [], "reloaderImage"],
    ["e2-micro (too small for GKE's own pods)", { machineType: "e2-micro" }, [], "machineType"],
    ["a machine type with an empty part", { machineType: "e2--small" }, [], "machineType"],
    ["a machine type ending in '-'", { machineType: "e2-small-" }, [], "machineType"],
    ["a control character in kubeContext", { platform: "kubeconfig", image: "catbox:1", kubeContext: "kind\u0007irc" }, [], "kubeContext"],
    // Bytes, not characters: catbox's lines are 512 bytes, cut mid-character beyond.
    ["a MOTD of 400 '€' (1,200 bytes)", { motd: "€".repeat(400) }, [], "motd"],
    ["a MOTD of 170 emoji (680 bytes)", { motd: "😀".repeat(170) }, [], "motd"],
    ["a MOTD one '€' past the line's room beside the default names", { motd: "€".repeat(159) }, [], "motd"],
    ["a MOTD that fits alone but not beside 99-character nicks", { motd: "m".repeat(400), maxNickLength: "99" }, [], "motd"],
    [
        "a serverInfo of 80 '€' beside long server names and nicks (WHOIS)",
        { serverInfo: "€".repeat(80), maxNickLength: "99", serverNamePattern: `irc{n}.${"a".repeat(50)}.org` },
        [],
        "serverInfo",
    ],
    ["uptimeAlert not a boolean", { uptimeAlert: "sometimes" }, [], "uptimeAlert"],
    ["alertEmail not an email", { alertEmail: "pager" }, [], "alertEmail"],
    ["clientsPerPod whose pods do not fit an e2-small node", { clientsPerPod: "2000" }, [], "clientsPerPod"],
    // 158: a pod of 896 MiB fits a node alone, but one node also takes the prober.
    ["clientsPerPod just over what an e2-small node holds beside the prober", { clientsPerPod: "158" }, [], "clientsPerPod"],
    ["two pods a node that do not fit an e2-small", { clientsPerPod: "68", replicas: "4", nodeCount: "2" }, [], "clientsPerPod"],
    // 150 was the default: 2 pods of 832 MiB leave no room for cert-manager's four pods of 48 MiB.
    [
        "clientsPerPod that leaves letsEncrypt's cert-manager no room on 2 e2-small nodes",
        { ...letsEncrypt, acmeEmail: "ops@irc-operators.net", clientsPerPod: "139" },
        [],
        "clientsPerPod",
    ],
    [
        "a private key pasted into tlsCertificate (exported in plain)",
        { tlsMode: "provided", tlsCertificate: pem.certificatePem + pem.keyPem, tlsKey: pem.keyPem },
        ["tlsKey"],
        "tlsCertificate",
    ],
];

function problemsOf(values: Record<string, string>, secretKeys: string[] = []): string[] {
    try {
        parseConfig(raw(values, secretKeys));
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${e}`);
        return e.problems;
    }
    return [];
}

describe("stack config: TLS pairs of each kind (tlsMode provided)", () => {
    const provided = (kind: string) => {
        const pair = selfSignedPair(["irc0.example.org"], 2, kind);
        return raw({ tlsMode: "provided", tlsCertificate: pair.certificatePem, tlsKey: pair.keyPem }, ["tlsKey"]);
    };
    for (const kind of servedKinds.filter((k) => k !== "RSA 4096")) {
        it(`takes ${kind}: Go's TLS serves it to today's clients (the real-daemon tests connect to it)`, () => {
            assert.equal(parseConfig(provided(kind)).tlsMode, "provided");
        });
    }
    for (const kind of Object.keys(keyKinds).filter((k) => !servedKinds.includes(k))) {
        it(`refuses ${kind}, with the kinds it takes`, () => {
            assert.throws(
                () => parseConfig(provided(kind)),
                (e: ConfigError) =>
                    e.problems.some((p) => /^catbox-gke:tlsCertificate = \[not shown\]: holds .* use ECDSA P-256, P-384 or P-521, Ed25519/.test(p)),
            );
        });
    }
});

describe("stack config: a provided certificate clients will take", () => {
    const day = 24 * 3600e3;
    const provided = (pair: { certificatePem: string; keyPem: string }, extra: Record<string, string> = {}) =>
        raw({ tlsMode: "provided", tlsCertificate: pair.certificatePem, tlsKey: pair.keyPem, ...extra }, ["tlsKey"]);
    const reason = (r: ReturnType<typeof raw>, now = new Date()) => {
        try {
            parseConfig(r, now);
            return undefined;
        } catch (e) {
            return (e as ConfigError).problems.find((p) => p.startsWith("catbox-gke:tlsCertificate = "));
        }
    };

    it("valid now: refused once expired, and before it is valid", () => {
        const pair = selfSignedPair(["irc.example.org"], 2);
        assert.equal(reason(provided(pair)), undefined);
        assert.match(reason(provided(pair), new Date(Date.now() + 3 * day))!, /: has expired: every client refuses it/);
        assert.match(reason(provided(pair), new Date(Date.now() - day))!, /: is not valid yet/);
    });

    it("for a server: an extended key usage without serverAuth refused; with it, or none, taken", () => {
        assert.match(reason(provided(selfSignedPair(["irc.example.org"], 2, undefined, ["extendedKeyUsage=clientAuth"])))!, /without serverAuth/);
        assert.equal(reason(provided(selfSignedPair(["irc.example.org"], 2, undefined, ["extendedKeyUsage=serverAuth,clientAuth"]))), undefined);
    });

    it("a key usage TLS 1.2 can use: digitalSignature for ECDSA; for RSA, keyEncipherment will do", () => {
        const usage = (kind: string, ku: string) => reason(provided(selfSignedPair(["irc.example.org"], 2, kind, [`keyUsage=critical,${ku}`])));
        assert.match(usage("ECDSA P-256", "keyEncipherment")!, /key usage without digitalSignature, which TLS 1\.2 needs/);
        assert.equal(usage("ECDSA P-256", "digitalSignature"), undefined);
        assert.equal(usage("RSA 2048", "keyEncipherment"), undefined);
        assert.match(usage("RSA 2048", "keyCertSign")!, /without digitalSignature or keyEncipherment/);
    });

    it("holds hostname, the name clients dial (a wildcard does)", () => {
        assert.match(
            reason(provided(selfSignedPair(["chat.example.org"]), { hostname: "irc.example.org" }))!,
            /does not hold hostname irc\.example\.org/,
        );
        assert.equal(reason(provided(selfSignedPair(["*.example.org"]), { hostname: "irc.example.org" })), undefined);
    });
});

describe("stack config: bad values are rejected, naming the key", () => {
    assert.ok(badConfigs.length >= 20);
    for (const [what, values, secretKeys, key] of badConfigs) {
        it(what, () => {
            const problems = problemsOf(values, secretKeys);
            assert.ok(problems.length > 0, "accepted");
            assert.ok(
                problems.some((p) => p.startsWith(`catbox-gke:${key} = `)),
                `no problem names catbox-gke:${key}:\n${problems.join("\n")}`,
            );
            for (const p of problems) assert.ok(!p.includes("\n"), `a problem spans lines: ${JSON.stringify(p)}`);
        });
    }

    it("says the value and what is allowed", () => {
        const [p] = problemsOf({ replicas: "25" });
        assert.equal(p, 'catbox-gke:replicas = "25": must be a whole number from 1 to 20');
        // Invisible characters are shown as escapes.
        assert.match(problemsOf({ motd: "Welcome\u0085" })[0], /^catbox-gke:motd = "Welcome\\u0085": /);
    });

    it("shows look-alike and invisible characters as escapes: anything not ASCII in a name, invisible ones in free text", () => {
        // A Cyrillic "а" looks like the Latin one: shown, it would be a refusal nobody could see the reason of.
        assert.match(problemsOf({ hostname: "irc.ex\u0430mple.org" })[0], /^catbox-gke:hostname = "irc\.ex\\u0430mple\.org": /);
        assert.match(problemsOf({ adminEmail: "ops@irc-operators.net\u200b" })[0], /^catbox-gke:adminEmail = "ops@irc-operators\.net\\u200b": /);
        // A MOTD may be in any script: only what cannot be seen is escaped.
        assert.match(problemsOf({ motd: "Grüße €\u200b#" })[0], /^catbox-gke:motd = "Grüße €\\u200b#": /);
    });

    it("maintenanceExclusions: each fault named by its exclusion and field, never its value", () => {
        const good = { name: "holidays", start: "2026-12-23T00:00:00Z", end: "2026-12-27T00:00:00Z" };
        const fault = (list: unknown[]) => {
            const problems = problemsOf({ maintenanceExclusions: JSON.stringify(list) });
            assert.equal(problems.length, 1, problems.join("\n"));
            return problems[0].slice(problems[0].indexOf('": ') + 3);
        };
        assert.equal(fault([good, { ...good, name: "b", end: "2026-12-01T00:00:00Z" }]), "exclusion 2: end must come after start");
        assert.equal(fault([{ ...good, start: "2026-02-30T00:00:00Z" }]), "exclusion 1: start must be a day and time that exist (UTC)");
        assert.equal(
            fault([good, { ...good, name: "b", end: "tomorrow" }]),
            "exclusion 2: end must be a time in GKE's UTC form, YYYY-MM-DDTHH:MM:SSZ",
        );
        assert.match(fault([{ ...good, scope: "NO_PATCHES" }]), /^exclusion 1: scope must be one of NO_UPGRADES, /);
        assert.match(fault([{ ...good, name: "freeze\u0007" }]), /^exclusion 1: name must be 1 to 64 characters without control characters/);
        assert.match(
            fault([{ ...good, end: "2027-02-01T00:00:00Z" }]),
            /^exclusion 1: a NO_UPGRADES exclusion \(the default scope\) lasts at most 30 days/,
        );
        assert.equal(fault([good, { ...good, reason: "x" }]), "exclusion 2 has a field GKE's exclusions do not (only name, start, end and scope)");
        assert.match(fault([good, { ...good }]), /^gives two exclusions one name: GKE keeps them by name/);
        // A list set as a secret: the fault is still named, and no part of the value shows.
        const secretList = problemsOf({ maintenanceExclusions: JSON.stringify([{ ...good, name: "Project Nightingale", end: "x" }]) }, [
            "maintenanceExclusions",
        ]);
        assert.deepEqual(secretList, [
            "catbox-gke:maintenanceExclusions = [secret]: exclusion 1: end must be a time in GKE's UTC form, YYYY-MM-DDTHH:MM:SSZ",
        ]);
    });

    it("a key that means nothing on the platform it is set on is refused for that, whatever its value", () => {
        const kind = { platform: "kubeconfig", image: "catbox:1" };
        for (const [key, value] of [
            ["machineType", "f1-micro"],
            ["existingAddress", "My_IP"],
            ["alertEmail", "pager"],
            ["maintenanceDays", "MON"],
        ]) {
            assert.deepEqual(problemsOf({ ...kind, [key]: value }), [
                `catbox-gke:${key} = "${value}": applies only to platform gke (platform is kubeconfig): the stack creates no GCP resource with platform kubeconfig`,
            ]);
        }
        assert.match(problemsOf({ kubeconfig: "" + "x".repeat(2_000_000) }, ["kubeconfig"])[0], /applies only to platform kubeconfig/);
        assert.match(problemsOf({ acmeEmail: "not an address" })[0], /^catbox-gke:acmeEmail = "not an address": applies only to tlsMode letsEncrypt/);
    });

    it("reports every bad key at once, once each", () => {
        const problems = problemsOf({ replicas: "0", motd: "a#b", platform: "aws", pingTime: "x" });
        const keys = problems.map((p) => p.split(" = ")[0]).sort();
        assert.deepEqual(keys, ["catbox-gke:motd", "catbox-gke:pingTime", "catbox-gke:platform", "catbox-gke:replicas"]);
    });

    it("never shows a secret, or a value that should have been one", () => {
        const problems = problemsOf(
            {
                opers: '{"alice":"hunter2,x"}',
                linkSecret: "plain-text-link-secret-value",
                tlsMode: "provided",
                tlsCertificate: pem.certificatePem,
                tlsKey: pem.keyPem,
            },
            ["opers"],
        );
        const text = problems.join("\n");
        assert.ok(problems.length >= 3, text);
        for (const leak of ["hunter2", "plain-text-link-secret-value", "PRIVATE KEY"]) assert.ok(!text.includes(leak), `leaks ${leak}: ${text}`);
        assert.match(text, /catbox-gke:opers = \[secret\]/);
        assert.match(text, /catbox-gke:linkSecret = \[not shown\]: must be a secret/);
    });

    it("no rule's reason shows a value set with --secret, whichever keys are secrets: every bad config, each key a secret", () => {
        // Keys of a few fixed words: a rule says "with tlsMode provided", and withholds it where it is a secret.
        const words = new Set(["platform", "tlsMode", "acmeServer", "clientServiceType", "spotNodes", "deletionProtection", "keepAddress"]);
        let judged = 0;
        for (const [what, values] of badConfigs) {
            for (const secretKeys of [Object.keys(values), Object.keys(values).filter((k) => !words.has(k))]) {
                const texts = rawSecretTexts(raw(values, secretKeys));
                for (const p of problemsOf(values, secretKeys)) {
                    judged++;
                    const reason = p.slice(p.indexOf(": ") + 2);
                    // A key's own fixed text is the same whatever its value: it tells nothing of it.
                    const key = p.slice("catbox-gke:".length, p.indexOf(" = "));
                    if ((isConfigKey(key) && reason === entryOf(key).allowed) || reason === withheld) {
                        assert.ok(secretKeys.some((k) => words.has(k)) || reason !== withheld, `${what}: a rule's reason had to be withheld`);
                        continue;
                    }
                    assert.ok(!textShows(reason, texts), `${what}: ${p}`);
                    // Beyond those words, the rules hold their own figures back: the last-resort withholding never had to.
                    if (secretKeys.every((k) => !words.has(k))) assert.notEqual(reason, withheld, `${what}: a rule's reason had to be withheld`);
                }
            }
        }
        assert.ok(judged > badConfigs.length, `${judged} problems judged`);
    });

    it("figures made from a secret are held back too: the maintenance and sizing arithmetic, byte counts, counts of names", () => {
        const digits = (values: Record<string, string>, secretKeys: string[], key: string) => {
            const p = problemsOf(values, secretKeys).find((l) => l.startsWith(`catbox-gke:${key} = `))!;
            assert.ok(p, `${key} not refused`);
            return [...(p.slice(p.indexOf(": ") + 2).match(/\d+/g) ?? [])];
        };
        // In plain text the figures help; set as secrets, the figures that would tell them are gone.
        assert.ok(digits({ maintenanceDays: "SU" }, [], "maintenanceDays").includes("24"));
        assert.deepEqual(digits({ maintenanceDays: "SU" }, ["maintenanceDays"], "maintenanceDays"), ["32", "48"]);
        assert.ok(digits({ clientsPerPod: "2000" }, [], "clientsPerPod").length > 3);
        assert.deepEqual(digits({ clientsPerPod: "2000" }, ["clientsPerPod"], "clientsPerPod"), []);
        assert.deepEqual(digits({ nodeCount: "1", replicas: "3", clientsPerPod: "150" }, ["replicas"], "clientsPerPod"), []);
        assert.deepEqual(digits({ motd: "m".repeat(400), maxNickLength: "99" }, ["maxNickLength"], "motd"), ["512"]);
        assert.deepEqual(digits({ serverNames: '["a.example.org"]', replicas: "2" }, ["replicas"], "serverNames"), []);
        assert.deepEqual(digits({ pingTime: "5m", deadTime: "60s" }, ["pingTime"], "deadTime"), []);
        assert.deepEqual(digits({ clientPort: "6667" }, ["clientPort"], "clientPort"), []);
        assert.doesNotMatch(problemsOf({ region: "us-west1", clusterLocation: "europe-west1-b" }, ["region"]).join("\n"), /us-west1/);
        // A rule that forgot: the reason is withheld rather than shown.
        const names = problemsOf({ serverNames: '["hub.example.org","HUB.example.org"]' }, ["serverNames"]);
        assert.ok(
            names.every((p) => !/hub\.example\.org/i.test(p)),
            names.join("\n"),
        );
    });

    it("a reason that would show a secret is withheld whatever rule wrote it; a short secret only as a word of its own", () => {
        assert.ok(textShows("gives daemons 0 and 1 the same server name hub.example.org", ["HUB.example.org"]));
        assert.ok(textShows("needs 2 nodes", ["2"]));
        assert.ok(!textShows("a 20-node pool", ["2"]), "a short secret inside another word is chance");
        assert.deepEqual(rawSecretTexts(raw({ peers: '["prod-eu","org/p/Prod-Asia"]', replicas: "3" }, ["peers"])).sort(), [
            '["prod-eu","org/p/Prod-Asia"]',
            "org/p/Prod-Asia",
            "prod-eu",
        ]);
    });

    it("never shows a kubeconfig or a certificate, whatever their shape", () => {
        const token = "kubeconfig-token-abc123";
        const jsonKubeconfig = JSON.stringify({ apiVersion: "v1", kind: "Config", users: [{ name: "u", user: { token } }] });
        for (const kubeconfig of [jsonKubeconfig, `token: ${token}`, `kind: Config\nusers: [{user: {token: ${token}}}]`]) {
            const text = problemsOf({ kubeconfig }).join("\n");
            assert.match(text, /catbox-gke:kubeconfig = \[not shown\]/);
            assert.ok(!text.includes(token), text);
        }
        const text = problemsOf({ tlsMode: "provided", tlsCertificate: pem.keyPem + pem.certificatePem, tlsKey: pem.keyPem }, ["tlsKey"]).join("\n");
        assert.match(text, /catbox-gke:tlsCertificate = \[not shown\]: .*no private key/);
        assert.ok(!text.includes(pem.keyPem.split("\n")[1]), text);
    });

    it("takes an empty value as unset", () => {
        assert.equal(config({ adminEmail: "" }).adminEmail, undefined);
        assert.equal(config({ motd: "" }).motd, "Hello this is catbox");
        assert.deepEqual(
            problemsOf({ platform: "kubeconfig", image: "" }).filter((p) => p.includes(":image")),
            ["catbox-gke:image = (unset): is required with platform kubeconfig: a prebuilt catbox image reference (the stack builds no image there)"],
        );
    });

    it("asks for gcp:project with platform gke, and refuses Pulumi.prod.yaml's stand-in", () => {
        assert.throws(
            () => parseConfig(raw({}, [], {})),
            (e: ConfigError) => e.problems.some((p) => p.startsWith("gcp:project = (unset)")),
        );
        const committed = parse(readFileSync(path.join(__dirname, "..", "..", "Pulumi.prod.yaml"), "utf8")).config["gcp:project"];
        assert.throws(
            () => parseConfig(raw({}, [], { project: committed })),
            (e: ConfigError) => e.problems.some((p) => p.startsWith(`gcp:project = "${committed}": must be your GCP project id`)),
        );
    });

    it("puts every problem in the error's message, one per line", () => {
        assert.throws(
            () => parseConfig(raw({ replicas: "0", nodeCount: "-1" })),
            (e: Error) => /^invalid stack config \(2 problems\):\n {2}catbox-gke:nodeCount = .*\n {2}catbox-gke:replicas = /.test(e.message),
        );
    });
});

describe("peers: the other regions' stacks", () => {
    const region = { ...letsEncrypt, acmeEmail: "ops@irc-operators.net", linkSecret: "the-network-shared-link-secret" };
    const asStack = (stack: string, values: Record<string, string>) => () => parseConfig({ ...raw(values, ["linkSecret"]), stack });

    it("one region's stack and another's: accepted, with or without organization and project", () => {
        assert.deepEqual(asStack("prod-us", { ...region, peers: '["my-org/catbox-gke/prod-eu","prod-asia"]' })().peers, [
            "my-org/catbox-gke/prod-eu",
            "prod-asia",
        ]);
    });

    it("a region's link secret set, the same in each; Let's Encrypt's production; a provided certificate holding every hub; one record a name", () => {
        const problems = (values: Record<string, string>) => {
            try {
                asStack("prod-us", { ...region, peers: '["prod-eu"]', ...values })();
                return [];
            } catch (e) {
                return (e as ConfigError).problems;
            }
        };
        assert.deepEqual(problems({}), []);
        const { linkSecret: _, ...generated } = region;
        assert.throws(
            () => parseConfig({ ...raw({ ...generated, peers: '["prod-eu"]' }), stack: "prod-us" }),
            /catbox-gke:linkSecret = \(unset\): must be set with peers/,
        );
        assert.match(problems({ acmeServer: "staging" }).join("\n"), /^catbox-gke:acmeServer = "staging": cannot be staging with peers/);
        // The hub names go into one zone beside the client name: irc0.example.org twice is a second record.
        assert.match(
            problems({ hostname: "irc0.example.org" }).join("\n"),
            /^catbox-gke:serverNamePattern = .*: gives a hub or name the name hostname gives/,
        );
        // A provided pair for the client name alone: the peers could not verify the hubs.
        const clientOnly = selfSignedPair(["irc.example.org"]);
        const provided = { tlsMode: "provided", tlsCertificate: clientOnly.certificatePem, tlsKey: clientOnly.keyPem, hostname: "irc.example.org" };
        const held = (pair: { certificatePem: string; keyPem: string }) =>
            parseConfig({
                ...raw({ ...region, acmeEmail: "", ...provided, tlsCertificate: pair.certificatePem, tlsKey: pair.keyPem, peers: '["prod-eu"]' }, [
                    "linkSecret",
                    "tlsKey",
                ]),
                stack: "prod-us",
            });
        assert.throws(() => held(clientOnly), /catbox-gke:tlsCertificate = \[not shown\]: does not hold the server names of 2 hub\(s\)/);
        assert.doesNotThrow(() => held(selfSignedPair(["irc.example.org", "*.example.org"])), "a wildcard holds them");
    });

    it("this stack itself is refused, naming the key (the engine would read its own outputs)", () => {
        for (const self of ["prod-us", "my-org/catbox-gke/prod-us", "PROD-US"]) {
            assert.throws(
                asStack("prod-us", { ...region, peers: JSON.stringify(["prod-eu", self]) }),
                /invalid stack config \(1 problem\):\n {2}catbox-gke:peers = .*: names this stack itself/,
                self,
            );
        }
    });
});

describe("stack config: good configs", () => {
    it("Let's Encrypt names it takes: valid punycode in NFC, 10 labels, a public suffix", () => {
        const le = { ...letsEncrypt, acmeEmail: "ops@xn--bcher-kva.example.net" };
        assert.equal(config(le).acmeEmail, "ops@xn--bcher-kva.example.net");
        assert.equal(config({ ...le, serverNamePattern: "irc{n}.a.b.c.d.e.f.g.example.org" }).serverNamePattern, "irc{n}.a.b.c.d.e.f.g.example.org");
    });

    it("images pinned by a tag other than latest, or by a digest, with or without a registry port", () => {
        for (const image of [
            "catbox:07cbec8",
            "localhost:5000/catbox:e2e",
            `registry.example.org/irc/catbox@sha256:${"a".repeat(64)}`,
            "catbox:latest-2",
        ]) {
            assert.equal(config({ platform: "kubeconfig", image }).image, image);
        }
    });

    it("pods at the edge of their nodes: 157 clients a pod on e2-small beside the prober, 138 beside cert-manager too, 2 pods of 67 a node", () => {
        assert.equal(config({ clientsPerPod: "157" }).clientsPerPod, 157);
        assert.equal(config({ ...letsEncrypt, acmeEmail: "ops@irc-operators.net", clientsPerPod: "138" }).clientsPerPod, 138);
        assert.equal(config({ clientsPerPod: "67", replicas: "4", nodeCount: "2" }).replicas, 4);
    });

    it("an empty config gets every default of the README's config table", () => {
        const c = config();
        assert.equal(c.platform, "gke");
        assert.equal(c.catboxVersion, configDefaults().catboxVersion);
        assert.equal(c.machineType, "e2-small");
        assert.equal(c.nodeCount, 2);
        assert.equal(c.spotNodes, false);
        assert.equal(c.deletionProtection, true);
        assert.equal(c.namespace, "irc");
        assert.equal(c.replicas, 2);
        assert.equal(c.networkName, "catbox");
        assert.equal(c.serverNamePattern, "irc{n}.example.org");
        assert.equal(c.serverInfo, "IRC");
        assert.equal(c.motd, "Hello this is catbox");
        assert.equal(c.adminEmail, undefined);
        assert.equal(c.maxNickLength, 9);
        assert.deepEqual([c.pingTime, c.deadTime, c.connectAttemptTime], ["15s", "45s", "1s"]);
        assert.deepEqual([c.clientPort, c.linkPort, c.exposePlaintext], [7000, 6667, false]);
        assert.equal(c.tlsMode, "selfSigned");
        assert.deepEqual(c.users, []);
        assert.equal(c.opers, undefined);
        assert.equal(c.linkSecret, undefined);
        assert.equal(c.region, "us-west1");
        assert.equal(c.clusterLocation, "us-west1-a");
    });

    it("takes typed values from the strings Pulumi passes", () => {
        const c = config(
            {
                replicas: "20",
                nodeCount: "3",
                spotNodes: "true",
                deletionProtection: "false",
                exposePlaintext: "true",
                opers: '{"alice":"s3cret-Pass"}',
                users: '[{"usermask":"*","hostmask":"*.example.org","floodExempt":true,"spoof":"staff.example.org"}]',
                tlsMode: "provided",
                tlsCertificate: pem.certificatePem,
                tlsKey: pem.keyPem,
                linkSecret: "0123456789abcdef0123",
                region: "europe-west4",
                clusterLocation: "europe-west4",
                machineType: "e2-standard-4",
            },
            ["opers", "tlsKey", "linkSecret"],
        );
        assert.equal(c.replicas, 20);
        assert.equal(c.spotNodes, true);
        assert.equal(c.deletionProtection, false);
        assert.deepEqual(c.opers, { alice: "s3cret-Pass" });
        assert.deepEqual(c.users, [{ id: "user0", usermask: "*", hostmask: "*.example.org", floodExempt: true, spoof: "staff.example.org" }]);
        assert.equal(c.clusterLocation, "europe-west4");
    });

    it("letsEncrypt: a contact Let's Encrypt takes, wherever it comes from; none at all is allowed too", () => {
        assert.equal(config({ ...letsEncrypt, acmeEmail: "le@irc-operators.net", adminEmail: "admin@example.org" }).adminEmail, "admin@example.org");
        assert.equal(config({ ...letsEncrypt, adminEmail: "admin@mail.example.org" }).tlsMode, "letsEncrypt");
        assert.equal(config(letsEncrypt).adminEmail, undefined);
        // Outside letsEncrypt, adminEmail is only what catbox shows.
        assert.equal(config({ adminEmail: "admin@example.org" }).adminEmail, "admin@example.org");
    });

    it("GKE's maintenance window at its bounds, exclusions of every scope, and gke-only keys at their defaults on kubeconfig", () => {
        const c = config({ maintenanceDays: "TU,WE,TH", maintenanceHours: "4", maintenanceStart: "23:59" });
        assert.deepEqual([c.maintenanceDays, c.maintenanceHours, c.maintenanceStart], ["TU,WE,TH", 4, "23:59"]);
        const long = config({
            maintenanceExclusions: JSON.stringify([
                { name: "event", start: "2026-12-01T00:00:00Z", end: "2026-12-31T00:00:00Z" },
                { name: "freeze", start: "2026-12-01T00:00:00Z", end: "2027-06-01T00:00:00Z", scope: "NO_MINOR_OR_NODE_UPGRADES" },
            ]),
        });
        assert.deepEqual(
            long.maintenanceExclusions?.map((e) => e.scope),
            ["NO_UPGRADES", "NO_MINOR_OR_NODE_UPGRADES"],
        );
        // Pulumi passes Pulumi.yaml's defaults as values: at their defaults, gke-only keys are nobody's choice.
        const onKind = parseConfig(
            raw({ platform: "kubeconfig", image: "catbox:1", keepAddress: "true", nodeCount: "2", maintenanceDays: "TU,WE,TH" }, [], {}),
        );
        assert.equal(onKind.platform, "kubeconfig");
    });

    it("takes every duration form Go takes (catbox reads them with Go's ParseDuration)", () => {
        for (const pingTime of ["+15s", "1.s", ".5m", "1000000\u03bcs", "1000000\u00b5s", "1h0.5s"]) {
            assert.equal(config({ pingTime, deadTime: "1h30m" }).pingTime, pingTime);
        }
    });

    it("values at the edge of catbox's 512-byte lines: the MOTD's room beside the default names, and the longest oper line", () => {
        // :irc1.example.org 372 <9-byte nick> :- <motd>\r\n holds 475 bytes of MOTD.
        assert.equal(config({ motd: "€".repeat(158) }).motd, "€".repeat(158));
        // The longest name and password the check takes still fit the client's OPER line.
        const name = "o".repeat(32);
        const password = "€".repeat(128);
        assert.deepEqual(config({ opers: JSON.stringify({ [name]: password }) }, ["opers"]).opers, { [name]: password });
        assert.ok(Buffer.byteLength(`OPER ${name} ${password}\r\n`) <= 512);
    });

    it("keeps an oper named __proto__ (never dropped by building an object)", () => {
        const c = config({ opers: '{"__proto__":"pw-Proto1","alice":"pw-Alice1"}' }, ["opers"]);
        assert.deepEqual(Object.entries(c.opers!), [
            ["__proto__", "pw-Proto1"],
            ["alice", "pw-Alice1"],
        ]);
    });

    it("accepts what catbox reads the same way: lower-case names, inner spaces in a MOTD, durations at the bounds", () => {
        const c = config({ motd: "Welcome,\u00a0be nice", pingTime: "1s", deadTime: "24h", serverNamePattern: "irc-{n}.chat.example.org" });
        assert.deepEqual([c.motd, c.pingTime, c.deadTime], ["Welcome,\u00a0be nice", "1s", "24h"]);
    });

    it("takes region and zone from the gcp provider's config", () => {
        const c = parseConfig(raw({}, [], { project: "my-irc-project", region: "asia-east1", zone: "asia-east1-b" }));
        assert.deepEqual([c.region, c.clusterLocation], ["asia-east1", "asia-east1-b"]);
    });

    it("platform kubeconfig needs no gcp:project, and takes a context name in plain text", () => {
        const c = parseConfig(
            raw({ platform: "kubeconfig", image: "localhost:5001/catbox:v1.13.0", kubeContext: "kind-irc", clientServiceType: "NodePort" }, [], {}),
        );
        assert.equal(c.platform, "kubeconfig");
        assert.deepEqual(c.cluster, { kind: "context", name: "kind-irc" });
        assert.ok(!("gcpProject" in c));
    });
});

describe("Pulumi.yaml declares the schema's keys", () => {
    const project = parse(readFileSync(path.join(__dirname, "..", "..", "Pulumi.yaml"), "utf8"));
    const declared = project.config as Record<string, { default?: unknown; secret?: boolean }>;

    it("declares every key the way Pulumi's project schema allows", () => {
        // Pulumi's ConfigTypeDeclaration: a type of four, items for arrays, no other properties.
        const jsType = { string: "string", integer: "number", boolean: "boolean", array: "object" } as Record<string, string>;
        for (const [key, decl] of Object.entries<Record<string, unknown>>(declared as Record<string, Record<string, unknown>>)) {
            assert.ok(
                Object.keys(decl).every((p) => ["type", "items", "description", "secret", "default"].includes(p)),
                key,
            );
            assert.ok(String(decl.type) in jsType, `${key}: type ${decl.type}`);
            if (decl.type === "array") assert.ok(decl.items, `${key}: an array needs items`);
            if ("default" in decl) assert.equal(typeof decl.default, jsType[String(decl.type)], `${key}: default of the wrong type`);
            if (decl.type === "integer" && "default" in decl) assert.ok(Number.isInteger(decl.default), key);
        }
    });

    it("the keys that must be secrets have no default, so Pulumi.yaml leaves them out, and the program refuses them in plain text", () => {
        assert.deepEqual([...secretConfigKeys].sort(), ["kubeconfig", "linkSecret", "opers", "tlsKey"]);
        for (const key of secretConfigKeys) {
            assert.ok(!(key in declared), `${key} declared: the CLI would require it in every stack`);
            assert.throws(
                () => config({ [key]: "x" }),
                new RegExp(`catbox-gke:${key} = \\[not shown\\]: must be a secret|catbox-gke:${key} = \\[not shown\\]`),
            );
        }
    });
});

describe("values set with --secret that Pulumi.yaml does not ask to be secret", () => {
    it("are found by their text: whole, or inside a longer text once 3 characters long; a short one only whole", () => {
        const texts = chosenSecretTexts(
            parseConfig(raw({ hostname: "irc.example.org", replicas: "2" }, ["hostname", "replicas"])),
            raw({ hostname: "irc.example.org", replicas: "2" }, ["hostname", "replicas"]),
        );
        assert.deepEqual(texts, ["2", "irc.example.org"]);
        assert.ok(showsChosenSecret("irc://irc.example.org:7000", texts));
        assert.ok(showsChosenSecret({ spec: { replicas: 2 } }, texts));
        assert.ok(showsChosenSecret({ labels: { "irc.example.org": "x" } }, texts), "an object's keys count");
        assert.ok(!showsChosenSecret({ port: 20, name: "irc-20" }, texts), "a short secret is not found inside another text");
        assert.ok(showsChosenSecret(["a", "2"], texts));
    });

    it("are only the keys set as secrets that are not declared secret, and a pattern brings its server names", () => {
        const r = raw({ serverNamePattern: "chat{n}.example.org", replicas: "2", linkSecret: "a-long-enough-link-secret" }, [
            "serverNamePattern",
            "linkSecret",
        ]);
        assert.deepEqual(chosenSecretKeys(r), ["serverNamePattern"]);
        assert.deepEqual(chosenSecretTexts(parseConfig(r), r), ["chat0.example.org", "chat1.example.org", "chat{n}.example.org"]);
    });
});

describe("pods packed onto their nodes as the scheduler would", () => {
    const pod = (name: string, memoryMiB: number, apart?: string) => ({ name, memoryMiB, cpuMilli: 10, apart });

    it("GKE's allocatable, less its own pods: e2-standard-4's 3920m CPU (GKE's documented example) less 400m", () => {
        assert.deepEqual(nodeRoom("e2-standard-4"), { memoryMiB: 13121, cpuMilli: 3520 });
        assert.deepEqual(nodeRoom("e2-small"), { memoryMiB: 936, cpuMilli: 540 });
        assert.equal(nodeRoom("n2-highmem-2"), undefined, "an unknown type is not guessed");
    });

    it("a group's pods each on a node of their own, the largest first, each where most memory is left", () => {
        assert.deepEqual(pack([pod("a", 100, "g"), pod("b", 100, "g")], 1, { memoryMiB: 1000, cpuMilli: 1000 }), { unplaced: pod("b", 100, "g") });
        const placed = pack([pod("small", 100), pod("big", 500), pod("mid", 300)], 2, { memoryMiB: 600, cpuMilli: 1000 });
        assert.deepEqual(placed, { nodes: [[pod("big", 500)], [pod("mid", 300), pod("small", 100)]] });
        assert.ok("unplaced" in pack([pod("a", 10)], 1, { memoryMiB: 1000, cpuMilli: 5 }), "CPU counts too");
    });

    it("every committed gke stack's pods fit its nodes with a fifth of their memory to spare, and with the web client fit at all", () => {
        for (const stack of ["prod", "prod-us", "prod-eu"]) {
            const file = readStackFile(stack);
            const c = parseConfig(rawConfigOf(file.config, new Set(file.secretKeys.map((k) => k.replace(/^catbox-gke:/, "")))));
            assert.equal(c.platform, "gke");
            if (c.platform !== "gke") continue;
            const room = nodeRoom(c.machineType)!;
            const nodes = nodesTotal(c.nodeCount, c.clusterLocation);
            const placed = pack(
                stackPods({
                    replicas: c.replicas,
                    clientsPerPod: c.clientsPerPod,
                    nodes,
                    letsEncrypt: c.tlsMode === "letsEncrypt",
                    webClient: c.webClient,
                }),
                nodes,
                room,
            );
            assert.ok("nodes" in placed, stack);
            const withWeb = stackPods({
                replicas: c.replicas,
                clientsPerPod: c.clientsPerPod,
                nodes,
                letsEncrypt: c.tlsMode === "letsEncrypt",
                webClient: true,
            });
            assert.ok("nodes" in pack(withWeb, nodes, room), `${stack} with webClient`);
            const used = placed.nodes.flat().reduce((sum, p) => sum + p.memoryMiB, 0);
            assert.ok(used <= 0.8 * nodes * room.memoryMiB, `${stack}: ${used} of ${nodes * room.memoryMiB} MiB`);
        }
    });
});

describe("the sizing table (docs/sizing.md)", () => {
    it("gives what the program sets for each clientsPerPod, and how many pods fit each machine type", () => {
        const readme = readFileSync(path.join(__dirname, "..", "..", "docs", "sizing.md"), "utf8");
        const rows = [...readme.matchAll(/^\| (\d+)(?: \(default\))? \| (\d+) \| (\d+) MiB \| (\d+) MiB \| (\d+)m \/ (\d+)m \| (.+) \|$/gm)];
        assert.ok(rows.length >= 4, "no sizing table");
        for (const [, clients, failover, memory, gomemlimit, request, limit, fits] of rows) {
            const s = podSize(Number(clients));
            assert.deepEqual(
                [Number(failover), Number(memory), Number(gomemlimit), Number(request), Number(limit)],
                [s.failoverClients, s.memoryMiB, s.goMemLimitMiB, s.cpuRequestMilli, s.cpuLimitMilli],
                `row ${clients}`,
            );
            for (const [, type, count] of fits.matchAll(/(e2-[a-z0-9-]+) (\d+)/g)) {
                const room = nodeRoom(type)!;
                const perPod = { m: s.memoryMiB + reloaderSize.memoryMiB, c: s.cpuRequestMilli + reloaderSize.cpuRequestMilli };
                assert.equal(
                    Number(count),
                    Math.min(Math.floor(room.memoryMiB / perPod.m), Math.floor(room.cpuMilli / perPod.c)),
                    `row ${clients}, ${type}`,
                );
            }
        }
        assert.equal(configDefaults().clientsPerPod, Number(rows.find((r) => r[0].includes("(default)"))![1]));
    });
});

describe("the README's config table", () => {
    const readme = readFileSync(path.join(__dirname, "..", "..", "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Configuration"), readme.indexOf("\n## ", readme.indexOf("## Configuration") + 1));
    const rows = [...section.matchAll(/^\| `([A-Za-z]+)` \| ([^|]+) \|/gm)].map((m) => [m[1], m[2].trim()] as const);

    it("lists every key of the schema, and no other", () => {
        assert.deepEqual(rows.map(([key]) => key).sort(), [...configKeys].sort());
    });

    it("gives each key's default as the schema does (a long one may end in …)", () => {
        const defaults = configDefaults();
        for (const [key, cell] of rows) {
            const value = defaults[key];
            if (value === undefined || typeof value === "object") continue;
            const shown = /^`([^`]*)`$/.exec(cell)?.[1];
            assert.ok(shown !== undefined, `${key}: the default cell ${cell} is not one value`);
            if (shown.endsWith("…")) assert.ok(String(value).startsWith(shown.slice(0, -1)), `${key}: ${cell} vs ${value}`);
            else assert.equal(shown, String(value), key);
        }
    });
});
