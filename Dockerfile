# Muster: one static binary in a small non-root image.
#   docker build --build-arg VERSION=1.0.0 --build-arg COMMIT=$(git rev-parse --short HEAD) -t muster .
#   docker run -p 8080:8080 -v muster-data:/data \
#     -e MUSTER_BASE_URL=https://muster.example.com muster
# Set MUSTER_BASE_URL to the address people open: the links in invitation
# emails are made from it, and without it they point at localhost.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=
# modernc.org/sqlite is pure Go, so no cgo is needed.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" -o /muster . \
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
