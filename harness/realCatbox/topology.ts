// The shape of a network of regions, as its daemons report it: each daemon's
// LINKS names the servers it links to directly (one hop), which gives every
// link. A network of regions is as it should be when exactly one link joins
// any two regions and each region's daemons reach each other inside it.
import type { IrcClient } from "./ircClient";

/** Every link between two daemons, as the pairs of their names (sorted), from each daemon's direct neighbours. */
export async function links(clients: IrcClient[]): Promise<string[][]> {
    const pairs = new Set<string>();
    for (const client of clients) {
        const seen = await client.linksWithHops();
        const self = seen.find((l) => l.hops === 0)?.server;
        for (const l of seen.filter((x) => x.hops === 1)) pairs.add(JSON.stringify([self, l.server].sort()));
    }
    return [...pairs].map((p) => JSON.parse(p) as string[]).sort();
}

/** What is wrong with these links for these regions (each region's server names), one line each; none when all is well. */
export function topologyProblems(linked: string[][], regions: Record<string, string[]>): string[] {
    const regionOf = (server: string) => Object.keys(regions).find((r) => regions[r].includes(server));
    const problems: string[] = [];
    const names = Object.keys(regions);
    for (const [i, a] of names.entries()) {
        for (const b of names.slice(i + 1)) {
            const between = linked.filter(
                ([x, y]) => new Set([regionOf(x), regionOf(y)]).size === 2 && [a, b].includes(regionOf(x)!) && [a, b].includes(regionOf(y)!),
            );
            if (between.length > 1) problems.push(`${between.length} links join ${a} and ${b}: ${between.map((p) => p.join("-")).join(", ")}`);
        }
        // The region's own links must join every daemon of it that is linked at all.
        const present = regions[a].filter((s) => linked.some((p) => p.includes(s)));
        const reached = new Set(present.slice(0, 1));
        for (let grew = true; grew;) {
            grew = false;
            for (const [x, y] of linked.filter((p) => p.every((s) => regionOf(s) === a))) {
                if (reached.has(x) !== reached.has(y)) {
                    reached.add(x).add(y);
                    grew = true;
                }
            }
        }
        const apart = present.filter((s) => !reached.has(s));
        if (apart.length > 0) problems.push(`${a}'s ${apart.join(", ")} reach ${present[0]} only through another region`);
    }
    return problems;
}
