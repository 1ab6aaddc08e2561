# syntax=docker/dockerfile:1
#
# One image with all five executables (cncf-gateway, cncf-scheduler, cncf-worker, cncf-audit,
# jobctl). The Swift standard library and Foundation are linked statically, so the runtime
# stage needs no Swift toolchain, only the C libraries the services use.
#
#   docker build -t cncf-job-management .
#   docker run --rm -e REDIS_URL=redis://:secret@redis-host:6379 cncf-job-management
#
# Any Swift 6.x toolchain image on Debian bookworm works as the build stage:
#   docker build --build-arg SWIFT_IMAGE=swift:6.1-bookworm .

ARG SWIFT_IMAGE=swift:6.0-bookworm

FROM ${SWIFT_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libhiredis-dev libmicrohttpd-dev libsqlite3-dev libssl-dev libcurl4-openssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Each directory gets its own COPY: a multi-source COPY would flatten their contents into /src.
COPY Package.swift ./
COPY Shared ./Shared
COPY Services ./Services
COPY Tests ./Tests
RUN swift build -c release --static-swift-stdlib \
 && bin="$(swift build -c release --static-swift-stdlib --show-bin-path)" \
 && mkdir -p /out \
 && for product in cncf-gateway cncf-scheduler cncf-worker cncf-audit jobctl; do \
      install -m 0755 "$bin/$product" /out/ ; \
    done \
 && strip /out/*

FROM debian:bookworm-slim AS runtime
# libstdc++6 is used by the statically linked Swift runtime; libcurl4 by the HTTP client code;
# libssl3 (libcrypto) and libsqlite3-0 by the audit trail.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libhiredis0.14 libmicrohttpd12 libsqlite3-0 libssl3 libstdc++6 libcurl4 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 cncf \
 && useradd --system --uid 10001 --gid cncf --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin cncf \
 && mkdir -p /var/lib/cncf-audit \
 && chown cncf:cncf /var/lib/cncf-audit
COPY --from=build /out/ /usr/local/bin/
USER cncf:cncf
# Inside a container the gateway, and the /healthz and /metrics endpoint of the other services
# (on METRICS_PORT, when set), must listen on every interface to be reachable.
ENV GATEWAY_HOST=0.0.0.0 \
    GATEWAY_PORT=8080 \
    METRICS_HOST=0.0.0.0
EXPOSE 8080 9100
CMD ["cncf-gateway"]
