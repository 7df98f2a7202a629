# Muster: one static binary in a small non-root image.
#   docker build -t muster .
#   docker run -p 8080:8080 -v muster-data:/data muster

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# modernc.org/sqlite is pure Go, so no cgo is needed.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /muster . \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /muster /muster
# The distroless image has no shell to mkdir with: bring /data over already
# owned by nonroot (65532), so a new named volume starts out writable.
COPY --from=build --chown=65532:65532 /out/data /data
WORKDIR /data
VOLUME /data
ENV MUSTER_DATABASE_URL=/data/muster.db
EXPOSE 8080
USER nonroot
ENTRYPOINT ["/muster"]
