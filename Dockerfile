# syntax=docker/dockerfile:1
# pkgfed container image: a release build on the official Rust image, run as a
# non-root user on Debian slim with the state (SQLite database and keys) in /data.
#
#   docker build -t pkgfed .
#   docker run -d -p 127.0.0.1:8080:8080 -v pkgfed-data:/data \
#     -e PKGFED_SERVER_BASE_URL=https://pkgs.example.org \
#     -e PKGFED_CARGO_INDEX_URL=https://index.cargo-registry.example/ pkgfed
#
# See docs/deploy.md. Base images are named without a registry host: the builder's
# default registry (or its mirror configuration) supplies them.

ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=bookworm

FROM rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE} AS build
WORKDIR /src
COPY . .
# Cache mounts keep the registry download and the target directory between builds.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --package pkgfed \
    && install -D -m 0755 target/release/pkgfed /out/pkgfed

FROM debian:${DEBIAN_RELEASE}-slim
# ca-certificates: pkgfed verifies registries' and fediverse servers' TLS against the
# system's roots. Unpinned on purpose: the slim base's security updates apply.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /data --no-create-home \
       --shell /usr/sbin/nologin pkgfed \
    && install -d -m 0700 -o 10001 -g 10001 /data
COPY --from=build /out/pkgfed /usr/local/bin/pkgfed

# Listen on all interfaces inside the container (publish the port on loopback or
# behind the TLS proxy); keep the database on the volume.
ENV PKGFED_SERVER_LISTEN=0.0.0.0:8080 \
    PKGFED_STORAGE_DATABASE_URL=sqlite:///data/pkgfed.db
VOLUME ["/data"]
WORKDIR /data
USER 10001:10001
EXPOSE 8080
# The image has no curl: the probe is pkgfed itself (GET /healthz on server.listen).
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["pkgfed", "healthcheck", "--timeout-seconds", "4"]
# pkgfed drains in-flight requests on SIGTERM for server.shutdown_grace_seconds
# (default 10): give `docker stop` more than that (`--stop-timeout 30`).
STOPSIGNAL SIGTERM
ENTRYPOINT ["pkgfed"]
CMD ["serve"]
