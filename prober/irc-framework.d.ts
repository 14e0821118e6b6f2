// The part of irc-framework (which ships no types) the prober uses.
declare module "irc-framework" {
    import { EventEmitter } from "node:events";
    export class Client extends EventEmitter {
        connection?: { end(): void };
        connect(options: Record<string, unknown>): void;
        raw(line: string): void;
        quit(message?: string): void;
        changeNick(nick: string): void;
    }
}
