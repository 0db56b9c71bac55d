# The coupon-service image: gRPC on 50051, the REST shim (and /healthz, /readyz) on 8080,
# Prometheus /metrics on 9464. Configure it with COUPON_* variables (see the README); without
# COUPON_DB_URL it serves an embedded SQLite file in /data.
#
#   docker build -t coupon-service .
#   docker run --rm -p 50051:50051 -p 8080:8080 coupon-service

# Build: install the service and its locked dependencies into a virtual environment.
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY gen ./gen
COPY coupon_service ./coupon_service
COPY clients ./clients
# The service with the generated stubs and the client it depends on; the tracing extra, so that
# COUPON_OTEL_EXPORTER works in the image (it is off unless set).
RUN pip install --no-cache-dir -c constraints.txt ./gen ./clients ".[tracing]"

# Run: the virtual environment alone, on the same base, as an unprivileged user.
FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
RUN groupadd --system --gid 10001 coupon \
    && useradd --system --uid 10001 --gid coupon --no-create-home --home-dir /data \
       --shell /usr/sbin/nologin coupon \
    && install --directory --owner coupon --group coupon /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /data
USER 10001:10001
EXPOSE 50051 8080 9464
# One grpc.health.v1 Check of the whole server: unhealthy while the database does not answer,
# its schema is not this version's, or the server is shutting down.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "coupon_service.healthcheck"]
CMD ["coupon-service", "serve", "--host", "0.0.0.0"]
