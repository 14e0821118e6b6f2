// A small IRC client, as a user's client meets the network: plain TCP on the
// link port or TLS with Node's defaults (TLS 1.3) on the client port.
import * as net from "node:net";
import * as tls from "node:tls";

export interface ConnectOptions {
    host: string;
    port: number;
    nick: string;
    /** TLS with these options (Node's defaults otherwise: TLS 1.2-1.3, certificate checked). */
    tls?: tls.ConnectionOptions;
    /** How long registration (001) may take. */
    timeoutMs?: number;
}

export class IrcClient {
    readonly lines: string[] = [];
    /** Called with every line; under load, set `keepLines` false so that lines are not kept. */
    onLine?: (line: string) => void;
    keepLines = true;
    private waiters: (() => void)[] = [];
    private closedFlag = false;

    private constructor(
        readonly socket: net.Socket,
        readonly nick: string,
    ) {
        let buffer = "";
        socket.setEncoding("utf8");
        socket.on("data", (chunk: string) => {
            buffer += chunk;
            let i;
            while ((i = buffer.indexOf("\n")) >= 0) {
                const line = buffer.slice(0, i).replace(/\r$/, "");
                buffer = buffer.slice(i + 1);
                // Answer the server's PING as any client does, so idle clients stay.
                if (line.startsWith("PING ")) socket.write(`PONG ${line.slice(5)}\r\n`);
                this.onLine?.(line);
                if (this.keepLines) this.lines.push(line);
            }
            this.wake();
        });
        socket.on("error", () => undefined);
        socket.on("close", () => {
            this.closedFlag = true;
            this.wake();
        });
    }

    private wake() {
        const w = this.waiters;
        this.waiters = [];
        for (const f of w) f();
    }

    get closed(): boolean {
        return this.closedFlag;
    }

    /** Connect and register; resolves once the server sent 001 (RPL_WELCOME). */
    static async connect(o: ConnectOptions): Promise<IrcClient> {
        const socket = o.tls ? tls.connect({ host: o.host, port: o.port, ...o.tls }) : net.connect({ host: o.host, port: o.port });
        const client = new IrcClient(socket, o.nick);
        try {
            await new Promise<void>((resolve, reject) => {
                socket.once(o.tls ? "secureConnect" : "connect", () => resolve());
                socket.once("error", reject);
            });
            client.send(`NICK ${o.nick}`);
            client.send(`USER ${o.nick} 0 * :catbox-gke test client`);
            await client.waitFor((l) => / 001 /.test(l), o.timeoutMs ?? 10_000, "001 (registered)");
        } catch (e) {
            socket.destroy();
            throw e;
        }
        return client;
    }

    send(line: string) {
        this.socket.write(`${line}\r\n`);
    }

    /** The first line from `from` on that matches, waiting up to `timeoutMs`. */
    async waitFor(match: RegExp | ((line: string) => boolean), timeoutMs: number, what = String(match), from = 0): Promise<string> {
        const test = typeof match === "function" ? match : (l: string) => match.test(l);
        const deadline = Date.now() + timeoutMs;
        for (;;) {
            const found = this.lines.slice(from).find(test);
            if (found !== undefined) return found;
            if (this.closedFlag) {
                throw new Error(`${this.nick}: connection closed while waiting for ${what}; got:\n${this.lines.slice(-10).join("\n")}`);
            }
            const left = deadline - Date.now();
            if (left <= 0) throw new Error(`${this.nick}: no ${what} within ${timeoutMs} ms; got:\n${this.lines.slice(-10).join("\n")}`);
            await new Promise<void>((resolve) => {
                const t = setTimeout(resolve, left);
                this.waiters.push(() => {
                    clearTimeout(t);
                    resolve();
                });
            });
        }
    }

    /** Send a command and wait for the line that answers it, looking only at what comes after. */
    async ask(line: string, answer: RegExp, timeoutMs = 5000): Promise<string> {
        const from = this.lines.length;
        this.send(line);
        return this.waitFor(answer, timeoutMs, `answer ${answer} to ${line}`, from);
    }

    /** Server names the server lists in LINKS (364 replies up to 365). */
    async links(timeoutMs = 5000): Promise<string[]> {
        return (await this.linksWithHops(timeoutMs)).map((l) => l.server).sort();
    }

    /** LINKS with each server's hop count from this one (0: itself, 1: linked to it directly). */
    async linksWithHops(timeoutMs = 5000): Promise<{ server: string; hops: number }[]> {
        const from = this.lines.length;
        this.send("LINKS");
        await this.waitFor(/ 365 /, timeoutMs, "365 (end of LINKS)", from);
        return this.lines
            .slice(from)
            .filter((l) => / 364 /.test(l))
            .map((l) => {
                const words = l.split(" ");
                return { server: words[4], hops: Number(words[5].replace(/^:/, "")) };
            });
    }

    /** Whether the server still answers on this connection. */
    async alive(timeoutMs = 5000): Promise<boolean> {
        const token = `alive-${Date.now()}`;
        try {
            await this.ask(`PING :${token}`, new RegExp(`PONG .*${token}`), timeoutMs);
            return true;
        } catch {
            return false;
        }
    }

    close() {
        this.socket.destroy();
    }
}
