# syntax=docker/dockerfile:1
# Multi-stage build: cgo is needed for SQLite (mattn/go-sqlite3).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=docker
RUN CGO_ENABLED=1 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/authsvc .

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/authsvc --create-home authsvc \
    && install -d -o authsvc -g authsvc -m 0700 /var/lib/authsvc/data
COPY --from=build /out/authsvc /usr/local/bin/authsvc
USER authsvc
WORKDIR /var/lib/authsvc
# The database, the generated secret/keys, uploaded pictures and the mail
# outbox all live here: mount a volume on it.
ENV AUTH_DATA_DIR=/var/lib/authsvc/data \
    AUTH_DATABASE_URL=sqlite:///var/lib/authsvc/data/auth.db \
    AUTH_ADDR=:8000
VOLUME ["/var/lib/authsvc/data"]
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD curl -fsS http://127.0.0.1:8000/healthz || exit 1
ENTRYPOINT ["/usr/local/bin/authsvc"]
CMD ["serve"]
