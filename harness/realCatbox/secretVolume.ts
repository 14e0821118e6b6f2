// A Secret volume as kubelet lays it out and updates it: the files in a
// timestamped directory, `..data` pointing at it, a link per key through
// `..data`; an update writes a new directory and switches `..data` by one
// rename, so a reader sees the old set or the new one, never a mix.
import { existsSync, mkdirSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import * as path from "node:path";

export class SecretVolume {
    private generation = 0;

    constructor(
        readonly dir: string,
        files: Record<string, string>,
    ) {
        mkdirSync(dir, { recursive: true });
        this.update(files);
    }

    update(files: Record<string, string>) {
        const v = this.dir;
        const old = existsSync(path.join(v, "..data")) ? readlinkSync(path.join(v, "..data")) : undefined;
        const dir = `..2026_11_26_00_00_${String(++this.generation).padStart(2, "0")}.${process.pid}`;
        mkdirSync(path.join(v, dir));
        for (const [name, text] of Object.entries(files)) writeFileSync(path.join(v, dir, name), text, { mode: 0o440 });
        symlinkSync(dir, path.join(v, "..data_tmp"));
        renameSync(path.join(v, "..data_tmp"), path.join(v, "..data"));
        for (const name of readdirSync(v)) {
            if (!name.startsWith("..") && !(name in files)) unlinkSync(path.join(v, name));
        }
        for (const name of Object.keys(files)) {
            if (!existsSync(path.join(v, name))) symlinkSync(`..data/${name}`, path.join(v, name));
        }
        if (old) rmSync(path.join(v, old), { recursive: true, force: true });
    }
}
