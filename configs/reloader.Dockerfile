# The reloader's image: busybox as it is (sh, nc, timeout, readlink, kill), copied
# into the stack's own registry by `pulumi up` (components/image.ts), so that
# nodes pull it from there and never from Docker Hub. BASE is the stack's
# reloaderImage, pinned by digest. The script itself comes from a ConfigMap.
ARG BASE
FROM ${BASE}
USER 65532:65532
