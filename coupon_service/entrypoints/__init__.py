"""Entry points: gRPC, the REST shim and the CLI; they only translate."""
