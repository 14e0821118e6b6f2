// Which resource of an earlier state each registered resource takes over, as
// the engine decides it: its own URN first, then its aliases (an alias spec
// collapsed against its parent), then the aliases its parent was found by,
// carried to it (pulumi v3.248.0, pkg/resource/deploy/step_generator.go:
// collapseAliasToUrn, inheritedChildAlias, generateAliases, getOldResource).
import type { Registered } from "./recorder";

/** An alias spec as the SDK sends it (the Alias.Spec message). */
interface AliasSpec {
    name?: string;
    type?: string;
    stack?: string;
    project?: string;
    parenturn?: string;
    noparent?: boolean;
}

const rootStackType = "pulumi:pulumi:Stack";

/**
 * A URN as the engine writes it. The mocks put the root stack's type before a
 * top-level resource's; the engine does not: both forms are read as the engine's.
 */
export function engineUrn(urn: string): string {
    return urn.replace(`::${rootStackType}$`, "::");
}

const parts = (urn: string) => {
    const [stack, project, qualifiedType, ...name] = urn.slice("urn:pulumi:".length).split("::");
    return { stack, project, qualifiedType, name: name.join("::") };
};

function createUrn(name: string, type: string, parent: string, project: string, stack: string): string {
    const chain = parent === "" ? type : `${parts(parent).qualifiedType}$${type}`;
    return `urn:pulumi:${stack}::${project}::${chain}::${name}`;
}

/**
 * For each registered resource (in registration order: parents first), the URN
 * of the old resource it takes over, or undefined for a new one.
 */
export function takeOver(resources: Registered[], oldUrns: ReadonlySet<string>): Map<string, string | undefined> {
    const olds = new Set([...oldUrns].map(engineUrn));
    const foundBy = new Map<string, string>();
    const result = new Map<string, string | undefined>();
    for (const r of resources) {
        const urn = engineUrn(r.urn);
        const { stack, project } = parts(urn);
        const parent = r.parent && !r.parent.includes(`::${rootStackType}::`) ? engineUrn(r.parent) : "";
        const specs = r.aliases.flatMap((a) => (typeof a === "object" && a !== null && "spec" in a ? [(a as { spec: AliasSpec }).spec] : []));
        const urnAliases = r.aliases.filter((a): a is string => typeof a === "string").map(engineUrn);
        const collapse = (spec: AliasSpec) => {
            let p = spec.parenturn ? (foundBy.get(engineUrn(spec.parenturn)) ?? engineUrn(spec.parenturn)) : parent;
            if (spec.noparent || (p !== "" && parts(p).qualifiedType === rootStackType)) p = "";
            return createUrn(spec.name || r.name, spec.type || r.type, p, spec.project || project, spec.stack || stack);
        };
        const collapsed = specs.map(collapse);
        const aliases = [...urnAliases, ...collapsed];
        const parentAlias = parent ? foundBy.get(parent) : undefined;
        if (parentAlias !== undefined) {
            const parentName = parts(parent).name;
            const inherited = (type: string, name: string) => {
                const aliasName = name.startsWith(parentName) ? parts(parentAlias).name + name.slice(parentName.length) : name;
                return createUrn(aliasName, type, parentAlias, project, stack);
            };
            aliases.push(inherited(r.type, r.name));
            for (const alias of collapsed) {
                const child = parts(alias);
                aliases.push(inherited(child.qualifiedType.split("$").pop()!, child.name));
            }
        }
        const old = [urn, ...aliases].find((u) => olds.has(u));
        if (old !== undefined && old !== urn) foundBy.set(urn, old);
        result.set(r.urn, old);
    }
    return result;
}
