"""Entry points: the gRPC server, the REST shim and the metrics endpoint, with what they share
(conversion, error mapping, TLS, access lines, metrics); they only translate. The CLI is
coupon_service.cli."""
