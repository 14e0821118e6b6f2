// The article's `docker build` and `docker push` (design §5): an Artifact
// Registry repository and the catbox image, referenced by digest.
import * as path from "node:path";
import * as docker from "@pulumi/docker";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

export const dockerContext = path.join(__dirname, "..", "configs");

export interface CatboxImageArgs {
    project: string;
    region: string;
    /** The repository's id. */
    networkName: string;
    catboxVersion: string;
    /** Members that pull the image: the nodes' service account. */
    readers: pulumi.Input<string>[];
}

export class CatboxImage extends pulumi.ComponentResource {
    readonly repository: gcp.artifactregistry.Repository;
    readonly readerBindings: gcp.artifactregistry.RepositoryIamMember[];
    readonly image: docker.Image;
    /** `<repo>/catbox@sha256:…`, available once the nodes may pull it. */
    readonly ref: pulumi.Output<string>;

    constructor(name: string, args: CatboxImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("catbox-gke:index:CatboxImage", name, {}, opts);
        const parent = { parent: this };

        this.repository = new gcp.artifactregistry.Repository(`${name}-registry`, {
            project: args.project,
            location: args.region,
            repositoryId: args.networkName,
            format: "DOCKER",
            description: `Images of the ${args.networkName} IRC network`,
        }, parent);

        this.readerBindings = args.readers.map((member, i) => new gcp.artifactregistry.RepositoryIamMember(`${name}-reader-${i}`, {
            project: this.repository.project,
            location: this.repository.location,
            repository: this.repository.repositoryId,
            role: "roles/artifactregistry.reader",
            member,
        }, parent));

        this.image = new docker.Image(`${name}-image`, {
            imageName: pulumi.interpolate`${args.region}-docker.pkg.dev/${this.repository.project}/${this.repository.repositoryId}/catbox:${args.catboxVersion}`,
            build: {
                context: dockerContext,
                dockerfile: path.join(dockerContext, "Dockerfile"),
                platform: "linux/amd64",
                args: { CATBOX_VERSION: args.catboxVersion },
            },
            // A preview (as in a pull request) needs no Docker engine.
            buildOnPreview: false,
        }, parent);

        // By digest: a new build rolls the pods, an unchanged one does not.
        this.ref = pulumi
            .all([this.image.repoDigest, ...this.readerBindings.map((b) => b.etag)])
            .apply(([digest]) => digest);

        this.registerOutputs({ ref: this.ref });
    }
}
