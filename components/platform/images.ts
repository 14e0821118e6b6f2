// The article's `docker build` and `docker push`: an Artifact Registry
// repository, the catbox image, the reloader's copy of busybox, and each image a
// feature builds from a folder of its own (the prober's), referenced by digest so
// that a new build rolls the pods and an unchanged one does not.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import * as docker from "@pulumi/docker";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { registryHost } from "./gcpNames";

/**
 * The build context and Dockerfiles, relative to the project (where Pulumi.yaml is,
 * and where Pulumi runs the program): pulumi-docker diffs every input, so an
 * absolute path would rebuild both images, and restart every daemon, whenever
 * the stack is updated from another checkout (a laptop, then CI).
 */
const dockerContext = "configs";
/** An image a feature builds from a folder of the project (relative, as above) with its own Dockerfile. */
export interface ImageSource {
    /** The image's name in the repository, and the key of its reference. */
    name: string;
    dir: string;
}

export interface ImageRegistryArgs {
    project: string;
    region: string;
    /** The repository's id. */
    networkName: string;
    /** The catbox version to build, or the prebuilt image to run instead. */
    catbox: { version: string } | { prebuilt: string };
    /** The reloader's image (busybox, by digest), copied into the repository. */
    reloaderBase: string;
    /** Members that pull the images: the nodes' service account. */
    readers: pulumi.Input<string>[];
    /** The features' images, each built from its folder. */
    built: ImageSource[];
}

/** An Artifact Registry repository, the images built into it, and who may pull them. */
export class ImageRegistry extends pulumi.ComponentResource {
    readonly repository: gcp.artifactregistry.Repository;
    readonly readerBindings: gcp.artifactregistry.RepositoryIamMember[];
    readonly image?: docker.Image;
    readonly reloaderImage: docker.Image;
    readonly builtImages: Record<string, docker.Image>;
    /** `<repo>/catbox@sha256:…`, available once the nodes may pull it (or the prebuilt image). */
    readonly ref: pulumi.Output<string>;
    /** `<repo>/reloader@sha256:…`, likewise. */
    readonly reloaderRef: pulumi.Output<string>;
    /** `<repo>/<name>@sha256:…` of each feature's image, likewise, by its name. */
    readonly builtRefs: Record<string, pulumi.Output<string>>;

    constructor(name: string, args: ImageRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
        // Its old name, so that stacks made before the rename (at the stack's root then) keep their registry and images.
        super(
            "catbox-gke:index:ImageRegistry",
            name,
            {},
            {
                ...opts,
                aliases: [...(opts?.aliases ?? []), { type: "catbox-gke:index:CatboxImage", parent: pulumi.rootStackResource }],
            },
        );
        const parent = { parent: this };

        this.repository = new gcp.artifactregistry.Repository(
            `${name}-registry`,
            {
                project: args.project,
                location: args.region,
                repositoryId: args.networkName,
                format: "DOCKER",
                description: `Images of the ${args.networkName} IRC network`,
            },
            parent,
        );

        this.readerBindings = args.readers.map(
            (member, i) =>
                new gcp.artifactregistry.RepositoryIamMember(
                    `${name}-reader-${i}`,
                    {
                        project: this.repository.project,
                        location: this.repository.location,
                        repository: this.repository.repositoryId,
                        role: "roles/artifactregistry.reader",
                        member,
                    },
                    parent,
                ),
        );

        const repo = pulumi.interpolate`${registryHost(args.region)}/${this.repository.project}/${this.repository.repositoryId}`;
        const build = (image: string, tag: string, dockerfile: string, buildArgs: Record<string, string>, context = dockerContext) =>
            new docker.Image(
                `${name}-${image === "catbox" ? "image" : image}`,
                {
                    imageName: pulumi.interpolate`${repo}/${image}:${tag}`,
                    build: {
                        context,
                        dockerfile: path.posix.join(context, dockerfile),
                        platform: "linux/amd64",
                        args: buildArgs,
                    },
                    // A preview (as in a pull request) needs no Docker engine.
                    buildOnPreview: false,
                },
                parent,
            );
        // By digest: a new build rolls the pods, an unchanged one does not; and only once the nodes may pull it.
        const pullable = (image: docker.Image) =>
            pulumi.all([image.repoDigest, ...this.readerBindings.map((b) => b.etag)]).apply(([digest]) => digest);

        if ("version" in args.catbox) {
            this.image = build("catbox", args.catbox.version, "Dockerfile", { CATBOX_VERSION: args.catbox.version });
            this.ref = pullable(this.image);
        } else {
            this.ref = pulumi.output(args.catbox.prebuilt);
        }
        this.reloaderImage = build("reloader", digestTag(args.reloaderBase), "reloader.Dockerfile", { BASE: args.reloaderBase });
        this.reloaderRef = pullable(this.reloaderImage);
        this.builtImages = Object.fromEntries(args.built.map((b) => [b.name, build(b.name, sourceTag(b.dir), "Dockerfile", {}, b.dir)]));
        this.builtRefs = Object.fromEntries(Object.entries(this.builtImages).map(([n, image]) => [n, pullable(image)]));

        this.registerOutputs({ ref: this.ref, reloaderRef: this.reloaderRef, builtRefs: this.builtRefs });
    }
}

/** A tag for a copy of `image`: its digest's first hex digits (or its tag when it has no digest). */
function digestTag(image: string): string {
    const digest = /@sha256:([a-f0-9]{12})/.exec(image);
    return digest ? digest[1] : (/:([\w][\w.-]*)$/.exec(image)?.[1] ?? "latest");
}

/** A tag for an image built from `dir`: its files' contents hashed (never their paths or times), so that any checkout gives the same. */
function sourceTag(dir: string): string {
    const hash = createHash("sha256");
    const files = readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => e.name)
        .sort();
    for (const file of files) {
        hash.update(file)
            .update("\0")
            .update(readFileSync(path.join(dir, file)))
            .update("\0");
    }
    return hash.digest("hex").slice(0, 12);
}
