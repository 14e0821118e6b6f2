// What a process costs, read from /proc (Linux): CPU seconds, resident memory,
// and the resident pages that hold data. On machines without a shared zero
// page, memory a process has touched only by reading (or that the kernel filled
// with zeros) still counts as resident; the pages that hold something other
// than zeros are what it really uses. Reading another process's memory needs
// the rights of ptrace (root, or its parent as the same user).
import { closeSync, openSync, readFileSync, readSync } from "node:fs";

const pageSize = 4096;
/** Kernel clock ticks per second, in which /proc/PID/stat counts CPU time. */
const clockTicks = 100;

export function cpuSeconds(pid: number): number {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime: fields 14 and 15 of stat, 12 and 13 after "(comm) ".
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

export function rssBytes(pid: number): number {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
}

/** Resident pages of the process's private writable mappings that are not all zeros, in bytes. */
export function dataBytes(pid: number): number {
    const maps = readFileSync(`/proc/${pid}/maps`, "utf8").trim().split("\n");
    const pagemap = openSync(`/proc/${pid}/pagemap`, "r");
    const mem = openSync(`/proc/${pid}/mem`, "r");
    const entry = Buffer.alloc(8 * 256);
    const page = Buffer.alloc(pageSize);
    const zeros = Buffer.alloc(pageSize);
    let pages = 0;
    try {
        for (const line of maps) {
            const [range, perms] = line.split(/\s+/);
            if (!perms.startsWith("rw") || perms[3] !== "p") continue;
            const [start, end] = range.split("-").map((h) => parseInt(h, 16));
            for (let addr = start; addr < end; addr += pageSize * 256) {
                const count = Math.min(256, (end - addr) / pageSize);
                readSync(pagemap, entry, 0, count * 8, (addr / pageSize) * 8);
                for (let i = 0; i < count; i++) {
                    // Bit 63: the page is present in memory. Only those are read: reading others would fault them in.
                    if ((entry.readUInt32LE(i * 8 + 4) & 0x80000000) === 0) continue;
                    const got = readSync(mem, page, 0, pageSize, addr + i * pageSize);
                    if (got === pageSize && !page.equals(zeros)) pages++;
                }
            }
        }
    } finally {
        closeSync(pagemap);
        closeSync(mem);
    }
    return pages * pageSize;
}
