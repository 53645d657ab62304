# ccp in a container: compiled in a Deno image, run from a minimal one as a non-root user.
#   docker build -t ccp . && docker run -p 8082:8082 -e CCP_AUTH_TOKEN=… -v ~/.config/ccp:/config ccp
FROM denoland/deno:2.9.6 AS build
WORKDIR /src
COPY deno.json deno.lock ./
COPY src ./src
COPY scripts ./scripts
RUN deno install --frozen --entrypoint src/main.ts \
 && deno task compile --target "$(deno eval 'console.log(Deno.build.target)')" \
 && cp "dist/ccp-$(deno eval 'console.log(Deno.build.target)')" /ccp \
 && mkdir -p /empty/ccp

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /ccp /usr/local/bin/ccp
# A volume starts as a copy of the image's directory; one the image lacks is root's, and the
# nonroot user could not create its data dir in it.
COPY --from=build --chown=65532:65532 /empty/ /data/
ENV CCP_HOST=0.0.0.0 \
    CCP_PORT=8082 \
    CCP_CONFIG=/config/config.yaml \
    XDG_DATA_HOME=/data
VOLUME ["/config", "/data"]
EXPOSE 8082
USER nonroot
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/ccp", "health"]
ENTRYPOINT ["/usr/local/bin/ccp"]
CMD ["serve"]
