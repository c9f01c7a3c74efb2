# holdfast container image. Build: docker build -t holdfast .   Run: docs/operations.md, "Docker".
#
# Two stages on Debian 12: the first builds holdfast with Debian's -dev packages (nothing else is
# downloaded), the second holds the binaries, the run-time libraries and redis-cli (for the health
# check and for you), and runs the server as the unprivileged user holdfast (uid/gid 999).

ARG DEBIAN_IMAGE=debian:bookworm-slim

# ---- build ----------------------------------------------------------------------------------
FROM ${DEBIAN_IMAGE} AS build
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential autoconf automake libtool pkg-config libevent-dev libjemalloc-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# .dockerignore keeps the host's build trees and generated autotools files out
COPY . .
RUN ./autogen.sh \
 && ./configure --prefix=/usr/local \
 && make -j"$(nproc)" \
 && make install-strip DESTDIR=/out \
 && /out/usr/local/bin/holdfast-server --version

# ---- run ------------------------------------------------------------------------------------
FROM ${DEBIAN_IMAGE}
ARG DEBIAN_FRONTEND=noninteractive
# the user first, so that its ids are fixed (999) whatever the packages below add
RUN groupadd --system --gid 999 holdfast \
 && useradd --system --uid 999 --gid holdfast --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin holdfast
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libevent-core-2.1-7 libevent-pthreads-2.1-7 libjemalloc2 redis-tools \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/usr/local/bin/ /usr/local/bin/
COPY docker/holdfast.conf /etc/holdfast/holdfast.conf
COPY docker/docker-entrypoint.sh docker/holdfast-healthcheck /usr/local/bin/
RUN chmod 0644 /etc/holdfast/holdfast.conf \
 && chmod 0755 /usr/local/bin/docker-entrypoint.sh /usr/local/bin/holdfast-healthcheck \
 && install -d -o holdfast -g holdfast -m 0750 /data \
 && holdfast-server --version

ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
VOLUME /data
WORKDIR /data
EXPOSE 6379
# numeric, so that "runAsNonRoot" checks (Kubernetes) can verify it
USER 999:999
# PINGs the port the server really listens on (read from /proc), whatever the flags or .conf say;
# -LOADING (recovery running) is not healthy yet, hence the start period
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["/usr/local/bin/holdfast-healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD ["holdfast-server"]
