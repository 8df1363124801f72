#!/bin/sh
# Build Netra's base images from Debian packages with mmdebstrap and import them into podman.
# No container registry is used: every image starts from this machine's Debian mirror.
#
#   deploy/build-base.sh               # all four images
#   deploy/build-base.sh base redis    # only some of: base postgres redis haproxy
#
# One image per service, so that each holds only what its process needs and can be rebuilt alone:
#   localhost/netra-base:bookworm      python3, python3-venv, ca-certificates, tini, passwd (useradd): the Dockerfile starts here
#   localhost/netra-postgres:bookworm  postgresql (15) and deploy/postgres-entrypoint.sh
#   localhost/netra-redis:bookworm     redis-server, run without persistence
#   localhost/netra-haproxy:bookworm   haproxy (2.6); its configuration is mounted (deploy/haproxy.cfg)
#
# Settings (environment):
#   SOURCES  apt sources to build from: a deb822 .sources or one-line .list file, or a "deb URL SUITE main" line.
#            Default: this machine's, /etc/apt/sources.list.d/debian.sources (else /etc/apt/sources.list).
#   SUITE    default bookworm.   TAG  image tag, default $SUITE.   PODMAN  default podman (options may follow).
#   SOURCE_DATE_EPOCH  if set, mmdebstrap writes the same tarball from the same packages (reproducible).
set -eu

SUITE=${SUITE:-bookworm}
TAG=${TAG:-$SUITE}
PODMAN=${PODMAN:-podman}
HERE=$(cd "$(dirname "$0")" && pwd)
if [ -z "${SOURCES:-}" ]; then
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then SOURCES=/etc/apt/sources.list.d/debian.sources
    elif [ -s /etc/apt/sources.list ]; then SOURCES=/etc/apt/sources.list
    else SOURCES="deb http://deb.debian.org/debian $SUITE main"
    fi
fi
for tool in mmdebstrap mmtarfilter ${PODMAN%% *}; do
    command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install mmdebstrap podman" >&2; exit 1; }
done
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# rootfs NAME PACKAGES [mmdebstrap options...]: $WORK/NAME.tar, without manuals, documentation, translations,
# recommends, apt's lists and caches. The merged-usr hook makes /bin -> usr/bin itself; without it mmdebstrap
# installs the usrmerge package, which brings the whole of perl (50 MB) into every image.
rootfs() {
    name=$1 packages=$2
    shift 2
    echo "== netra-$name: $packages (apt sources: $SOURCES)"
    mmdebstrap --variant=apt --format=tar --include="$packages" --aptopt='APT::Install-Recommends "false"' \
        --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
        --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
        --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
        --dpkgopt='path-include=/usr/share/doc/*/copyright' \
        "$@" "$SUITE" "$WORK/$name.tar" "$SOURCES"
}

# import NAME [podman import --change options...]: the tarball as localhost/netra-NAME:TAG (device nodes are
# the container runtime's business, not the image's).
import() {
    name=$1
    shift
    mmtarfilter --path-exclude='/dev/*' <"$WORK/$name.tar" | $PODMAN import "$@" - "localhost/netra-$name:$TAG" >/dev/null
    rm -f "$WORK/$name.tar"
    $PODMAN image ls --format '{{.Repository}}:{{.Tag}}  {{.Size}}' "localhost/netra-$name:$TAG"
}

want() { [ -z "$ONLY" ] || case " $ONLY " in *" $1 "*) true ;; *) false ;; esac; }
ONLY="$*"

if want base; then
    rootfs base python3,python3-venv,ca-certificates,tini,passwd
    import base --change 'ENV LANG=C.UTF-8' --change 'CMD ["/usr/bin/python3"]'
fi

if want postgres; then
    # Debian's package creates a cluster "main" at install; drop it: the entrypoint creates one in the volume.
    rootfs postgres postgresql,tini \
        --customize-hook='chroot "$1" pg_dropcluster 15 main' \
        --customize-hook="copy-in $HERE/postgres-entrypoint.sh /usr/local/bin" \
        --customize-hook='chmod 755 "$1/usr/local/bin/postgres-entrypoint.sh"' \
        --customize-hook='chroot "$1" install -d -o postgres -g postgres -m 700 /var/lib/postgresql/data'
    import postgres --change 'ENV LANG=C.UTF-8' --change 'ENV PGDATA=/var/lib/postgresql/data' \
        --change 'VOLUME /var/lib/postgresql/data' --change 'EXPOSE 5432' --change 'STOPSIGNAL SIGINT' \
        --change 'ENTRYPOINT ["/usr/bin/tini","--","/usr/local/bin/postgres-entrypoint.sh"]'
fi

if want redis; then
    # No persistence (the bot refuses a Redis that saves): what it holds is short-lived and never reaches a disk.
    # No password and protected mode off: reachable only on the compose network, never published.
    rootfs redis redis-server
    import redis --change 'USER redis' --change 'WORKDIR /tmp' --change 'EXPOSE 6379' \
        --change 'CMD ["redis-server","--save","","--appendonly","no","--dir","/tmp","--bind","0.0.0.0","--protected-mode","no"]'
fi

if want haproxy; then
    # SIGUSR1: soft stop (finish the connections open, accept no new ones)
    rootfs haproxy haproxy
    import haproxy --change 'USER haproxy' --change 'EXPOSE 8080' --change 'STOPSIGNAL SIGUSR1' \
        --change 'CMD ["haproxy","-W","-db","-f","/etc/haproxy/haproxy.cfg"]'
fi
