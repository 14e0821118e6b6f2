// The prober's process: its settings from the environment (the Deployment's),
// the rounds, and Prometheus text on /metrics. One per network.
import * as http from "node:http";
import { newMetrics } from "./metrics";
import { Prober, type Target } from "./probe";

export interface ProberSettings {
    targets: Target[];
    /** The network's client name, which clients dial and every daemon's certificate must hold. */
    hostname?: string;
    intervalSeconds: number;
    /** The most seconds between two probes of one pair of daemons (the delivery alerts' window holds one); a round without it. */
    revisitSeconds?: number;
    nickPrefix: string;
    port: number;
    /** The servers of the whole network (this region's and its peers'). */
    expectedServers?: number;
    /** Trust beyond the system's, in PEM (the stack's own self-signed certificate). */
    ca?: string;
    /** The network has IRC services: NickServ is asked each round. */
    services?: boolean;
}

/** The settings from the variables the Deployment sets; a missing or bad one stops the process with its name. */
export function settingsFromEnv(env: NodeJS.ProcessEnv): ProberSettings {
    const need = (name: string) => {
        const v = env[name];
        if (v === undefined || v === "") throw new Error(`${name} is not set`);
        return v;
    };
    const targets = JSON.parse(need("PROBER_TARGETS")) as Target[];
    if (!Array.isArray(targets) || targets.length === 0) throw new Error("PROBER_TARGETS must be a JSON list of daemons");
    const number = (name: string, fallback: number) => {
        const v = Number(env[name] ?? fallback);
        if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} must be a whole number above 0`);
        return v;
    };
    return {
        targets,
        hostname: env.PROBER_HOSTNAME || undefined,
        intervalSeconds: number("PROBER_INTERVAL_SECONDS", 30),
        nickPrefix: env.PROBER_NICK_PREFIX || "probe",
        port: number("PROBER_PORT", 9090),
        ca: env.PROBER_CA || undefined,
        ...(env.PROBER_REVISIT_SECONDS ? { revisitSeconds: number("PROBER_REVISIT_SECONDS", 0) } : {}),
        ...(env.PROBER_EXPECTED_SERVERS ? { expectedServers: number("PROBER_EXPECTED_SERVERS", targets.length) } : {}),
        services: env.PROBER_SERVICES === "1",
    };
}

/** Start probing and serving /metrics; resolves once the HTTP server listens. */
export async function startProber(s: ProberSettings): Promise<{ prober: Prober; server: http.Server; port: number; stop: () => Promise<void> }> {
    const metrics = newMetrics();
    const prober = new Prober(
        {
            targets: s.targets,
            // The name a client dials: the network's client name, or without one the daemon's own.
            certificateNames: (t) => [s.hostname ?? t.server],
            nickPrefix: s.nickPrefix,
            intervalMs: s.intervalSeconds * 1000,
            ...(s.revisitSeconds !== undefined ? { revisitRounds: Math.floor(s.revisitSeconds / s.intervalSeconds) } : {}),
            ca: s.ca,
            expectedServers: s.expectedServers,
            services: s.services,
        },
        metrics,
    );
    prober.on("error", (e: Error) => console.error(`prober: ${e.message}`));
    const server = http.createServer((req, res) => {
        if (req.url === "/metrics") {
            metrics.registry.metrics().then(
                (text) => {
                    res.writeHead(200, { "Content-Type": metrics.registry.contentType });
                    res.end(text);
                },
                (e: Error) => {
                    res.writeHead(500);
                    res.end(e.message);
                },
            );
        } else if (req.url === "/healthz") {
            res.writeHead(200);
            res.end("ok\n");
        } else {
            res.writeHead(404);
            res.end();
        }
    });
    await new Promise<void>((resolve) => server.listen(s.port, resolve));
    prober.start();
    const address = server.address();
    return {
        prober,
        server,
        port: typeof address === "object" && address ? address.port : s.port,
        stop: async () => {
            prober.stop();
            await new Promise((resolve) => server.close(resolve));
        },
    };
}

if (require.main === module) {
    const settings = settingsFromEnv(process.env);
    startProber(settings).then(
        ({ port, stop }) => {
            console.log(`prober: ${settings.targets.length} daemons every ${settings.intervalSeconds}s; /metrics on :${port}`);
            const quit = () => void stop().then(() => process.exit(0));
            process.on("SIGTERM", quit);
            process.on("SIGINT", quit);
        },
        (e: Error) => {
            console.error(`prober: ${e.message}`);
            process.exit(1);
        },
    );
}
