// Prometheus text read by a Prometheus text-format parser (not by regex), and
// looked up by name and labels.
import parsePrometheusTextFormat from "parse-prometheus-text-format";

export interface Family {
    name: string;
    help: string;
    type: string;
    metrics: { labels?: Record<string, string>; value?: string; buckets?: Record<string, string>; count?: string; sum?: string }[];
}

export function parseExposition(text: string): Family[] {
    return parsePrometheusTextFormat(text) as Family[];
}

/** The value of `name` with these labels (a counter, gauge or histogram count), or undefined. */
export function sample(families: Family[], name: string, labels: Record<string, string> = {}): number | undefined {
    const f = families.find((x) => x.name === name);
    const m = f?.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
    if (!m) return undefined;
    return Number(m.value ?? m.count);
}

/** Every sample of `name`, with its labels. */
export function samples(families: Family[], name: string): { labels: Record<string, string>; value: number }[] {
    return (families.find((x) => x.name === name)?.metrics ?? []).map((m) => ({ labels: m.labels ?? {}, value: Number(m.value ?? m.count) }));
}
